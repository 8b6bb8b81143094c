"""Shard sources (SRC-1..SRC-7, SHARD-1..SHARD-3).

A source describes where one shard's items come from. It is plain data, so a
plan holding it pickles (SER-1); it is opened inside the shard worker when a
run starts, never while building (LAZY-1).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class IterableSource:
    """An iterable, or a zero-argument callable returning one (SRC-3).

    ``repeat`` restarts it from the beginning each time it ends (SRC-6).
    """

    obj: Any
    repeat: bool = False

    def open(self) -> Iterator:
        return iterate(self.obj, self.repeat)


@dataclass(frozen=True)
class ActorSource:
    """A user's ``ParallelIteratorWorker`` actor (SRC-4); its own
    ``item_generator`` is the source. The backend never kills it (LIFE-4)."""

    handle: Any


@dataclass(frozen=True, eq=False)
class RepartitionNode:
    """The shared part of ``repartition(n)``: the parent plan, read once per
    run and dealt out to ``num_partitions`` partitions (SHARD-10)."""

    parent: Any  # ParallelIterator
    num_partitions: int
    batch_ms: float
    token: object = field(default_factory=object)

    def __reduce__(self):
        # object() tokens do not pickle; identity survives pickling through the
        # memo, so a fresh token per unpickled node keeps partitions together.
        return (RepartitionNode, (self.parent, self.num_partitions, self.batch_ms))


@dataclass(frozen=True)
class PartitionSource:
    """Partition ``index`` of a :class:`RepartitionNode`."""

    node: RepartitionNode
    index: int


def iterate(obj: Any, repeat: bool) -> Iterator:
    """Iterate a source object once, or forever when ``repeat`` (SRC-6)."""

    def one_pass() -> Iterator:
        return iter(obj() if callable(obj) else obj)

    if not repeat:
        return one_pass()
    return _cycle(obj, one_pass)


def _cycle(obj: Any, one_pass) -> Iterator:
    while True:
        it = one_pass()
        if it is obj:
            raise ValueError(
                "generators: a one-shot iterator cannot be repeated; "
                "pass a re-iterable or a callable returning a fresh iterator"
            )
        first = next(it, _END)
        if first is _END:
            return  # an empty source stays empty rather than spinning
        yield from itertools.chain((first,), it)


_END = object()
