"""Mutant: ``get_shard`` on a union of three or more plans picks the wrong
shard.

Breaks **SHARD-5** (``list(get_shard(i))`` is shard ``i``'s part of
``gather_sync``; also GATH-5/GATH-6). ``get_shard`` on a union finds the
part holding shard ``i`` by walking the parts with a running offset, but the
offset is *assigned* instead of accumulated (``offset = n`` for ``offset +=
n``). For a plain plan or a union of two plans that is harmless; in
``a.union(b).union(c)`` the shards of ``c`` are shifted (or refused with
``IndexError``) unless ``a`` has no shards. ``gather_sync`` and
``gather_async`` of the union are right.
"""

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    def __init__(self, inner, sources=()):
        super().__init__(inner, sources)
        self._parts = (inner,)

    def union(self, other):
        out = super().union(other)
        other_parts = other._parts if isinstance(other, ParallelIterator) else (other,)
        out._parts = self._parts + other_parts
        return out

    def get_shard(self, shard_index, batch_ms=0, num_async=1):
        checked = self._it.get_shard(shard_index, batch_ms, num_async)
        if len(self._parts) < 3:
            return self._gather("shard", checked)
        offset = 0
        for part in self._parts:
            if shard_index < offset + part.num_shards():
                inner = part.get_shard(shard_index - offset, batch_ms, num_async)
                inner.name = checked.name
                return self._gather("shard", inner)
            offset = part.num_shards()  # the bug: should be +=
        raise IndexError(f"shard_index {shard_index} not found in the union")


globals().update(_wrap.exports(ParallelIterator))
