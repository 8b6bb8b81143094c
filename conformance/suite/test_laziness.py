"""SPEC §7 Laziness and bounded read-ahead: LAZY-1..8.

User code may run in other processes, so calls and pulls are observed with file
probes (:mod:`conformance.probes`): a counter is a file that grows one byte per event.
"Produced" is measured by a counting identity ``for_each`` as the shard's last
transform, per shard (items carry their shard's tag).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import funcs, probes
from conformance.plugin import examples
from conformance.util import cites, collect_garbage, drain, tagged_lists

SETTLE = 0.2  # seconds given to background work before re-checking a bound


def counted(counter: probes.Counter, fn: Any = None) -> probes.CountCalls:
    return probes.CountCalls(counter, fn)


def _counted_parallel_step(api: Any, pi: Any, kind: str, c: probes.Counter) -> Any:
    """One parallel building step whose user functions (if any) count their calls."""
    if kind == "for_each":
        return pi.for_each(counted(c))
    if kind == "filter":
        return pi.filter(counted(c, bool))
    if kind == "combine":
        return pi.combine(counted(c, lambda x: [x]))
    if kind == "transform":
        return pi.transform(counted(c, lambda it: it))
    if kind == "batch flatten":
        return pi.batch(2).flatten()
    if kind == "local_shuffle":
        return pi.local_shuffle(2, seed=1)
    if kind == "union":
        return pi.union(api.from_range(4, num_shards=1).for_each(counted(c)))
    if kind == "select_shards":
        return pi.select_shards([0])
    return pi.repartition(2)


def _counted_local_step(it: Any, kind: str, c: probes.Counter) -> Any:
    if kind == "for_each":
        return it.for_each(counted(c))
    if kind == "filter":
        return it.filter(counted(c, bool))
    if kind == "combine":
        return it.combine(counted(c, lambda x: [x]))
    if kind == "transform":
        return it.transform(counted(c, lambda it: it))
    if kind == "shuffle":
        return it.shuffle(2, seed=1)
    return it.batch(2).flatten()


PARALLEL_KINDS = (
    "for_each",
    "filter",
    "combine",
    "transform",
    "batch flatten",
    "local_shuffle",
    "union",
    "select_shards",
    "repartition",
)
LOCAL_KINDS = ("for_each", "filter", "combine", "transform", "shuffle", "batch flatten")


@cites("LAZY-1")
@examples(1)
@given(data=st.data())
def test_building_calls_no_user_code(api: Any, tmp_path_factory: Any, data: st.DataObject) -> None:
    """A drawn chain of sources, parallel transforms, unions, select_shards and
    repartitions, then every gather, shards(), get_shard(), drawn chains of local
    transforms, duplicate() and a union of them: building it all calls no user code."""
    c = probes.Counter(tmp_path_factory.mktemp("lazy1"), "calls")
    pi = api.from_items(list(range(6)), num_shards=data.draw(st.integers(1, 4), label="shards"))
    depth = data.draw(st.integers(1, 6), label="number of parallel ops")
    steps = st.lists(st.sampled_from(PARALLEL_KINDS), min_size=depth, max_size=depth)
    for kind in data.draw(steps, label="parallel op"):
        pi = _counted_parallel_step(api, pi, kind, c)
    n = pi.num_shards()
    locals_ = [
        pi.gather_sync(),
        pi.gather_async(),
        pi.batch_across_shards(),
        pi.get_shard(n - 1),
        *pi.shards(),
        pi.repartition(2).gather_async(num_async=2),
    ]
    chained = []
    for it in locals_:
        depth = data.draw(st.integers(0, 4), label="number of local ops")
        steps = st.lists(st.sampled_from(LOCAL_KINDS), min_size=depth, max_size=depth)
        for kind in data.draw(steps, label="local op"):
            it = _counted_local_step(it, kind, c)
        chained.append(it)
    copies = chained[0].duplicate(2)
    unions = chained[1].union(chained[2], deterministic=True)
    assert c.value() == 0, f"{c.value()} calls of user code while building {pi!r}"
    del copies, unions, chained


@cites("LAZY-1")
def test_building_with_user_sources_calls_no_user_code(api: Any, tmp_path: Any) -> None:
    """Source callables and user iterables (their ``__iter__``) are not called while
    building, including repartition and gathers."""
    calls = probes.Counter(tmp_path, "calls")
    pulls = probes.Counter(tmp_path, "pulls")
    pi = api.from_iterators(
        [probes.CountingSource([1, 2], pulls, calls), probes.CountingIterable([3, 4], calls)]
    )
    re = pi.for_each(funcs.identity).repartition(2)
    its = [pi.gather_sync(), re.gather_sync(), re.get_shard(0), pi.gather_async()]
    assert (calls.value(), pulls.value()) == (0, 0), "user source code ran while building"
    assert sorted(drain(its[1])) == [1, 2, 3, 4]


@pytest.fixture(scope="module")
def four(api: Any) -> Any:
    return api.from_items([1, 2, 3, 4], num_shards=2)


@pytest.fixture(scope="module")
def uneven(api: Any) -> Any:
    return api.from_iterators(tagged_lists(["a", "b", "c"], [6, 2, 4]))


@pytest.fixture(scope="module")
def twelve(api: Any) -> Any:
    return api.from_iterators(tagged_lists(["a", "b"], [12, 12]))


#: the ways to start a run of LAZY-2 (its LocalIterator, or take).
LAZY2_GATHERS = ("gather_sync", "gather_async", "batch_across_shards", "get_shard", "shards", "take")


@cites("LAZY-2")
@examples(1)
@given(gather=st.sampled_from(LAZY2_GATHERS))
def test_no_user_code_runs_before_the_first_next(four: Any, tmp_path_factory: Any, gather: str) -> None:
    c = probes.Counter(tmp_path_factory.mktemp("lazy2"), "calls")
    pi = four.for_each(counted(c))
    if gather == "take":
        assert c.value() == 0
        assert pi.take(2) == [1, 2]
        assert c.value() >= 2
        return
    if gather == "get_shard":
        it = pi.get_shard(1)
    elif gather == "shards":
        it = pi.shards()[1]
    else:
        it = getattr(pi, gather)()
    it = it.for_each(counted(c))
    time.sleep(SETTLE)
    assert c.value() == 0, "user code ran before the first next()"
    next(it)
    assert c.value() >= 2


#: gathers whose read-ahead LAZY-4 (the first two) or LAZY-5 (the others) bounds.
READING_GATHERS = ("gather_sync", "batch_across_shards", "get_shard", "gather_async")


def _needed(outputs: int, every: int) -> int:
    """Pulls needed to produce ``outputs`` items through filter(x % every == 0)."""
    return 0 if outputs == 0 else every * (outputs - 1) + 1


@cites("LAZY-3")
@examples(1)
@given(data=st.data())
def test_pulls_are_demand_driven(backend: Any, api: Any, tmp_path_factory: Any, data: st.DataObject) -> None:
    """Through filter(x % every == 0), after k deliveries a shard has pulled no more
    than needed for the items it may have been asked for: k + 1 under gather_sync and
    batch_across_shards (LAZY-4), k + (num_async + 1) * B - 1 under get_shard and
    gather_async (LAZY-5); checked after every delivery, after a pause at drawn ones."""
    gather = data.draw(st.sampled_from(READING_GATHERS), label="gather")
    num_async = data.draw(st.integers(1, 3), label="num_async")
    every = data.draw(st.integers(1, 4), label="every")
    deliveries = data.draw(st.integers(1, 8), label="ending")
    pauses = data.draw(st.sets(st.integers(1, deliveries), max_size=2), label="position")
    pulls = probes.Counter(tmp_path_factory.mktemp("lazy3"), "pulls")
    pi = api.from_iterators([probes.CountingSource(range(100), pulls)]).filter(_MultipleOf(every))
    if gather == "get_shard":
        it = pi.get_shard(0, num_async=num_async)
    elif gather == "gather_async":
        it = pi.gather_async(num_async=num_async)
    else:
        it = getattr(pi, gather)()
    asynchronous = gather in ("get_shard", "gather_async")
    slack = (num_async + 1) * backend.async_batch_limit - 1 if asynchronous else 1
    for k in range(1, deliveries + 1):
        got = next(it)
        assert got == ([every * (k - 1)] if gather == "batch_across_shards" else every * (k - 1))
        if k in pauses:
            time.sleep(SETTLE)
        assert pulls.value() <= _needed(k + slack, every), f"{pulls.value()} pulls after {k} items"


class _MultipleOf:
    """filter: keep multiples of ``every``."""

    def __init__(self, every: int) -> None:
        self.every = every

    def __call__(self, x: int) -> bool:
        return x % self.every == 0


def _check_bound(
    produced: probes.Counters, delivered: dict[str, int], tags: list[str], slack: int, when: str
) -> None:
    for t in tags:
        p, d = produced[t].value(), delivered.get(t, 0)
        assert p <= d + slack, f"shard {t}: produced {p} > delivered {d} + {slack} ({when})"


@cites("LAZY-4")
@pytest.mark.parametrize("gather", ["gather_sync", "batch_across_shards"])
def test_gather_sync_reads_ahead_at_most_one_round(uneven: Any, tmp_path: Any, gather: str) -> None:
    tags = ["a", "b", "c"]
    produced = probes.Counters(tmp_path)
    pi = uneven.for_each(probes.CountPerShard(produced))
    it = getattr(pi, gather)()
    delivered: dict[str, int] = {}
    for step in range(12):
        try:
            got = next(it)
        except StopIteration:
            break
        for item in got if gather == "batch_across_shards" else [got]:
            delivered[item[0]] = delivered.get(item[0], 0) + 1
        if step in (0, 3):
            time.sleep(SETTLE)
        _check_bound(produced, delivered, tags, 1, f"after {step + 1} next() calls")
    assert delivered == {"a": 6, "b": 2, "c": 4}


def _read_async(pi: Any, gather: str, num_async: int) -> tuple[Any, list[str]]:
    """``gather_async`` over shards "a" and "b", or ``get_shard(1)`` (shard "b"),
    with ``batch_ms=0``; returns the iterator and the tags it reads."""
    if gather == "gather_async":
        return pi.gather_async(batch_ms=0, num_async=num_async), ["a", "b"]
    return pi.get_shard(1, batch_ms=0, num_async=num_async), ["b"]


@cites("LAZY-5")
@pytest.mark.parametrize("num_async", [1, 2, 3])
@pytest.mark.parametrize("gather", ["gather_async", "get_shard"])
def test_async_read_ahead_is_bounded(
    backend: Any, twelve: Any, tmp_path: Any, num_async: int, gather: str
) -> None:
    produced = probes.Counters(tmp_path)
    pi = twelve.for_each(probes.CountPerShard(produced))
    it, read = _read_async(pi, gather, num_async)
    slack = (num_async + 1) * backend.async_batch_limit - 1
    delivered: dict[str, int] = {}
    for step in range(6):
        item = next(it)
        delivered[item[0]] = delivered.get(item[0], 0) + 1
        if step in (0, 4):
            time.sleep(SETTLE)
        _check_bound(produced, delivered, read, slack, f"after {step + 1} next() calls")
    if gather == "get_shard":
        assert produced["a"].value() == 0, "get_shard(1) ran shard 0"


@cites("LAZY-5")
@pytest.mark.parametrize("num_async", [1, 3])
@pytest.mark.parametrize("gather", ["gather_async", "get_shard"])
def test_async_read_ahead_is_bounded_on_unbounded_shards(
    backend: Any, api: Any, tmp_path: Any, num_async: int, gather: str
) -> None:
    """Shards that never end, so a backend reading ahead further than
    ``(num_async + 1) * B - 1`` items has the items to do it with."""
    produced = probes.Counters(tmp_path)
    pi = api.from_iterators([probes.CountingCount(t, produced[t]) for t in ("a", "b")])
    it, read = _read_async(pi, gather, num_async)
    slack = (num_async + 1) * backend.async_batch_limit - 1
    delivered: dict[str, int] = {}
    for step in range(3 * backend.async_batch_limit + 3):
        item = next(it)
        delivered[item[0]] = delivered.get(item[0], 0) + 1
        if step in (0, 2 * backend.async_batch_limit):
            time.sleep(SETTLE)
            _check_bound(produced, delivered, read, slack, f"after {step + 1} next() calls")
    time.sleep(SETTLE)
    _check_bound(produced, delivered, read, slack, "at the end")
    if gather == "get_shard":
        assert produced["a"].value() == 0, "get_shard(1) ran shard 0"


@cites("LAZY-6")
@examples(1)
@given(data=st.data())
def test_infinite_sources_work_with_take(
    backend: Any, api: Any, tmp_path_factory: Any, data: st.DataObject
) -> None:
    """take(n) under a drawn gather of two unbounded shards returns, having produced a
    bounded number of items per shard: at most the read-ahead of LAZY-4 / LAZY-5
    beyond what was delivered."""
    gather = data.draw(st.sampled_from(READING_GATHERS), label="gather")
    num_async = data.draw(st.integers(1, 3), label="num_async")
    n = data.draw(st.integers(1, 10), label="n")
    counters = probes.Counters(tmp_path_factory.mktemp("lazy6"))
    pi = api.from_iterators([probes.CountingCount("a", counters["a"]), funcs.Count()])
    if gather == "gather_async":
        it = pi.gather_async(num_async=num_async)
    elif gather == "get_shard":
        it = pi.get_shard(0, num_async=num_async)
    else:
        it = getattr(pi, gather)()
    got = it.take(n)
    assert len(got) == n
    rounds = [[("a", i), i] for i in range(n)]  # ORD-3 / ORD-4 over the two shards
    if gather == "gather_sync":
        assert got == [x for r in rounds for x in r][:n]
    elif gather == "batch_across_shards":
        assert got == rounds
    elif gather == "get_shard":
        assert got == [("a", i) for i in range(n)]
    flat = [x for r in got for x in r] if gather == "batch_across_shards" else got
    tagged = [x for x in flat if isinstance(x, tuple)]
    assert tagged == [("a", i) for i in range(len(tagged))]
    time.sleep(SETTLE)
    asynchronous = gather in ("gather_async", "get_shard")
    slack = (num_async + 1) * backend.async_batch_limit - 1 if asynchronous else 1
    assert counters["a"].value() <= len(tagged) + slack, "unbounded production for a bounded take"


@cites("LAZY-6", "SRC-6")
def test_repeating_sources_work_with_take(api: Any) -> None:
    assert api.from_range(3, num_shards=1, repeat=True).take(8) == [0, 1, 2, 0, 1, 2, 0, 1]
    got = api.from_items(["x", "y"], num_shards=2, repeat=True).gather_async().take(6)
    assert len(got) == 6 and set(got) <= {"x", "y"}


@cites("LAZY-7", "LIFE-1")
@pytest.mark.timeout(60)
@pytest.mark.parametrize("gather", ["gather_sync", "gather_async", "get_shard"])
def test_abandoning_an_iterator_stops_its_pulls(backend: Any, api: Any, tmp_path: Any, gather: str) -> None:
    counters = probes.Counters(tmp_path)
    pi = api.from_iterators([probes.CountingCount(t, counters[t]) for t in ("a", "b")])
    if gather == "gather_sync":
        it = pi.gather_sync()
    elif gather == "gather_async":
        it = pi.gather_async(num_async=3)
    else:
        it = pi.get_shard(0, num_async=3)
    for _ in range(3):
        next(it)
    del it
    collect_garbage()
    value, settled = probes.wait_until_stable(counters.total, settle=0.5, deadline=5.0)
    assert settled, f"still pulling 5 s after the iterator was dropped ({value} pulls)"
    time.sleep(1.0)
    assert counters.total() == value, "pulling resumed after it had stopped"
    assert value <= 3 + 2 * 4 * backend.async_batch_limit, f"{value} pulls for 3 items taken"


@cites("LAZY-8")
def test_building_starts_no_processes(api: Any) -> None:
    """SHOULD: building (without next()) starts no process.  Measured as new
    descendant processes of this test process (a Ray instance the session started is
    one), other than idle Ray workers; processes of a cluster joined through
    RAY_ADDRESS are not seen."""
    psutil = pytest.importorskip("psutil")
    me = psutil.Process()

    def descendants() -> set[int]:
        return {p.pid for p in me.children(recursive=True)}

    before = descendants()
    pis = [api.from_items(list(range(6)), num_shards=3).for_each(funcs.identity) for _ in range(2)]
    its = [pi.gather_sync() for pi in pis]
    time.sleep(1.5)
    new = []
    for pid in descendants() - before:
        try:
            cmd = " ".join(psutil.Process(pid).cmdline())
        except psutil.Error:
            continue
        if "ray::IDLE" not in cmd:
            new.append(cmd[:80])
    assert not new, f"building started processes: {new}"
    del its
