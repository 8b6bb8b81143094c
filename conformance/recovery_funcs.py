"""Picklable user code that ends its own process, for the recovery tests (SPEC §14).

A test gives each function a directory of its own.  Every death is first
written to a log there (``<pid> <time.time()>``, one line, one ``write``), then
the process ends with ``os._exit``: the log survives the process, so a replay
in a new process knows the death has happened and lets the item pass, and the
test can count the deaths and tell the dead processes from the live ones.

* :class:`DieAt` -- ``for_each`` identity that ends its process on reaching an item.
* :class:`DyingSource` -- source callable that does the same before yielding an item.
* :class:`CountPerProcess` -- ``for_each`` identity counting each shard's production
  per process (REC-7).

None of them ends the consumer's own process: on a backend that runs user code
there they raise instead (the recovery tests only run on backends declaring
``recovery``, whose user code runs elsewhere).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from conformance.probes import Counters, EventLog


class Deaths:
    """The death log of one directory."""

    def __init__(self, directory: str | Path) -> None:
        self.log = EventLog(Path(directory) / "deaths.log")

    def record(self) -> None:
        self.log.record(f"{os.getpid()} {time.time():.6f}")

    def count(self) -> int:
        return len(self.log.events())

    def pids(self) -> set[int]:
        return {int(line.split()[0]) for line in self.log.events()}

    def times(self) -> list[float]:
        return [float(line.split()[1]) for line in self.log.events()]


def _die(deaths: Deaths, consumer_pid: int, code: int = 3) -> None:
    if os.getpid() == consumer_pid:
        raise RuntimeError("recovery test code refuses to end the consumer's process")
    deaths.record()
    os._exit(code)


class DieAt:
    """for_each: the identity, except that on reaching an item equal to ``value``
    it ends the process running it -- the first ``times`` times it gets there,
    counted over every process (``times=None``: every time)."""

    def __init__(self, value: Any, directory: str | Path, consumer_pid: int, times: int | None = 1) -> None:
        self.value = value
        self.deaths = Deaths(directory)
        self.consumer_pid = consumer_pid
        self.times = times

    def due(self) -> bool:
        return self.times is None or self.deaths.count() < self.times

    def __call__(self, x: Any) -> Any:
        if x == self.value and self.due():
            _die(self.deaths, self.consumer_pid)
        return x

    def __repr__(self) -> str:
        return f"DieAt({self.value!r}, times={self.times})"


class DyingSource:
    """Source callable yielding ``items``; before yielding one equal to
    ``die.value`` it ends its process as :class:`DieAt` would."""

    def __init__(self, items: Iterable[Any], die: DieAt) -> None:
        self.items = list(items)
        self.die = die

    def __call__(self) -> Iterator[Any]:
        return _dying(self.items, self.die)


def _dying(items: list[Any], die: DieAt) -> Iterator[Any]:
    for item in items:
        yield die(item)


class CountPerProcess:
    """for_each identity on ``(tag, i)`` items hitting the counter ``<tag>-<pid>``:
    what each shard produced, per process running it (REC-7)."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters

    def __call__(self, item: Any) -> Any:
        self.counters[f"{item[0]}-{os.getpid()}"].hit()
        return item


def produced_per_process(counters: Counters) -> dict[tuple[str, int], int]:
    """``{(tag, pid): items produced}`` from the counters of :class:`CountPerProcess`."""
    out: dict[tuple[str, int], int] = {}
    for name in os.listdir(counters.directory):
        if name.startswith("count-"):
            tag, pid = name[len("count-") :].rsplit("-", 1)
            out[(tag, int(pid))] = os.path.getsize(os.path.join(counters.directory, name))
    return out
