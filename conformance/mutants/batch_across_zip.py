"""Mutant: ``batch_across_shards`` stops at the first shard that ends.

Breaks **ORD-4** (the ``k``-th list holds item ``k`` of *every* shard that has
at least ``k + 1`` items) and so GATH-2. It is ``zip(*shards)``: once any
shard has ended no further lists are produced, losing the tails of longer
shards. With equal-length shards it is right; ``gather_sync`` is untouched.
"""

from conformance.mutants import _wrap


def _zip_rounds(inner, num_shards):
    for items in _wrap.relay(inner, "rounds"):
        if len(items) < num_shards:
            return
        yield items


class ParallelIterator(_wrap.ParallelIterator):
    def _gather(self, kind, inner):
        if kind != "rounds":
            return super()._gather(kind, inner)
        return _wrap.wrapped(self, inner, _zip_rounds, self.num_shards())


globals().update(_wrap.exports(ParallelIterator))
