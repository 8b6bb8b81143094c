"""Mutant: ``gather_async`` waits forever after its first batch.

Breaks **GATH-3** (``gather_async`` delivers every item of every shard). The
backend sends one request to each shard and delivers the answers -- the first
batch, one item from each shard that has one -- and then waits for the answers
to the next round of requests, which it never sends: the next ``next()``
blocks forever instead of returning an item or ending. ``gather_sync`` and
``get_shard`` are untouched.
"""

import time

from conformance.mutants import _wrap


def _first_batch_then_wait(inner_pi, batch_ms, num_async):
    shards = _wrap.async_shards(inner_pi, batch_ms, num_async)
    try:
        for shard in shards:
            got, item = _wrap.next_from(shard)
            if got:
                yield item
        while True:  # waiting for answers to requests that were never sent
            time.sleep(0.05)
    finally:
        for shard in shards:
            shard.close()


class ParallelIterator(_wrap.ParallelIterator):
    def gather_async(self, batch_ms=0, num_async=1):
        checked = self._it.gather_async(batch_ms, num_async)  # BAD-16/17
        return _wrap.local(self, _first_batch_then_wait, self._it, batch_ms, num_async, name=checked.name)


globals().update(_wrap.exports(ParallelIterator))
