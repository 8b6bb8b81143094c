"""Mutant: ``gather_async`` ends as soon as any shard has ended.

Breaks **GATH-8** (a run never ends early; hence also SHARD-4 under
``gather_async``). The backend reads its shards in turn and stops the loop
when one of them reports the end (``while all(active)`` instead of
``while any(active)``). With shards of equal length nothing is lost; with
uneven shards (e.g. 5 items on 2 shards, or a filter) the longer shards'
tails are silently dropped. ``gather_sync`` and ``get_shard`` are untouched.
"""

from conformance.mutants import _wrap


def _until_first_end(inner_pi, batch_ms, num_async):
    shards = _wrap.async_shards(inner_pi, batch_ms, num_async)
    try:
        while True:
            for shard in shards:
                got, item = _wrap.next_from(shard)
                if not got:
                    return
                yield item
    finally:
        for shard in shards:
            shard.close()


class ParallelIterator(_wrap.ParallelIterator):
    def gather_async(self, batch_ms=0, num_async=1):
        checked = self._it.gather_async(batch_ms, num_async)  # BAD-16/17
        return _wrap.local(self, _until_first_end, self._it, batch_ms, num_async, name=checked.name)


globals().update(_wrap.exports(ParallelIterator))
