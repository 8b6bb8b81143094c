"""Unit tests of the reference backend itself (its protocol, pool and API
edges). The clause-by-clause judgement lives in the conformance suite."""

from __future__ import annotations

import gc
import itertools
import pickle
import threading

import cloudpickle
import pytest

import reference as it
from reference.pool import POOL, WorkerPool
from reference.worker import ParallelIteratorWorker

pytestmark = pytest.mark.usefixtures("ray_session")


def test_quick_start_line():
    assert list(it.from_items([1, 2, 3, 4, 5], num_shards=2).gather_sync()) == [1, 2, 3, 4, 5]


# -- bad input: clear errors naming the argument (ERR-5) ---------------------
P = it.from_items([1, 2, 3, 4, 5], num_shards=2)


@pytest.mark.parametrize(
    "call, error, argument",
    [
        (lambda: it.from_items([1], num_shards=0), ValueError, "num_shards"),
        (lambda: it.from_items([1], num_shards=1.5), TypeError, "num_shards"),
        (lambda: it.from_items([1], num_shards=True), TypeError, "num_shards"),
        (lambda: it.from_items(5), TypeError, "items"),
        (lambda: it.from_range(-1), ValueError, "n"),
        (lambda: it.from_iterators([]), ValueError, "generators"),
        (lambda: it.from_iterators([3]), TypeError, "generators[0]"),
        (lambda: it.from_iterators([iter([1])], repeat=True), ValueError, "generators[0]"),
        (lambda: it.from_iterators([(x for x in [1])]), TypeError, "generators[0]"),
        (lambda: P.batch(0), ValueError, "n"),
        (lambda: P.batch(-1), ValueError, "n"),
        (lambda: P.for_each(3), TypeError, "fn"),
        (lambda: P.for_each(abs, max_concurrency=-1), ValueError, "max_concurrency"),
        (lambda: P.get_shard(2), IndexError, "shard_index"),
        (lambda: P.get_shard(-1), IndexError, "shard_index"),
        (lambda: P.get_shard("0"), TypeError, "shard_index"),
        (lambda: P.gather_async(batch_ms=-1), ValueError, "batch_ms"),
        (lambda: P.gather_async(num_async=0), ValueError, "num_async"),
        (lambda: P.repartition(0), ValueError, "num_partitions"),
        (lambda: P.select_shards([]), ValueError, "shards_to_keep"),
        (lambda: P.select_shards([5]), IndexError, "shards_to_keep"),
        (lambda: P.union(3), TypeError, "other"),
        (lambda: P.gather_sync().union(3), TypeError, "others"),
        (lambda: P.gather_sync().union(P.gather_sync(), round_robin_weights=[1]), ValueError,
         "round_robin_weights"),
        (lambda: P.take(-1), ValueError, "n"),
        (lambda: P.local_shuffle(0), ValueError, "shuffle_buffer_size"),
        (lambda: P.gather_sync().shuffle(-1), ValueError, "shuffle_buffer_size"),
        (lambda: P.gather_sync().duplicate(1), ValueError, "n"),
        (lambda: iter(P), TypeError, "gather_sync"),
    ],
)
def test_bad_input_is_refused_with_a_named_argument(call, error, argument):
    with pytest.raises(error) as info:
        call()
    assert argument in str(info.value)


# -- the worker protocol ------------------------------------------------------
def test_end_of_stream_is_an_explicit_value(ray_session):
    ray = ray_session
    worker = ray.remote(ParallelIteratorWorker).remote([1, 2, 3], False)
    worker._pi_start.remote(None, [])
    assert ray.get(worker._pi_next.remote(2, 0)) == ([1, 2], False)
    assert ray.get(worker._pi_next.remote(2, 0)) == ([3], False)
    assert ray.get(worker._pi_next.remote(2, 0)) == ([], True)
    assert ray.get(worker._pi_next.remote(2, 0)) == ([], True)
    ray.kill(worker)


def test_a_runs_answers_grow_from_a_few_items_to_the_limit(monkeypatch):
    from reference import worker as w

    # time budgets far beyond the test's, so only the item cap cuts an answer
    monkeypatch.setattr(w, "_BATCH_TIME_BUDGET_S", 60.0)
    monkeypatch.setattr(w, "_MIN_CEILING_S", 60.0)
    worker = ParallelIteratorWorker(list(range(100_000)), False)
    limit = 8 * w.FIRST_ANSWER_ITEMS
    sizes = []
    for _ in range(3):  # every run starts small again
        worker._pi_start(None, [])
        sizes.append([len(worker._pi_next(limit, 0)[0]) for _ in range(6)])
    assert sizes == [[w.FIRST_ANSWER_ITEMS * 2**k for k in range(4)] + [limit, limit]] * 3


