"""SPEC §8 Serializability: SER-1..5.

"Another process" is the backend's ``conformance_run_remote`` hook (a Ray task by
default; a cloudpickle round trip for in-process backends); backends declaring ``ray``
are also checked with a Ray actor.
"""

from __future__ import annotations

import functools
import time
import zlib
from collections.abc import Callable
from typing import Any

import cloudpickle
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import checks, funcs, model, probes
from conformance.plugin import examples
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


def _keeper(mod: int, rem: int) -> Callable[[Any], bool]:
    def keep(x: Any) -> bool:  # a closure over mod and rem
        return zlib.crc32(repr(x).encode()) % mod != rem

    return keep


def _parallel_step(pi: Any, kind: str, k: int) -> Any:
    """One transform whose function is a lambda, a closure or a callable object."""
    if kind == "for_each lambda":
        return pi.for_each(lambda x: (k, x))
    if kind == "filter closure":
        return pi.filter(_keeper(3, k % 3))
    if kind == "for_each object":
        return pi.for_each(funcs.Seen())
    if kind == "combine lambda":
        return pi.combine(lambda x: [x] * (k % 3))
    if kind == "transform object":
        return pi.transform(funcs.SwapPairs())
    if kind == "batch flatten":
        return pi.batch(k % 3 + 1).flatten()
    return pi.local_shuffle(k % 3 + 1, seed=k)


PARALLEL_STEPS = (
    "for_each lambda",
    "filter closure",
    "for_each object",
    "combine lambda",
    "transform object",
    "batch flatten",
    "local_shuffle seeded",
)

#: local steps that keep every item's value whatever the delivery order.
ELEMENTWISE_LOCAL_STEPS = ("for_each lambda", "filter closure", "combine lambda")
LOCAL_STEPS = (
    *ELEMENTWISE_LOCAL_STEPS,
    "for_each object",
    "transform object",
    "batch flatten",
    "local shuffle seeded",
)


def _local_step(it: Any, kind: str, k: int) -> Any:
    return it.shuffle(k % 3 + 1, seed=k) if kind == "local shuffle seeded" else _parallel_step(it, kind, k)


def _draw_steps(data: st.DataObject, kinds: tuple[str, ...], where: str, max_steps: int = 4) -> list[Any]:
    """A chain of 0..max_steps ``(kind, parameter)`` steps, parallel or local."""
    if where == "parallel":
        n = data.draw(st.integers(0, max_steps), label="number of parallel ops")
        return data.draw(_steps(kinds, n), label="parallel op")
    n = data.draw(st.integers(0, max_steps), label="number of local ops")
    return data.draw(_steps(kinds, n), label="local op")


def _steps(kinds: tuple[str, ...], n: int) -> st.SearchStrategy[list[tuple[str, int]]]:
    return st.lists(st.tuples(st.sampled_from(kinds), st.integers(0, 9)), min_size=n, max_size=n)


def _draw_plan(backend: Any, data: st.DataObject) -> Callable[[Any], Any]:
    """A drawn source (1..3 shards, 1..4 in process) and chain of transforms, as a
    function building it on a backend's API (the suite's, or the model's)."""
    shards = data.draw(st.integers(1, 3 if backend.uses_ray else 4), label="shards")
    count = data.draw(st.integers(0, 10), label="items")
    steps = _draw_steps(data, PARALLEL_STEPS, "parallel")
    return functools.partial(_build, count, shards, steps)


def _build(count: int, shards: int, steps: list[tuple[str, int]], api: Any) -> Any:
    pi = api.from_items(list(range(count)), num_shards=shards)
    for kind, k in steps:
        pi = _parallel_step(pi, kind, k)
    return pi


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
@examples(0.5)
@given(data=st.data())
def test_parallel_iterator_round_trips(backend: Any, api: Any, data: st.DataObject) -> None:
    """A drawn chain of transforms (lambdas, closures, callable objects) gathers to the
    same items after a round trip and in another process as in the driver (and as the
    model's gather of the same plan)."""
    build = _draw_plan(backend, data)
    pi = build(api)
    local = drain(pi.gather_sync())
    assert local == drain(build(model).gather_sync()), f"plan {build}"
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


#: the LocalIterators SER-2 names: from a gather, ``shards()`` or ``get_shard()``.
SER2_GATHERS = ("gather_sync", "gather_async", "batch_across_shards", "get_shard", "shards")


def _gathered(pi: Any, gather: str, index: int) -> Any:
    if gather == "get_shard":
        return pi.get_shard(index % pi.num_shards())
    if gather == "shards":
        return pi.shards()[index % pi.num_shards()]
    return getattr(pi, gather)()


