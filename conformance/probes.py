"""Side-effect probes that work across processes (SPEC §6, §7, §8).

User code may run in the consumer's process (the model) or in shard processes (Ray
actors); a probe therefore records into files.  Each record is one ``write`` on a
file opened with ``O_APPEND``, so records from concurrent processes never overlap
and their order in the file is the real-time order in which they happened.

* A **counter** is a file whose size is the count (one byte per hit).
* An **event log** is a file of lines, one event per line.

Probes are small picklable objects holding only the directory path and a name; they
work wherever that path is reachable (the local machine, which is where the suite's
Ray runs).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any


def _append(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


class Counter:
    """A cross-process counter: ``hit()`` appends one byte; ``value()`` is the size."""

    def __init__(self, directory: str | Path, name: str) -> None:
        self.path = str(Path(directory) / f"count-{name}")

    def hit(self) -> None:
        _append(self.path, b".")

    def value(self) -> int:
        try:
            return os.path.getsize(self.path)
        except FileNotFoundError:
            return 0


#: how long a :class:`Gate` waits before it gives up and fails its item.
GATE_SECONDS = 60.0


class HeldForever(RuntimeError):
    """A :class:`Gate` could not open: the progress it waits for never came."""


def here() -> tuple[int, int]:
    """This process and thread, for a :class:`Gate` to recognise the consumer."""
    return os.getpid(), threading.get_ident()


class Gate:
    """User code that holds items back until other work has made progress.

    Called on an item ``(tag, i)``: if ``tag == mark_tag`` it hits ``counter``; if
    ``tag == wait_tag`` it waits until ``counter`` reaches ``need`` (the test, or
    other items, hit it).  Waiting in the consumer's own thread could never end --
    nothing else would run -- so it fails at once with :class:`HeldForever`, as it
    does after :data:`GATE_SECONDS` anywhere else.  Used for GATH-3 and LOC-10,
    where a correct backend opens the gate and a blocking one never does.
    """

    def __init__(
        self, counter: Counter, need: int, wait_tag: Any, mark_tag: Any = None, consumer: Any = None
    ) -> None:
        self.counter = counter
        self.need = need
        self.wait_tag = wait_tag
        self.mark_tag = mark_tag
        self.consumer = consumer if consumer is not None else here()

    def __call__(self, item: Any) -> Any:
        if item[0] == self.mark_tag:
            self.counter.hit()
        if item[0] == self.wait_tag and self.counter.value() < self.need:
            if here() == tuple(self.consumer):
                raise HeldForever(
                    f"{item!r} waits for progress in the consumer's own thread, which only "
                    "the consumer could make: the backend does not read these concurrently"
                )
            deadline = time.monotonic() + GATE_SECONDS
            while self.counter.value() < self.need:
                if time.monotonic() > deadline:
                    raise HeldForever(
                        f"{item!r} waited {GATE_SECONDS:g} s for progress that never came: "
                        "the backend waits for this item before reading what would let it pass"
                    )
                time.sleep(0.005)
        return item


class Counters:
    """A family of counters in one directory, keyed by name."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = str(directory)

    def __getitem__(self, name: Any) -> Counter:
        return Counter(self.directory, str(name))

    def total(self) -> int:
        return sum(
            os.path.getsize(os.path.join(self.directory, f))
            for f in os.listdir(self.directory)
            if f.startswith("count-")
        )


class EventLog:
    """A cross-process event log: ``record(event)`` appends one line."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)

    def record(self, event: str) -> None:
        _append(self.path, (event.replace("\n", " ") + "\n").encode())

    def events(self) -> list[str]:
        try:
            return Path(self.path).read_text().splitlines()
        except FileNotFoundError:
            return []


# -- probed user code ------------------------------------------------------------------


class CountCalls:
    """Wrap ``fn`` (default: identity) so every call hits ``counter`` first."""

    def __init__(self, counter: Counter, fn: Callable[..., Any] | None = None) -> None:
        self.counter = counter
        self.fn = fn

    def __call__(self, *args: Any) -> Any:
        self.counter.hit()
        if self.fn is None:
            return args[0] if args else None
        return self.fn(*args)


class CountPerShard:
    """for_each identity that hits ``counters[item[0]]``: items are ``(shard tag, i)``
    pairs, so each shard's production is counted separately (LAZY-4, LAZY-5)."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters

    def __call__(self, item: Any) -> Any:
        self.counters[item[0]].hit()
        return item


