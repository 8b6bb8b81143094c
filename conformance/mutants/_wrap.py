"""Thin proxies over the reference backend's *public* API, for building mutants.

``ParallelIterator`` and ``LocalIterator`` here wrap a ``reference`` object
(``self._it``) and forward every method, wrapping what comes back, so that a
mutant can subclass them and override exactly one behaviour. Unchanged, they
form the control backend (``control.py``), which must pass the whole suite.

Nothing here touches ``reference`` internals: only the names exported by
``reference/__init__.py`` and the attributes the ``ray.util.iter`` API itself
documents (``LocalIterator.name``, ``LocalIterator.shared_metrics``,
``ParallelIterator.name``, ``MetricsContext.current_actor``).

A mutant module ends with ``globals().update(_wrap.exports(ParallelIterator))``,
which gives it every public name and hook (:func:`exports`). A mutant that
replaces what a method returns still calls the reference for the same
arguments (for its argument checks and its name) and hands both to
``self._replaced(checked, out)``.

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
from typing import Any, NamedTuple

import reference

ParallelIteratorWorker = reference.ParallelIteratorWorker
MetricsContext = reference.MetricsContext
SharedMetrics = reference.SharedMetrics
#: The reference's conformance hooks (BACK-3), which every mutant re-exports
#: unchanged (:func:`exports`).
HOOKS = {name: getattr(reference, name) for name in dir(reference) if name.startswith("conformance_")}


def unwrap(obj: Any) -> Any:
    return obj._it if isinstance(obj, _Proxy) else obj


class _Proxy:
    """What both proxies share: the wrapped ``reference`` object ``self._it``,
    its ``name`` and repr, ``take``/``show``, and the transforms that exist on
    both sides, each forwarded and its result wrapped again by ``_derive``."""

    _it: Any

    def _derive(self, inner: Any) -> Any:
        """``inner`` (a reference object made from ``self._it``) wrapped as ``self`` is."""
        raise NotImplementedError

    def _replaced(self, checked: Any, out: Any) -> Any:
        """``out``, a mutant's replacement for ``checked``, wrapped as ``self`` is.

        ``checked`` is what the reference (or the proxy) returned for the same
        call, made only for its argument checks and its name: ``out`` takes that
        name, so the mutant differs from the reference in its items alone."""
        out.name = checked.name
        return self._derive(out)

    def __repr__(self) -> str:
        return repr(self._it)

    __str__ = __repr__

    @property
    def name(self) -> str:
        return self._it.name

    @name.setter
    def name(self, value: str) -> None:
        self._it.name = value

    # transforms
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

    # consuming
    def take(self, n):
        return self._it.take(n)

    def show(self, n=20):
        return self._it.show(n)


class LocalIterator(_Proxy):
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

    def _derive(self, inner: reference.LocalIterator) -> LocalIterator:
        return type(self)._wrap(inner)

    # iteration
    def __iter__(self) -> LocalIterator:
        return self

    def __next__(self) -> Any:
        return next(self._it)

    def close(self) -> None:
        self._it.close()

    @property
    def shared_metrics(self) -> Any:
        return self._it.shared_metrics

    @staticmethod
    def get_metrics() -> Any:
        return reference.LocalIterator.get_metrics()

    # transforms (and those of ``_Proxy``)
    def shuffle(self, shuffle_buffer_size, seed=None):
        return self._derive(self._it.shuffle(shuffle_buffer_size, seed))

    def zip_with_source_actor(self):
        return self._derive(self._it.zip_with_source_actor())

    # combining
    def duplicate(self, n):
        return [self._derive(copy) for copy in self._it.duplicate(n)]

    def union(self, *others, deterministic=False, round_robin_weights=None):
        inner = self._it.union(
            *[unwrap(o) for o in others],
            deterministic=deterministic,
            round_robin_weights=round_robin_weights,
        )
        return self._derive(inner)


class ParallelIterator(_Proxy):
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

    def _reading(self, parts: list, repeat: bool = False) -> ParallelIterator:
        """A plan with this one's name and sources whose shard ``i`` reads
        ``parts[i]``: the result of a mutant's re-implemented source constructor,
        called on the plan the reference built for the same call."""
        return self._derive(reference.from_iterators(parts, repeat, self.name))

    def _local(self, inner: reference.LocalIterator) -> LocalIterator:
        return self.local_class._wrap(inner)

    def __iter__(self):
        return iter(self._it)  # TypeError (PAR-14)

    # parallel transforms (and those of ``_Proxy``)
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


class Sources(NamedTuple):
    """The four source constructors of a backend (BACK-1)."""

    from_items: Callable[..., ParallelIterator]
    from_range: Callable[..., ParallelIterator]
    from_iterators: Callable[..., ParallelIterator]
    from_actors: Callable[..., ParallelIterator]


def sources(pi_class: type[ParallelIterator]) -> Sources:
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

    return Sources(from_items, from_range, from_iterators, from_actors)


#: The names a backend module exports (BACK-1).
PUBLIC_NAMES = ("ParallelIterator", "LocalIterator", "ParallelIteratorWorker", *Sources._fields)


def exports(pi_class: type[ParallelIterator], **own: Any) -> dict[str, Any]:
    """Everything a mutant module exports, for ``globals().update(_wrap.exports(ParallelIterator))``.

    That is ``pi_class`` and its ``local_class`` as ``ParallelIterator`` and
    ``LocalIterator``, the reference's ``ParallelIteratorWorker``, the
    :func:`sources` of ``pi_class`` and the reference's hooks (:data:`HOOKS`).
    A public name the mutant defines itself is passed by keyword
    (``from_items=from_items``), so that it is not replaced."""
    unknown = sorted(set(own) - set(PUBLIC_NAMES))
    if unknown:
        raise TypeError(f"not a public backend name: {', '.join(unknown)}")
    return {
        **HOOKS,
        "ParallelIterator": pi_class,
        "LocalIterator": pi_class.local_class,
        "ParallelIteratorWorker": ParallelIteratorWorker,
        **sources(pi_class)._asdict(),
        **own,
    }


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


def range_parts(n: int, num_shards: int, size: int) -> list[range]:
    """``range(n)`` cut into ``num_shards`` runs of ``size``, the last running to ``n``."""
    return [range(i * size, n if i == num_shards - 1 else (i + 1) * size) for i in range(num_shards)]


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


def async_shards(inner_pi: reference.ParallelIterator, batch_ms: int, num_async: int) -> list[Iterator]:
    """One iterator of ``(actor, item)`` pairs per shard of the reference plan
    ``inner_pi``, each its ``get_shard(i, batch_ms, num_async)``: the pieces of
    a re-implemented ``gather_async``."""
    return [relay_pairs(inner_pi.get_shard(i, batch_ms, num_async)) for i in range(inner_pi.num_shards())]


def set_current_actor(actor: Any) -> None:
    """Record ``actor`` as the source of the item being delivered, so
    ``zip_with_source_actor`` keeps working over a re-implemented gather (LOC-8)."""
    reference.LocalIterator.get_metrics().current_actor = actor


def next_from(shard: Iterator) -> tuple[bool, Any]:
    """``(True, item)`` for the next item of one of :func:`async_shards`, its actor
    recorded as the item's source (LOC-8); ``(False, None)`` when the shard has ended."""
    try:
        actor, item = next(shard)
    except StopIteration:
        return False, None
    set_current_actor(actor)
    return True, item
