"""SPEC §14 Recovery: REC-1..REC-7 (REC-4 is a MAY and has no test).

Every test kills a shard's process from inside: user code
(:class:`conformance.recovery_funcs.DieAt`) calls ``os._exit`` the first time it
reaches a chosen item, after writing the death to a log in the test's own
directory, so that the replay of that item in a new process lets it pass.  The
test then compares what the consumer received with what the same plan gives
when nothing dies -- the same plan with a ``DieAt`` that never fires
(``times=0``) -- and checks from the log that the death did happen.

The tests need the ``recovery`` capability (BACK-4) and are skipped, with the
reason, for a backend that does not declare it: ``ray.util.iter``, and the
model, which runs user code in the consumer's own process and so has no shard
process to lose (ending it would end the test run).  Nothing here needs a
backend's internals: the restart limit is the backend's declared
``conformance_restart_limit`` (BACK-3, default 3).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from conformance import checks, model, oracle, pipeline, strategies
from conformance.plugin import examples
from conformance.probes import Counters
from conformance.recovery_funcs import CountPerProcess, Deaths, DieAt, DyingSource, produced_per_process
from conformance.util import cites, collect_until_error, drain, needs, per_tag, tagged_lists

pytestmark = [needs("recovery"), pytest.mark.timeout(150)]

#: ERR-6's bound, which REC-5 applies to the death after the last restart.
DEATH_BOUND_S = 30
DEFAULT_RESTART_LIMIT = 3

LISTS = tagged_lists(["a", "b", "c"], [7, 7, 7])
#: the item whose first computation ends its process: shard 1, position 3
VICTIM = ("b", 3)


def _die(directory: Path, value: Any = VICTIM, times: int | None = 1) -> DieAt:
    return DieAt(value, directory, os.getpid(), times)


def _never(directory: Path) -> DieAt:
    """The same function, that never fires: the plan of a run without a death."""
    return _die(directory, times=0)


def _deaths(directory: Path) -> int:
    return Deaths(directory).count()


def _restart_limit(api: Any) -> int:
    return int(getattr(api, "conformance_restart_limit", DEFAULT_RESTART_LIMIT))


def _read(pi: Any, gather: str) -> Any:
    """Run ``pi`` through one way of reading it; ``shards`` gives a list per shard."""
    if gather == "gather_sync":
        return drain(pi.gather_sync())
    if gather == "batch_across_shards":
        return drain(pi.batch_across_shards())
    if gather.startswith("gather_async"):
        _, batch_ms, num_async = gather.split(":")
        return drain(pi.gather_async(batch_ms=int(batch_ms), num_async=int(num_async)))
    if gather.startswith("get_shard"):
        return drain(pi.get_shard(int(gather.split(":")[1])))
    if gather == "shards":
        return [drain(s) for s in pi.shards()]
    if gather.startswith("take"):
        return pi.take(int(gather.split(":")[1]))
    raise ValueError(gather)


def _same(gather: str, got: Any, expected: Any) -> None:
    """``got`` is what a run without a death could deliver, ``expected`` being one
    such run (REC-3): the same list, or per shard the same list for gather_async."""
    if gather.startswith("gather_async"):
        assert per_tag(got) == per_tag(expected), f"per-shard order differs:\n{got}\n{expected}"
        assert len(got) == len(expected), f"{len(got)} items instead of {len(expected)}"
    else:
        assert got == expected, f"after the death:\n{got}\nwithout a death:\n{expected}"


GATHERS = [
    "gather_sync",
    "batch_across_shards",
    "gather_async:0:1",
    "gather_async:0:3",
    "gather_async:20:2",
    "get_shard:1",
    "shards",
    "take:15",
]


@cites("REC-2", "REC-3")
@pytest.mark.parametrize("gather", GATHERS)
def test_a_dead_shard_worker_is_replaced_and_resumed(api: Any, tmp_path: Path, gather: str) -> None:
    pi = api.from_iterators(LISTS)
    expected = _read(pi.for_each(_never(tmp_path)), gather)
    got = _read(pi.for_each(_die(tmp_path)), gather)
    assert _deaths(tmp_path) == 1, "the shard's process never died: the test proves nothing"
    _same(gather, got, expected)


@cites("REC-2", "REC-3")
@pytest.mark.parametrize("victim", [("b", 0), ("c", 6)], ids=["first-item", "last-item"])
def test_a_death_at_either_end_of_a_shard(api: Any, tmp_path: Path, victim: Any) -> None:
    pi = api.from_iterators(LISTS)
    expected = drain(pi.gather_sync())
    got = drain(pi.for_each(_die(tmp_path, victim)).gather_sync())
    assert _deaths(tmp_path) == 1
    assert got == expected


@cites("REC-1", "REC-2", "REC-3")
@pytest.mark.parametrize("source", ["from_items", "from_range", "callable", "dying_callable", "reiterable"])
def test_every_replayable_source_is_recovered(api: Any, tmp_path: Path, source: str) -> None:
    die = _die(tmp_path, 13)
    if source == "from_items":
        pi = api.from_items(list(range(20)), num_shards=3).for_each(die)
    elif source == "from_range":
        pi = api.from_range(20, num_shards=3).for_each(die)
    elif source == "callable":
        pi = api.from_iterators([range(0, 10), _Items(range(10, 20))]).for_each(die)
    elif source == "dying_callable":  # the source's own code ends the process
        pi = api.from_iterators([range(0, 10), DyingSource(range(10, 20), die)])
    else:
        pi = api.from_iterators([list(range(0, 10)), tuple(range(10, 20))]).for_each(die)
    expected = sorted(range(20))
    got = drain(pi.gather_sync())
    assert _deaths(tmp_path) == 1
    assert sorted(got) == expected and len(got) == 20, got
    assert got == drain(pi.for_each(_never(tmp_path)).gather_sync())


class _Items:
    """A zero-argument source callable returning a fresh iterator over ``items``."""

    def __init__(self, items: Any) -> None:
        self.items = list(items)

    def __call__(self) -> Any:
        return iter(self.items)


@cites("REC-1", "REC-2", "REC-3")
def test_a_repeating_source_is_recovered_under_take(api: Any, tmp_path: Path) -> None:
    pi = api.from_items(list(range(10)), num_shards=2, repeat=True)
    expected = pi.take(25)
    got = pi.for_each(_die(tmp_path, 7)).take(25)
    assert _deaths(tmp_path) == 1
    assert got == expected


@cites("REC-2", "REC-3")
@pytest.mark.parametrize("gather", ["gather_sync", "get_shard:3", "gather_async:0:2"])
def test_recovery_through_union(api: Any, tmp_path: Path, gather: str) -> None:
    """Shard 3 of the union is shard 1 of its right-hand side."""
    left = api.from_iterators(tagged_lists(["x", "y"], [4, 4]))
    right = api.from_iterators(LISTS)
    expected = _read(left.union(right.for_each(_never(tmp_path))), gather)
    got = _read(left.union(right.for_each(_die(tmp_path))), gather)
    assert _deaths(tmp_path) == 1
    _same(gather, got, expected)


@cites("REC-2", "REC-3")
@pytest.mark.parametrize("batch_first", [True, False], ids=["batch-then-die", "die-then-batch"])
def test_recovery_of_batched_shards(api: Any, tmp_path: Path, batch_first: bool) -> None:
    pi = api.from_iterators(LISTS)
    if batch_first:
        victim = [("b", 3), ("b", 4), ("b", 5)]
        expected = drain(pi.batch(3).gather_sync())
        got = drain(pi.batch(3).for_each(_die(tmp_path, victim)).gather_sync())
    else:
        expected = drain(pi.batch(3).gather_sync())
        got = drain(pi.for_each(_die(tmp_path)).batch(3).gather_sync())
    assert _deaths(tmp_path) == 1
    assert got == expected


def _partitions(n: int, lists: list[list[Any]] = LISTS) -> list[list[list[Any]]]:
    """SHARD-10's chains: partition ``j`` interleaves ``parent[j::n]`` of every parent."""
    return [[parent[j::n] for parent in lists] for j in range(n)]


