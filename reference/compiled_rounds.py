"""Lock-step rounds through a Ray compiled graph: the accelerator of
``gather_sync`` and ``batch_across_shards`` (reference/lockstep.py).

A run's rounds start as plain actor calls (lockstep.py, complete on its own).
:class:`CompiledRounds` may take them over: it compiles one graph over the
run's workers (``ray.dag``), whose ``execute`` asks every shard for one item
over shared-memory channels, several times cheaper per round than actor
calls. ``REFERENCE_COMPILED_ROUNDS=0`` (or ``ENABLED = False``) turns it off;
runs over ``from_actors`` shards never use it (those actors are the user's,
and a graph would take over their execution loop).

**When**, from quantities measured in the run itself and in this process,
never from fixed times (:class:`Policy`):

* a run compiles once its plain rounds have taken as long as compiling is
  expected to take -- the duration of the last compile in this process
  (before any, after ``COMPILE_AFTER_ROUNDS`` plain rounds). Short runs never
  pay for a graph, and a long run spends at most as long on plain rounds as
  on the compile;
* a graph whose rounds turn out no faster than the run's plain rounds (slow
  user functions, whose CPU time its polling channels take; a busy machine;
  large items) is torn down after ``JUDGE_ROUNDS`` rounds, and the run goes on
  with plain calls. So a graph that loses costs one compile and a few rounds.

A graph round asks all shards at once, when the consumer wants its first
item (LAZY-4, as plain rounds). Values cross the channels pickled in-band (one
``bytes`` per shard per round): the channel hands out zero-copy views of its
buffers, and an item that keeps one alive (a NumPy array, say) would
otherwise block the graph after a few rounds; unpickling a ``bytes`` copies
everything out. An answer holding ObjectRefs or actor handles (which only
Ray's serializer keeps alive), or that does not pickle, is parked on the
worker and fetched by a plain call after the graph is torn down, and the run
goes on with plain calls; so it does once its rounds are large
(``LARGE_ROUND_BYTES``), where the graph's extra copies cost more than the
actor calls they save.

The graph is always torn down when the run ends, fails or is closed or
collected, before the workers go back to the pool. Results are waited for
without Ray's compiled-graph get timeout (slow user functions are not
errors). A user error keeps its type (``RayTaskError(UserError)`` is an
instance of ``UserError``). A graph round that fails because a worker was
lost tears the graph down, restarts the dead shards and also the live ones
(their answers went with the graph) through the run's
:class:`~reference.recovery.Recovery`, and the round is asked again by plain
calls; the run may compile a new graph later, as it did the first (REC-2).
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import time

import ray
from ray import cloudpickle
from ray.exceptions import RayTaskError

from .errors import is_lost_work
from .recovery import Recovery
from .sources import ActorSource
from .worker import as_batch

#: Whether runs may use compiled graphs at all. Environment variable
#: ``REFERENCE_COMPILED_ROUNDS`` (``0``: never).
ENABLED = os.environ.get("REFERENCE_COMPILED_ROUNDS", "1") != "0"

#: Plain rounds a run has before it may compile, whatever else is known.
#: Environment variable ``REFERENCE_COMPILE_AFTER_ROUNDS``.
COMPILE_AFTER_ROUNDS = int(os.environ.get("REFERENCE_COMPILE_AFTER_ROUNDS", "128"))

#: Graph rounds over which a graph is judged against the run's plain rounds.
JUDGE_ROUNDS = 32

#: Mean pickled bytes per compiled round above which the run goes back to
#: plain calls (large items travel faster through the object store).
LARGE_ROUND_BYTES = 256 * 1024

#: Compiled rounds over which the mean round size is judged.
_SIZE_PROBE_ROUNDS = 4

_CG_LOGGER = "ray.dag.compiled_dag_node"

#: What the runs of this process did, for tests and benchmarks: graphs
#: compiled, compile attempts that failed, graphs given up for large rounds,
#: answers parked because they did not pickle, graphs given up because their
#: rounds were no faster than plain ones.
STATS = {"compiled": 0, "compile_failed": 0, "large": 0, "parked": 0, "slower": 0}

#: Seconds the last successful compile of this process took.
_last_compile_s: float | None = None


def expected_compile_s() -> float:
    """How long compiling is expected to take: the last compile's duration in
    this process, 0 before any (then ``COMPILE_AFTER_ROUNDS`` decides)."""
    return _last_compile_s or 0.0


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


def _cg_step(worker, _input):
    """One compiled-graph request: the worker's next ``_pi_one`` answer,
    pickled in-band; ``None`` when it cannot be (then it waits in
    ``_pi_cg_parked`` for a plain call)."""
    answer = worker._pi_one()
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
    return ENABLED and not any(isinstance(shard.source, ActorSource) for shard in shards)


def for_run(recovery: Recovery) -> CompiledRounds | None:
    """The accelerator of a lock-step run, or None if it may not have one."""
    return CompiledRounds(recovery) if can_compile(recovery.run.shards) else None


class _Quiet(logging.Filter):
    def filter(self, record):  # compiled-graph lifecycle chatter
        return False


class Policy:
    """When to compile and when to give a graph up, from the periods of the
    run's rounds (consumer time included: what the user sees)."""

    def __init__(self):
        self.plain_s = 0.0
        self.plain_rounds = 0
        self.window_s = 0.0
        self.window_rounds = 0

    def plain_round(self, seconds: float) -> None:
        self.plain_s += seconds
        self.plain_rounds += 1

    def graph_round(self, seconds: float) -> None:
        self.window_s += seconds
        self.window_rounds += 1

    def should_compile(self, rounds: int) -> bool:
        """After ``rounds`` plain rounds (the timed ones are fewer)."""
        return rounds >= COMPILE_AFTER_ROUNDS and self.plain_s >= expected_compile_s()

    def graph_is_slower(self) -> bool:
        """At the end of each window of ``JUDGE_ROUNDS`` graph rounds: True if
        its rounds took at least as long as the plain rounds did on average.
        A run that compiled before it had timed plain rounds keeps its graph."""
        if self.window_rounds < JUDGE_ROUNDS:
            return False
        slower = (
            self.plain_rounds > 0
            and self.window_s / self.window_rounds >= self.plain_s / self.plain_rounds
        )
        self.window_s, self.window_rounds = 0.0, 0
        return slower


