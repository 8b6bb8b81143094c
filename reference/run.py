"""One run of a plan's shards: acquire a worker per shard, start each shard's
pipeline, and release everything when the run ends (GATH-7, LIFE-1).

Repartitioned shards pull from their parent shards' workers, which the run
starts once per ``repartition`` node however many of its partitions it reads.
A run can replace the workers of some of its shards mid-run (``restart``),
for the recovery of lost workers (recovery.py, REC-2).
"""

from __future__ import annotations

import random
from collections import defaultdict, deque

import ray
from ray.exceptions import RayActorError, RayError, RayTaskError

from .errors import ParentWorkerDied, ShardBusy, ShardWorkerDied
from .pool import POOL
from .sources import ActorSource, PartitionSource, RepartitionNode

_SLICE_BATCH = 64

#: How long a restart waits for a live worker to answer before replacing it.
_PING_S = 2.0


class PartitionFeed:
    """The source of one partition, opened inside the partition's worker: it
    reads the partition's slice of every parent shard, one item from each
    parent in turn (parents that have ended drop out). The order is fixed, so
    a replay of the partition gives the same stream (REC-3); each parent is
    still asked for its items in batches, one request ahead.

    A parent worker that is lost ends the feed with :class:`ParentWorkerDied`,
    which the consumer's side recovers (recovery.py)."""

    def __init__(self, parents: list, step: int, index: int, wanted: frozenset, run_id: int):
        self.parents = parents
        self.run_id = run_id
        self.step = step
        self.index = index
        self.wanted = wanted

    def _request(self, parent):
        return parent._pi_slice.remote(
            self.step, self.index, _SLICE_BATCH, self.wanted, self.run_id
        )

    @staticmethod
    def _get(ref) -> tuple[list, bool]:
        try:
            return ray.get(ref)
        except RayTaskError as exc:
            if isinstance(exc, ParentWorkerDied):  # lost further up
                raise ParentWorkerDied(str(exc)) from None
            raise  # a user error (ERR-1)
        except RayError as exc:
            raise ParentWorkerDied(f"a parent shard's worker was lost: {exc}") from None

    def open(self):
        pending = {i: self._request(p) for i, p in enumerate(self.parents)}
        buffers = {i: deque() for i in pending}
        active = list(pending)
        while active:
            for i in list(active):
                if not buffers[i]:
                    if i not in pending:
                        active.remove(i)
                        continue
                    items, ended = self._get(pending.pop(i))
                    if not ended:
                        pending[i] = self._request(self.parents[i])
                    if not items:
                        active.remove(i)
                        continue
                    buffers[i].extend(items)
                yield buffers[i].popleft()