@cites("REC-2", "REC-3")
@pytest.mark.parametrize("where", ["parent", "partition"])
@pytest.mark.parametrize("gather", ["gather_sync", "shards", "gather_async:0:1"])
def test_recovery_through_repartition(api: Any, tmp_path: Path, where: str, gather: str) -> None:
    """A worker of a repartitioned shard, or of a partition, dies: every partition
    still gets exactly its items, each parent's in order (SHARD-10)."""
    pi = api.from_iterators(LISTS)
    if where == "parent":
        pi = pi.for_each(_die(tmp_path)).repartition(2)
    else:
        pi = pi.repartition(2).for_each(_die(tmp_path))
    got = _read(pi, gather)
    assert _deaths(tmp_path) == 1
    parts = _partitions(2)
    if gather == "shards":
        for j, (part, chains) in enumerate(zip(got, parts, strict=True)):
            checks.check_merge(part, chains, what=f"partition {j}")
    elif gather == "gather_sync":
        checks.check_round_robin(got, parts)
    else:
        checks.check_merge(got, [c for chains in parts for c in chains])


@cites("REC-5")
@pytest.mark.timeout(240)
@pytest.mark.parametrize("gather", ["gather_sync", "gather_async:0:1", "get_shard:1"])
def test_a_death_on_every_replay_ends_in_an_error(api: Any, tmp_path: Path, gather: str) -> None:
    """The item kills every process that reaches it -- up to a few more times than
    the backend may restart, so a backend that restarts without end finishes the
    run instead of hanging, and fails the test."""
    limit = _restart_limit(api)
    pi = api.from_iterators(LISTS).for_each(_die(tmp_path, times=limit + 3))
    it = pi.get_shard(1) if gather.startswith("get_shard") else _iterator(pi, gather)
    start = time.monotonic()
    delivered, exc = collect_until_error(it)
    elapsed = time.monotonic() - start
    deaths = Deaths(tmp_path)
    assert exc is not None, (
        f"no error after {deaths.count()} deaths (restart limit {limit}): delivered {delivered}"
    )
    assert deaths.count() == limit + 1, f"{deaths.count()} deaths for a restart limit of {limit}: {exc}"
    assert "shard 1" in str(exc), f"the error does not name the shard: {type(exc).__name__}: {exc}"
    assert f"{limit} restart" in str(exc), f"the error does not say {limit} restarts: {exc}"
    since_last = time.time() - max(deaths.times())
    assert since_last <= DEATH_BOUND_S + 5, f"the error came {since_last:.1f} s after the last death"
    assert elapsed <= DEATH_BOUND_S * (limit + 1), f"the run took {elapsed:.1f} s"
    shard_1 = [x for x in delivered if x[0] == "b"]
    assert shard_1 == [("b", i) for i in range(len(shard_1))] and len(shard_1) <= 3, delivered


