"""Mutant: ``from_items`` keeps a reference to the caller's list.

Breaks **SRC-1** (``items`` is materialised into a list *when called*). A
list argument is not copied: each shard reads ``items[i::num_shards]`` when
its run starts, so changes the caller makes to the list after
``from_items`` (and before the first ``next()``) show up in the run. Any other
iterable is materialised as it should be; without later mutation the result
is exactly the reference's, name included.
"""

from conformance.mutants import _wrap


class _Strided:
    def __init__(self, items, start, step):
        self.items = items
        self.start = start
        self.step = step

    def __iter__(self):
        return iter(self.items[self.start :: self.step])


class ParallelIterator(_wrap.ParallelIterator):
    pass


_proxied = _wrap.sources(ParallelIterator)  # the sources as the reference has them


def from_items(items, num_shards=2, repeat=False):
    checked = _proxied.from_items(items, num_shards, repeat)
    if not isinstance(items, list):
        return checked
    parts = [_Strided(items, i, num_shards) for i in range(num_shards)]
    return checked._reading(parts, repeat)


globals().update(_wrap.exports(ParallelIterator, from_items=from_items))
