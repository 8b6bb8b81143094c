"""Mutant: each appearance of a repartition in a plan runs the repartition's
parents again.

Breaks **SHARD-11** (one run reads a repartition once): ``r.union(r)`` yields
every item of ``r`` twice, as if ``r`` were a plan without repartition. A
repartition united with a different plan, and every single repartition, are
untouched.
"""

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    _repartition_of = None  # (parent plan, num_partitions, batch_ms) of a repartition

    def repartition(self, num_partitions, batch_ms=0):
        out = super().repartition(num_partitions, batch_ms)
        out._repartition_of = (self._it, num_partitions, batch_ms)
        return out

    def union(self, other):
        checked = super().union(other)  # TypeError for a non-ParallelIterator (BAD-13)
        if other is not self or self._repartition_of is None:
            return checked
        parent, num_partitions, batch_ms = self._repartition_of
        again = parent.repartition(num_partitions, batch_ms)  # a second, separate repartition
        return checked._replaced(checked, self._it.union(again))


globals().update(_wrap.exports(ParallelIterator))
