"""Reliability of the reference: dead shard workers, one reader per shard,
and released actors after hundreds of pipelines (LIFE-1, LIFE-2, LIFE-5, ERR-6)."""

from __future__ import annotations

import os
import time

import pytest

import reference as it
from reference.errors import ShardBusy, ShardWorkerDied
from reference.pool import MAX_IDLE_WORKERS

pytestmark = pytest.mark.usefixtures("ray_session")

DEATH_BOUND_S = 30  # the spec's bound (ERR-6)


def _die_at(x):
    if x == 41:
        os._exit(1)  # the shard's worker process exits mid-stream
    return x


GATHERS = {
    "gather_sync": lambda p: p.gather_sync(),
    "gather_async": lambda p: p.gather_async(),
    "batch_across_shards": lambda p: p.batch_across_shards().flatten(),
    "get_shard": lambda p: p.get_shard(1),
}


@pytest.mark.parametrize("mode", GATHERS)
def test_a_dying_worker_is_reported_naming_its_shard(mode):
    # Items 0..39 go to shard 0, 40..79 to shard 1; shard 1 dies at its 2nd item.
    p = it.from_range(80, num_shards=2).for_each(_die_at)
    local = GATHERS[mode](p)
    started = time.monotonic()
    with pytest.raises(ShardWorkerDied, match="shard 1") as info:
        for _ in local:
            pass
    assert time.monotonic() - started < DEATH_BOUND_S
    assert 1 in info.value.shards


def test_a_user_actor_serves_one_reader_at_a_time(ray_session):
    ray = ray_session
    actor = ray.remote(it.ParallelIteratorWorker).remote(range(100), False)
    p = it.from_actors([actor])
    first = p.gather_sync()
    assert next(first) == 0
    second = p.gather_sync()
    with pytest.raises(ShardBusy, match="shard 0"):
        next(second)
    assert next(first) == 1  # the first reader is undisturbed
    first.close()
    assert p.take(3) == [0, 1, 2]  # free again once the first reader is done
    ray.kill(actor)


def _live_shard_workers() -> int:
    from ray._private import state  # the GCS actor table; needs no dashboard

    return sum(
        1
        for info in state.actors().values()
        if info["State"] == "ALIVE" and "ParallelIteratorWorker" in info["ActorClassName"]
    )


def _fail_at_3(x):
    if x == 3:
        raise ValueError("three")
    return x


@pytest.mark.timeout(900)
def test_no_leaked_workers_after_300_pipelines():
    for i in range(100):
        p = it.from_range(12, num_shards=1 + i % 4)
        assert sorted(p.gather_async()) == list(range(12))  # drained
        local = p.for_each(lambda x: x + 1).gather_sync()
        next(local)
        del local  # abandoned mid-stream
        with pytest.raises(ValueError):
            list(p.for_each(_fail_at_3).gather_sync())  # errored
    deadline = time.monotonic() + 20
    while _live_shard_workers() > MAX_IDLE_WORKERS and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _live_shard_workers() <= MAX_IDLE_WORKERS
