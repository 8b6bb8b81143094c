"""Recovery: a shard whose worker dies is restarted and resumed (SPEC §14).

A run's :class:`Recovery` counts, for every shard, the items the consumer's
side has *received* from the shard's worker. When a worker is lost (its
process died, or a worker it reads from under a ``repartition`` did), the
shard is restarted: a new worker runs the shard's pipeline again from its
source and drops the items already received, so the stream goes on exactly
where it stopped (REC-2, REC-3). Items the lost worker had produced but not
sent are produced again, and user code runs again for every replayed item
(REC-4). Items received but not yet delivered are never lost: they are in
the consumer's process already. So a new worker starts at most as far ahead
of the consumer as the old one could be, and the read-ahead bounds hold
(REC-7).

Which shards go together: the partitions of one ``repartition`` share their
parents' workers, which hand every item out once. A lost worker anywhere
under a repartition therefore restarts the whole node: new parent workers,
and every partition of the node that the run still reads, each dropping what
it had delivered. Partitions read their parents in a fixed order
(``run.PartitionFeed``), so a replay deals the same items to the same
partitions in the same order. A restarted shard whose own worker still
answers is restarted on that worker (``Run.restart``); only dead ones are
replaced by new processes.

Limits: a shard (or a repartition's partitions together) is restarted at
most :func:`max_restarts` times per run (REC-5; ``REFERENCE_MAX_RESTARTS``,
default 3, or :func:`set_max_restarts`). A shard whose source cannot be
replayed -- a ``from_actors`` shard, a one-shot iterator -- is never
restarted (REC-6). Either way the run then fails with
:class:`~reference.errors.ShardWorkerDied` naming the shard (ERR-6).

The gathers hand every answer of a shard to the run's :class:`Recovery`:
:meth:`~Recovery.answer` (one answer), :meth:`~Recovery.answers` (one answer
from each of several shards); the compiled graph, which fetches answers its
own way, reports them with :meth:`~Recovery.count` and its lost workers with
:meth:`~Recovery.lost`. When shards were restarted, :meth:`~Recovery.answer`
raises :class:`Restarted` naming them: their requests in flight are void, and
their workers (``run.handles[p]``) are to be asked again.
"""

from __future__ import annotations

import collections.abc
import os
from collections import Counter
from collections.abc import Callable

import ray
from ray.exceptions import RayError

from .errors import ShardWorkerDied, is_lost_work
from .sources import IterableSource, PartitionSource

_max_restarts = int(os.environ.get("REFERENCE_MAX_RESTARTS", "3"))


def max_restarts() -> int:
    """Restarts of one shard's worker allowed per run (REC-5)."""
    return _max_restarts


def set_max_restarts(n: int) -> int:
    """Allow ``n`` restarts per shard per run, for runs started from now on
    (0 turns recovery off); returns the previous limit."""
    global _max_restarts
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an int >= 0, got {n!r}")
    previous, _max_restarts = _max_restarts, n
    return previous


def replayable(shards) -> list[bool]:
    """For every shard of a plan, whether its items can be produced again
    from the start, the same (REC-1). A partition that appears more than once
    shares its items between its appearances by timing (SHARD-11): not so."""
    appearances = Counter(
        (id(s.source.node), s.source.index) for s in shards if isinstance(s.source, PartitionSource)
    )
    return [_replayable(shard, appearances) for shard in shards]


def _replayable(shard, appearances: Counter) -> bool:
    source = shard.source
    if isinstance(source, IterableSource):
        obj = source.obj
        return callable(obj) or not isinstance(obj, collections.abc.Iterator)
    if isinstance(source, PartitionSource):
        return appearances[(id(source.node), source.index)] == 1 and all(
            replayable(source.node.parent._shards)
        )
    return False  # a from_actors shard: its source is the actor's own state


def _group_key(shard, position: int) -> object:
    source = shard.source
    return id(source.node) if isinstance(source, PartitionSource) else ("shard", position)


