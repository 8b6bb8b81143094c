"""Mutant: the parallel ``batch(n)`` drops each shard's last, partial batch.

Breaks **PAR-5** (the last list of a shard holds the remaining ``1..n``
items). The shard-side batch is the ``zip(*[iter(it)] * n)`` idiom, which
silently discards the remainder; a shard whose length is a multiple of ``n``
is right. The local ``LocalIterator.batch`` is correct.
"""

from conformance.mutants import _wrap


class _ZipBatch:
    def __init__(self, n):
        self.n = n

    def __call__(self, it):
        return (list(group) for group in zip(*[iter(it)] * self.n, strict=False))


class ParallelIterator(_wrap.ParallelIterator):
    def batch(self, n):
        checked = self._it.batch(n)
        out = self._it.transform(_ZipBatch(n))
        return self._replaced(checked, out)


globals().update(_wrap.exports(ParallelIterator))
