"""Mutant: ``ParallelIterator.take(n)`` returns whole rounds.

Breaks **PAR-13** (``take(n)`` returns the first ``n`` items of
``gather_sync()``). The backend reads ``batch_across_shards`` rounds until it
has at least ``n`` items and returns them all, so with several shards it may
return up to ``num_shards - 1`` items too many (``take(3)`` on 2 shards gives
4 items). ``take(n)`` with ``n`` a multiple of the shard count, the
``LocalIterator.take`` and ``show`` are right.
"""

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    def take(self, n):
        _wrap.check_count("n", n, 0)
        items = []
        rounds = self.batch_across_shards()
        try:
            while len(items) < n:
                try:
                    items.extend(next(rounds))
                except StopIteration:
                    break
        finally:
            rounds.close()
        return items


globals().update(_wrap.exports(ParallelIterator))
