"""Mutant: ``from_items`` deals items in contiguous chunks, not round-robin.

Breaks **SHARD-1** (item ``k`` goes to shard ``k % num_shards``). The backend
splits the list the way ``numpy.array_split`` would: shard ``i`` gets the
``i``-th run of ``ceil(len / num_shards)`` consecutive items. Every item is
still there (SHARD-4 holds) and ``from_range`` is untouched, which really is
contiguous (SHARD-2); only the layout of ``from_items`` is wrong, so
``gather_sync``'s order changes whenever there are 2+ shards and 3+ items.
"""

import reference
from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    pass


_proxied = _wrap.sources(ParallelIterator)  # the sources as the reference has them


def from_items(items, num_shards=2, repeat=False):
    try:
        iter(items)
    except TypeError:
        reference.from_items(items, num_shards, repeat)  # the proper TypeError (BAD-1)
        raise
    items = list(items)
    checked = _proxied.from_items(items, num_shards, repeat)  # BAD-2/3, the name
    size = -(-len(items) // num_shards)
    parts = [items[i * size : (i + 1) * size] for i in range(num_shards)]
    return checked._reading(parts, repeat)


globals().update(_wrap.exports(ParallelIterator, from_items=from_items))
