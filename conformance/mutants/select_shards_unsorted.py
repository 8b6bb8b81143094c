"""Mutant: ``select_shards`` keeps the shards in the order they are listed.

Breaks **SHARD-9** (kept shards are in *increasing index* order; repeated
indices count once). ``select_shards([2, 0])`` gives shard 2 then shard 0;
duplicates are still dropped and the shard count is right. A sorted list, the
usual case, behaves correctly.
"""

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    def select_shards(self, shards_to_keep):
        checked = self._it.select_shards(shards_to_keep)  # BAD-12
        order = list(dict.fromkeys(shards_to_keep))
        out = self._it.select_shards([order[0]])
        for index in order[1:]:
            out = out.union(self._it.select_shards([index]))
        return self._replaced(checked, out)


globals().update(_wrap.exports(ParallelIterator))
