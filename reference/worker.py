"""The shard worker: the actor that runs one shard's pipeline (SRC-5).

Protocol (driver -> worker), all plain values:

* ``_pi_start(source, operators, run_id, skip)`` opens the source (``None``
  means the worker's own ``item_generator``, for ``from_actors``) and chains
  the shard's operators over it. Nothing is pulled yet. A worker that takes
  over from a lost one (recovery.py, REC-2) drops the first ``skip`` items
  its pipeline produces, which the consumer's side has already received.
* ``_pi_next(max_items, batch_ms)`` returns ``(items, ended)``. End of stream
  is the explicit ``ended`` flag, never a ``StopIteration`` crossing the actor
  boundary. With ``batch_ms == 0`` it returns at most ``max_items`` items;
  with ``batch_ms > 0`` the items produced within ``batch_ms`` (GATH-4).
* ``_pi_one()`` returns the next item itself, or :data:`END` at end of
  stream: the one-item request of ``gather_sync``'s lock-step rounds. It takes
  no arguments and wraps nothing, the cheapest actor call there is (arguments
  alone made a round trip about 15 % slower here).
* ``_pi_slice(step, start, max_items, wanted, run_id)`` serves partition ``start`` of a
  ``repartition(step)`` of this shard (SHARD-10); items bound for partitions
  not in ``wanted`` (not read by this run) are dropped instead of buffered.
* ``_pi_reset()`` drops all run state, so a pooled worker carries nothing into
  its next run (LIFE-2).
* ``_pi_claim(run_id)`` / ``_pi_unclaim(run_id)`` make a user's actor
  (``from_actors``) serve one run at a time (LIFE-5).

A user error raised while producing a batch is held back until the items
produced before it have been returned, then raised by the next call, so the
consumer sees every earlier item first (ERR-2).
"""

from __future__ import annotations

import sys
import time
from collections import deque
from typing import Any

from .operators import apply_all
from .sources import iterate

# With batch_ms == 0 a request also stops after a time budget, so large or
# slow items are not held back long to fill a batch. The budget starts small
# (a run's first answer comes quickly) and doubles with each request of the run
# up to its ceiling: with slow items the worker then spends most of its time
# computing rather than idle between a reply and the next request. The ceiling
# follows that idle time as the run measures it (the mean wait between an answer
# and the next request, which is a round trip through a busy consumer): at
# least IDLE_TO_BUDGET times it, so waiting stays near 1/IDLE_TO_BUDGET of the
# worker's time. With num_async > 1 the next request is already queued, the wait
# is near zero and the ceiling stays at its floor.
_BATCH_TIME_BUDGET_S = 0.005
_MIN_CEILING_S = 0.02
_MAX_CEILING_S = 0.1
IDLE_TO_BUDGET = 25
# Likewise a run's first answer holds at most FIRST_ANSWER_ITEMS items, and each
# later one up to twice as many as the one before, up to the request's
# max_items (the B of GATH-4): the first item is not held back by a large B.
FIRST_ANSWER_ITEMS = 64


class _End:
    """The type of :data:`END`; unpickles as the same object in any process."""

    __slots__ = ()

    def __reduce__(self):
        return "END"

    def __repr__(self) -> str:
        return "END"


#: What ``_pi_one`` answers at end of stream.
END = _End()


def as_batch(answer) -> tuple[list, bool]:
    """A ``_pi_one`` answer in ``_pi_next``'s form ``(items, ended)``."""
    return ([], True) if answer is END else ([answer], False)


