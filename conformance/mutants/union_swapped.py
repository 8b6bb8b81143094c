"""Mutant: ``a.union(b)`` puts ``b``'s shards first.

Breaks **SHARD-8** / **ORD-7** (shards of ``a`` in order, then those of
``b``). The shard count, the items and the name ``ParallelUnion[a, b]`` are
right; ``gather_sync`` of the union starts with ``b``'s first shard, and
``get_shard(0)`` is ``b``'s shard 0. ``LocalIterator.union`` is untouched.
"""

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    def union(self, other):
        checked = super().union(other)  # TypeError for a non-ParallelIterator (BAD-13)
        out = _wrap.unwrap(other).union(self._it)
        return checked._replaced(checked, out)  # ``checked`` has the sources of both sides


globals().update(_wrap.exports(ParallelIterator))
