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

* a run whose length is bounded by its plan (every source a sized iterable,
  no operator that can add items: :func:`rounds_bound`) compiles only if the
  rounds it has left can repay the compile: ``remaining rounds x (plain round
  - graph round) > compile``, with the duration of the last compile in this
  process, the best median graph round of this process, and for the plain
  round the median of the run's own plain rounds or, if less, the best such
  median of this process over as many shards (or over ``k`` times fewer,
  times ``k``): a graph saves calls, not the user's work, so rounds of slow
  user functions save no more than rounds of cheap ones.
  The saving must be at least ``REPAY_FACTOR`` times the compile: the
  compile's measured duration leaves out the teardown, the judging window
  and the graphs that turn out slow. Before any compile in this process it
  needs ``COMPILE_AFTER_ROUNDS`` plain rounds behind it and
  ``FIRST_COMPILE_REMAINING`` rounds ahead;
* a run whose first plain rounds carry large items (NumPy arrays, bytes,
  strings: anything with ``nbytes`` or a length in bytes) never compiles:
  ``LARGE_ROUND_BYTES`` below;
* a run of unknown length compiles once its plain rounds have taken as long
  as compiling is expected to take -- the duration of the last compile in
  this process (before any, after ``COMPILE_AFTER_ROUNDS`` plain rounds). A
  long run then spends at most as long on plain rounds as on the compile;
