"""Per-item operators: one implementation serves both the shard side (inside a
shard worker) and the local side (inside a ``LocalIterator``).

An operator is a small picklable object; calling it on an iterator returns the
transformed iterator. Operators are pulled lazily, one item at a time, so
``fn(x_i)`` returns before ``x_{i+1}`` is pulled (ORD-2, LAZY-3).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Self

import ray

from . import validation as check


class Operator:
    """Base class: ``op(iterator) -> iterator`` and a ``label`` for names (NAME-1)."""

    label = ""

    def __call__(self, it: Iterator) -> Iterator:
        raise NotImplementedError


class Transform(Operator):
    """PAR-1 / LOC-2: ``fn`` maps the whole stream."""

    label = ".transform()"

    def __init__(self, fn: Callable[[Iterable], Iterable]):
        self.fn = fn

    def __call__(self, it):
        return iter(self.fn(it))


class ForEach(Operator):
    """PAR-2 / LOC-2: ``fn(x)`` for every item, one call at a time."""

    label = ".for_each()"

    def __init__(self, fn: Callable[[Any], Any]):
        self.fn = fn

    def __call__(self, it):
        fn = self.fn
        return (fn(x) for x in it)


class ConcurrentForEach(Operator):
    """PAR-3: ``fn`` as Ray tasks, at most ``max_concurrency`` in flight
    (0 means unbounded); results come back in completion order."""

    label = ".for_each()"

    def __init__(self, fn: Callable[[Any], Any], max_concurrency: int, resources: dict | None):
        self.fn = fn
        self.max_concurrency = max_concurrency
        self.resources = resources or {}

    def __call__(self, it):
        call = _call_remotely.options(**self.resources) if self.resources else _call_remotely
        fn_ref = ray.put(self.fn)  # shipped once, not with every item
        in_flight: list = []
        for x in it:
            if self.max_concurrency and len(in_flight) >= self.max_concurrency:
                done, in_flight = ray.wait(in_flight, num_returns=1)
                yield from ray.get(done)
            in_flight.append(call.remote(fn_ref, x))
        while in_flight:
            done, in_flight = ray.wait(in_flight, num_returns=1)
            yield from ray.get(done)


@ray.remote
def _call_remotely(fn, x):
    # A task around the call, so any callable works (functions, lambdas,
    # callable objects), not only what ``ray.remote`` accepts.
    return fn(x)


class Filter(Operator):
    """PAR-4 / LOC-2: keep items for which ``fn(x)`` is truthy."""

    label = ".filter()"

    def __init__(self, fn: Callable[[Any], bool]):
        self.fn = fn

    def __call__(self, it):
        fn = self.fn
        return (x for x in it if fn(x))


class Batch(Operator):
    """PAR-5 / LOC-2: lists of ``n`` consecutive items; the last may be shorter."""

    def __init__(self, n: int):
        self.n = n
        self.label = f".batch({n})"

    def __call__(self, it):
        n = self.n
        batch: list = []
        for x in it:
            batch.append(x)
            if len(batch) >= n:
                yield batch
                batch = []
        if batch:
            yield batch


class Flatten(Operator):
    """PAR-6 / LOC-2: every item is replaced by its elements."""

    label = ".flatten()"

    def __call__(self, it):
        for item in it:
            yield from item


class Shuffle(Operator):
    """PAR-8 / LOC-7: the buffer shuffle, with a fresh ``random.Random(seed)``
    each time the operator is applied (once per shard per run)."""

    def __init__(self, buffer_size: int, seed: int | None, label: str):
        self.buffer_size = buffer_size
        self.seed = seed
        self.label = label

    def __call__(self, it):
        rng = random.Random(self.seed)
        size = self.buffer_size
        buf: list = []
        for x in it:
            buf.append(x)
            if len(buf) >= size:
                yield buf.pop(rng.randint(0, len(buf) - 1))
        while buf:
            yield buf.pop(rng.randint(0, len(buf) - 1))


def snapshot(fn):
    """``fn`` as it is now (SHARD-6): a deep copy of a callable object, so
    changing the object after the transform was added changes nothing. Plain
    functions and objects that cannot be copied are kept as they are."""
    try:
        return copy.deepcopy(fn)
    except Exception:
        return fn


def apply_all(it: Iterator, operators: Iterable[Callable[[Iterator], Iterator]]) -> Iterator:
    """Chain ``operators`` over ``it`` in order."""
    for op in operators:
        it = op(it)
    return iter(it)


# -- building operators from public arguments (shared by both sides) ---------
def make_transform(fn, *, capture: bool) -> Transform:
    """PAR-1 / LOC-2. ``capture`` snapshots ``fn`` (parallel side, SHARD-6)."""
    check.check_callable("fn", fn)
    return Transform(snapshot(fn) if capture else fn)


def make_for_each(fn, max_concurrency: int, resources: dict | None, *, capture: bool) -> Operator:
    """PAR-2 / PAR-3 / LOC-2: sequential, or as concurrent Ray tasks."""
    check.check_callable("fn", fn)
    check.check_int("max_concurrency", max_concurrency, minimum=0)
    check.check_resources("resources", resources)
    fn = snapshot(fn) if capture else fn
    if max_concurrency == 1:
        return ForEach(fn)
    return ConcurrentForEach(fn, max_concurrency, resources)


def make_filter(fn, *, capture: bool) -> Filter:
    check.check_callable("fn", fn)
    return Filter(snapshot(fn) if capture else fn)


def make_batch(n: int) -> Batch:
    return Batch(check.check_int("n", n, minimum=1))


def make_shuffle(method: str, shuffle_buffer_size: int, seed: int | None) -> Shuffle:
    """PAR-8 / LOC-7; ``method`` names the call for the iterator's name."""
    size = check.check_int("shuffle_buffer_size", shuffle_buffer_size, minimum=1)
    seed = check.check_optional_seed("seed", seed)
    return Shuffle(size, seed, f".{method}(shuffle_buffer_size={size}, seed={seed})")


class ChainMethods:
    """The transforms a ``ParallelIterator`` and a ``LocalIterator`` share
    (PAR-1..6, LOC-2): each adds one operator to the chain through ``_with``.
    A parallel chain captures user functions when the transform is added
    (SHARD-6); a local chain uses them as they are (``_CAPTURE``)."""

    _CAPTURE: bool

    def _with(self, op: Operator) -> Self:
        raise NotImplementedError

    def transform(self, fn: Callable[[Iterable[Any]], Iterable[Any]]) -> Self:
        return self._with(make_transform(fn, capture=self._CAPTURE))

    def for_each(
        self, fn: Callable[[Any], Any], max_concurrency: int = 1, resources: dict | None = None
    ) -> Self:
        return self._with(make_for_each(fn, max_concurrency, resources, capture=self._CAPTURE))

    def filter(self, fn: Callable[[Any], bool]) -> Self:
        return self._with(make_filter(fn, capture=self._CAPTURE))

    def batch(self, n: int) -> Self:
        return self._with(make_batch(n))

    def flatten(self) -> Self:
        return self._with(Flatten())
