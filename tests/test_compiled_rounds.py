"""Lock-step rounds (``gather_sync``/``batch_across_shards``) on both paths:
through a Ray compiled graph (reference/compiled_rounds.py) and on plain
calls alone, with the graph turned off (reference/lockstep.py). Both keep
order (ORD-3, ORD-4), one-round read-ahead (LAZY-4), user errors with their
type (ERR-1, ERR-2), recovery (REC-2) and dead workers named
(ShardWorkerDied); the graph also keeps workers reusable after it is torn
down, handles items that pin channel buffers and slow user functions, and is
given up when its rounds are no faster than plain ones.

Every compiled-path test forces the graph from the first round
(``COMPILE_AFTER_ROUNDS = 0``, runs taken as of unknown length, no expected
compile cost, no judging) unless it says otherwise, and checks that a graph was in fact compiled. Nothing here
asserts a speed.
"""

from __future__ import annotations

import os
import pickle
import time

import numpy as np
import pytest

import reference as it
from reference import compiled_rounds as cr
from reference.errors import ShardWorkerDied
from reference.pool import POOL

pytestmark = pytest.mark.usefixtures("ray_session")


@pytest.fixture
def compile_at(monkeypatch):
    def at(rounds: int) -> None:
        monkeypatch.setattr(cr, "COMPILE_AFTER_ROUNDS", rounds)

    at(0)
    # Every run as of unknown length: the plan's bound on rounds plays no part.
    monkeypatch.setattr(cr, "rounds_bound", lambda shards: None)
    # Compile at that round, however long the last compile took.
    monkeypatch.setattr(cr, "expected_compile_s", lambda: 0.0)
    # Keep the graph however its rounds compare with plain ones (a loaded machine).
    monkeypatch.setattr(cr, "JUDGE_ROUNDS", 10**9)
    return at


@pytest.fixture
def plain(monkeypatch):
    """Compiled graphs turned off (the setting): the plain path alone."""
    monkeypatch.setattr(cr, "ENABLED", False)
    before = cr.STATS["compiled"]
    yield
    assert cr.STATS["compiled"] == before, "a compiled graph was used"


@pytest.fixture
def compiled():
    """Asserts that the test compiled (at least) one more graph."""
    before = cr.STATS["compiled"]
    yield
    assert cr.STATS["compiled"] > before, "no compiled graph was used"


def _round_robin(shards: list[list]) -> list:
    out = []
    for k in range(max(map(len, shards))):
        out.extend(s[k] for s in shards if k < len(s))
    return out


@pytest.mark.parametrize("after", [0, 3])
def test_order_with_shards_of_different_lengths(compile_at, compiled, after):
    compile_at(after)
    shards = [list(range(0, 7)), list(range(100, 120)), [], list(range(200, 203))]
    p = it.from_iterators([list(s) for s in shards])
    assert list(p.gather_sync()) == _round_robin(shards)
    rounds = list(p.batch_across_shards())
    assert rounds == [[s[k] for s in shards if k < len(s)] for k in range(20)]
    assert all(type(pickle.loads(pickle.dumps(r))) is list for r in rounds)


