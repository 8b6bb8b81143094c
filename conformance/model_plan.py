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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from conformance.model_ops import Frozen, Step, run_steps

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


def one_pass(obj: Any) -> Any:
    """The iterable of one pass over a source element (callables are called)."""
    return obj() if callable(obj) else obj


def repeat_passes(obj: Any) -> Iterator[Any]:
    """Passes over ``obj`` forever (SRC-6); an empty pass ends the stream, and a
    one-shot iterator is refused with ``ValueError`` at the start of the run."""
    while True:
        source = one_pass(obj)
        it = iter(source)
        if it is source and not callable(obj):
            raise ValueError(
                "generators: with repeat=True every element must be re-iterable or a "
                f"callable; got a one-shot iterator {obj!r} (iter(x) is x)"
            )
        empty = True
        for item in it:
            empty = False
            yield item
        if empty:
            return


class IterableSource:
    """A source over an iterable or a zero-argument callable (SRC-3, SRC-6)."""

    def __init__(self, obj: Any, repeat: bool) -> None:
        self.obj = Frozen(obj)
        self.repeat = bool(repeat)

    def open(self, run: Run) -> Iterator[Any]:
        obj = self.obj.fresh()
        if self.repeat:
            return repeat_passes(obj)
        return iter(one_pass(obj))


class WorkerSource:
    """The source of a ``from_actors`` shard: the worker's own, persistent stream."""

    def __init__(self, worker: Any) -> None:
        self.worker = worker

    def open(self, run: Run) -> Iterator[Any]:
        return self.worker._model_stream()


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
    """One run (SPEC §1): the shared state of the shards it reads."""

    def __init__(self) -> None:
        self._demuxes: dict[int, tuple[Repartition, Demux]] = {}

    def demux(self, node: Repartition) -> Demux:
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


def round_robin(streams: list[Iterator[Any]], on_item: Callable[[int], None] | None = None) -> Iterator[Any]:
    """ORD-3: item k of every active shard in shard order, ended shards dropping out."""
    active = list(range(len(streams)))
    while active:
        for s in list(active):
            try:
                item = next(streams[s])
            except StopIteration:
                active.remove(s)
                continue
            if on_item is not None:
                on_item(s)
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
    """Base iterator of ``gather_async`` (GATH-3).  The model answers every request at
    once, so it fetches the shards in turn; any per-shard-ordered interleaving would
    conform (ORD-5)."""

    def __init__(self, shards: tuple[ShardPlan, ...], batch_ms: float, num_async: int) -> None:
        self.shards = shards
        self.batch_ms = batch_ms
        self.num_async = num_async

    def __call__(self, timeout: Any = None) -> Iterator[Any]:
        run = Run()
        return round_robin([shard_stream(p, run) for p in self.shards], on_item=_mark_source)


class GetShard:
    """Base iterator of ``get_shard`` (GATH-5)."""

    def __init__(self, shard: ShardPlan, batch_ms: float, num_async: int) -> None:
        self.shard = shard
        self.batch_ms = batch_ms
        self.num_async = num_async

    def __call__(self, timeout: Any = None) -> Iterator[Any]:
        return shard_stream(self.shard, Run())