class Restarted(Exception):
    """Control flow, never seen by users: ``positions`` were restarted."""

    def __init__(self, positions: list[int]):
        super().__init__(positions)
        self.positions = positions


class Recovery:
    """What one run has received from each shard, and its restarts."""

    def __init__(self, run):
        self.run = run
        count = len(run.shards)
        self.received = [0] * count
        self.ended = [False] * count
        self.limit = max_restarts()
        self._keys = [_group_key(shard, p) for p, shard in enumerate(run.shards)]
        self._replayable = replayable(run.shards)
        self._restarts: dict[object, int] = {}

    # -- answers ----------------------------------------------------------------
    def count(self, position: int, answer: tuple) -> tuple:
        """Record ``answer``, shard ``position``'s, as received; returns it."""
        items, ended = answer
        self.received[position] += len(items)
        if ended:
            self.ended[position] = True
        return answer

    def answer(self, position: int, ref, convert: Callable | None = None) -> tuple:
        """Shard ``position``'s answer ``(items, ended)`` behind ``ref``
        (``convert`` makes that of the raw answer, if given).

        A user error is raised as it is (ERR-1). If the worker was lost, the
        shard is restarted (or the run fails, REC-5, REC-6) and
        :class:`Restarted` is raised."""
        try:
            got = ray.get(ref)
            return self.count(position, got if convert is None else convert(got))
        except RayError as exc:
            if not is_lost_work(exc):
                raise
            cause = exc
        raise Restarted(self.lost([position], cause))

    def answers(self, asked: dict, ask: Callable[[int], object], convert: Callable | None = None) -> list:
        """One answer from every shard in ``asked`` (position -> ref), in
        that order (``convert`` makes ``(items, ended)`` of a raw answer). A
        shard restarted meanwhile is asked again with ``ask(position)``,
        unless it had answered already (its new worker then resumes after
        that answer)."""
        try:
            got = ray.get(list(asked.values()))
        except RayError:
            pass  # someone's worker is lost, or a user error: one at a time
        else:
            if convert is not None:
                got = map(convert, got)
            return [self.count(p, a) for p, a in zip(asked, got, strict=True)]
        result: dict[int, tuple] = {}
        todo = dict(asked)
        while todo:
            position = next(iter(todo))
            ref = todo.pop(position)
            try:
                result[position] = self.answer(position, ref, convert)
            except Restarted as restart:
                for p in restart.positions:
                    if p in asked and p not in result:
                        todo[p] = ask(p)
                todo = {p: todo[p] for p in asked if p in todo}  # keep shard order
        return [result[p] for p in asked]

    # -- restarting ---------------------------------------------------------------
    def lost(self, positions: list[int], cause: BaseException, also: list[int] = ()) -> list[int]:
        """The workers of ``positions`` were lost: restart them, the shards
        that share work with them and the shards ``also`` (whose answers were
        lost with the compiled graph; not counted as restarts). Returns the
        positions restarted, in order. Raises :class:`ShardWorkerDied` when a
        shard cannot be restarted (REC-5, REC-6)."""
        groups = {}
        for p in positions:
            label = self.run.labels[p]
            if not self._replayable[p]:
                raise ShardWorkerDied(label, cause, replayable=False) from cause
            key = self._keys[p]
            made = self._restarts.get(key, 0)
            if made >= self.limit:
                raise ShardWorkerDied(label, cause, restarts=made) from cause
            groups[key] = made
        if not all(self._replayable[p] for p in also):
            labels = [self.run.labels[p] for p in positions or also]
            raise ShardWorkerDied(labels, cause) from cause
        for key, made in groups.items():
            self._restarts[key] = made + 1
        keys = set(groups) | {self._keys[p] for p in also}
        restart = [
            p for p, key in enumerate(self._keys) if key in keys and not self.ended[p]
        ]
        self.run.restart(restart, {p: self.received[p] for p in restart})
        return restart
