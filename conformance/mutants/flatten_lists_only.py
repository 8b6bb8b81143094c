"""Mutant: the parallel ``flatten`` only flattens lists.

Breaks **PAR-6** (every item, an iterable, is replaced by its elements). The
shard-side ``flatten`` checks ``isinstance(item, list)`` and passes every
other item through unchanged, so tuples, ranges, sets or generators stay
whole. Lists (and ``batch`` output) flatten correctly, and so does
``combine`` and the local ``LocalIterator.flatten``.
"""

from conformance.mutants import _wrap


class _FlattenLists:
    def __call__(self, it):
        for item in it:
            if isinstance(item, list):
                yield from item
            else:
                yield item


class ParallelIterator(_wrap.ParallelIterator):
    def flatten(self):
        checked = self._it.flatten()
        out = self._it.transform(_FlattenLists())
        return self._replaced(checked, out)


globals().update(_wrap.exports(ParallelIterator))