class ParallelIteratorWorker:
    """Actor body for one shard. Subclass it and wrap with ``ray.remote`` to
    serve your own items through ``from_actors`` (SRC-4)."""

    def __init__(self, item_generator: Any, repeat: bool):
        self._own_source = (item_generator, repeat)
        self._owner: int | None = None
        self._pi_reset()

    def _pi_claim(self, run_id: int) -> bool:
        if self._owner not in (None, run_id):
            return False
        self._owner = run_id
        return True

    def _pi_unclaim(self, run_id: int) -> None:
        if self._owner == run_id:
            self._owner = None
            self._pi_reset()

    def _pi_reset(self) -> None:
        self._stream = None
        self._budget_s = _BATCH_TIME_BUDGET_S
        self._item_cap = FIRST_ANSWER_ITEMS
        self._answered_at: float | None = None  # when the run's last answer left
        self._waits_s = 0.0  # waits between an answer and the next request
        self._waits = 0
        self._error: BaseException | None = None
        self._ended = False
        self._slices: dict[int, deque] = {}
        self._position = 0
        self._run_id: int | None = None
        self._skip = 0

    def _pi_start(
        self, source: Any, operators: list, run_id: int | None = None, skip: int = 0
    ) -> None:
        self._pi_reset()
        self._run_id = run_id
        self._skip = skip
        try:
            if source is None:
                generator, repeat = self._own_source
                items = iterate(generator, repeat)
            else:
                items = source.open()
            self._stream = apply_all(items, operators)
        except Exception as exc:  # surfaced by the first fetch (ERR-1)
            self._error = exc

    def _skip_replayed(self) -> None:
        """Drop the items of a replayed shard that were received before the
        restart (REC-2); the stream's end or error goes to the caller."""
        while self._skip:
            next(self._stream)
            self._skip -= 1

    def _pull(self) -> tuple[bool, Any]:
        try:
            self._skip_replayed()
            return True, next(self._stream)
        except StopIteration:
            self._ended = True
        except Exception as exc:
            self._error = exc
        return False, None

    def _raise_pending(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            self._ended = True
            raise error
        if self._stream is None and not self._ended:
            raise RuntimeError("shard worker used before _pi_start")

    def _pi_next(self, max_items: int, batch_ms: float = 0) -> tuple[list, bool]:
        try:
            return self._next_batch(max_items, batch_ms)
        finally:
            self._answered_at = time.perf_counter()

    def _time_budget(self, now: float) -> float:
        """This request's time budget with ``batch_ms == 0``; doubles the next."""
        if self._answered_at is not None:
            self._waits_s += now - self._answered_at
            self._waits += 1
        budget = self._budget_s
        ceiling = _MIN_CEILING_S
        if self._waits:
            ceiling = min(max(ceiling, IDLE_TO_BUDGET * self._waits_s / self._waits), _MAX_CEILING_S)
        self._budget_s = min(2 * budget, ceiling)
        return budget

    def _next_batch(self, max_items: int, batch_ms: float) -> tuple[list, bool]:
        self._raise_pending()
        items: list = []
        if self._ended:
            return items, True
        clock = time.perf_counter
        if batch_ms > 0:
            deadline = clock() + batch_ms / 1000.0
            limit = sys.maxsize
        else:
            now = clock()
            deadline = now + self._time_budget(now)
            limit = min(max_items, self._item_cap)
            self._item_cap = min(2 * self._item_cap, max_items)
        # What _pull() does, unrolled: this loop runs once per item, and the
        # call and the tuple it returns were a third of a cheap item's cost.
        append = items.append
        try:
            self._skip_replayed()
            for item in self._stream:
                append(item)
                if len(items) >= limit or clock() >= deadline:
                    break
            else:
                self._ended = True
        except StopIteration:  # the replayed stream ended before its resume point
            self._ended = True
        except Exception as exc:
            self._error = exc
        if not items:
            self._raise_pending()
            return items, True
        return items, False

    def _pi_one(self) -> Any:
        self._raise_pending()
        if not self._ended:
            ok, item = self._pull()
            if ok:
                return item
            self._raise_pending()
        return END

    def _pi_slice(
        self, step: int, start: int, max_items: int, wanted: frozenset, run_id: int | None = None
    ) -> tuple[list, bool]:
        """Items of this shard at positions ``p % step == start``. A request
        from an earlier run (a partition worker still draining after its run
        was abandoned) gets end of stream, never this run's items."""
        if run_id != self._run_id:
            return [], True
        mine = self._slices.setdefault(start, deque())
        deadline = time.perf_counter() + _BATCH_TIME_BUDGET_S
        while len(mine) < max_items and not self._ended and self._error is None:
            if mine and time.perf_counter() >= deadline:
                break
            ok, item = self._pull()
            if not ok:
                break
            target = self._position % step
            self._position += 1
            if target in wanted:
                self._slices.setdefault(target, deque()).append(item)
        if not mine:
            self._raise_pending()
            return [], True
        count = min(max_items, len(mine))
        return [mine.popleft() for _ in range(count)], False
