"""SPEC §11 Resource lifecycle: LIFE-1..6.

Processes are observed from the outside: user code records the id of the process it
runs in (:class:`conformance.probes.RecordPid`), and the test checks which of those
processes are still alive.  The consumer's own process never counts.  A backend may
keep up to ``conformance_idle_pool_limit`` idle workers (default 0).
"""

from __future__ import annotations

import gc
import os
import threading
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import funcs, isolated, probes
from conformance.plugin import examples
from conformance.util import cites, collect_garbage, collect_until_error, drain, eventually, needs

RELEASE_WAIT = 6.0


def _alive(pids: set[int]) -> set[int]:
    psutil = pytest.importorskip("psutil")
    alive = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.add(pid)
        except psutil.Error:
            pass
    return alive


def _worker_pids(log: probes.EventLog) -> set[int]:
    return {int(x) for x in log.events()} - {os.getpid()}


@cites("LIFE-1")
@pytest.mark.timeout(120)
def test_workers_are_released_after_each_run(backend: Any, api: Any, tmp_path: Any) -> None:
    """Runs that were exhausted, that raised, and that were abandoned release their
    workers even though their ParallelIterators are still referenced."""
    log = probes.EventLog(tmp_path / "pids")
    exhausted = api.from_items(list(range(4)), num_shards=2).for_each(probes.RecordPid(log))
    failed = (
        api.from_items(list(range(4)), num_shards=2)
        .for_each(probes.RecordPid(log))
        .for_each(funcs.FailOn(2, "boom"))
    )
    abandoned = api.from_items(list(range(40)), num_shards=2).for_each(probes.RecordPid(log))
    assert drain(exhausted.gather_sync()) == [0, 1, 2, 3]
    _, exc = collect_until_error(failed.gather_sync())
    assert isinstance(exc, funcs.UserError) or isinstance(exc.__cause__, funcs.UserError)
    it = abandoned.gather_async()
    next(it)
    del it
    collect_garbage()
    pids = _worker_pids(log)
    limit = backend.idle_pool_limit
    ok = eventually(lambda: len(_alive(pids)) <= limit, RELEASE_WAIT, 0.25)
    assert ok, (
        f"{len(_alive(pids))} of the {len(pids)} worker processes are still alive "
        f"{RELEASE_WAIT} s after their runs ended (idle pool limit {limit})"
    )
    del exhausted, failed, abandoned


@cites("LIFE-1", "ERR-6")
@pytest.mark.timeout(120)
@pytest.mark.parametrize("gather", ["gather_sync", "gather_async"])
def test_runs_collected_in_a_reference_cycle_leave_later_runs_whole(api: Any, gather: str) -> None:
    """An abandoned iterator that only the cyclic garbage collector can free is
    released like any other, and the run right after it works: whatever the
    collected run gave back must still be usable (no worker reported dead, no
    item lost). The later run is slowed so that it is still going when anything
    broken by the collection gives way."""
    for _ in range(3):
        it = getattr(api.from_items(list(range(8)), num_shards=2), gather)()
        next(it)
        cycle: dict[str, Any] = {"it": it}
        cycle["self"] = cycle
        del it, cycle
        gc.collect()
        later = api.from_items(list(range(8)), num_shards=2).for_each(funcs.Sleep(0.02))
        assert sorted(drain(getattr(later, gather)())) == list(range(8))


@cites("LIFE-2")
@pytest.mark.timeout(120)
def test_idle_workers_are_bounded_and_carry_no_state(backend: Any, api: Any, tmp_path: Any) -> None:
    log = probes.EventLog(tmp_path / "pids")
    limit = backend.idle_pool_limit
    for _ in range(limit + 3):
        pi = (
            api.from_items([1, 2, 3], num_shards=1)
            .for_each(probes.RecordPid(log))
            .for_each(funcs.CumulativeSum())
        )
        assert drain(pi.gather_sync()) == [(1, 1), (3, 2), (6, 3)]
        del pi
    collect_garbage()
    pids = _worker_pids(log)
    assert eventually(lambda: len(_alive(pids)) <= limit, RELEASE_WAIT, 0.25), (
        f"{len(_alive(pids))} workers alive after the pipelines were dropped (limit {limit})"
    )


@pytest.fixture(scope="module")
def autostart(backend: Any) -> isolated.Outcome:
    """A child driver that runs a pipeline without initialising Ray first."""
    if not backend.has("ray"):
        pytest.skip("backend does not declare capability ray (BACK-4)")
    # RAY_ADDRESS=local: with no address at all, ray.init() joins any Ray
    # already running on this machine (a local test cluster, say) instead of
    # starting one, and there would be nothing of the backend's own to check.
    return isolated.run(
        backend, "ray_autostart", timeout=120, setup=False, join_ray=False, env={"RAY_ADDRESS": "local"}
    )


@cites("LIFE-3")
@needs("ray")
@pytest.mark.timeout(180)
def test_ray_is_started_with_the_dashboard_off(autostart: isolated.Outcome) -> None:
    assert autostart.status == "ok", f"{autostart.error}\n{autostart.output[-2000:]}"
    info = autostart.value
    assert info["before"] is False and info["after"] is True
    assert info["items"] == [1, 2, 3]
    assert not info["dashboard_url"], f"dashboard running at {info['dashboard_url']}"