def _iterator(pi: Any, gather: str) -> Any:
    if gather.startswith("gather_async"):
        _, batch_ms, num_async = gather.split(":")
        return pi.gather_async(batch_ms=int(batch_ms), num_async=int(num_async))
    return getattr(pi, gather)()


@cites("REC-6")
def test_a_one_shot_iterator_shard_is_not_restarted(api: Any, tmp_path: Path) -> None:
    pi = api.from_iterators([iter(LISTS[0]), iter(LISTS[1])]).for_each(_die(tmp_path))
    delivered, exc = collect_until_error(pi.gather_sync())
    assert exc is not None, f"the stream went on after the death: {delivered}"
    assert "shard 1" in str(exc), f"the error does not name the shard: {type(exc).__name__}: {exc}"
    assert _deaths(tmp_path) == 1


@cites("REC-6")
@needs("from_actors", "ray")
def test_a_user_actor_shard_is_not_restarted(api: Any, tmp_path: Path) -> None:
    import ray

    worker = ray.remote(api.ParallelIteratorWorker)
    actors = [worker.remote(items, False) for items in LISTS[:2]]
    try:
        pi = api.from_actors(actors).for_each(_die(tmp_path))
        delivered, exc = collect_until_error(pi.gather_sync())
        assert exc is not None, f"the stream went on after the death: {delivered}"
        assert "shard 1" in str(exc), f"the error does not name the shard: {type(exc).__name__}: {exc}"
        assert _deaths(tmp_path) == 1
    finally:
        for actor in actors:
            ray.kill(actor)


