"""SPEC §8 Serializability: SER-1..5.

"Another process" is the backend's ``conformance_run_remote`` hook (a Ray task by
default; a cloudpickle round trip for in-process backends); backends declaring ``ray``
are also checked with a Ray actor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import cloudpickle
import pytest

from conformance import funcs, probes
from conformance.util import cites, drain, needs


def _pipeline(api: Any) -> Any:
    offset = 3
    limit = 9

    def keep(x: int) -> bool:  # a closure
        return x % 2 == 0 or x > limit

    return (
        api.from_items(list(range(12)), num_shards=3)
        .for_each(lambda x: x + offset)
        .filter(keep)
        .for_each(funcs.CumulativeSum())
    )


def _local_iterators(api: Any) -> dict[str, Callable[[], Any]]:
    scale = 10
    pi = _pipeline(api)
    return {
        "gather_sync": lambda: pi.gather_sync().for_each(lambda x: (x, scale)).filter(lambda p: p[0][1] != 5),
        "gather_async": lambda: pi.gather_async().batch(2).flatten(),
        "get_shard": lambda: pi.get_shard(1).for_each(lambda x: x[1] * scale),
        "shards": lambda: pi.shards()[2].combine(lambda x: [x, x]),
    }


def _roundtrip(obj: Any) -> Any:
    return cloudpickle.loads(cloudpickle.dumps(obj))


@cites("SER-1")
def test_parallel_iterator_round_trips(backend: Any, api: Any) -> None:
    pi = _pipeline(api)
    local = drain(pi.gather_sync())
    assert len(local) > 3
    assert drain(_roundtrip(pi).gather_sync()) == local
    assert backend.run_remote(funcs.collect_gather_sync, pi) == local
    assert backend.run_remote(funcs.collect_shards, pi) == [drain(s) for s in pi.shards()]


@cites("SER-1", "SER-2")
@needs("ray")
def test_iterators_can_be_passed_to_a_ray_actor(api: Any) -> None:
    import ray

    consumer = ray.remote(num_cpus=0)(funcs.Consumer).remote()
    pi = _pipeline(api)
    local = drain(pi.gather_sync())
    assert ray.get(consumer.gather_sync.remote(pi), timeout=120) == local
    make = _local_iterators(api)["get_shard"]
    assert ray.get(consumer.iterate.remote(make()), timeout=120) == drain(make())


@cites("SER-2")
@pytest.mark.parametrize("kind", ["gather_sync", "gather_async", "get_shard", "shards"])
def test_unstarted_local_iterator_round_trips(backend: Any, api: Any, kind: str) -> None:
    make = _local_iterators(api)[kind]
    local = drain(make())
    remote = backend.run_remote(funcs.collect, make())
    copied = drain(_roundtrip(make()))
    if kind == "gather_async":
        assert sorted(remote) == sorted(local) and sorted(copied) == sorted(local)
    else:
        assert remote == local and copied == local


@cites("SER-3")
def test_serializing_starts_no_work(backend: Any, api: Any, tmp_path: Any) -> None:
    c = probes.Counter(tmp_path, "calls")
    pulls = probes.Counter(tmp_path, "pulls")
    pi = (
        api.from_iterators([probes.CountingSource([1, 2, 3], pulls), [4, 5]])
        .for_each(probes.CountCalls(c))
        .filter(probes.CountCalls(c, bool))
    )
    it = pi.gather_sync().for_each(probes.CountCalls(c))
    before = (c.value(), pulls.value())
    _roundtrip(pi)
    _roundtrip(it)
    backend.run_remote(funcs.roundtrip_only, pi)
    backend.run_remote(funcs.roundtrip_only, it)
    time.sleep(0.2)
    assert (c.value(), pulls.value()) == before, "serializing ran user code or pulled items"
    assert drain(it) == [1, 4, 2, 5, 3]


@cites("SER-4")
def test_nested_passing(backend: Any, api: Any) -> None:
    pi = _pipeline(api)
    local = drain(pi.gather_sync())
    hook = backend.run_remote_hook
    assert backend.run_remote(funcs.nested, hook, funcs.collect_gather_sync, pi) == local
    make = _local_iterators(api)["gather_sync"]
    assert backend.run_remote(funcs.nested, hook, funcs.collect, make()) == drain(make())


@cites("SER-5")
@pytest.mark.timeout(120)
def test_started_local_iterator_resumes_or_refuses(backend: Any, api: Any) -> None:
    """A started iterator either serializes and continues from where it was, or
    refuses with TypeError -- it never restarts or hangs."""
    pi = api.from_items(list(range(10)), num_shards=2)
    it = pi.gather_sync()
    assert [next(it), next(it), next(it)] == [0, 1, 2]
    try:
        rest = backend.run_remote(funcs.collect, it)
    except TypeError:
        rest = None
    if rest is not None:
        assert rest == list(range(3, 10)), f"remote copy did not resume at item 3: {rest}"
    try:
        copy = _roundtrip(it)
    except TypeError:
        return
    assert drain(copy) == list(range(3, 10))
