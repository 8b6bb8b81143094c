"""Metrics contexts for local iterators (LOC-9).

A ``LocalIterator`` chain shares one :class:`MetricsContext` for its run. While
the chain is advanced, its context is the thread's current one, so user code
in a local transform can reach it with ``LocalIterator.get_metrics()``.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Any

#: the thread's current context, as attribute ``metrics`` (absent: none); a
#: ``LocalIterator`` sets and restores it around every ``next()``
THREAD_STATE = threading.local()


class Timer:
    """Accumulates the duration of ``with`` blocks."""

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self._start = 0.0

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.total += time.perf_counter() - self._start
        self.count += 1

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0


class MetricsContext:
    """``counters`` (default 0), ``timers``, ``info`` and ``current_actor``
    (the shard worker that produced the current item under ``gather_async``)."""

    def __init__(self) -> None:
        self.counters: collections.defaultdict[str, int] = collections.defaultdict(int)
        self.timers: collections.defaultdict[str, Timer] = collections.defaultdict(Timer)
        self.info: dict[str, Any] = {}
        self.current_actor: Any = None

    def save(self) -> dict:
        """A serializable copy of the counters and info."""
        return {"counters": dict(self.counters), "info": dict(self.info), "timers": None}


class SharedMetrics:
    """Holder of the context shared by a chain of local iterators.

    A union's holder has its inputs' holders as ``parents`` and makes them all
    use its context, recursively, so the union and its inputs are one chain for
    ``get_metrics()`` (LOC-9)."""

    def __init__(self, metrics: MetricsContext | None = None, parents: list[SharedMetrics] | None = None):
        self.parents = list(parents or [])
        self.set(metrics or MetricsContext())

    def set(self, metrics: MetricsContext) -> None:
        self.metrics = metrics
        for parent in self.parents:
            parent.set(metrics)

    def get(self) -> MetricsContext:
        return self.metrics


def current() -> MetricsContext | None:
    return getattr(THREAD_STATE, "metrics", None)


def set_current_actor(actor: Any) -> None:
    context = current()
    if context is not None:
        context.current_actor = actor


