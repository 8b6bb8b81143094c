"""Lock-step ``gather_sync`` rounds, fast (GATH-1, GATH-2, ORD-3, ORD-4, LAZY-4).

:class:`LockstepRounds` yields one list per round: one item from every active
shard, in shard order. It has two ways of asking for a round:

* **plain calls** -- one ``_pi_next(1, 0)`` actor call per active shard. Every
  run starts like this, so a short run or the time to the first item never
  pays for the compiled graph.
* **a Ray compiled graph** -- after ``COMPILE_AFTER_ROUNDS`` plain rounds the
  run compiles one graph over its workers (``ray.dag``), whose ``execute`` asks
  every shard for one item over shared-memory channels: several times cheaper
  per round than actor calls. A run whose plain rounds were slow (slow user
  functions or a slow consumer, ``COMPILE_MAX_ITEM_MS``) does not compile:
  the graph would save little, and its polling channels would take CPU time
  from the workers. If compiling fails for any reason (unsupported
  setting, a consumer where compiled graphs do not work, ...) the run stays on
  plain calls. Runs over ``from_actors`` shards never compile: those actors are
  the user's, and a compiled graph would take over their execution loop.

Both ways **pipeline** as far as LAZY-4 allows: a shard's next item is asked
for as soon as its previous one is *delivered* (the consumer's ``next()``
returned it), never earlier. Plain calls do this per shard; the compiled graph
asks all shards at once, so it asks for round ``k + 1`` when the last item of
round ``k`` is delivered. A round is handed out as a :class:`Round` (a
``list``) that reports each item's delivery as it is iterated, which is how
``gather_sync`` (which flattens the rounds) tells us an item was delivered; a
``batch_across_shards`` consumer that never iterates its lists simply gets no
pipelining, and its next round is asked for at its next ``next()``.

Values cross the compiled graph's channels pickled in-band (one ``bytes`` per
shard per round). The channel hands out zero-copy views of its buffers, and an
item that keeps one alive (a NumPy array, say) would otherwise block the graph
after a few rounds; unpickling a ``bytes`` copies everything out. An answer
holding ObjectRefs or actor handles (which only Ray's serializer keeps alive),
or that does not pickle, is parked on the worker and fetched by a plain call
after the graph is torn down, and the run goes on with plain calls; so it does
once its rounds are large (``LARGE_ROUND_BYTES``), where the graph's extra
copies cost more than the actor calls they save.

The graph is always torn down when the run ends, fails or is closed or
collected, before the workers go back to the pool (see ``close``). Results
are waited for without Ray's compiled-graph get timeout (slow user functions
are not errors). A user error keeps its type (``RayTaskError(UserError)`` is
an instance of ``UserError``). Every answer goes through the run's
:class:`~reference.recovery.Recovery`: a plain round whose worker was lost
asks that shard's new worker again; a graph round that fails because a
worker was lost tears the graph down, restarts the dead shards and also the
live ones (their answers went with the graph), and asks for the round again
by plain calls, for the rest of the run (REC-2).
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import time
from collections.abc import Iterator

import ray
from ray import cloudpickle
from ray.exceptions import RayTaskError

from .errors import is_lost_work
from .recovery import Recovery
from .sources import ActorSource

#: Plain rounds before a run compiles its graph (compiling costs 0.1-0.5 s,
#: about as much as 100-300 plain rounds). Negative: never compile.
#: Environment variable ``REFERENCE_COMPILE_AFTER_ROUNDS``.
COMPILE_AFTER_ROUNDS = int(os.environ.get("REFERENCE_COMPILE_AFTER_ROUNDS", "128"))

#: A run compiles only if its plain rounds took less than this per item on
#: average (milliseconds; a round's time, the consumer's included, divided by
#: its number of shards, counted as at least 2, since one shard's round costs
#: a round trip as well). A graph saves well under a millisecond per round,
#: and its channels poll while they wait, taking CPU time from the workers'
#: user code: with slow rounds it costs more than it saves. Environment
#: variable ``REFERENCE_COMPILE_MAX_ITEM_MS``.
COMPILE_MAX_ITEM_MS = float(os.environ.get("REFERENCE_COMPILE_MAX_ITEM_MS", "1.25"))

#: Mean pickled bytes per compiled round above which the run goes back to
#: plain calls (large items travel faster through the object store).
LARGE_ROUND_BYTES = 256 * 1024

#: Compiled rounds over which the mean round size is judged.
_SIZE_PROBE_ROUNDS = 4

_CG_LOGGER = "ray.dag.compiled_dag_node"

#: What the runs of this process did, for tests and benchmarks: graphs
#: compiled, compile attempts that failed, runs that went back to plain calls
#: for large rounds, answers parked because they did not pickle, runs that did
#: not compile because their rounds were slow.
STATS = {"compiled": 0, "compile_failed": 0, "large": 0, "parked": 0, "slow": 0}


# -- inside the shard worker (run through ``__ray_call__``) ---------------------
class _NeedsRay(Exception):
    """An answer holds Ray handles: only Ray's serializer tracks them."""


