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


def current_metrics() -> MetricsContext | None:
    """The metrics context of the local chain whose ``next()`` is running, if any."""
    return getattr(_current, "metrics", None)


def set_current_metrics(ctx: MetricsContext | None) -> MetricsContext | None:
    """Install ``ctx`` as the current context and return the previous one."""
    previous = getattr(_current, "metrics", None)
    _current.metrics = ctx
    return previous
