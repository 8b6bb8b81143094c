"""Thin proxies over the reference backend's *public* API, for building mutants.

``ParallelIterator`` and ``LocalIterator`` here wrap a ``reference`` object
(``self._it``) and forward every method, wrapping what comes back, so that a
mutant can subclass them and override exactly one behaviour. Unchanged, they
form the control backend (``control.py``), which must pass the whole suite.

Nothing here touches ``reference`` internals: only the names exported by
``reference/__init__.py`` and the attributes the ``ray.util.iter`` API itself
documents (``LocalIterator.name``, ``LocalIterator.shared_metrics``,
``ParallelIterator.name``, ``MetricsContext.current_actor``).

Helpers at the bottom (``local``, ``take``, ``show``, ``check_count``, …) are the
small pieces several mutants share: a gather built from a generator function,
``take``/``show`` that go through the mutant's own ``gather_sync`` (PAR-13), and
argument checks for mutants that re-implement a method.
"""

from __future__ import annotations

import builtins
import functools
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import reference

ParallelIteratorWorker = reference.ParallelIteratorWorker
MetricsContext = reference.MetricsContext
SharedMetrics = reference.SharedMetrics
#: The reference's conformance hooks (BACK-3), which every mutant re-exports
#: unchanged: ``globals().update(_wrap.HOOKS)``.
HOOKS = {name: getattr(reference, name) for name in dir(reference) if name.startswith("conformance_")}


def unwrap(obj: Any) -> Any:
    return obj._it if isinstance(obj, (ParallelIterator, LocalIterator)) else obj


class LocalIterator:
    """Proxy of ``reference.LocalIterator`` (LOC-1..LOC-9)."""

    def __init__(
        self,
        base_iterator: Callable[..., Any],
        shared_metrics: Any = None,
        local_transforms: list | None = None,
        timeout: int | None = None,
        name: str | None = None,
    ):
        self._it = reference.LocalIterator(base_iterator, shared_metrics, local_transforms, timeout, name)

    @classmethod
    def _wrap(cls, inner: reference.LocalIterator) -> LocalIterator:
        obj = cls.__new__(cls)
        obj._it = inner
        return obj

    def _w(self, inner: reference.LocalIterator) -> LocalIterator:
        return type(self)._wrap(inner)

    # iteration
    def __iter__(self) -> LocalIterator:
        return self

    def __next__(self) -> Any:
        return next(self._it)

    def close(self) -> None:
        self._it.close()

    def __repr__(self) -> str:
        return repr(self._it)

    __str__ = __repr__

    @property
    def name(self) -> str:
        return self._it.name

    @name.setter
    def name(self, value: str) -> None:
        self._it.name = value

    @property
    def shared_metrics(self) -> Any:
        return self._it.shared_metrics

    @staticmethod
    def get_metrics() -> Any:
        return reference.LocalIterator.get_metrics()

    # transforms
    def transform(self, fn):
        return self._w(self._it.transform(fn))

    def for_each(self, fn, max_concurrency=1, resources=None):
        return self._w(self._it.for_each(fn, max_concurrency, resources))

    def filter(self, fn):
        return self._w(self._it.filter(fn))

    def batch(self, n):
        return self._w(self._it.batch(n))

    def flatten(self):
        return self._w(self._it.flatten())

    def combine(self, fn):
        return self._w(self._it.combine(fn))

    def shuffle(self, shuffle_buffer_size, seed=None):
        return self._w(self._it.shuffle(shuffle_buffer_size, seed))

    def zip_with_source_actor(self):
        return self._w(self._it.zip_with_source_actor())

    # consuming
    def take(self, n):
        return self._it.take(n)

    def show(self, n=20):
        return self._it.show(n)

    # combining
    def duplicate(self, n):
        return [self._w(copy) for copy in self._it.duplicate(n)]

    def union(self, *others, deterministic=False, round_robin_weights=None):
        inner = self._it.union(
            *[unwrap(o) for o in others],
            deterministic=deterministic,
            round_robin_weights=round_robin_weights,
        )
        return self._w(inner)