def _ray_handle_types() -> tuple:
    from ray.actor import ActorHandle

    return (ray.ObjectRef, ActorHandle, ray.ObjectRefGenerator)


class _Pickler(pickle.Pickler):
    _ray_types: tuple = ()

    def reducer_override(self, obj):
        # Not called for plain ints, strs, lists, tuples, dicts (C pickle).
        if isinstance(obj, self._ray_types):
            raise _NeedsRay
        return NotImplemented


class _CloudPickler(cloudpickle.Pickler):
    _ray_types: tuple = ()

    def reducer_override(self, obj):
        if isinstance(obj, self._ray_types):
            raise _NeedsRay
        return super().reducer_override(obj)


def _dumps(answer) -> bytes:
    """``answer`` pickled in-band; raises for ObjectRefs/actor handles (pickled
    outside Ray's serializer they would not keep their objects alive)."""
    if not _Pickler._ray_types:
        _Pickler._ray_types = _CloudPickler._ray_types = _ray_handle_types()
    for pickler in (_Pickler, _CloudPickler):
        buffer = io.BytesIO()
        try:
            pickler(buffer, protocol=5).dump(answer)
        except _NeedsRay:
            raise
        except Exception:
            continue
        return buffer.getvalue()
    raise _NeedsRay


def _cg_step(worker, max_items: int):
    """One compiled-graph request: the worker's next answer, pickled in-band;
    ``None`` when it cannot be (then it waits in ``_pi_cg_parked`` for a
    plain call)."""
    answer = worker._pi_next(max_items, 0)
    try:
        return _dumps(answer)
    except _NeedsRay:
        worker._pi_cg_parked = answer
        return None


def _cg_take_parked(worker):
    answer = worker._pi_cg_parked
    del worker._pi_cg_parked
    return answer


def can_compile(shards) -> bool:
    """Whether a run over ``shards`` may use a compiled graph."""
    return COMPILE_AFTER_ROUNDS >= 0 and not any(
        isinstance(shard.source, ActorSource) for shard in shards
    )


class _Quiet(logging.Filter):
    def filter(self, record):  # compiled-graph lifecycle chatter
        return False


class Round(list):
    """One round's items. Iterating it reports each item's delivery to the
    run, which may then ask that shard for its next item (LAZY-4). Pickles and
    copies as a plain ``list``."""

    __slots__ = ("_owner", "_number")

    def __iter__(self) -> Iterator:
        owner = getattr(self, "_owner", None)
        if owner is None:
            return list.__iter__(self)
        return self._reporting(owner)

    def _reporting(self, owner) -> Iterator:
        number = self._number
        for index, item in enumerate(list.__iter__(self)):
            owner._delivered(number, index)
            yield item

    def __reduce__(self):
        return (list, (list(list.__iter__(self)),))


