"""Plans and runs of the model backend (SPEC §1, §2, §5, §9).

A plan is a tuple of :class:`ShardPlan` (a source plus a chain of :class:`Step`).
A run is created by the base iterator of a gathered ``LocalIterator`` when its first
``next()`` happens (LAZY-2); it opens every shard lazily, so a shard's source is
called only when the shard is first pulled, and items are pulled one at a time on
demand (LAZY-3, LAZY-4).  Runs share nothing: every run thaws fresh copies of the
sources and transform functions (SRC-7, GATH-7, SHARD-6).
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from conformance.model import validation as validate
from conformance.model.fetch import AsyncRun
from conformance.model.local import LocalIterator
from conformance.model.metrics import current_metrics
from conformance.model.operators import Frozen, Step, run_steps


class Repartition:
    """A repartition node: ``n`` partitions over the shards of a parent plan."""

    def __init__(self, parents: tuple[ShardPlan, ...], n: int, batch_ms: float) -> None:
        self.parents = parents
        self.n = n
        self.batch_ms = batch_ms


class PartitionSource:
    """Partition ``j`` of a :class:`Repartition` (SHARD-10)."""

    def __init__(self, node: Repartition, j: int) -> None:
        self.node = node
        self.j = j

    def open(self, run: Run) -> Iterator[Any]:
        return run.demux(self.node).partition(self.j)


@dataclass(frozen=True)
class ShardPlan:
    """One shard: a source followed by a chain of parallel steps."""

    source: Any
    steps: tuple[Step, ...] = ()

    def with_step(self, step: Step) -> ShardPlan:
        return ShardPlan(self.source, self.steps + (step,))


_END = object()


class Demux:
    """Per-run state of a repartition: parent pipelines and per-partition buffers.

    Item ``p`` of parent ``s`` goes to partition ``p % n``; partition ``j`` takes its
    items from the parents in turn (one interleaving the spec allows).
    """

    def __init__(self, node: Repartition, run: Run) -> None:
        self.node = node
        self.run = run
        count = len(node.parents)
        self.streams: list[Iterator[Any] | None] = [None] * count
        self.done = [False] * count
        self.position = [0] * count
        self.buffers = [[collections.deque() for _ in range(node.n)] for _ in range(count)]

    def _next_from(self, s: int, j: int) -> Any:
        with self.run.lock:
            return self._next_from_locked(s, j)

    def _next_from_locked(self, s: int, j: int) -> Any:
        buffer = self.buffers[s][j]
        while not buffer:
            if self.done[s]:
                return _END
            stream = self.streams[s]
            if stream is None:
                stream = self.streams[s] = shard_stream(self.node.parents[s], self.run)
            try:
                item = next(stream)
            except StopIteration:
                self.done[s] = True
                continue
            self.buffers[s][self.position[s] % self.node.n].append(item)
            self.position[s] += 1
        return buffer.popleft()

    def partition(self, j: int) -> Iterator[Any]:
        active = list(range(len(self.node.parents)))
        while active:
            for s in list(active):
                item = self._next_from(s, j)
                if item is _END:
                    active.remove(s)
                else:
                    yield item


class Run:
    """One run (SPEC §1): the shared state of the shards it reads.  Each repartition
    node has one :class:`Demux` per run, whichever partitions read it (SHARD-11).
    Shards of an asynchronous run read it from their own threads, hence the lock."""

    def __init__(self) -> None:
        self._demuxes: dict[int, tuple[Repartition, Demux]] = {}
        self.lock = threading.RLock()

    def demux(self, node: Repartition) -> Demux:
        with self.lock:
            entry = self._demuxes.get(id(node))
            if entry is None:
                entry = self._demuxes[id(node)] = (node, Demux(node, self))
            return entry[1]


def shard_stream(plan: ShardPlan, run: Run) -> Iterator[Any]:
    """The lazy output stream of one shard in ``run``; nothing happens before the
    first ``next()``."""
    yield from run_steps(plan.source.open(run), plan.steps)


@dataclass(frozen=True)
class ShardToken:
    """The ``source`` of ``zip_with_source_actor`` items in the model (LOC-8)."""

    index: int


def round_robin(streams: list[Iterator[Any]]) -> Iterator[Any]:
    """ORD-3: item k of every active shard in shard order, ended shards dropping out."""
    active = list(range(len(streams)))
    while active:
        for s in list(active):
            try:
                item = next(streams[s])
            except StopIteration:
                active.remove(s)
                continue
            yield item


class GatherSync:
    """Base iterator of ``gather_sync`` (GATH-1)."""

    def __init__(self, shards: tuple[ShardPlan, ...]) -> None:
        self.shards = shards

    def __call__(self, timeout: Any = None) -> Iterator[Any]:
        run = Run()
        return round_robin([shard_stream(p, run) for p in self.shards])


class BatchAcrossShards:
    """Base iterator of ``batch_across_shards``: one list per round (GATH-2, ORD-4)."""

    def __init__(self, shards: tuple[ShardPlan, ...]) -> None:
        self.shards = shards

    def __call__(self, timeout: Any = None) -> Iterator[list[Any]]:
        run = Run()
        return _rounds([shard_stream(p, run) for p in self.shards])


def _rounds(streams: list[Iterator[Any]]) -> Iterator[list[Any]]:
    active = list(range(len(streams)))
    while active:
        batch = []
        for s in list(active):
            try:
                batch.append(next(streams[s]))
            except StopIteration:
                active.remove(s)
        if batch:
            yield batch


def _mark_source(s: int) -> None:
    ctx = current_metrics()
    if ctx is not None:
        ctx.current_actor = ShardToken(s)


class GatherAsync:
    """Base iterator of ``gather_async`` (GATH-3): every shard on a thread of its own,
    items taken as they arrive (:mod:`conformance.model.fetch`).  ``poll()`` is the same
    run in poll mode, for a non-deterministic union (LOC-10)."""

    def __init__(self, shards: tuple[ShardPlan, ...], batch_ms: float, num_async: int) -> None:
        self.shards = shards
        self.batch_ms = batch_ms
        self.num_async = num_async

    def __call__(self, timeout: Any = None, poll: bool = False) -> Iterator[Any]:
        return _fetch(self.shards, self.num_async, _mark_source, poll)

    def poll(self) -> Iterator[Any]:
        return self(poll=True)


class GetShard:
    """Base iterator of ``get_shard`` (GATH-5): one shard, fetched as by ``gather_async``."""

    def __init__(self, shard: ShardPlan, batch_ms: float, num_async: int) -> None:
        self.shard = shard
        self.batch_ms = batch_ms
        self.num_async = num_async

    def __call__(self, timeout: Any = None, poll: bool = False) -> Iterator[Any]:
        return _fetch((self.shard,), self.num_async, lambda s: None, poll)

    def poll(self) -> Iterator[Any]:
        return self(poll=True)


def _fetch(
    shards: tuple[ShardPlan, ...], num_async: int, on_item: Callable[[int], None], poll: bool
) -> Iterator[Any]:
    """The run starts at the first ``next()`` (LAZY-2), not when this is called."""
    run = Run()
    yield from AsyncRun([shard_stream(p, run) for p in shards], num_async, on_item).items(poll)


class ParallelIterator:
    """An immutable plan: shards, each a source and a chain of parallel transforms."""

    def __init__(self, shards: tuple[ShardPlan, ...], name: str) -> None:
        self._shards = tuple(shards)
        self.name = name

    def __repr__(self) -> str:
        return f"ParallelIterator[{self.name}]"

    __str__ = __repr__

    def __iter__(self) -> Iterator[Any]:
        raise TypeError(
            "a ParallelIterator is not iterable: use gather_sync() or gather_async() to read its items"
        )

    # -- parallel transforms (PAR-1..11) ---------------------------------------------

    def _with(self, step: Step, suffix: str) -> ParallelIterator:
        shards = tuple(p.with_step(step) for p in self._shards)
        return ParallelIterator(shards, self.name + suffix)

    def transform(self, fn: Callable[[Iterator[Any]], Iterable[Any]]) -> ParallelIterator:
        validate.check_callable("fn", fn)
        return self._with(Step("transform", Frozen(fn)), ".transform()")

    def for_each(
        self, fn: Callable[[Any], Any], max_concurrency: int = 1, resources: dict | None = None
    ) -> ParallelIterator:
        validate.check_callable("fn", fn)
        validate.check_int("max_concurrency", max_concurrency, 0)
        return self._with(Step("for_each", Frozen(fn), (max_concurrency,)), ".for_each()")

    def filter(self, fn: Callable[[Any], Any]) -> ParallelIterator:
        validate.check_callable("fn", fn)
        return self._with(Step("filter", Frozen(fn)), ".filter()")

    def batch(self, n: int) -> ParallelIterator:
        validate.check_int("n", n, 1)
        return self._with(Step("batch", None, (n,)), f".batch({n})")

    def flatten(self) -> ParallelIterator:
        return self._with(Step("flatten"), ".flatten()")

    def combine(self, fn: Callable[[Any], Iterable[Any]]) -> ParallelIterator:
        validate.check_callable("fn", fn)
        return self._with(Step("combine", Frozen(fn)), ".combine()")

    def local_shuffle(self, shuffle_buffer_size: int, seed: Any = None) -> ParallelIterator:
        validate.check_int("shuffle_buffer_size", shuffle_buffer_size, 1)
        return self._with(
            Step("shuffle", None, (shuffle_buffer_size, seed)),
            f".local_shuffle(shuffle_buffer_size={shuffle_buffer_size}, seed={seed})",
        )

    def repartition(self, num_partitions: int, batch_ms: float = 0) -> ParallelIterator:
        validate.check_int("num_partitions", num_partitions, 1)
        validate.check_number("batch_ms", batch_ms, 0)
        node = Repartition(self._shards, num_partitions, batch_ms)
        shards = tuple(ShardPlan(PartitionSource(node, j)) for j in range(num_partitions))
        return ParallelIterator(shards, self.name + f".repartition[num_partitions={num_partitions}]")

    def union(self, other: ParallelIterator) -> ParallelIterator:
        if not isinstance(other, ParallelIterator):
            raise TypeError(f"other must be a ParallelIterator, got {type(other).__name__} {other!r}")
        return ParallelIterator(
            self._shards + other._shards, f"ParallelUnion[{self!r}, {other!r}]"
        )

    def select_shards(self, shards_to_keep: list[int]) -> ParallelIterator:
        keep = validate.check_shard_list("shards_to_keep", shards_to_keep, len(self._shards))
        shards = tuple(self._shards[i] for i in keep)
        return ParallelIterator(shards, self.name + f".select_shards({len(keep)} total)")

    def num_shards(self) -> int:
        return len(self._shards)

    # -- gathering (GATH-1..6) -------------------------------------------------------

    def gather_sync(self) -> LocalIterator:
        return LocalIterator(GatherSync(self._shards), name=f"{self!r}.gather_sync()")

    def batch_across_shards(self) -> LocalIterator:
        return LocalIterator(BatchAcrossShards(self._shards), name=f"{self!r}.batch_across_shards()")

    def gather_async(self, batch_ms: float = 0, num_async: int = 1) -> LocalIterator:
        validate.check_number("batch_ms", batch_ms, 0)
        validate.check_int("num_async", num_async, 1)
        return LocalIterator(GatherAsync(self._shards, batch_ms, num_async), name=f"{self!r}.gather_async()")

    def get_shard(self, shard_index: int, batch_ms: float = 0, num_async: int = 1) -> LocalIterator:
        index = validate.check_shard_index("shard_index", shard_index, len(self._shards))
        validate.check_number("batch_ms", batch_ms, 0)
        validate.check_int("num_async", num_async, 1)
        return LocalIterator(
            GetShard(self._shards[index], batch_ms, num_async), name=f"{self.name}.shard[{index}]"
        )

    def shards(self) -> list[LocalIterator]:
        return [self.get_shard(i) for i in range(len(self._shards))]

    def take(self, n: int) -> list[Any]:
        validate.check_int("n", n, 0)
        it = self.gather_sync()
        try:
            return it.take(n)
        finally:
            it._release()

    def show(self, n: int = 20) -> None:
        validate.check_int("n", n, 0)
        it = self.gather_sync()
        try:
            it.show(n)
        finally:
            it._release()