class Run:
    """Workers for the shards of one run, in shard order."""

    def __init__(self, shards, labels=None):
        self.shards = list(shards)
        #: the shard numbers users know the shards by, for error messages
        self.labels = list(labels) if labels is not None else list(range(len(self.shards)))
        #: the worker of each shard, once started (replaced by ``restart``)
        self.handles: list = []
        self._pooled: list = []
        self._claimed: list = []
        self._start_refs: dict[int, object] = {}
        self._skips: dict[int, int] = {}
        #: the runs of the repartitioned shards, by ``id`` of their node
        self._nested: dict[int, Run] = {}
        self._run_id = random.getrandbits(63)

    def start(self) -> list:
        """Start every shard; returns one worker handle per shard."""
        wanted: dict[int, set] = defaultdict(set)
        for shard in self.shards:
            if isinstance(shard.source, PartitionSource):
                wanted[id(shard.source.node)].add(shard.source.index)
        self.handles = [self._start_shard(i, shard, wanted) for i, shard in enumerate(self.shards)]
        self._await_starts(wanted)
        return self.handles

    def restart(self, positions: list[int], skips: dict[int, int]) -> None:
        """Restart the shards at ``positions``: each replays its pipeline on a
        worker and drops its first ``skips[p]`` items (REC-2). A worker that
        still answers is started again in place (its calls run in order, so
        the restart follows whatever it was doing); a dead or silent one is
        killed and replaced. The parent workers of every repartition node
        among them are killed and started anew."""
        alive = self._answering([self.handles[p] for p in positions])
        nodes = set()
        reuse = {}
        for p in positions:
            if self.handles[p] in alive:
                reuse[p] = self.handles[p]
            else:
                self._drop(self.handles[p])
            source = self.shards[p].source
            if isinstance(source, PartitionSource):
                nodes.add(id(source.node))
        for node in nodes:
            self._nested.pop(node).release(ParentWorkerDied("replaced"))
        wanted: dict[int, set] = defaultdict(set)
        for p in positions:
            source = self.shards[p].source
            if isinstance(source, PartitionSource):
                wanted[id(source.node)].add(source.index)
        self._start_refs = {}
        self._skips = dict(skips)
        for p in positions:
            self.handles[p] = self._start_shard(p, self.shards[p], wanted, reuse=reuse.get(p))
        self._await_starts(wanted)

    @staticmethod
    def _answering(handles: list) -> set:
        """Those of ``handles`` whose workers answer a call within
        ``_PING_S`` seconds."""
        pings = {h.__ray_ready__.remote(): h for h in handles}
        ready, _ = ray.wait(list(pings), num_returns=len(pings), timeout=_PING_S)
        alive = set()
        for ref in ready:
            try:
                ray.get(ref)
            except RayError:
                continue
            alive.add(pings[ref])
        return alive

    def _drop(self, handle) -> None:
        if handle in self._pooled:
            self._pooled.remove(handle)
            POOL.release(handle, healthy=False)

    def _await_starts(self, wanted) -> None:
        # A start that failed (say, a transform that cannot be unpickled in the
        # worker) is reported now, with its own type, not as a later symptom.
        try:
            ray.get(list(self._start_refs.values()))
        except RayActorError:
            self._replace_dead_workers(wanted)

    def _replace_dead_workers(self, wanted) -> None:
        """A pooled worker that died while idle is replaced by a fresh one;
        nothing was pulled yet, so starting over is invisible to the run. A
        user's actor that is dead is reported (ERR-6)."""
        for index, ref in list(self._start_refs.items()):
            try:
                ray.get(ref)
            except RayActorError as exc:
                if isinstance(self.shards[index].source, ActorSource):
                    raise ShardWorkerDied(self.labels[index], exc) from exc
                self._drop(self.handles[index])
                self.handles[index] = self._start_shard(
                    index, self.shards[index], wanted, fresh=True
                )
                ray.get(self._start_refs[index])

    def _start_shard(self, index: int, shard, wanted, fresh: bool = False, reuse=None) -> object:
        source = shard.source
        if isinstance(source, ActorSource):
            if not ray.get(source.handle._pi_claim.remote(self._run_id)):
                raise ShardBusy(self.labels[index])
            self._claimed.append((source.handle, self._run_id))
            self._start_refs[index] = source.handle._pi_start.remote(
                None, list(shard.operators), self._run_id
            )
            return source.handle
        if isinstance(source, PartitionSource):
            node = source.node
            parents, parents_run_id = self._parents(node)
            source = PartitionFeed(
                parents,
                node.num_partitions,
                source.index,
                frozenset(wanted[id(node)]),
                parents_run_id,
            )
        if reuse is not None:
            handle = reuse
        else:
            handle = POOL.create() if fresh else POOL.acquire()
            self._pooled.append(handle)
        self._start_refs[index] = handle._pi_start.remote(
            source, list(shard.operators), self._run_id, self._skips.get(index, 0)
        )
        return handle

    def _parents(self, node: RepartitionNode) -> tuple[list, int]:
        """The started parent workers of ``node`` (once per run) and their run id."""
        if id(node) not in self._nested:
            nested = Run(node.parent._shards)
            self._nested[id(node)] = nested
            # Partition workers call the parents from their own processes;
            # start() returns once the parents have started.
            nested.start()
        nested = self._nested[id(node)]
        return nested.handles, nested._run_id

    def release(self, error: BaseException | None = None) -> None:
        """Give the run's pooled workers back; kill them if the run failed
        (one may be dead, or stuck in user code)."""
        healthy = error is None or isinstance(error, ShardBusy)
        nested, self._nested = list(self._nested.values()), {}
        for run in nested:
            run.release(error)
        pooled, self._pooled = self._pooled, []
        for handle in pooled:
            POOL.release(handle, healthy)
        if isinstance(error, ShardWorkerDied):
            POOL.clear()
        claimed, self._claimed = self._claimed, []
        for handle, run_id in claimed:
            try:
                handle._pi_unclaim.remote(run_id)
            except Exception:  # the user's actor is gone; nothing to give back
                pass
