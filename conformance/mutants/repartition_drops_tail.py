"""Mutant: ``repartition(n)`` deals items in whole rounds of ``n`` and loses
each parent shard's incomplete last round.

Breaks **SHARD-10** (every item appears in exactly one partition), so also
SHARD-4. Each parent shard hands out its items ``n`` at a time and drops the
final ``len % n`` items; when every parent shard's length is a multiple of
``n`` the result is right.
"""

from conformance.mutants import _wrap


class _WholeRounds:
    def __init__(self, n):
        self.n = n

    def __call__(self, it):
        for group in zip(*[iter(it)] * self.n, strict=False):
            yield from group


class ParallelIterator(_wrap.ParallelIterator):
    def repartition(self, num_partitions, batch_ms=0):
        checked = self._it.repartition(num_partitions, batch_ms)
        out = self._it.transform(_WholeRounds(num_partitions)).repartition(num_partitions, batch_ms)
        return self._replaced(checked, out)


globals().update(_wrap.exports(ParallelIterator))
