"""Mutant: with ``repeat=True`` an empty shard spins instead of ending.

Breaks **SRC-6** (an empty shard stays empty: it MUST end rather than spin).
The repeating source is ``while True: yield from items``, which for an empty
shard loops forever without yielding, so any run that reads that shard hangs
(only the per-test timeout ends it). Non-empty repeating shards cycle
correctly; ``from_items``, ``from_range`` and ``from_iterators`` all use it.
"""

from conformance.mutants import _wrap


class _Cycle:
    def __init__(self, source):
        self.source = source

    def __iter__(self):
        source = self.source
        while True:
            yield from (source() if callable(source) else source)


class ParallelIterator(_wrap.ParallelIterator):
    pass


_proxied = _wrap.sources(ParallelIterator)  # the sources as the reference has them


def _cycled(parts, checked):
    return checked._reading([_Cycle(p) for p in parts])


def from_items(items, num_shards=2, repeat=False):
    if not repeat:
        return _proxied.from_items(items, num_shards, repeat)
    try:
        items = list(items)
    except TypeError:
        return _proxied.from_items(items, num_shards, repeat)  # the proper TypeError (BAD-1)
    checked = _proxied.from_items(items, num_shards, repeat)
    return _cycled([items[i::num_shards] for i in range(num_shards)], checked)


def from_range(n, num_shards=2, repeat=False):
    checked = _proxied.from_range(n, num_shards, repeat)
    if not repeat:
        return checked
    return _cycled(_wrap.range_parts(n, num_shards, n // num_shards), checked)


def from_iterators(generators, repeat=False, name=None):
    checked = _proxied.from_iterators(generators, repeat, name)  # refuses one-shot iterators
    if not repeat:
        return checked
    return _cycled(list(generators), checked)


globals().update(
    _wrap.exports(
        ParallelIterator, from_items=from_items, from_range=from_range, from_iterators=from_iterators
    )
)
