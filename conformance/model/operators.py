"""Stream semantics of the model: one generator per transform (PAR-1..8, LOC-2, LOC-7).

Every operator here is a generator function over an input iterator, so it pulls an
item only when its consumer asks for the next output (LAZY-3) and finishes ``fn(x_i)``
before pulling ``x_{i+1}`` (ORD-2).  The same operators serve the parallel side (per
shard) and the local side (in the consumer).

:class:`Frozen` captures a user object as it is when a transform is added, so that
every shard and every run gets a private copy (SHARD-6).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import cloudpickle


class Frozen:
    """A snapshot of a user object; :meth:`fresh` returns a new private copy each call.

    Objects that cannot be serialized are kept by reference (they then cannot be
    copied, and the iterator holding them cannot be serialized either).
    """

    __slots__ = ("_data", "_obj")

    def __init__(self, obj: Any) -> None:
        try:
            self._data: bytes | None = cloudpickle.dumps(obj)
            self._obj: Any = None
        except Exception:
            self._data = None
            self._obj = obj

    def fresh(self) -> Any:
        """A private copy of the snapshotted object."""
        if self._data is not None:
            return cloudpickle.loads(self._data)
        return self._obj

    def __getstate__(self) -> tuple[bytes | None, Any]:
        return (self._data, self._obj)

    def __setstate__(self, state: tuple[bytes | None, Any]) -> None:
        self._data, self._obj = state


def map_items(fn: Callable[[Any], Any], it: Iterator[Any]) -> Iterator[Any]:
    """for_each: ``fn(x)`` for every item (PAR-2)."""
    for item in it:
        yield fn(item)


def filter_items(fn: Callable[[Any], Any], it: Iterator[Any]) -> Iterator[Any]:
    """filter: keep the items for which ``fn(x)`` is truthy, in order (PAR-4)."""
    for item in it:
        if fn(item):
            yield item


def batch_items(n: int, it: Iterator[Any]) -> Iterator[list[Any]]:
    """batch: lists of ``n`` consecutive items, the last one holding 1..n (PAR-5)."""
    batch: list[Any] = []
    for item in it:
        batch.append(item)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


def flatten_items(it: Iterator[Iterable[Any]]) -> Iterator[Any]:
    """flatten: every element of every item, in order (PAR-6)."""
    for item in it:
        yield from item


def transform_items(fn: Callable[[Iterator[Any]], Iterable[Any]], it: Iterator[Any]) -> Iterator[Any]:
    """transform: the stream ``fn(it)``; ``fn`` is called at the first pull (PAR-1)."""
    yield from fn(it)


def shuffle_items(size: int, seed: Any, it: Iterator[Any]) -> Iterator[Any]:
    """The buffer shuffle of LOC-7, with a fresh ``random.Random(seed)`` per call."""
    rng = random.Random(seed)
    buf: list[Any] = []
    for item in it:
        buf.append(item)
        if len(buf) >= size:
            yield buf.pop(rng.randint(0, len(buf) - 1))
    while buf:
        yield buf.pop(rng.randint(0, len(buf) - 1))


#: Transforms whose output item depends only on the input item (order-insensitive).
ELEMENTWISE = frozenset({"for_each", "filter", "combine", "flatten"})


@dataclass(frozen=True)
class Step:
    """One transform of a chain, as data: ``kind`` plus its function and arguments.

    On the parallel side ``fn`` is a :class:`Frozen` snapshot, thawed once per shard per
    run; on the local side it is the user's function itself.
    """

    kind: str
    fn: Any = None
    args: tuple[Any, ...] = field(default=())

    def thaw(self) -> Any:
        """The function to use for one shard run."""
        return self.fn.fresh() if isinstance(self.fn, Frozen) else self.fn

    def apply(self, it: Iterator[Any], fn: Any = None) -> Iterator[Any]:
        """Apply this step to ``it`` lazily, with ``fn`` (default: :meth:`thaw`)."""
        if fn is None and self.fn is not None:
            fn = self.thaw()
        kind = self.kind
        if kind == "for_each":
            return map_items(fn, it)
        if kind == "filter":
            return filter_items(fn, it)
        if kind == "combine":
            return flatten_items(map_items(fn, it))
        if kind == "flatten":
            return flatten_items(it)
        if kind == "batch":
            return batch_items(self.args[0], it)
        if kind == "transform":
            return transform_items(fn, it)
        if kind == "shuffle":
            return shuffle_items(self.args[0], self.args[1], it)
        raise AssertionError(f"unknown step kind {kind!r}")  # pragma: no cover


def run_steps(it: Iterator[Any], steps: Iterable[Step]) -> Iterator[Any]:
    """Chain ``steps`` over ``it`` (each thawed afresh)."""
    for step in steps:
        it = step.apply(it)
    return it