@cites("SER-2")
@examples(0.5)
@given(data=st.data())
def test_unstarted_local_iterator_round_trips(backend: Any, api: Any, data: st.DataObject) -> None:
    """A drawn gather of a drawn plan, with drawn local transforms, unstarted: iterated
    in another process, or after a round trip, it yields what it yields locally
    (the same multiset where the delivery order is unspecified, ORD-5)."""
    build = _draw_plan(backend, data)
    gather = data.draw(st.sampled_from(SER2_GATHERS), label="gather")
    index = data.draw(st.integers(0, 3), label="shard index")
    unordered = gather == "gather_async"
    local_steps = _draw_steps(data, ELEMENTWISE_LOCAL_STEPS if unordered else LOCAL_STEPS, "local")

    def make() -> Any:
        it = _gathered(build(api), gather, index)
        for kind, k in local_steps:
            it = _local_step(it, kind, k)
        return it

    local = drain(make())
    remote = backend.run_remote(funcs.collect, make())
    copied = drain(_roundtrip(make()))
    if unordered:
        checks.check_multiset(remote, local, what="remote")
        checks.check_multiset(copied, local, what="round trip")
    else:
        assert remote == local and copied == local, f"{gather} of {build}, local {local_steps}"


@cites("SER-3")
@examples(0.5)
@given(data=st.data())
def test_serializing_starts_no_work(
    backend: Any, api: Any, tmp_path_factory: Any, data: st.DataObject
) -> None:
    """A drawn chain of counted parallel and local transforms over sources counting
    their pulls: serializing it (here and through run_remote) calls none of the
    transforms and pulls nothing.  (When a source callable is called is SRC-3's and
    LAZY-1's matter.)"""
    tmp = tmp_path_factory.mktemp("ser3")
    c = probes.Counter(tmp, "calls")
    pulls = probes.Counter(tmp, "pulls")
    lengths = data.draw(st.lists(st.integers(0, 4), min_size=1, max_size=3), label="shards")
    parallel = _draw_steps(data, ("for_each", "filter", "combine", "transform"), "parallel")
    local = _draw_steps(data, ("for_each", "filter", "combine", "transform"), "local")
    sources = [probes.CountingSource(range(n), pulls) for n in lengths]
    pi = api.from_iterators(sources)
    for kind, _ in parallel:
        pi = _counted_step(pi, kind, c)
    it = pi.gather_sync()
    for kind, _ in local:
        it = _counted_step(it, kind, c)
    before = (c.value(), pulls.value())  # building is LAZY-1's matter
    _roundtrip(pi)
    _roundtrip(it)
    backend.run_remote(funcs.roundtrip_only, pi)
    backend.run_remote(funcs.roundtrip_only, it)
    time.sleep(0.2)
    assert (c.value(), pulls.value()) == before, "serializing ran user code or pulled items"
    assert sorted(drain(it)) == sorted(x for n in lengths for x in range(n))


def _counted_step(it: Any, kind: str, c: probes.Counter) -> Any:
    """A transform of ``kind`` keeping every item, its function counting its calls."""
    fn = {"for_each": None, "filter": _keep_all, "combine": lambda x: [x], "transform": lambda xs: xs}[kind]
    return getattr(it, kind)(probes.CountCalls(c, fn))


def _keep_all(x: Any) -> bool:
    return True


@cites("SER-4")
@examples(0.5)
@given(data=st.data())
def test_nested_passing(backend: Any, api: Any, data: st.DataObject) -> None:
    """A drawn plan, and a gather of it with drawn local transforms, passed to a
    remote call and on from there to another, gathers to what it gathers in the
    driver."""
    build = _draw_plan(backend, data)
    local_steps = _draw_steps(data, LOCAL_STEPS, "local", max_steps=2)
    hook = backend.run_remote_hook
    pi = build(api)
    assert backend.run_remote(funcs.nested, hook, funcs.collect_gather_sync, pi) == drain(pi.gather_sync())

    def make() -> Any:
        it = build(api).gather_sync()
        for kind, k in local_steps:
            it = _local_step(it, kind, k)
        return it

    assert backend.run_remote(funcs.nested, hook, funcs.collect, make()) == drain(make())


@cites("SER-5")
@pytest.mark.timeout(120)
@examples(0.5)
@given(data=st.data())
def test_started_local_iterator_resumes_or_refuses(backend: Any, api: Any, data: st.DataObject) -> None:
    """A started iterator either serializes and continues from where it was, or
    refuses with TypeError -- it never restarts or hangs -- after a drawn number of
    items, of shards of drawn lengths."""
    count = data.draw(st.integers(1, 10), label="items")
    shards = data.draw(st.integers(1, 3), label="shards")
    read = data.draw(st.integers(1, count), label="position")
    want = drain(model.from_items(list(range(count)), num_shards=shards).gather_sync())
    it = api.from_items(list(range(count)), num_shards=shards).gather_sync()
    assert [next(it) for _ in range(read)] == want[:read]
    try:
        rest = backend.run_remote(funcs.collect, it)
    except TypeError:
        rest = None
    if rest is not None:
        assert rest == want[read:], f"remote copy did not resume at item {read}: {rest}"
    try:
        copy = _roundtrip(it)
    except TypeError:
        return
    assert drain(copy) == want[read:]
