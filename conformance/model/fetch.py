"""Asynchronous fetching in the model: ``gather_async`` and ``get_shard``
(GATH-3, GATH-5, LAZY-5, LOC-10).

Each shard of an asynchronous run is read by a thread of its own, the model's
stand-in for a shard worker, so a shard whose user code waits never holds back
the others (GATH-3).  A shard produces an item only against a *request*: it
starts with ``num_async`` of them and gets one back each time one of its items
is delivered, so it is never more than ``num_async`` items ahead (LAZY-5 with
``B = 1``).  Items, the end of a shard and errors go to one queue per shard; the
consumer takes them in the order they arrive, each shard's in its own order
(ORD-5).

A run can also be read in *poll mode*, which yields :data:`NOT_READY` instead of
waiting; a non-deterministic union uses it to read whichever input is ready and
waits on :data:`PROGRESS` when none is (LOC-10).
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterator
from typing import Any

#: what a run in poll mode yields when none of its shards has an item waiting.
NOT_READY = object()


class Progress:
    """A counter bumped, under one condition, whenever any shard thread of any
    run queues something: a reader remembers the count, polls, and waits for
    the count to move, so no wake-up is lost."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.count = 0

    def bump(self) -> None:
        with self.condition:
            self.count += 1
            self.condition.notify_all()

    def wait_past(self, seen: int) -> None:
        with self.condition:
            while self.count == seen:
                self.condition.wait()


PROGRESS = Progress()

_ITEM, _END, _ERROR = "item", "end", "error"


class AsyncRun:
    """One asynchronous run over ``streams`` (one lazy stream per shard)."""

    def __init__(self, streams: list[Iterator[Any]], num_async: int, on_item: Callable[[int], None]) -> None:
        self.streams = streams
        self.on_item = on_item
        self.lock = threading.Lock()
        self.requests = [num_async] * len(streams)
        self.queues: list[collections.deque] = [collections.deque() for _ in streams]
        self.open = list(range(len(streams)))  # shards whose end has not been taken yet
        self.closed = False
        self.next_shard = 0  # where the next take starts looking, for fairness
        self.threads = [
            threading.Thread(target=self._pump, args=(s,), daemon=True, name=f"model-shard-{s}")
            for s in range(len(streams))
        ]
        for thread in self.threads:
            thread.start()

    def _pump(self, s: int) -> None:
        stream = self.streams[s]
        while True:
            with PROGRESS.condition:
                while not self.requests[s] and not self.closed:
                    PROGRESS.condition.wait()
                if self.closed:
                    return
                self.requests[s] -= 1
            try:
                entry = (_ITEM, next(stream))
            except StopIteration:
                entry = (_END, None)
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer (ERR-1)
                entry = (_ERROR, exc)
            with self.lock:
                self.queues[s].append(entry)
            PROGRESS.bump()
            if entry[0] != _ITEM:
                return

    def _take(self) -> tuple[str, Any] | None:
        """The next queued entry of any shard, or None if none is queued."""
        with self.lock:
            count = len(self.queues)
            for k in range(count):
                s = (self.next_shard + k) % count
                if self.queues[s]:
                    self.next_shard = (s + 1) % count
                    kind, value = self.queues[s].popleft()
                    break
            else:
                return None
        if kind == _ITEM:
            with PROGRESS.condition:
                self.requests[s] += 1
                PROGRESS.condition.notify_all()
            self.on_item(s)
        else:
            self.open.remove(s)
        return kind, value

    def items(self, poll: bool = False) -> Iterator[Any]:
        try:
            while self.open:
                seen = PROGRESS.count
                entry = self._take()
                if entry is None:
                    if poll:
                        yield NOT_READY
                    else:
                        PROGRESS.wait_past(seen)
                    continue
                kind, value = entry
                if kind == _ERROR:
                    raise value
                if kind == _ITEM:
                    yield value
        finally:
            self.close()

    def close(self) -> None:
        """Stop the shard threads once their current item is done (LIFE-1, LAZY-7)."""
        with PROGRESS.condition:
            self.closed = True
            PROGRESS.condition.notify_all()