class ParallelIterator:
    """Proxy of ``reference.ParallelIterator`` (PAR-1..PAR-14, GATH-1..GATH-6).

    ``_sources`` carries, through every transform and union, what the plan
    was built from (``("actors", handles)``, ``("iterators", generators)``);
    only mutants that misbehave on particular sources look at it.
    """

    local_class = LocalIterator

    def __init__(self, inner: reference.ParallelIterator, sources: tuple = ()):
        self._it = inner
        self._sources = tuple(sources)

    def _derive(self, inner: reference.ParallelIterator, sources: tuple | None = None):
        return type(self)(inner, self._sources if sources is None else sources)

    def _local(self, inner: reference.LocalIterator) -> LocalIterator:
        return self.local_class._wrap(inner)

    def __iter__(self):
        return iter(self._it)  # TypeError (PAR-14)

    def __repr__(self) -> str:
        return repr(self._it)

    __str__ = __repr__

    @property
    def name(self) -> str:
        return self._it.name

    @name.setter
    def name(self, value: str) -> None:
        self._it.name = value

    # parallel transforms
    def transform(self, fn):
        return self._derive(self._it.transform(fn))

    def for_each(self, fn, max_concurrency=1, resources=None):
        return self._derive(self._it.for_each(fn, max_concurrency, resources))

    def filter(self, fn):
        return self._derive(self._it.filter(fn))

    def batch(self, n):
        return self._derive(self._it.batch(n))

    def flatten(self):
        return self._derive(self._it.flatten())

    def combine(self, fn):
        return self._derive(self._it.combine(fn))

    def local_shuffle(self, shuffle_buffer_size, seed=None):
        return self._derive(self._it.local_shuffle(shuffle_buffer_size, seed))

    # reshaping
    def repartition(self, num_partitions, batch_ms=0):
        return self._derive(self._it.repartition(num_partitions, batch_ms))

    def union(self, other):
        inner = self._it.union(unwrap(other))
        extra = other._sources if isinstance(other, ParallelIterator) else ()
        return self._derive(inner, self._sources + extra)

    def select_shards(self, shards_to_keep):
        return self._derive(self._it.select_shards(shards_to_keep))

    def num_shards(self):
        return self._it.num_shards()

    # gathering: every gather goes through ``_gather(kind, inner)``, kind one of
    # "rounds" (batch_across_shards), "sync", "async" and "shard" (get_shard)
    def _gather(self, kind: str, inner: reference.LocalIterator) -> LocalIterator:
        return self._local(inner)

    def batch_across_shards(self):
        return self._gather("rounds", self._it.batch_across_shards())

    def gather_sync(self):
        return self._gather("sync", self._it.gather_sync())

    def gather_async(self, batch_ms=0, num_async=1):
        return self._gather("async", self._it.gather_async(batch_ms, num_async))

    def get_shard(self, shard_index, batch_ms=0, num_async=1):
        return self._gather("shard", self._it.get_shard(shard_index, batch_ms, num_async))

    def shards(self):
        return [self.get_shard(i) for i in range(self.num_shards())]

    def take(self, n):
        return self._it.take(n)

    def show(self, n=20):
        return self._it.show(n)


def sources(pi_class: type[ParallelIterator]):
    """The four source constructors of a backend whose plans are ``pi_class``."""

    def from_items(items, num_shards=2, repeat=False):
        return pi_class(reference.from_items(items, num_shards, repeat))

    def from_range(n, num_shards=2, repeat=False):
        return pi_class(reference.from_range(n, num_shards, repeat))

    def from_iterators(generators, repeat=False, name=None):
        inner = reference.from_iterators(generators, repeat, name)
        return pi_class(inner, (("iterators", tuple(generators)),))

    def from_actors(actors, name=None):
        inner = reference.from_actors(actors, name)
        return pi_class(inner, (("actors", tuple(actors)),))

    return from_items, from_range, from_iterators, from_actors


# -- shared pieces for mutants ------------------------------------------------


def local(pi: ParallelIterator, generator_fn: Callable[..., Iterator], *args, name: str):
    """A ``LocalIterator`` of ``pi``'s backend whose run is ``generator_fn(*args)``.

    ``generator_fn`` must be a module-level function (so the iterator still
    pickles before it starts, SER-2); it is called at the first ``next()``."""
    base = functools.partial(_call_ignoring_timeout, generator_fn, args)
    return pi.local_class(base, name=name)


def _call_ignoring_timeout(generator_fn, args, timeout=None):
    return generator_fn(*args)


def wrapped(pi: ParallelIterator, inner: reference.LocalIterator, generator_fn, *args):
    """``pi``'s gather ``inner`` (unstarted), read through ``generator_fn(inner, *args)``."""
    return local(pi, generator_fn, inner, *args, name=inner.name)


def check_count(name: str, value: Any, minimum: int) -> int:
    """The ERR-5 check for an ``int >= minimum`` argument."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def take(self: ParallelIterator, n: int) -> list:
    """``take`` through the backend's own ``gather_sync`` (PAR-13)."""
    check_count("n", n, 0)
    it = self.gather_sync()
    try:
        return list(itertools.islice(it, n))
    finally:
        it.close()


def show(self: ParallelIterator, n: int = 20) -> None:
    check_count("n", n, 0)
    it = self.gather_sync()
    try:
        for item in itertools.islice(it, n):
            builtins.print(item)
    finally:
        it.close()


ASYNC_KINDS = frozenset({"async", "shard"})


def relay(inner: reference.LocalIterator, kind: str) -> Iterator:
    """Deliver the items of the reference gather ``inner`` unchanged, closing it
    when the consumer stops; over ``gather_async``/``get_shard`` each item's
    source actor is passed on, so ``zip_with_source_actor`` still works (LOC-8).
    A mutant's generator starts from this and changes one thing."""
    if kind in ASYNC_KINDS:
        pairs = inner.zip_with_source_actor()
        try:
            for actor, item in pairs:
                set_current_actor(actor)
                yield item
        finally:
            pairs.close()
    else:
        try:
            yield from inner
        finally:
            inner.close()


def relay_pairs(inner: reference.LocalIterator) -> Iterator:
    """``(actor, item)`` pairs of a reference ``gather_async``/``get_shard``."""
    pairs = inner.zip_with_source_actor()
    try:
        yield from pairs
    finally:
        pairs.close()


def set_current_actor(actor: Any) -> None:
    """Record ``actor`` as the source of the item being delivered, so
    ``zip_with_source_actor`` keeps working over a re-implemented gather (LOC-8)."""
    reference.LocalIterator.get_metrics().current_actor = actor
