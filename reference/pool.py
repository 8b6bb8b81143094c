"""Warm shard workers, reused across runs (LIFE-1, LIFE-2).

Starting an actor costs a new process (most of a second); a call to a running
one costs milliseconds. Runs therefore take workers from a small idle pool and
give them back reset when they end. The pool never holds more than
``MAX_IDLE_WORKERS`` workers (environment variable
``REFERENCE_MAX_IDLE_WORKERS``, default 8); extra workers are killed. The
workers of a run that failed for any reason are killed, not reused: one of
them may be dead or stuck.

The pool also keeps a strong reference to every worker it has lent out until
the worker is released. A run that is abandoned is often collected by the
cyclic garbage collector, which calls the finalizer of every object in the
garbage cycle -- the run's ``ActorHandle`` objects included, whose finalizer
tells Ray the actor is no longer referenced -- before the run's ``finally``
gives those very handles back to the pool. Ray would then destroy a pooled
actor mid-run. Handles reachable from the pool are never in such a cycle.
"""

from __future__ import annotations

import os
import threading

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from ._ray import ensure_ray
from .worker import ParallelIteratorWorker

MAX_IDLE_WORKERS = int(os.environ.get("REFERENCE_MAX_IDLE_WORKERS", "8"))

_WorkerActor = ray.remote(ParallelIteratorWorker)


class WorkerPool:
    """Idle workers of this process, valid for one Ray session."""

    def __init__(self, max_idle: int = MAX_IDLE_WORKERS):
        self.max_idle = max_idle
        self._idle: list = []
        #: workers lent out and not yet released (see module doc); handles
        #: hash and compare by actor id
        self._lent: set = set()
        # Re-entrant: the cyclic garbage collector may run inside a pool method
        # (any allocation can trigger it) and finalize an abandoned run, whose
        # ``finally`` releases its workers into this same pool.
        self._lock = threading.RLock()
        self._session: tuple | None = None
        self._placed = 0

    def _current_session(self) -> tuple:
        return (os.getpid(), ray.get_runtime_context().get_job_id())

    def acquire(self):
        """A worker of its own for one shard of one run."""
        ensure_ray()
        session = self._current_session()
        with self._lock:
            if session != self._session:
                # handles from an earlier Ray session are dead
                self._idle.clear()
                self._lent.clear()
                self._session = session
            if self._idle:
                return self._lend(self._idle.pop())
        return self.create()

    def _lend(self, handle):
        self._lent.add(handle)
        return handle

    def create(self):
        """A new worker, bypassing the idle pool. On a cluster, new workers go
        to the alive nodes in turn, so a run's shards spread over the nodes."""
        ensure_ray()
        nodes = self._alive_nodes()
        options: dict = {"num_cpus": 0}
        if len(nodes) > 1:
            self._placed += 1
            node = nodes[self._placed % len(nodes)]
            options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node, soft=True)
            # Ray places a request for no resources on a random node, soft
            # affinity or not (measured with Ray 2.60: 4 actors on 2 nodes were
            # misplaced in 8 of 8 trials, never with this). One byte of memory
            # makes the request non-empty; soft keeps the fallback to another
            # node when this one is lost before the worker starts.
            options["memory"] = 1
        handle = _WorkerActor.options(**options).remote(None, False)
        with self._lock:
            return self._lend(handle)

    @staticmethod
    def _alive_nodes() -> list[str]:
        # Read anew for every new worker (one call to Ray's control store, next
        # to the seconds an actor takes to start): a node that joined or was
        # lost a moment ago is placed on, or not, at once.
        return sorted(n["NodeID"] for n in ray.nodes() if n["Alive"])

    def release(self, handle, healthy: bool) -> None:
        """Reset and keep ``handle`` for reuse, or kill it."""
        extra = [handle]
        with self._lock:
            self._lent.discard(handle)
            keep = (
                healthy
                and ray.is_initialized()
                and self._session == self._current_session()
                and len(self._idle) < self.max_idle
            )
            if keep:
                extra = []
                if handle not in self._idle:
                    handle._pi_reset.remote()
                    self._idle.append(handle)
                # A release re-entered from a finalizer above may have
                # filled the pool meanwhile.
                while len(self._idle) > self.max_idle:
                    extra.append(self._idle.pop(0))
        for surplus in extra:
            try:
                ray.kill(surplus)
            except Exception:  # already gone, or Ray shut down
                pass

    def clear(self) -> None:
        """Kill every idle worker: after a worker died, the others may be
        dying too (same node, same cause), and a fresh start is cheap."""
        with self._lock:
            idle, self._idle = self._idle, []
        for handle in idle:
            try:
                ray.kill(handle)
            except Exception:  # already gone
                pass

    def idle_count(self) -> int:
        with self._lock:
            return len(self._idle)

    def lent_count(self) -> int:
        with self._lock:
            return len(self._lent)


POOL = WorkerPool()