def _two_then_fail():
    yield 1
    yield 2
    raise KeyError("source broke")


def test_items_before_an_error_are_returned_first(ray_session):
    ray = ray_session
    worker = ray.remote(ParallelIteratorWorker).remote(_two_then_fail, False)
    worker._pi_start.remote(None, [])
    assert ray.get(worker._pi_next.remote(10, 0)) == ([1, 2], False)
    with pytest.raises(KeyError, match="source broke"):
        ray.get(worker._pi_next.remote(10, 0))
    ray.kill(worker)



def _budgets(worker: ParallelIteratorWorker, waits_s: list[float]) -> list[float]:
    """The time budgets of successive ``batch_ms=0`` requests when each request
    arrives ``waits_s[i]`` after the previous answer left (a synthetic clock)."""
    out, now = [], 100.0
    for i, wait in enumerate(waits_s):
        if i:
            worker._answered_at = now
            now += wait
        out.append(worker._time_budget(now))
        now += out[-1]
    return out


def test_the_time_budget_doubles_up_to_a_ceiling_set_by_the_measured_wait():
    from reference import worker as w

    worker = ParallelIteratorWorker([], False)
    quick = _budgets(worker, [0.0] * 6)  # requests already queued (num_async > 1)
    assert quick[:3] == [w._BATCH_TIME_BUDGET_S, 2 * w._BATCH_TIME_BUDGET_S, 4 * w._BATCH_TIME_BUDGET_S]
    assert quick[-1] == w._MIN_CEILING_S
    worker._pi_reset()
    wait = 3 * w._MIN_CEILING_S / w.IDLE_TO_BUDGET  # a ceiling of 3 x the floor
    slow = _budgets(worker, [wait] * 8)
    assert slow[0] == w._BATCH_TIME_BUDGET_S  # a run's first answer still comes quickly
    assert max(slow) == pytest.approx(w.IDLE_TO_BUDGET * wait)
    assert all(b <= 2 * a + 1e-12 for a, b in itertools.pairwise(slow))
    worker._pi_reset()
    assert max(_budgets(worker, [1.0] * 8)) == w._MAX_CEILING_S
    worker._pi_reset()
    assert _budgets(worker, [0.0])[0] == w._BATCH_TIME_BUDGET_S  # a new run starts over


# -- runs, pool and lifecycle ----------------------------------------------------
def test_idle_pool_stays_bounded_over_many_runs():
    p = it.from_range(20, num_shards=4)
    for _ in range(12):
        assert sorted(p.gather_async()) == list(range(20))
        assert p.take(3) == [0, 5, 10]
    assert POOL.idle_count() <= POOL.max_idle


def test_the_pool_holds_lent_workers_until_their_run_is_released():
    """A run's handles stay reachable from the pool while the run lives, so a
    run collected in a reference cycle cannot finalize them (see pool.py)."""
    lent = POOL.lent_count()
    run = it.from_range(8, num_shards=2).gather_sync()
    next(run)
    assert POOL.lent_count() == lent + 2
    cycle = {"run": run}
    cycle["self"] = cycle
    del run, cycle
    gc.collect()
    assert POOL.lent_count() == lent


def test_the_pool_can_be_reentered_by_a_finalizer():
    """The cyclic garbage collector can run inside any pool method and finalize
    an abandoned run, which releases its workers into the same pool from the
    same thread: that must not deadlock, nor overfill the idle pool."""
    pool = WorkerPool(max_idle=1)  # not POOL: a deadlock here stays here
    first, second = pool.acquire(), pool.acquire()
    finished = threading.Event()

    def release_inside_the_lock():
        with pool._lock:  # as if inside acquire(), where the collector ran
            pool.release(first, healthy=True)
            pool.release(second, healthy=True)
        finished.set()

    threading.Thread(target=release_inside_the_lock, daemon=True).start()
    assert finished.wait(30), "a release re-entered from a finalizer deadlocked"
    assert pool.idle_count() == 1 and pool.lent_count() == 0
    pool.clear()


def test_reused_workers_carry_no_state():
    def bump(x, seen=[]):  # noqa: B006 - the shared default is the point
        seen.append(x)
        return len(seen)

    p = it.from_items(list(range(6)), num_shards=2).for_each(bump)
    first = list(p.gather_sync())
    assert first == list(p.gather_sync()) == [1, 1, 2, 2, 3, 3]


