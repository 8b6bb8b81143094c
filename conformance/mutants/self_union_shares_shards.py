"""Mutant: a plan united with itself reads each shard once, as
``ray.util.iter`` does (its shards are actors started with the plan).

Breaks **SHARD-8** (shard ``i`` of ``p.union(p)`` is shard ``i`` of ``p`` again
after ``p``'s own) and with it SHARD-4 for ``p.union(p)``: the second
appearance of every shard is empty, so every item comes once instead of
twice. The shard count is right, and a union of two different plans is
untouched.
"""

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    def union(self, other):
        checked = super().union(other)  # TypeError for a non-ParallelIterator (BAD-13)
        if other is not self:
            return checked
        empty = _wrap.reference.from_iterators([[] for _ in range(self.num_shards())])
        return checked._replaced(checked, self._it.union(empty))


globals().update(_wrap.exports(ParallelIterator))
