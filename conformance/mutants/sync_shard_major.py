"""Mutant: ``gather_sync`` reads the shards one after the other.

Breaks **ORD-3** (and so GATH-1): instead of the round-robin, ``gather_sync``
delivers all of shard 0, then all of shard 1, … (each shard is read lock-step,
one item at a time, so the read-ahead bound LAZY-4 still holds). ``take`` and
``show`` go through it too (PAR-13). ``batch_across_shards`` is untouched and
still yields proper rounds.
"""

from conformance.mutants import _wrap


def _shard_major(inner_pi):
    for index in range(inner_pi.num_shards()):
        yield from _wrap.relay(inner_pi.select_shards([index]).gather_sync(), "sync")


class ParallelIterator(_wrap.ParallelIterator):
    def gather_sync(self):
        return _wrap.local(self, _shard_major, self._it, name=f"{self}.gather_sync()")

    take = _wrap.take
    show = _wrap.show


globals().update(_wrap.exports(ParallelIterator))