def test_user_error_keeps_its_type_and_ends_the_iterator():
    def boom(x):
        if x == 4:
            raise ValueError("four is bad")
        return x

    gathered = it.from_items([1, 2, 3, 4, 5, 6], num_shards=2).for_each(boom).gather_sync()
    assert [next(gathered) for _ in range(2)] == [1, 2]
    with pytest.raises(ValueError, match="four is bad"):
        list(gathered)
    with pytest.raises(StopIteration):
        next(gathered)


def test_error_behind_a_repartition_keeps_its_type():
    def boom(x):
        if x == 7:
            raise LookupError("seven")
        return x

    p = it.from_range(10, num_shards=2).for_each(boom).repartition(3)
    with pytest.raises(LookupError, match="seven"):
        list(p.gather_sync())


def test_repartition_deals_positions_and_conserves_items():
    p = it.from_items(list(range(23)), num_shards=3).repartition(4)
    parts = [list(s) for s in p.shards()]
    parents = [list(range(23))[i::3] for i in range(3)]
    for j, part in enumerate(parts):
        expected = sorted(x for parent in parents for x in parent[j::4])
        assert sorted(part) == expected
    assert sorted(p.gather_async()) == list(range(23))


def test_from_actors_uses_and_keeps_the_users_actors(ray_session):
    ray = ray_session
    worker_cls = ray.remote(ParallelIteratorWorker)
    actors = [worker_cls.remote(range(i * 10, i * 10 + 3), False) for i in range(2)]
    p = it.from_actors(actors)
    assert repr(p) == "ParallelIterator[from_actors[shards=2]]"
    assert list(p.for_each(lambda x: x + 1).gather_sync()) == [1, 11, 2, 12, 3, 13]
    assert list(p.gather_sync()) == [0, 10, 1, 11, 2, 12]  # still alive, same source
    for a in actors:
        ray.kill(a)


def test_concurrent_for_each_keeps_the_multiset():
    p = it.from_range(12, num_shards=2).for_each(lambda x: x * x, max_concurrency=3)
    assert sorted(p.gather_sync()) == [x * x for x in range(12)]


# -- local side ------------------------------------------------------------------
def test_metrics_are_shared_along_a_local_chain():
    def count(x):
        it.LocalIterator.get_metrics().counters["seen"] += 1
        return it.LocalIterator.get_metrics().counters["seen"]

    assert list(it.from_range(4, num_shards=2).gather_sync().for_each(count).for_each(count)) == [
        2, 4, 6, 8,
    ]
    with pytest.raises(ValueError):
        it.LocalIterator.get_metrics()


def test_local_union_round_robin_weights_and_duplicate():
    a = it.from_items([1, 2, 3, 4], num_shards=1).gather_sync()
    b = it.from_items(["x", "y"], num_shards=1).gather_sync()
    assert list(a.union(b, round_robin_weights=[2, 1])) == [1, 2, "x", 3, 4, "y"]
    left, right = it.from_range(5, num_shards=2).gather_sync().duplicate(2)
    assert [next(left) for _ in range(3)] == [0, 2, 1]
    assert list(right) == [0, 2, 1, 3, 4]
    assert list(left) == [3, 4]


def test_unstarted_local_iterators_pickle_and_started_ones_refuse():
    offset = 100
    local = it.from_range(6, num_shards=3).for_each(lambda x: x + offset).gather_sync()
    local = local.filter(lambda x: x % 2 == 0)
    copy = pickle.loads(cloudpickle.dumps(local))
    assert list(copy) == list(local) == [100, 102, 104]
    started = it.from_range(6).gather_sync()
    next(started)
    with pytest.raises(TypeError, match="started"):
        cloudpickle.dumps(started)


def test_infinite_source_with_take():
    p = it.from_iterators([lambda: itertools.count(), lambda: itertools.count(1000)])
    assert p.take(5) == [0, 1000, 1, 1001, 2]
    assert it.from_items([], num_shards=2, repeat=True).take(3) == []


def test_the_declared_restart_limit_is_the_limit_when_asked():
    """``conformance_restart_limit`` (REC-5) follows ``set_max_restarts()`` made after
    import, and the backend loader sees it as a declared hook."""
    from conformance import backend as backend_mod

    before = it.max_restarts()
    try:
        it.set_max_restarts(before + 2)
        assert it.conformance_restart_limit == before + 2
        assert "conformance_restart_limit" in dir(it)
        assert "conformance_restart_limit" in backend_mod.load("reference").hooks_declared
    finally:
        it.set_max_restarts(before)
    assert it.conformance_restart_limit == before
