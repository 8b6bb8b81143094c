"""Mutant: the parallel ``filter`` keeps items only when ``fn(x) is True``.

Breaks **PAR-4** (keeps exactly the items for which ``fn(x)`` is *truthy*). A
predicate returning ``bool`` works; one returning ``1``, a non-empty string or
list, ``numpy.bool_`` … drops every item. The local ``LocalIterator.filter``
is correct.
"""

from conformance.mutants import _wrap


class _IsTrue:
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, item):
        return self.fn(item) is True


class ParallelIterator(_wrap.ParallelIterator):
    def filter(self, fn):
        checked = self._it.filter(fn)
        out = self._it.filter(_IsTrue(fn))
        return self._replaced(checked, out)


globals().update(_wrap.exports(ParallelIterator))
