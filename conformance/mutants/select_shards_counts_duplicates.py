"""Mutant: after ``select_shards``, ``num_shards()`` counts repeated indices.

Breaks **SHARD-7** (``num_shards()`` is the number of *distinct* indices kept
by ``select_shards``). The selection itself is right (duplicates kept once,
increasing order), but the plan records ``len(shards_to_keep)`` as its shard
count, and keeps it through later per-shard transforms; ``shards()`` then
asks for shard indices that do not exist. Without repeated indices
everything is right.
"""

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    _claimed = None

    def _derive(self, inner, sources=None):
        out = super()._derive(inner, sources)
        out._claimed = self._claimed
        return out

    def num_shards(self):
        return self._it.num_shards() if self._claimed is None else self._claimed

    def select_shards(self, shards_to_keep):
        out = super().select_shards(shards_to_keep)
        out._claimed = len(shards_to_keep)
        return out

    def union(self, other):
        out = super().union(other)
        out._claimed = None
        return out

    def repartition(self, num_partitions, batch_ms=0):
        out = super().repartition(num_partitions, batch_ms)
        out._claimed = None
        return out


globals().update(_wrap.exports(ParallelIterator))
