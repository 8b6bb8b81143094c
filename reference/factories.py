"""The source constructors: ``from_items``, ``from_range``, ``from_iterators``,
``from_actors`` (SRC-1..SRC-7, SHARD-1..SHARD-3). They only describe shards;
nothing is started or pulled until a run begins (LAZY-1, LAZY-8)."""

from __future__ import annotations

import collections.abc
import inspect
from collections.abc import Iterable
from typing import Any, TypeVar

from . import validation as check
from .plan import ParallelIterator, ShardPlan
from .sources import ActorSource, IterableSource

T = TypeVar("T")


def _repeat_suffix(repeat: bool) -> str:
    return ", repeat=True" if repeat else ""


def from_items(items: list[T], num_shards: int = 2, repeat: bool = False) -> ParallelIterator[T]:
    """Item ``k`` goes to shard ``k % num_shards`` (SHARD-1)."""
    if not check.is_iterable_type(items):
        raise TypeError(f"items must be an iterable, got {type(items).__name__}")
    num_shards = check.check_int("num_shards", num_shards, minimum=1)
    items = list(items)
    parts = [items[i::num_shards] for i in range(num_shards)]
    kind = type(items[0]).__name__ if items else "None"
    name = f"from_items[{kind}, {len(items)}, shards={num_shards}{_repeat_suffix(repeat)}]"
    return _from_sources(parts, bool(repeat), name)


def from_range(n: int, num_shards: int = 2, repeat: bool = False) -> ParallelIterator[int]:
    """Contiguous ranges; the last shard takes the remainder (SHARD-2)."""
    n = check.check_int("n", n, minimum=0)
    num_shards = check.check_int("num_shards", num_shards, minimum=1)
    size = n // num_shards
    parts = [
        range(i * size, n if i == num_shards - 1 else (i + 1) * size) for i in range(num_shards)
    ]
    name = f"from_range[{n}, shards={num_shards}{_repeat_suffix(repeat)}]"
    return _from_sources(parts, bool(repeat), name)


def from_iterators(
    generators: list[Iterable[T]], repeat: bool = False, name: str | None = None
) -> ParallelIterator[T]:
    """One shard per iterable, or per zero-argument callable returning one
    (SHARD-3). Callables are called inside the run, never here (LAZY-1)."""
    if not isinstance(generators, list | tuple):
        raise TypeError(f"generators must be a list, got {type(generators).__name__}")
    if not generators:
        raise ValueError("generators must hold at least one iterable")
    for i, g in enumerate(generators):
        if inspect.isgenerator(g):
            raise TypeError(
                f"generators[{i}] is a generator object, which cannot be sent to a shard "
                "worker; pass a callable that returns it instead (lambda: gen())"
            )
        if not (callable(g) or check.is_iterable_type(g)):
            raise TypeError(
                f"generators[{i}] must be an iterable or a callable, got {type(g).__name__}"
            )
        if repeat and isinstance(g, collections.abc.Iterator):
            raise ValueError(
                f"generators[{i}] is a one-shot iterator and cannot be repeated; "
                "pass a re-iterable or a callable returning a fresh iterator"
            )
    name = name or f"from_iterators[shards={len(generators)}{_repeat_suffix(repeat)}]"
    return _from_sources(generators, bool(repeat), name)


def from_actors(actors: list[Any], name: str | None = None) -> ParallelIterator:
    """One shard per ``ParallelIteratorWorker`` actor; the actors stay the
    caller's (SRC-4, LIFE-4)."""
    if not isinstance(actors, list | tuple):
        raise TypeError(f"actors must be a list of actor handles, got {type(actors).__name__}")
    if not actors:
        raise ValueError("actors must hold at least one actor handle")
    name = name or f"from_actors[shards={len(actors)}]"
    return ParallelIterator((ShardPlan(ActorSource(a)) for a in actors), name)


def _from_sources(parts: list, repeat: bool, name: str) -> ParallelIterator:
    return ParallelIterator((ShardPlan(IterableSource(p, repeat)) for p in parts), name)