class LockstepRounds:
    """The rounds of one run over its started workers (``recovery.run``)."""

    def __init__(self, recovery: Recovery, compilable: bool):
        self.recovery = recovery
        self.num_shards = len(self.handles)
        self.active = list(range(self.num_shards))
        self.compilable = compilable and COMPILE_AFTER_ROUNDS >= 0
        self.compile_after = COMPILE_AFTER_ROUNDS
        self.rounds_done = 0
        self.timed_from = 0.0  # when round number ``timed_base`` was delivered
        self.timed_base = 1
        # plain mode: shard -> ref of its already-requested next answer
        self.pending: dict[int, object] = {}
        # compiled mode
        self.graph = None
        self.graph_next = None  # refs of the already-submitted next round
        self.graph_rounds = 0
        self.graph_bytes = 0
        # pipelining of the round being delivered
        self.number = 0
        self.delivered_order: list[int] = []  # shard of each item of the round
        self.next_index = 0
        self.ask_early = True  # may this round's deliveries ask ahead?
        self.pipeline_ok = True  # cleared if asking early ever fails
        self.broken = False  # a teardown failed: the workers are not reusable

    @property
    def handles(self) -> list:
        """The worker of each shard (a restart replaces some)."""
        return self.recovery.run.handles

    # -- iteration ----------------------------------------------------------
    def __iter__(self) -> Iterator[list]:
        while self.active:
            self._maybe_switch()
            if self.graph is not None:
                answers = self._graph_round()
            else:
                answers = self._plain_round()
            self.rounds_done += 1
            if self.rounds_done == self.timed_base:
                self.timed_from = time.perf_counter()
            items: list = []
            still_active = []
            for shard, (got, ended) in zip(self.active, answers, strict=True):
                if not ended:
                    items.extend(got)
                    still_active.append(shard)
            self.active = still_active
            if items:
                yield self._round(items)

    def _round(self, items: list) -> Round:
        self.number += 1
        self.delivered_order = self.active
        self.next_index = 0
        round_ = Round(items)
        round_._owner = self
        round_._number = self.number
        return round_

    def _delivered(self, number: int, index: int) -> None:
        """Item ``index`` of round ``number`` is being delivered."""
        if number != self.number or index != self.next_index:
            return
        self.next_index += 1
        if not (self.ask_early and self.pipeline_ok) or self.broken:
            return
        try:
            if self.graph is not None:
                if self.next_index == len(self.delivered_order) and self.graph_next is None:
                    self.graph_next = self.graph.execute(1)
            else:
                shard = self.delivered_order[index]
                if shard not in self.pending:
                    self.pending[shard] = self.handles[shard]._pi_next.remote(1, 0)
        except Exception:
            # Early requests are an optimisation; the next round asks again.
            self.pipeline_ok = False

    # -- plain calls ----------------------------------------------------------
    def _plain_round(self) -> list:
        asked = {}
        for shard in self.active:
            ref = self.pending.pop(shard, None)
            asked[shard] = ref if ref is not None else self._ask(shard)
        return self.recovery.answers(asked, self._ask)

    def _ask(self, shard: int):
        return self.handles[shard]._pi_next.remote(1, 0)

    # -- compiled graph ---------------------------------------------------------
    def _maybe_switch(self) -> None:
        """Decide, before a round is asked for, whether the round after it is
        asked early by plain calls, and compile when the time has come."""
        if (
            self.graph is None
            and self.compilable
            and self.rounds_done >= self.compile_after
            and not self.pending
        ):
            if self._rounds_are_slow():
                STATS["slow"] += 1
                self.compilable = False
            else:
                self._compile()
        if self.graph is None and self.compilable:
            # The round before compiling asks nothing early (plain requests
            # in flight would be answered after the graph takes over).
            self.ask_early = self.rounds_done + 1 < self.compile_after
        else:
            self.ask_early = True

    def _rounds_are_slow(self) -> bool:
        """Whether the plain rounds after the first (whose time includes the
        workers' start; after a recovery, the first after it) took more than
        ``COMPILE_MAX_ITEM_MS`` per item."""
        if self.rounds_done <= self.timed_base:
            return False
        mean_s = (time.perf_counter() - self.timed_from) / (self.rounds_done - self.timed_base)
        return mean_s * 1000 / max(len(self.active), 2) > COMPILE_MAX_ITEM_MS

    def _compile(self) -> None:
        self.compilable = False  # one attempt per run
        from ray.dag import InputNode, MultiOutputNode

        quiet = _Quiet()
        logging.getLogger(_CG_LOGGER).addFilter(quiet)
        graph = None
        try:
            with InputNode() as inp:
                dag = MultiOutputNode([h.__ray_call__.bind(_cg_step, inp) for h in self.handles])
            graph = dag.experimental_compile()
        except Exception:
            STATS["compile_failed"] += 1
            if graph is not None:
                self._teardown(graph)
            # Not supported here: go on with plain calls, after checking the
            # workers still answer them (a lost one is restarted).
            dead = self._dead_workers()
            lost = [s for s in dead if s in self.active]
            if lost:
                self.recovery.lost(lost, dead[lost[0]])
            return
        finally:
            logging.getLogger(_CG_LOGGER).removeFilter(quiet)
        STATS["compiled"] += 1
        self.graph = graph
        self.graph_next = None
        self.graph_rounds = 0
        self.graph_bytes = 0

    def _graph_round(self) -> list:
        refs, self.graph_next = self.graph_next, None
        blobs = []
        try:
            if refs is None:
                refs = self.graph.execute(1)
            # -1: no timeout. Slow user functions are not errors, and a dead
            # worker ends the wait with an error of its own.
            for ref in refs:
                blobs.append(ref.get(timeout=-1))
        except RayTaskError as exc:
            if not is_lost_work(exc):
                raise  # a user error (ERR-1)
            # a worker under a repartition: lost with the shard being read
            return self._graph_lost(exc, [len(blobs)])
        except ray.exceptions.RayError as exc:
            return self._graph_lost(exc, [])
        answers = []
        parked = []
        size = 0
        for shard, blob in enumerate(blobs):
            if blob is None:
                parked.append(shard)
                answers.append(None)
            else:
                size += len(blob)
                answers.append(pickle.loads(blob))
        self.graph_rounds += 1
        self.graph_bytes += size
        large = (
            self.graph_rounds >= _SIZE_PROBE_ROUNDS
            and self.graph_bytes > LARGE_ROUND_BYTES * self.graph_rounds
        )
        if parked or large:
            # Back to plain calls for the rest of the run.
            STATS["parked"] += len(parked)
            STATS["large"] += int(large)
            self.close()
            for shard in parked:
                answers[shard] = ray.get(self.handles[shard].__ray_call__.remote(_cg_take_parked))
        # The graph asks every worker, ended shards too (they answer
        # ``([], True)`` without pulling); keep the active ones' answers.
        return [self.recovery.count(shard, answers[shard]) for shard in self.active]

    def _graph_lost(self, cause: BaseException, lost: list) -> list:
        """The graph failed for a reason other than a user error: tear it
        down, find the shards whose workers are lost, restart them and the
        other active shards (whose answers of this round went with the
        graph), and ask for the round by plain calls. The run compiles a new
        graph over the new workers as it did the first one, after
        ``COMPILE_AFTER_ROUNDS`` more plain rounds. With no worker lost,
        ``cause`` is raised."""
        self.close()
        self.compilable = False
        lost = sorted(set(lost) | set(self._dead_workers()))
        if not lost:
            self.broken = True
            raise cause
        dead = [s for s in lost if s in self.active]
        also = [s for s in self.active if s not in dead]
        self.recovery.lost(dead, cause, also=also)
        answers = self._plain_round()
        if not self.broken:
            self.compilable = True
            self.compile_after = self.rounds_done + 1 + COMPILE_AFTER_ROUNDS
            self.timed_base = self.rounds_done + 1  # time the rounds after this one
        return answers

    def _dead_workers(self, timeout: float = 30.0) -> dict[int, BaseException]:
        """The shards whose workers are dead, with the error that says so;
        RuntimeError if some worker does not answer a plain call within
        ``timeout``."""
        refs = [h.__ray_ready__.remote() for h in self.handles]
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=timeout)
        if len(ready) < len(refs):
            self.broken = True
            raise RuntimeError("shard workers stopped answering after a compiled-graph failure")
        dead = {}
        for shard, ref in enumerate(refs):
            try:
                ray.get(ref)
            except ray.exceptions.RayError as exc:
                dead[shard] = exc
        return dead

    def _teardown(self, graph) -> bool:
        quiet = _Quiet()
        logger = logging.getLogger(_CG_LOGGER)
        logger.addFilter(quiet)
        try:
            graph.teardown()
            return True
        except Exception:
            return False
        finally:
            logger.removeFilter(quiet)

    def close(self) -> bool:
        """Tear the compiled graph down (idempotent). Returns False if that
        failed, in which case the workers must not be reused."""
        graph, self.graph, self.graph_next = self.graph, None, None
        if graph is None:
            return not self.broken
        ok = self._teardown(graph)
        if not ok:
            self.broken = True
        return ok