@cites("REC-7")
@pytest.mark.parametrize("gather", ["gather_sync", "gather_async:0:2"])
def test_the_new_worker_reads_ahead_no_more_than_lazy_4_and_5_allow(
    backend: Any, api: Any, tmp_path: Path, gather: str
) -> None:
    produced = Counters(tmp_path / "produced")
    (tmp_path / "produced").mkdir()
    pi = api.from_iterators(LISTS).for_each(_die(tmp_path)).for_each(CountPerProcess(produced))
    it = _iterator(pi, gather)
    slack = 1 if gather == "gather_sync" else (2 + 1) * backend.async_batch_limit - 1
    delivered: dict[str, int] = {}
    dead = Deaths(tmp_path)
    while True:
        try:
            item = next(it)
        except StopIteration:
            break
        delivered[item[0]] = delivered.get(item[0], 0) + 1
        counts = produced_per_process(produced)
        for (tag, pid), count in counts.items():
            if pid in dead.pids():
                continue
            assert count <= delivered.get(tag, 0) + slack, (
                f"shard {tag}: process {pid} produced {count} items with {delivered.get(tag, 0)} "
                f"delivered (bound: delivered + {slack}); deaths: {dead.pids()}"
            )
    assert dead.count() == 1
    assert delivered == {"a": 7, "b": 7, "c": 7}
    new = [pid for (tag, pid) in produced_per_process(produced) if tag == "b" and pid not in dead.pids()]
    assert new, "no new process produced shard 1's items"


# -- random plans ------------------------------------------------------------------------


def _deterministic(plan: pipeline.Plan) -> bool:
    """No unseeded local_shuffle anywhere in the plan, union parts included (REC-1)."""
    for op in plan.ops:
        if op.name == "local_shuffle" and dict(op.kwargs).get("seed") is None:
            return False
        if op.name == "for_each" and dict(op.kwargs).get("max_concurrency", 1) != 1:
            return False
        for arg in op.args:
            if isinstance(arg, pipeline.Plan) and not _deterministic(arg):
                return False
    return True


def _items_at(plan: pipeline.Plan) -> list[Any]:
    """Every item that flows out of ``plan``'s shards (from the model's oracle)."""
    return [x for shard in oracle.expected_shards(plan.build(model)) for chain in shard for x in chain]


@cites("REC-2", "REC-3")
@examples(1.0)
@given(data=st.data())
def test_random_plans_with_a_death_deliver_what_a_run_without_one_does(
    backend: Any, data: st.DataObject
) -> None:
    """A random deterministic pipeline; its process dies once, at a random item
    after a random number of its parallel steps; the output is checked against the
    model's expectation for the pipeline without the death."""
    p = data.draw(
        strategies.pipelines(max_items=12, max_shards=4, max_actors=5, max_ops=3, capabilities=()),
        label="pipeline",
    )
    assume(_deterministic(p.plan))
    try:
        expected = pipeline.expectation(p)
    except oracle.Undetermined:
        assume(False)
    at = data.draw(st.integers(0, len(p.plan.ops)), label="steps before the death")
    before = pipeline.Plan(p.plan.source, p.plan.ops[:at])
    try:
        candidates = _items_at(before)
    except oracle.Undetermined:
        candidates = []
    assume(candidates)
    victim = data.draw(st.sampled_from(candidates), label="item whose process dies")
    with tempfile.TemporaryDirectory() as directory:
        die = pipeline.Op("for_each", (_die(Path(directory), victim),))
        plan = pipeline.Plan(p.plan.source, p.plan.ops[:at] + (die,) + p.plan.ops[at:])
        note(f"with the death: {plan!r}")
        actual = p.run(backend.api, plan.build(backend.api))
        deaths = _deaths(Path(directory))
    note(f"deaths: {deaths}; expected: {expected}; got: {actual!r}")
    assert deaths <= 1
    pipeline.verify(expected, actual)
