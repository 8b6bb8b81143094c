"""Mutant: with ``num_async >= 2``, a shard's answers are taken in completion
order, not request order.

Breaks **ORD-5** (``gather_async`` delivers each shard's items in that shard's
order; GATH-5 likewise for ``get_shard``). With several requests in flight per
shard, the backend delivers whichever answer arrives first; here the race is
made deterministic: each shard's first item is held back and delivered right
after its second one. With the default ``num_async=1`` everything is correct;
items are never lost and an error still comes after the items before it.
"""

from conformance.mutants import _wrap


def _completion_order(inner):
    held = {}  # shard actor -> its first item, still held back
    seen = set()
    try:
        for actor, item in _wrap.relay_pairs(inner):
            if actor not in seen:
                seen.add(actor)
                held[actor] = item
                continue
            _wrap.set_current_actor(actor)
            yield item
            if actor in held:
                yield held.pop(actor)
    except Exception:
        for actor, item in list(held.items()):
            _wrap.set_current_actor(actor)
            del held[actor]
            yield item
        raise
    for actor, item in list(held.items()):
        _wrap.set_current_actor(actor)
        del held[actor]
        yield item


class ParallelIterator(_wrap.ParallelIterator):
    def gather_async(self, batch_ms=0, num_async=1):
        inner = self._it.gather_async(batch_ms, num_async)
        if num_async < 2:
            return self._local(inner)
        return _wrap.wrapped(self, inner, _completion_order)

    def get_shard(self, shard_index, batch_ms=0, num_async=1):
        inner = self._it.get_shard(shard_index, batch_ms, num_async)
        if num_async < 2:
            return self._local(inner)
        return _wrap.wrapped(self, inner, _completion_order)


globals().update(_wrap.exports(ParallelIterator))
