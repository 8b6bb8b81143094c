"""Mutant: the parallel ``local_shuffle`` seeds shard ``i`` with ``seed + i``.

Breaks **PAR-8** (every shard applies the buffer shuffle of LOC-7 with a fresh
``random.Random(seed)``). To "decorrelate" the shards, shard ``i`` uses
``random.Random(seed + i)``: shard 0 is right, the others are still seeded,
deterministic permutations but not the prescribed ones. Unseeded shuffles
and the local ``shuffle`` are unchanged.
"""

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    def local_shuffle(self, shuffle_buffer_size, seed=None):
        checked = self._it.local_shuffle(shuffle_buffer_size, seed)
        if seed is None:
            return self._derive(checked)
        out = None
        for i in range(self._it.num_shards()):
            part = self._it.select_shards([i]).local_shuffle(shuffle_buffer_size, seed + i)
            out = part if out is None else out.union(part)
        return self._replaced(checked, out)


globals().update(_wrap.exports(ParallelIterator))
