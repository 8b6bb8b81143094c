"""The metrics context of a local chain in the model backend (LOC-9)."""

from __future__ import annotations

import collections
import threading
from typing import Any

_current = threading.local()


class MetricsContext:
    """Metrics shared by the iterators of one local chain (LOC-9)."""

    def __init__(self) -> None:
        self.counters: collections.defaultdict[str, int] = collections.defaultdict(int)
        self.timers: collections.defaultdict[str, list[float]] = collections.defaultdict(list)
        self.info: dict[str, Any] = {}
        self.current_actor: Any = None

    def __repr__(self) -> str:
        return f"MetricsContext(counters={dict(self.counters)!r}, info={self.info!r})"


class MetricsCell:
    """Where a local chain finds its metrics context.  A union links its inputs'
    cells to its own, so the union and its inputs, recursively, read one context
    (LOC-9); a cell follows its links to the last one, which holds the context."""

    def __init__(self) -> None:
        self._context = MetricsContext()
        self._linked_to: MetricsCell | None = None

    def _last(self) -> MetricsCell:
        cell = self
        while cell._linked_to is not None:
            cell = cell._linked_to
        return cell

    @property
    def context(self) -> MetricsContext:
        return self._last()._context

    def link_to(self, other: MetricsCell) -> None:
        last, target = self._last(), other._last()
        if last is not target:
            last._linked_to = target


def current_metrics() -> MetricsContext | None:
    """The metrics context of the local chain whose ``next()`` is running, if any."""
    return getattr(_current, "metrics", None)


def set_current_metrics(ctx: MetricsContext | None) -> MetricsContext | None:
    """Install ``ctx`` as the current context and return the previous one."""
    previous = getattr(_current, "metrics", None)
    _current.metrics = ctx
    return previous
