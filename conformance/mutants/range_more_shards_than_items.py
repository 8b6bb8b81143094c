"""Mutant: ``from_range`` never makes empty leading shards, inventing items
when there are more shards than items.

Breaks **SHARD-4** (nothing lost or duplicated, including more shards than
items) and with it SHARD-2. The shard size is ``max(1, n // num_shards)`` "so
that no shard is empty"; the ranges are not clipped to ``n``. For
``n >= num_shards`` this is the reference exactly; ``from_range(2, 4)`` gives
shards ``[0] [1] [2] []`` and ``from_range(0, 2)`` gives ``[0] []``.
"""

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    pass


_proxied = _wrap.sources(ParallelIterator)  # the sources as the reference has them


def from_range(n, num_shards=2, repeat=False):
    checked = _proxied.from_range(n, num_shards, repeat)
    parts = _wrap.range_parts(n, num_shards, max(1, n // num_shards))
    return checked._reading(parts, repeat)


globals().update(_wrap.exports(ParallelIterator, from_range=from_range))
