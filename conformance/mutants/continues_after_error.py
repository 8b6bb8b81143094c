"""Mutant: after a user error, ``gather_async`` goes on delivering the other
shards' items.

Breaks **ERR-4** (once ``next()`` has raised a user error the iterator is
finished: further calls raise ``StopIteration`` or the same error, never a
further item). The asynchronous gather treats a failing shard as one more
shard that has ended: ``next()`` raises its error once (type and message
intact, ERR-1; earlier items of that shard delivered first, ERR-2), and the
following ``next()`` calls carry on with the remaining shards. Without
errors it is a correct ``gather_async``.
"""

from conformance.mutants import _wrap


class _SurvivesErrors:
    """The base iterator of the run: an object, not a generator, so that it
    can raise from ``__next__`` and still be asked again."""

    def __init__(self, inner_pi, batch_ms, num_async):
        self.shards = _wrap.async_shards(inner_pi, batch_ms, num_async)
        self.active = list(self.shards)

    def __iter__(self):
        return self

    def __next__(self):
        while self.active:
            shard = self.active.pop(0)
            try:
                actor, item = next(shard)
            except StopIteration:
                continue
            self.active.append(shard)
            _wrap.set_current_actor(actor)
            return item
        raise StopIteration

    def close(self):
        for shard in self.shards:
            shard.close()


class ParallelIterator(_wrap.ParallelIterator):
    def gather_async(self, batch_ms=0, num_async=1):
        checked = self._it.gather_async(batch_ms, num_async)  # BAD-16/17
        return _wrap.local(self, _SurvivesErrors, self._it, batch_ms, num_async, name=checked.name)


globals().update(_wrap.exports(ParallelIterator))
