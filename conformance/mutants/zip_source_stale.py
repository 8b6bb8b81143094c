"""Mutant: ``zip_with_source_actor`` pairs every item with the first source.

Breaks **LOC-8** (items of different shards carry different ``source``
values). The asynchronous gather records the source actor once, for the
first answer of the run, and never updates it, so every item is paired with
the first shard that answered. Items and order are unchanged; with a single
shard nothing is wrong.
"""

from conformance.mutants import _wrap


def _first_source_only(inner):
    first = None
    for actor, item in _wrap.relay_pairs(inner):
        if first is None:
            first = actor
        _wrap.set_current_actor(first)
        yield item


class ParallelIterator(_wrap.ParallelIterator):
    def _gather(self, kind, inner):
        if kind != "async":
            return super()._gather(kind, inner)
        return _wrap.wrapped(self, inner, _first_source_only)


globals().update(_wrap.exports(ParallelIterator))
