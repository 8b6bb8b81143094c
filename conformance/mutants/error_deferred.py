"""Mutant: under ``gather_sync`` a failing shard drops out and its error is
raised only after the other shards have finished.

Breaks **ERR-2** (no item at a position after the failing one is delivered
before the error). A "fail-soft" ``gather_sync``: when shard ``s`` raises, the
round-robin carries on with the remaining shards (in the right order) and the
remembered error is raised once they have all ended. Without errors it is a
correct lock-step round-robin; the error keeps its type (ERR-1) and the
iterator is finished afterwards (ERR-4).
"""

from conformance.mutants import _wrap


def _fail_soft_round_robin(inner_pi):
    shards = [
        _wrap.relay(inner_pi.select_shards([i]).gather_sync(), "sync") for i in range(inner_pi.num_shards())
    ]
    error = None
    try:
        active = list(shards)
        while active:
            for shard in list(active):
                try:
                    item = next(shard)
                except StopIteration:
                    active.remove(shard)
                    continue
                except Exception as exc:
                    active.remove(shard)
                    error = error or exc
                    continue
                yield item
        if error is not None:
            raise error
    finally:
        for shard in shards:
            shard.close()


class ParallelIterator(_wrap.ParallelIterator):
    def gather_sync(self):
        return _wrap.local(self, _fail_soft_round_robin, self._it, name=f"{self}.gather_sync()")

    take = _wrap.take
    show = _wrap.show


globals().update(_wrap.exports(ParallelIterator))