* a graph whose rounds turn out no faster than the run's plain rounds (slow
  user functions, whose CPU time its polling channels take; a busy machine;
  large items) is torn down after ``JUDGE_ROUNDS`` rounds, and the run goes on
  with plain calls for the rest of the run. So a graph that loses costs one
  compile and a few rounds. (A graph sometimes runs several times slower
  than usual for its whole life -- rounds of 3-4 ms instead of 0.2 ms, about
  one graph in five on two cores -- and a second one often does not; a
  second compile was measured to lose more than it won beside other load.)
  Rounds are compared by their medians: one round held up by the machine (a
  collection, a neighbour's burst) must not decide.

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
import statistics
import time
from collections import deque

import ray
from ray import cloudpickle
from ray.exceptions import RayTaskError

from .errors import is_lost_work
from .operators import Batch, ConcurrentForEach, Filter, ForEach, Shuffle
from .recovery import Recovery
from .sources import ActorSource, IterableSource
from .worker import as_batch

#: Whether runs may use compiled graphs at all. Environment variable
#: ``REFERENCE_COMPILED_ROUNDS`` (``0``: never).
ENABLED = os.environ.get("REFERENCE_COMPILED_ROUNDS", "1") != "0"

#: Plain rounds a run has before it may compile, whatever else is known.
#: Environment variable ``REFERENCE_COMPILE_AFTER_ROUNDS``.
COMPILE_AFTER_ROUNDS = int(os.environ.get("REFERENCE_COMPILE_AFTER_ROUNDS", "128"))

#: Rounds a run of known length must have left for the first compile of this
#: process (no compile cost measured yet). Environment variable
#: ``REFERENCE_FIRST_COMPILE_REMAINING``.
FIRST_COMPILE_REMAINING = int(os.environ.get("REFERENCE_FIRST_COMPILE_REMAINING", "512"))

#: How many times its compile a run of known length must expect to save.
REPAY_FACTOR = 2

#: Timed plain rounds a run of known length needs before it may compile (their
#: median is its plain round time).
MIN_TIMED_ROUNDS = 32

#: Graph rounds over which a graph is judged against the run's plain rounds
#: (their medians: a slow graph is several times slower, not a little).
JUDGE_ROUNDS = 32

#: Plain round times a run keeps (the most recent) for their median.
_PLAIN_KEPT = 512

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

#: The lowest median seconds per graph round of the graphs of this process
#: that were kept: what a graph round costs when nothing holds it up.
_best_graph_round_s: float | None = None

#: The lowest median plain round of the runs of this process, by number of
#: shards: what a plain round costs when the user's functions cost nothing.
_best_plain_round_s: dict[int, float] = {}

#: A run of known length reconsiders compiling every this many plain rounds.
_DECIDE_EVERY = 8

#: Operators that never add items: a shard yields at most as many items as
#: its source has.
_NOT_EXPANDING = (ForEach, ConcurrentForEach, Filter, Batch, Shuffle)


def expected_compile_s() -> float:
    """How long compiling is expected to take: the last compile's duration in
    this process, 0 before any (then ``COMPILE_AFTER_ROUNDS`` decides)."""
    return _last_compile_s or 0.0


def rounds_bound(shards) -> int | None:
    """At most how many rounds a lock-step run over ``shards`` has: the
    longest shard's source length, when every source is a sized, not
    repeating iterable and no operator can add items; else None."""
    longest = 0
    for shard in shards:
        source = shard.source
        if not isinstance(source, IterableSource) or source.repeat or callable(source.obj):
            return None
        if not all(isinstance(op, _NOT_EXPANDING) for op in shard.operators):
            return None
        try:
            longest = max(longest, len(source.obj))
        except TypeError:  # not sized
            return None
    return longest


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


def _nbytes(item) -> int:
    """The size of ``item``'s data where it says (``nbytes``: NumPy arrays and
    the like; ``bytes``, ``str``), else 0."""
    if isinstance(item, bytes | bytearray | memoryview | str):
        return len(item)
    size = getattr(item, "nbytes", 0)
    return size if isinstance(size, int) else 0


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
    run's rounds (consumer time included: what the user sees) and, for a
    run of known length, its ``bound`` on rounds."""

    def __init__(self, bound: int | None = None, width: int = 0):
        self.bound = bound
        self.width = width  # shards
        self.plain_s = 0.0
        self.plain_rounds = 0
        self.plain_times: deque[float] = deque(maxlen=_PLAIN_KEPT)
        self.window: list[float] = []

    def plain_round(self, seconds: float) -> None:
        self.plain_s += seconds
        self.plain_rounds += 1
        self.plain_times.append(seconds)

    def graph_round(self, seconds: float) -> None:
        self.window.append(seconds)

    def should_compile(self, rounds: int, done: int) -> bool:
        """After ``rounds`` plain rounds since the run started or recovered
        (the timed ones are fewer), ``done`` rounds in all."""
        if self.bound is None:
            return rounds >= COMPILE_AFTER_ROUNDS and self.plain_s >= expected_compile_s()
        remaining = self.bound - done
        if _last_compile_s is None:
            return rounds >= COMPILE_AFTER_ROUNDS and remaining >= FIRST_COMPILE_REMAINING
        if len(self.plain_times) < MIN_TIMED_ROUNDS or self.plain_rounds % _DECIDE_EVERY:
            return False
        plain = statistics.median(self.plain_times)
        _best_plain_round_s[self.width] = min(plain, _best_plain_round_s.get(self.width, plain))
        # a round's calls grow with its shards: a best round over fewer shards,
        # scaled up, bounds this one too
        plain = min(best * max(1.0, self.width / width) for width, best in _best_plain_round_s.items())
        saved = plain - (_best_graph_round_s or 0.0)
        return remaining * saved > REPAY_FACTOR * _last_compile_s

    def graph_is_slower(self) -> bool:
        """At the end of each window of ``JUDGE_ROUNDS`` graph rounds: True if
        their median is at least the median plain round. A run that compiled
        before it had timed plain rounds keeps its graph."""
        global _best_graph_round_s
        if len(self.window) < JUDGE_ROUNDS:
            return False
        graph = statistics.median(self.window)
        self.window = []
        slower = bool(self.plain_times) and graph >= statistics.median(self.plain_times)
        if not slower:  # a slow graph says nothing about what the next one costs
            _best_graph_round_s = min(graph, _best_graph_round_s or graph)
        return slower


class CompiledRounds:
    """The compiled graph of one lock-step run, and when to use it (the
    interface ``lockstep.LockstepRounds`` calls)."""

    def __init__(self, recovery: Recovery):
        self.recovery = recovery
        self.bound = rounds_bound(recovery.run.shards)
        self.policy = Policy(self.bound, len(recovery.run.shards))
        self.usable = True  # False: plain calls for the rest of the run
        self.rounds = 0  # plain rounds since the run started or was recovered
        self.done = 0  # rounds since the run started, however asked
        self.last_start: float | None = None  # when the round before started
        self.last_graph = False  # did it go through the graph?
        self.graph = None
        self.graph_rounds = 0
        self.graph_bytes = 0
        self.plain_bytes = 0  # in the first plain rounds, as far as known
        self.sized = 0  # plain rounds sized
        self.broken = False  # a teardown failed: the workers are not reusable

    @property
    def handles(self) -> list:
        return self.recovery.run.handles

    # -- the interface --------------------------------------------------------
    def before_round(self) -> bool:
        """Called as each round starts: True if it goes through the graph.
        Times the round before; compiles or gives the graph up when due."""
        now = time.perf_counter()
        self.done += 1
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
        if self.usable and self.policy.should_compile(self.rounds, self.done - 1) and self._compile():
            self.last_start = None  # the first graph round is not timed
            self.last_graph = True
            return True
        self.rounds += 1
        return False

    def plain_answers(self, answers: list) -> None:
        """Called with the answers of each plain round (``(items, ended)`` per
        shard): the first ``_SIZE_PROBE_ROUNDS`` are sized, and a run whose
        rounds are large never compiles."""
        if not self.usable or self.sized >= _SIZE_PROBE_ROUNDS:
            return
        self.sized += 1
        self.plain_bytes += sum(_nbytes(item) for items, _ in answers for item in items)
        if self.sized == _SIZE_PROBE_ROUNDS and self.plain_bytes > LARGE_ROUND_BYTES * self.sized:
            STATS["large"] += 1
            self.usable = False

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
            self.policy = Policy(self.bound, len(self.handles))
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
