"""Mutant: ``get_shard`` checks ``shard_index`` only when iterated.

Breaks **BAD-18** / **ERR-5** (bad input is refused *when the method is
called*, not later when iterating). ``get_shard(5)`` on a 2-shard iterator
returns a ``LocalIterator``; the ``IndexError`` (with a proper message) comes
from its first ``next()``. Valid indices, ``shards()`` and every other
argument check are unchanged.
"""

from conformance.mutants import _wrap


def _shard_when_iterated(inner_pi, shard_index, batch_ms, num_async):
    yield from _wrap.relay(inner_pi.get_shard(shard_index, batch_ms, num_async), "shard")


class ParallelIterator(_wrap.ParallelIterator):
    def get_shard(self, shard_index, batch_ms=0, num_async=1):
        self._it.gather_async(batch_ms, num_async)  # batch_ms / num_async still checked
        return _wrap.local(
            self,
            _shard_when_iterated,
            self._it,
            shard_index,
            batch_ms,
            num_async,
            name=f"{self.name}.shard[{shard_index}]",
        )


globals().update(_wrap.exports(ParallelIterator))
