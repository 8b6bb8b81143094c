"""Mutant: the parallel ``for_each`` pulls the next item before calling ``fn``
on the current one.

Breaks **ORD-2** (with ``max_concurrency=1``, ``fn(x_i)`` returns before the
source yields ``x_{i+1}``; also LAZY-3, demand-driven pulls). The shard-side
``for_each`` looks one item ahead (to know whether the current item is the
last); outputs, their order and their count are right, and a source error is
raised only after ``fn`` of the items before it has been delivered.
"""

from conformance.mutants import _wrap


class _LookaheadMap:
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, it):
        it = iter(it)
        try:
            current = next(it)
        except StopIteration:
            return
        while True:
            try:
                following = next(it)
            except StopIteration:
                yield self.fn(current)
                return
            except Exception:
                yield self.fn(current)
                raise
            yield self.fn(current)
            current = following


class ParallelIterator(_wrap.ParallelIterator):
    def for_each(self, fn, max_concurrency=1, resources=None):
        checked = self._it.for_each(fn, max_concurrency, resources)
        if max_concurrency != 1:
            return self._derive(checked)
        out = self._it.transform(_LookaheadMap(fn))
        return self._replaced(checked, out)


globals().update(_wrap.exports(ParallelIterator))