class CountingSource:
    """Source callable: yields ``items``, hitting ``pulls`` before each item is handed
    to the pipeline; ``calls`` (optional) is hit when the callable is called."""

    def __init__(self, items: Iterable[Any], pulls: Counter, calls: Counter | None = None) -> None:
        self.items = list(items)
        self.pulls = pulls
        self.calls = calls

    def __call__(self) -> Iterator[Any]:
        if self.calls is not None:
            self.calls.hit()
        return _counting(self.items, self.pulls)


def _counting(items: Iterable[Any], pulls: Counter) -> Iterator[Any]:
    for item in items:
        pulls.hit()
        yield item


class CountingCount:
    """Source callable: an unbounded count ``(tag, 0), (tag, 1), ...`` hitting
    ``pulls`` per item (LAZY-6, LAZY-7)."""

    def __init__(self, tag: Any, pulls: Counter) -> None:
        self.tag = tag
        self.pulls = pulls

    def __call__(self) -> Iterator[Any]:
        return _counting_forever(self.tag, self.pulls)


def _counting_forever(tag: Any, pulls: Counter) -> Iterator[Any]:
    i = 0
    while True:
        pulls.hit()
        yield (tag, i)
        i += 1


class CountingIterable:
    """An iterable whose ``__iter__`` (user code) hits ``calls``."""

    def __init__(self, items: Iterable[Any], calls: Counter) -> None:
        self.items = list(items)
        self.calls = calls

    def __iter__(self) -> Iterator[Any]:
        self.calls.hit()
        return iter(self.items)


class LoggedSource:
    """Source callable: yields ``(tag, i)`` for ``i < n``, logging ``pull tag i`` just
    before handing each item to the pipeline (ORD-2)."""

    def __init__(self, log: EventLog, tag: str, n: int) -> None:
        self.log = log
        self.tag = tag
        self.n = n

    def __call__(self) -> Iterator[Any]:
        return _logged(self.log, self.tag, self.n)


def _logged(log: EventLog, tag: str, n: int) -> Iterator[Any]:
    for i in range(n):
        log.record(f"pull {tag} {i}")
        yield (tag, i)


class LoggedCall:
    """for_each/filter/combine function logging ``start <name> <item>`` and
    ``end <name> <item>`` around ``fn(item)`` (ORD-2).  ``pause`` seconds are spent
    inside the call so that a backend which pulls ahead would be caught."""

    def __init__(self, log: EventLog, name: str, fn: Callable[[Any], Any], pause: float = 0.0) -> None:
        self.log = log
        self.name = name
        self.fn = fn
        self.pause = pause

    def __call__(self, item: Any) -> Any:
        self.log.record(f"start {self.name} {item!r}")
        if self.pause:
            time.sleep(self.pause)
        result = self.fn(item)
        self.log.record(f"end {self.name} {item!r}")
        return result


class InFlight:
    """for_each function logging ``+`` on entry and ``-`` on exit, sleeping ``pause``
    seconds in between, so the log gives the number of concurrent calls (PAR-3)."""

    def __init__(self, log: EventLog, pause: float) -> None:
        self.log = log
        self.pause = pause

    def __call__(self, item: Any) -> Any:
        self.log.record(f"+ {item!r}")
        time.sleep(self.pause)
        self.log.record(f"- {item!r}")
        return item

    def as_function(self) -> Callable[[Any], Any]:
        """The same probe as a plain function (a closure over it), for the backends
        that take only functions for a concurrent ``for_each``."""

        def call(item: Any) -> Any:
            return self(item)

        return call


def max_in_flight(events: list[str]) -> int:
    """The largest number of ``+`` events not yet matched by ``-`` events."""
    level = peak = 0
    for event in events:
        if event.startswith("+"):
            level += 1
            peak = max(peak, level)
        elif event.startswith("-"):
            level -= 1
    return peak


class RecordPid:
    """for_each identity recording the process id that runs it (LIFE-1, LIFE-2)."""

    def __init__(self, log: EventLog) -> None:
        self.log = log

    def __call__(self, item: Any) -> Any:
        self.log.record(str(os.getpid()))
        return item


def wait_until_stable(read: Callable[[], int], settle: float, deadline: float) -> tuple[int, bool]:
    """Poll ``read()`` until it returns the same value twice ``settle`` seconds apart,
    or ``deadline`` seconds pass.  Returns ``(last value, whether it settled)``."""
    end = time.monotonic() + deadline
    last = read()
    while True:
        time.sleep(settle)
        now = read()
        if now == last:
            return now, True
        last = now
        if time.monotonic() > end:
            return now, False