@cites("LIFE-3")
@needs("ray")
def test_an_initialised_ray_is_used_and_kept(api: Any) -> None:
    import ray

    assert ray.is_initialized()
    address = ray.get_runtime_context().gcs_address
    assert drain(api.from_items([1, 2], num_shards=2).gather_sync()) == [1, 2]
    collect_garbage()
    assert ray.is_initialized() and ray.get_runtime_context().gcs_address == address


@cites("LIFE-6")
@needs("ray")
@pytest.mark.timeout(180)
def test_started_ray_listens_on_loopback(autostart: isolated.Outcome) -> None:
    """SHOULD: the node address of a Ray instance the backend started is loopback."""
    assert autostart.status == "ok", autostart.error
    addresses = autostart.value["node_addresses"]
    assert addresses and all(a.startswith("127.") or a == "::1" for a in addresses), addresses


def _worker_class(api: Any) -> type:
    class Worker(api.ParallelIteratorWorker):
        def ping(self) -> str:
            return "alive"

    return Worker


@cites("LIFE-4")
@needs("from_actors", "ray")
def test_user_actors_survive_their_iterators(api: Any) -> None:
    import ray

    actors = [ray.remote(_worker_class(api)).remote(list(range(10)), False) for _ in range(2)]
    pi = api.from_actors(actors)
    it = pi.gather_sync()
    assert [next(it), next(it)] == [0, 0]
    del it, pi
    collect_garbage()
    time.sleep(1.0)
    assert ray.get([a.ping.remote() for a in actors], timeout=60) == ["alive", "alive"]


@cites("LIFE-5")
@needs("from_actors", "ray")
@pytest.mark.timeout(120)
def test_one_reader_per_actor_shard(api: Any) -> None:
    import ray

    actor = ray.remote(_worker_class(api)).remote(list(range(100)), True)
    pi = api.from_actors([actor])
    first = pi.gather_sync()
    got = [next(first), next(first)]
    second = pi.gather_sync()
    with pytest.raises(RuntimeError) as info:
        next(second)
    assert "shard 0" in str(info.value), f"the error does not name the shard: {info.value}"
    got += [next(first), next(first)]
    assert got == [0, 1, 2, 3], "the first run was disturbed"
    del first, second
    collect_garbage()

    def readable() -> bool:
        try:
            next(pi.gather_sync())
            return True
        except RuntimeError:
            return False

    assert eventually(readable, 5.0, 0.25), "the shard stayed locked after its reader was collected"


def _read_and_end(it: Any, ending: str, reads: int) -> None:
    """Read ``reads`` items of ``it`` (fewer if it ends), then end the run as ``ending``
    says: exhausted, closed (if the backend offers ``close``), or dropped."""
    for _ in range(reads):
        if next(it, None) is None:
            break
    if ending == "exhausted":
        drain(it)
    elif ending == "closed" and callable(getattr(it, "close", None)):
        it.close()


def _start(pi: Any, gather: str, num_async: int) -> Any:
    if gather == "gather_sync":
        return pi.gather_sync()
    if gather == "gather_async":
        return pi.gather_async(num_async=num_async)
    return pi.get_shard(0, num_async=num_async)


@cites("LIFE-1", "LAZY-7")
@pytest.mark.timeout(120)
@examples(0.5)
@given(data=st.data())
def test_ended_runs_leave_no_threads(backend: Any, api: Any, data: st.DataObject) -> None:
    """Threads a run started in the consumer's process end with the run (exhausted,
    closed or dropped): their number does not grow with the number of ended runs.
    A first run of every gather is made before counting, for threads a backend
    starts once (Ray's own, a pool's)."""
    cap = 2 if backend.uses_ray else 4
    for gather in ("gather_sync", "gather_async", "get_shard"):
        drain(_start(api.from_items(list(range(4)), num_shards=2), gather, 1))
    collect_garbage()
    before = threading.active_count()
    names_before = {t.ident for t in threading.enumerate()}
    runs = data.draw(st.integers(2, 4), label="runs")
    for _ in range(runs):
        gather = data.draw(st.sampled_from(["gather_sync", "gather_async", "get_shard"]), label="gather")
        ending = data.draw(st.sampled_from(["exhausted", "closed", "dropped"]), label="ending")
        shards = data.draw(st.integers(1, cap), label="shards")
        num_async = data.draw(st.integers(1, 3), label="num_async")
        reads = data.draw(st.integers(0, 5), label="position")
        pi = api.from_items(list(range(8)), num_shards=shards)
        _read_and_end(_start(pi, gather, num_async), ending, reads)
    collect_garbage()
    eventually(lambda: threading.active_count() <= before, timeout=5.0)
    count = threading.active_count()
    new = sorted(t.name for t in threading.enumerate() if t.ident not in names_before)
    assert count <= before, (
        f"{count - before} more threads in the consumer's process after {runs} ended runs "
        f"than before them; new: {new[:10]}"
    )
