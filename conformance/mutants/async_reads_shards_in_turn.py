"""Mutant: ``gather_async`` reads the shards one after another.

Breaks **GATH-3** (fetching from every shard concurrently): shard 0 is read to
its end, then shard 1, and so on, so a shard whose next item waits for another
shard's progress is never finished. Items, per-shard order (ORD-5) and the
read-ahead of each shard are right.
"""

from conformance.mutants import _wrap


def _in_turn(shards):
    for pairs in shards:
        for actor, item in pairs:
            _wrap.set_current_actor(actor)
            yield item


class ParallelIterator(_wrap.ParallelIterator):
    def gather_async(self, batch_ms=0, num_async=1):
        checked = super().gather_async(batch_ms, num_async)  # argument checks (BAD-16, BAD-17)
        shards = _wrap.async_shards(self._it, batch_ms, num_async)
        return _wrap.local(self, _in_turn, shards, name=checked.name)


globals().update(_wrap.exports(ParallelIterator))