def _record(x):
    """Counts, per shard (x // 1000), the items the shard has produced."""
    import ray

    counter = ray.get_actor("compiled_rounds_counter")
    ray.get(counter.add.remote(x // 1000))
    return x


class _Counter:
    def __init__(self):
        self.counts = {}

    def add(self, shard):
        self.counts[shard] = self.counts.get(shard, 0) + 1

    def get(self):
        return self.counts


@pytest.mark.parametrize("after", [0, 4])
def test_read_ahead_is_one_round(ray_session, compile_at, compiled, after):
    ray = ray_session
    compile_at(after)
    counter = ray.remote(_Counter).options(name="compiled_rounds_counter").remote()
    try:
        p = it.from_iterators([range(0, 12), range(1000, 1012), range(2000, 2012)])
        delivered = {0: 0, 1: 0, 2: 0}
        for x in p.for_each(_record).gather_sync():
            delivered[x // 1000] += 1
            time.sleep(0.02)  # any early request has time to be produced
            counts = ray.get(counter.get.remote())
            for shard, produced in counts.items():
                assert produced <= delivered[shard] + 1, (shard, produced, delivered)
    finally:
        ray.kill(counter)


class Boom(ValueError):
    pass


def _fail_at(x):
    if x == 105:
        raise Boom(f"bad item {x}")
    return x


def test_user_error_keeps_its_type_and_position(compile_at, compiled):
    p = it.from_iterators([range(0, 20), range(100, 120)]).for_each(_fail_at)
    got = []
    with pytest.raises(Boom, match="bad item 105"):
        for x in p.gather_sync():
            got.append(x)
    assert got[:10] == _round_robin([list(range(0, 5)), list(range(100, 105))])
    assert 105 not in got and all(x < 6 or 100 <= x < 105 for x in got)
    assert p.take(4) == [0, 100, 1, 101]  # the workers are fine afterwards


def _die_at(x):
    if x == 1005:
        os._exit(1)
    return x


def test_dead_worker_is_named(compile_at, compiled):
    p = it.from_iterators([range(0, 20), range(1000, 1020)]).for_each(_die_at)
    with pytest.raises(ShardWorkerDied, match="shard 1") as info:
        for _ in p.gather_sync():
            pass
    assert info.value.shard == 1
    assert it.from_range(6, 2).take(6) == [0, 3, 1, 4, 2, 5]


def test_a_dead_worker_is_recovered_and_the_run_compiles_again(compile_at, tmp_path):
    """A worker dies under the graph: the graph is torn down, the shards are
    restarted and resume (REC-2, REC-3), and the run compiles a new graph."""
    from conformance.recovery_funcs import Deaths, DieAt

    compile_at(2)
    p = it.from_iterators([range(0, 20), range(1000, 1020)])
    before = cr.STATS["compiled"]
    got = list(p.for_each(DieAt(1010, tmp_path, os.getpid())).gather_sync())
    assert Deaths(tmp_path).count() == 1
    assert got == _round_robin([list(range(0, 20)), list(range(1000, 1020))])
    assert cr.STATS["compiled"] >= before + 2, "no graph after the recovery"


def _array(x):
    return np.full(20_000, x, dtype=np.int64)  # 160 kB


def test_kept_arrays_do_not_block_the_graph(compile_at, compiled):
    p = it.from_range(60, 2).for_each(_array)
    kept = list(p.gather_sync())  # every array stays alive
    assert [int(a[0]) for a in kept] == _round_robin([list(range(30)), list(range(30, 60))])
    assert all(int(a.sum()) == int(a[0]) * 20_000 for a in kept)


def _big(x):
    return np.full(200_000, x, dtype=np.int64)  # 1.6 MB


def test_large_rounds_go_back_to_plain_calls(compile_at, compiled):
    before = cr.STATS["large"]
    kept = list(it.from_range(24, 2).for_each(_big).gather_sync())
    assert [int(a[-1]) for a in kept] == _round_robin([list(range(12)), list(range(12, 24))])
    assert cr.STATS["large"] == before + 1


def test_runs_whose_first_plain_rounds_are_large_never_compile(compile_at):
    """Arrays sized in the first plain rounds: no graph at all (its extra
    copies would cost more than the calls it saves)."""
    compile_at(cr._SIZE_PROBE_ROUNDS + 2)
    before = dict(cr.STATS)
    kept = list(it.from_range(24, 2).for_each(_big).gather_sync())
    assert [int(a[-1]) for a in kept] == _round_robin([list(range(12)), list(range(12, 24))])
    assert cr.STATS["large"] == before["large"] + 1
    assert cr.STATS["compiled"] == before["compiled"]


def test_item_sizes_where_items_say():
    assert cr._nbytes(np.zeros(4)) == 32
    assert cr._nbytes(b"abc") == 3 and cr._nbytes("abcd") == 4
    assert cr._nbytes(7) == 0 and cr._nbytes({"a": np.zeros(4)}) == 0  # not known: left to the graph


def _ref_item(x):
    import ray

    return ray.put(x)  # an ObjectRef item


def test_items_that_need_rays_serializer(ray_session, compile_at, compiled):
    refs = list(it.from_range(8, 2).for_each(_ref_item).gather_sync())
    assert ray_session.get(refs) == [0, 4, 1, 5, 2, 6, 3, 7]


def _slow(x):
    if x == 3:
        time.sleep(1.5)
    return x


def test_slow_user_functions_do_not_time_out(compile_at, compiled):
    from ray.dag import DAGContext

    context = DAGContext.get_current()
    old = context.get_timeout
    context.get_timeout = 1  # shorter than the slow item
    try:
        assert list(it.from_range(8, 2).for_each(_slow).gather_sync()) == [0, 4, 1, 5, 2, 6, 3, 7]
    finally:
        context.get_timeout = old


def test_closing_mid_run_tears_down_and_returns_workers(compile_at, compiled):
    for _ in range(3):
        local = it.from_range(10_000, 2).gather_sync()
        assert [next(local) for _ in range(7)] == [0, 5000, 1, 5001, 2, 5002, 3]
        local.close()
    assert POOL.idle_count() >= 2
    started = time.monotonic()
    assert it.from_range(4, 2).take(4) == [0, 2, 1, 3]
    assert time.monotonic() - started < 5  # warm workers, not stuck in a graph


def test_abandoned_run_is_collected(compile_at, compiled):
    import gc

    local = it.from_range(10_000, 2).gather_sync()
    assert next(local) == 0
    next(local)
    del local
    gc.collect()
    assert it.from_range(4, 2).take(4) == [0, 2, 1, 3]


def test_short_runs_do_not_compile(compile_at):
    compile_at(cr.COMPILE_AFTER_ROUNDS if cr.COMPILE_AFTER_ROUNDS > 0 else 128)
    before = cr.STATS["compiled"]
    assert it.from_range(40, 2).take(40) == _round_robin([list(range(20)), list(range(20, 40))])
    assert cr.STATS["compiled"] == before


def test_runs_compile_only_after_plain_rounds_as_long_as_a_compile(compile_at, monkeypatch):
    compile_at(4)
    monkeypatch.setattr(cr, "expected_compile_s", lambda: 3600.0)
    before = cr.STATS["compiled"]
    assert list(it.from_range(40, 2).gather_sync()) == _round_robin([list(range(20)), list(range(20, 40))])
    assert cr.STATS["compiled"] == before
    monkeypatch.setattr(cr, "expected_compile_s", lambda: 0.0)
    assert list(it.from_range(40, 2).gather_sync()) == _round_robin([list(range(20)), list(range(20, 40))])
    assert cr.STATS["compiled"] == before + 1


def test_a_graph_no_faster_than_plain_rounds_is_given_up(compile_at, compiled, monkeypatch):
    """The judge says the graph is slower after 3 of its rounds: the graph is
    torn down and the run finishes on plain calls, nothing lost or repeated."""
    compile_at(4)
    monkeypatch.setattr(cr.Policy, "graph_is_slower", lambda self: len(self.window) >= 3)
    before = dict(cr.STATS)
    pi = it.from_range(60, 2).for_each(_sleep_1ms)
    assert list(pi.gather_sync()) == _round_robin([list(range(30)), list(range(30, 60))])
    assert cr.STATS["slower"] == before["slower"] + 1
    assert cr.STATS["compiled"] == before["compiled"] + 1
    assert it.from_range(4, 2).take(4) == [0, 2, 1, 3]  # the workers are fine


def test_the_policy_compares_measured_times(monkeypatch):
    """Runs of unknown length: decisions from the run's own round times,
    against the last compile; graphs judged by median rounds."""
    policy = cr.Policy()
    for _ in range(200):
        policy.plain_round(0.001)  # 0.2 s of plain rounds
    monkeypatch.setattr(cr, "_best_graph_round_s", None)
    monkeypatch.setattr(cr, "_last_compile_s", 0.5)
    assert not policy.should_compile(max(cr.COMPILE_AFTER_ROUNDS, 200), 200)
    monkeypatch.setattr(cr, "_last_compile_s", 0.1)
    assert policy.should_compile(max(cr.COMPILE_AFTER_ROUNDS, 200), 200)
    assert not policy.should_compile(cr.COMPILE_AFTER_ROUNDS - 1, 200)
    for _ in range(cr.JUDGE_ROUNDS - 1):
        policy.graph_round(0.0003)
    assert not policy.graph_is_slower()  # the window is not full yet
    policy.graph_round(0.0003)
    assert not policy.graph_is_slower()  # faster than 1 ms per round
    assert cr._best_graph_round_s == pytest.approx(0.0003)
    for _ in range(cr.JUDGE_ROUNDS - 1):
        policy.graph_round(0.0015)
    policy.graph_round(5.0)  # one round held up does not decide ...
    assert policy.graph_is_slower()  # ... the median of 1.5 ms rounds does
    assert cr._best_graph_round_s == pytest.approx(0.0003)  # a slow graph is not a measure
    for _ in range(cr.JUDGE_ROUNDS - 1):
        policy.graph_round(0.0002)
    policy.graph_round(5.0)
    assert not policy.graph_is_slower()
    assert cr._best_graph_round_s == pytest.approx(0.0002)  # the best graph seen
    fresh = cr.Policy()  # compiled before any timed plain round: kept
    for _ in range(cr.JUDGE_ROUNDS):
        fresh.graph_round(1.0)
    assert not fresh.graph_is_slower()


def test_a_run_of_known_length_compiles_only_if_its_remaining_rounds_repay_it(monkeypatch):
    """remaining rounds x (median plain round - best graph round) > REPAY_FACTOR x
    last compile;
    before any compile in the process, a count of rounds ahead decides."""
    monkeypatch.setattr(cr, "_best_plain_round_s", {})
    policy = cr.Policy(bound=1000, width=2)
    for _ in range(cr.MIN_TIMED_ROUNDS):
        policy.plain_round(0.001)
    after = max(cr.COMPILE_AFTER_ROUNDS, cr.MIN_TIMED_ROUNDS)
    monkeypatch.setattr(cr, "_last_compile_s", None)
    assert policy.should_compile(after, 1000 - cr.FIRST_COMPILE_REMAINING) is True
    assert policy.should_compile(after, 1001 - cr.FIRST_COMPILE_REMAINING) is False
    monkeypatch.setattr(cr, "_last_compile_s", 0.1)
    monkeypatch.setattr(cr, "_best_graph_round_s", 0.0002)  # saves 0.8 ms a round
    repay = cr.REPAY_FACTOR * 125  # rounds of 0.8 ms that save REPAY_FACTOR x 0.1 s
    assert policy.should_compile(after, 1000 - repay - 1)
    assert not policy.should_compile(after, 1000 - repay)
    monkeypatch.setattr(cr, "_best_graph_round_s", 0.002)  # graphs no faster here
    assert not policy.should_compile(after, 0)
    # rounds of slow user functions save only what cheap ones cost: the best
    # plain round of this process over as many shards (1 ms, recorded above)
    monkeypatch.setattr(cr, "_best_graph_round_s", 0.0002)
    slow = cr.Policy(bound=1000, width=2)
    for _ in range(cr.MIN_TIMED_ROUNDS):
        slow.plain_round(0.005)
    assert slow.should_compile(after, 1000 - repay - 1)
    assert not slow.should_compile(after, 1000 - repay)
    assert cr._best_plain_round_s == {2: 0.001}
    # ... and over twice the shards, twice that (no 4-shard round seen yet)
    wide = cr.Policy(bound=1000, width=4)
    for _ in range(cr.MIN_TIMED_ROUNDS):
        wide.plain_round(0.010)
    rounds = cr.REPAY_FACTOR * 0.1 / (0.002 - 0.0002)
    assert wide.should_compile(after, int(1000 - rounds) - 1)
    assert not wide.should_compile(after, int(1000 - rounds) + 1)
    short = cr.Policy(bound=1000, width=2)
    for _ in range(cr.MIN_TIMED_ROUNDS - 1):
        short.plain_round(0.001)
    assert not short.should_compile(after, 0)  # too few timed plain rounds for a median


def _double(x):
    return [x, x]


@pytest.mark.parametrize(
    "make, bound",
    [
        (lambda: it.from_range(10, 2), 5),
        (lambda: it.from_range(11, 3).for_each(abs).filter(bool).batch(2), 5),
        (lambda: it.from_items(list("abcde"), 2).local_shuffle(4, seed=1), 3),
        (lambda: it.from_range(10, 2, repeat=True), None),
        (lambda: it.from_range(10, 2).flatten(), None),
        (lambda: it.from_range(10, 2).combine(_double), None),
        (lambda: it.from_range(10, 2).transform(lambda xs: xs), None),
        (lambda: it.from_iterators([lambda: iter(range(3))]), None),
        (lambda: it.from_range(10, 2).repartition(2), None),
    ],
)
def test_rounds_bound_from_the_plan(make, bound):
    assert cr.rounds_bound(make()._shards) == bound


def _sleep_1ms(x):
    time.sleep(0.001)
    return x


def test_user_actors_are_never_compiled(ray_session, compile_at):
    actor = ray_session.remote(it.ParallelIteratorWorker).remote(range(10), False)
    before = cr.STATS["compiled"]
    assert list(it.from_actors([actor]).gather_sync()) == list(range(10))
    assert cr.STATS["compiled"] == before
    ray_session.kill(actor)


def _consume_in_task(n):
    from reference import compiled_rounds

    compiled_rounds.COMPILE_AFTER_ROUNDS = 0
    compiled_rounds.expected_compile_s = lambda: 0.0
    return list(it.from_range(n, 2).gather_sync())


def test_consumer_inside_a_ray_task(ray_session):
    ray = ray_session
    got = ray.get(ray.remote(_consume_in_task).remote(20))
    assert got == _round_robin([list(range(10)), list(range(10, 20))])


# -- the same semantics with compiled graphs turned off ------------------------------


def test_plain_order(plain):
    shards = [list(range(0, 7)), list(range(100, 120)), [], list(range(200, 203))]
    p = it.from_iterators([list(s) for s in shards])
    assert list(p.gather_sync()) == _round_robin(shards)
    assert list(p.batch_across_shards()) == [[s[k] for s in shards if k < len(s)] for k in range(20)]


def test_plain_read_ahead_is_one_item_per_shard(ray_session, plain):
    ray = ray_session
    counter = ray.remote(_Counter).options(name="compiled_rounds_counter").remote()
    try:
        p = it.from_iterators([range(0, 12), range(1000, 1012), range(2000, 2012)])
        delivered = {0: 0, 1: 0, 2: 0}
        for x in p.for_each(_record).gather_sync():
            delivered[x // 1000] += 1
            time.sleep(0.02)
            counts = ray.get(counter.get.remote())
            for shard, produced in counts.items():
                assert produced <= delivered[shard] + 1, (shard, produced, delivered)
    finally:
        ray.kill(counter)


def test_plain_user_error_and_recovery(plain, tmp_path):
    from conformance.recovery_funcs import Deaths, DieAt

    p = it.from_iterators([range(0, 20), range(100, 120)]).for_each(_fail_at)
    with pytest.raises(Boom, match="bad item 105"):
        list(p.gather_sync())
    p = it.from_iterators([range(0, 20), range(1000, 1020)])
    got = list(p.for_each(DieAt(1010, tmp_path, os.getpid())).gather_sync())
    assert Deaths(tmp_path).count() == 1
    assert got == _round_robin([list(range(0, 20)), list(range(1000, 1020))])


def test_plain_arrays_and_refs(ray_session, plain):
    kept = list(it.from_range(24, 2).for_each(_big).gather_sync())
    assert [int(a[-1]) for a in kept] == _round_robin([list(range(12)), list(range(12, 24))])
    refs = list(it.from_range(8, 2).for_each(_ref_item).gather_sync())
    assert ray_session.get(refs) == [0, 4, 1, 5, 2, 6, 3, 7]