class CompiledRounds:
    """The compiled graph of one lock-step run, and when to use it (the
    interface ``lockstep.LockstepRounds`` calls)."""

    def __init__(self, recovery: Recovery):
        self.recovery = recovery
        self.policy = Policy()
        self.usable = True  # False: plain calls for the rest of the run
        self.rounds = 0  # plain rounds since the run started or was recovered
        self.last_start: float | None = None  # when the round before started
        self.last_graph = False  # did it go through the graph?
        self.graph = None
        self.graph_rounds = 0
        self.graph_bytes = 0
        self.broken = False  # a teardown failed: the workers are not reusable

    @property
    def handles(self) -> list:
        return self.recovery.run.handles

    # -- the interface --------------------------------------------------------
    def before_round(self) -> bool:
        """Called as each round starts: True if it goes through the graph.
        Times the round before; compiles or gives the graph up when due."""
        now = time.perf_counter()
        if self.last_start is not None:
            if self.last_graph:
                self.policy.graph_round(now - self.last_start)
            else:
                self.policy.plain_round(now - self.last_start)
        self.last_start = now
        if self.graph is not None:
            if self.policy.graph_is_slower():
                STATS["slower"] += 1
                self._give_up()
            else:
                self.last_graph = True
                return True
        self.last_graph = False
        if self.usable and self.policy.should_compile(self.rounds) and self._compile():
            self.last_start = None  # the first graph round is not timed
            self.last_graph = True
            return True
        self.rounds += 1
        return False

    def round(self, active: list) -> list | None:
        """One graph round: the answers of the ``active`` shards, or None if
        the graph was lost (the round is then to be asked by plain calls)."""
        blobs = []
        try:
            refs = self.graph.execute(0)
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
            STATS["parked"] += len(parked)
            STATS["large"] += int(large)
            self._give_up()
            for shard in parked:
                answers[shard] = ray.get(self.handles[shard].__ray_call__.remote(_cg_take_parked))
        # The graph asks every worker, ended shards too (they answer ``END``
        # without pulling); keep the active ones' answers.
        return [self.recovery.count(shard, as_batch(answers[shard])) for shard in active]

    def close(self) -> bool:
        """Tear the compiled graph down (idempotent). Returns False if that
        failed, in which case the workers must not be reused."""
        graph, self.graph = self.graph, None
        if graph is None:
            return not self.broken
        ok = self._teardown(graph)
        if not ok:
            self.broken = True
        return ok

    # -- compiling and giving up ----------------------------------------------
    def _give_up(self) -> None:
        """Plain calls for the rest of the run."""
        self.usable = False
        self.close()

    def _compile(self) -> bool:
        global _last_compile_s
        from ray.dag import InputNode, MultiOutputNode

        self.usable = False  # one graph at a time; a recovery may allow another
        quiet = _Quiet()
        logging.getLogger(_CG_LOGGER).addFilter(quiet)
        graph = None
        started = time.perf_counter()
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
            lost = [s for s in dead if not self.recovery.ended[s]]
            if lost:
                self.recovery.lost(lost, dead[lost[0]])
            return False
        finally:
            logging.getLogger(_CG_LOGGER).removeFilter(quiet)
        _last_compile_s = time.perf_counter() - started
        STATS["compiled"] += 1
        self.graph = graph
        self.graph_rounds = 0
        self.graph_bytes = 0
        return True

    def _graph_lost(self, cause: BaseException, lost: list) -> None:
        """The graph failed for a reason other than a user error: tear it
        down, find the shards whose workers are lost, restart them and the
        other active shards (whose answers of this round went with the
        graph). The run goes on with plain calls, and may compile a new graph
        over the new workers as it did the first. With no worker lost,
        ``cause`` is raised."""
        self.close()
        self.usable = False
        lost = sorted(set(lost) | set(self._dead_workers()))
        if not lost:
            self.broken = True
            raise cause
        active = [p for p in range(len(self.handles)) if not self.recovery.ended[p]]
        dead = [s for s in lost if s in active]
        also = [s for s in active if s not in dead]
        self.recovery.lost(dead, cause, also=also)
        if not self.broken:
            self.usable = True
            self.rounds = 0
            self.policy = Policy()
            self.last_start = None
        return None

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

    @staticmethod
    def _teardown(graph) -> bool:
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
