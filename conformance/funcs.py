"""Picklable, deterministic user functions for the tests and generated pipelines.

They are module-level classes so that cloudpickle sends them by reference to shard
processes (which import :mod:`conformance`), and every instance carries its parameters
as plain data.  The functions used by generated pipelines are *injective* on items
(distinct inputs give distinct outputs), so that an item identifies its shard and
position (see :mod:`conformance.checks`).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Iterator
from typing import Any


class UserError(Exception):
    """An exception type that only user code raises (ERR-1)."""


class Tag:
    """for_each: ``x -> (label, x)``."""

    def __init__(self, label: Any) -> None:
        self.label = label

    def __call__(self, x: Any) -> tuple[Any, Any]:
        return (self.label, x)

    def __repr__(self) -> str:
        return f"Tag({self.label!r})"


class Keep:
    """filter: keep ``x`` unless ``crc32(repr(x)) % mod == rem`` (deterministic on any
    item whose repr is deterministic)."""

    def __init__(self, mod: int, rem: int) -> None:
        self.mod = mod
        self.rem = rem

    def __call__(self, x: Any) -> bool:
        return zlib.crc32(repr(x).encode()) % self.mod != self.rem

    def __repr__(self) -> str:
        return f"Keep({self.mod}, {self.rem})"


class Split:
    """combine: ``x -> [(x, 0), ..., (x, k-1)]`` (``k = 0`` drops the item)."""

    def __init__(self, k: int) -> None:
        self.k = k

    def __call__(self, x: Any) -> list[tuple[Any, int]]:
        return [(x, i) for i in range(self.k)]

    def __repr__(self) -> str:
        return f"Split({self.k})"


class SwapPairs:
    """transform: swap consecutive pairs, lazily: ``a b c d e -> b a d c e``."""

    def __call__(self, it: Iterator[Any]) -> Iterator[Any]:
        return _swap_pairs(it)

    def __repr__(self) -> str:
        return "SwapPairs()"


def _swap_pairs(it: Iterator[Any]) -> Iterator[Any]:
    it = iter(it)
    for first in it:
        try:
            second = next(it)
        except StopIteration:
            yield first
            return
        yield second
        yield first


class CumulativeSum:
    """The tour's running sum: ``x -> (total so far, x)`` (SHARD-6)."""

    def __init__(self) -> None:
        self.total = 0

    def __call__(self, x: Any) -> tuple[Any, Any]:
        self.total += x
        return (self.total, x)


class Seen:
    """for_each: ``x -> (x, tuple of every item this copy has seen so far)``."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def __call__(self, x: Any) -> tuple[Any, tuple[Any, ...]]:
        self.seen.append(x)
        return (x, tuple(self.seen))


class FailOn:
    """for_each / filter: raise ``UserError(message)`` on the item equal to ``value``,
    otherwise the identity (or ``True`` when ``as_filter``)."""

    def __init__(self, value: Any, message: str, as_filter: bool = False) -> None:
        self.value = value
        self.message = message
        self.as_filter = as_filter

    def __call__(self, x: Any) -> Any:
        if x == self.value:
            raise UserError(self.message)
        return True if self.as_filter else x


class FailingSource:
    """A source callable yielding ``items`` then raising ``UserError(message)``."""

    def __init__(self, items: Iterable[Any], message: str) -> None:
        self.items = list(items)
        self.message = message

    def __call__(self) -> Iterator[Any]:
        return _fail_after(self.items, self.message)


def _fail_after(items: list[Any], message: str) -> Iterator[Any]:
    yield from items
    raise UserError(message)


class Sleep:
    """for_each: sleep ``seconds`` then return ``x``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, x: Any) -> Any:
        time.sleep(self.seconds)
        return x


class Count:
    """Source callable: ``itertools.count()`` -- an unbounded iterable (LAZY-6)."""

    def __init__(self, start: int = 0) -> None:
        self.start = start

    def __call__(self) -> Iterator[int]:
        n = self.start
        while True:
            yield n
            n += 1


class OneShotFactory:
    """Source callable returning a fresh one-shot iterator over ``items`` per call."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = list(items)

    def __call__(self) -> Iterator[Any]:
        return iter(list(self.items))


def identity(x: Any) -> Any:
    """for_each: the identity."""
    return x


def double(x: Any) -> Any:
    """for_each: ``2 * x``."""
    return 2 * x


def is_even(x: Any) -> bool:
    """filter: ``x % 2 == 0``."""
    return x % 2 == 0


def collect(it: Iterable[Any]) -> list[Any]:
    """Remote helper: ``list(it)``."""
    return list(it)


def collect_gather_sync(pi: Any) -> list[Any]:
    """Remote helper: ``list(pi.gather_sync())``."""
    return list(pi.gather_sync())


def collect_shards(pi: Any) -> list[list[Any]]:
    """Remote helper: every shard's items."""
    return [list(s) for s in pi.shards()]


def roundtrip_only(obj: Any) -> str:
    """Remote helper: receive ``obj`` (deserializing it) and return its type's name."""
    return type(obj).__name__


def nested(run_remote: Any, fn: Any, *args: Any) -> Any:
    """Remote helper: call ``run_remote(fn, *args)`` from inside a remote call (SER-4)."""
    return run_remote(fn, *args)


class Consumer:
    """A class to turn into a Ray actor that consumes iterators (SER-1, SER-2)."""

    def gather_sync(self, pi: Any) -> list[Any]:
        return list(pi.gather_sync())

    def iterate(self, it: Any) -> list[Any]:
        return list(it)


class ExitProcess:
    """for_each: end the process running it (``os._exit``) on the item equal to
    ``value`` -- never in the consumer's own process (ERR-6)."""

    def __init__(self, value: Any, consumer_pid: int) -> None:
        self.value = value
        self.consumer_pid = consumer_pid

    def __call__(self, x: Any) -> Any:
        if x == self.value:
            import os

            if os.getpid() == self.consumer_pid:
                raise RuntimeError("ExitProcess refuses to end the consumer's process")
            os._exit(3)
        return x


def concurrent_tag(x: Any) -> tuple[str, Any]:
    """for_each with ``max_concurrency != 1``: ``x -> ("c", x)``; a plain function,
    since concurrent calls may be shipped as tasks of their own."""
    return ("c", x)


def remainder_of_three(x: Any) -> int:
    """filter with a truthy, non-bool answer: keeps ``x`` unless ``x % 3 == 0`` (PAR-4)."""
    return x % 3


def as_tuple_and_range(x: Any) -> tuple[Any, ...]:
    """for_each: a tuple holding ``x`` then a ``range``, to flatten non-list iterables (PAR-6)."""
    return (x, range(x % 3))
