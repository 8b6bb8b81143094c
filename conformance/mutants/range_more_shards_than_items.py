"""Mutant: ``from_range`` never makes empty leading shards, inventing items
when there are more shards than items.

Breaks **SHARD-4** (nothing lost or duplicated, including more shards than
items) and with it SHARD-2. The shard size is ``max(1, n // num_shards)`` "so
that no shard is empty"; the ranges are not clipped to ``n``. For
``n >= num_shards`` this is the reference exactly; ``from_range(2, 4)`` gives
shards ``[0] [1] [2] []`` and ``from_range(0, 2)`` gives ``[0] []``.
"""

import reference
from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    pass


from_items, _from_range, from_iterators, from_actors = _wrap.sources(ParallelIterator)


def from_range(n, num_shards=2, repeat=False):
    checked = _from_range(n, num_shards, repeat)
    size = max(1, n // num_shards)
    parts = [range(i * size, n if i == num_shards - 1 else (i + 1) * size) for i in range(num_shards)]
    return ParallelIterator(reference.from_iterators(parts, repeat, checked.name))


LocalIterator = _wrap.LocalIterator
ParallelIteratorWorker = _wrap.ParallelIteratorWorker
globals().update(_wrap.HOOKS)
