"""Mutant: ``get_shard`` waits forever for a lease on its shard.

Breaks **GATH-5** (``get_shard(i)`` yields exactly shard ``i``'s items). Before
its first read a shard reader asks for a lease on the shard and waits for it
without a time limit, but leases are only ever granted to whole-plan gathers:
the first ``next()`` on a ``get_shard`` (or ``shards()``) iterator blocks
forever. Building the iterator works, and ``gather_sync``/``gather_async`` are
untouched.
"""

import time

from conformance.mutants import _wrap


def _lease_granted():
    return False  # only whole-plan gathers are granted a lease


def _read_after_lease(inner, kind):
    while not _lease_granted():
        time.sleep(0.05)
    yield from _wrap.relay(inner, kind)


class ParallelIterator(_wrap.ParallelIterator):
    def _gather(self, kind, inner):
        if kind != "shard":
            return super()._gather(kind, inner)
        return _wrap.wrapped(self, inner, _read_after_lease, kind)


globals().update(_wrap.exports(ParallelIterator))
