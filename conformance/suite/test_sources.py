"""SPEC §2 Sources: SRC-1..7."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import funcs, isolated, probes, strategies
from conformance.plugin import examples
from conformance.util import cites, drain, needs


def shard_lists(pi: Any) -> list[list[Any]]:
    return [drain(s) for s in pi.shards()]


@cites("SRC-1", "SHARD-1")
@examples(0.5)
@given(data=st.data())
def test_from_items_shards_hold_the_items(api: Any, data: st.DataObject) -> None:
    """from_items returns a ParallelIterator with exactly num_shards shards over the
    items, item k in shard k % num_shards (spec text)."""
    items = data.draw(strategies.item_lists(12), label="items")
    n = data.draw(strategies.shard_counts(4), label="num_shards")
    pi = api.from_items(items, num_shards=n)
    assert isinstance(pi, api.ParallelIterator)
    assert pi.num_shards() == n
    assert shard_lists(pi) == [items[i::n] for i in range(n)]


@cites("SRC-1")
def test_from_items_default_two_shards(api: Any) -> None:
    pi = api.from_items([1, 2, 3])
    assert pi.num_shards() == 2
    assert shard_lists(pi) == [[1, 3], [2]]


@cites("SRC-1")
def test_from_items_materialises_the_list_at_call(api: Any) -> None:
    """Mutating the caller's list after from_items() does not change the iterator."""
    items = [1, 2, 3, 4]
    pi = api.from_items(items, num_shards=2)
    items.append(5)
    items[0] = 100
    assert drain(pi.gather_sync()) == [1, 2, 3, 4]


@cites("SRC-1")
def test_from_items_accepts_any_iterable(api: Any) -> None:
    """``items`` is any iterable (a generator, a tuple, a range), materialised at the call."""
    assert drain(api.from_items((x * 10 for x in range(3)), num_shards=2).gather_sync()) == [0, 10, 20]
    assert drain(api.from_items(range(3), num_shards=1).gather_sync()) == [0, 1, 2]


@cites("SRC-2", "SHARD-2")
@examples(0.5)
@given(data=st.data())
def test_from_range_union_is_range(api: Any, data: st.DataObject) -> None:
    n = data.draw(st.integers(0, 12), label="n")
    k = data.draw(strategies.shard_counts(4), label="num_shards")
    pi = api.from_range(n, num_shards=k)
    assert isinstance(pi, api.ParallelIterator)
    assert pi.num_shards() == k
    parts = shard_lists(pi)
    assert sorted(itertools.chain.from_iterable(parts)) == list(range(n))


@cites("SRC-3", "SHARD-3")
def test_from_iterators_one_shard_per_element(api: Any) -> None:
    """Elements may be iterables or zero-argument callables; one shard each, in order."""
    generators = [[1, 2], range(3, 6), (7,), funcs.OneShotFactory([8, 9]), []]
    pi = api.from_iterators(generators)
    assert isinstance(pi, api.ParallelIterator)
    assert pi.num_shards() == 5
    assert shard_lists(pi) == [[1, 2], [3, 4, 5], [7], [8, 9], []]


@cites("SRC-3", "LAZY-1", "LAZY-2")
def test_source_callable_is_called_in_the_run_once_per_pass(api: Any, tmp_path: Any) -> None:
    """A callable element is called inside the run, once per pass, never while
    building (count of calls observed through a file probe)."""
    calls = probes.Counter(tmp_path, "calls")
    pulls = probes.Counter(tmp_path, "pulls")
    pi = api.from_iterators([probes.CountingSource([1, 2, 3], pulls, calls)])
    it = pi.for_each(funcs.identity).gather_sync()
    assert calls.value() == 0, "the source callable was called while building"
    assert drain(it) == [1, 2, 3]
    assert calls.value() == 1
    assert drain(pi.gather_sync()) == [1, 2, 3]
    assert calls.value() == 2, "a second run must call the source callable again"


@cites("SRC-3")
def test_generator_object_element_is_accepted_or_refused_with_type_error(api: Any) -> None:
    """A generator object may be refused with TypeError at the call; if accepted, it
    yields its items."""
    try:
        pi = api.from_iterators([(x for x in range(3))])
    except TypeError:
        return
    assert drain(pi.gather_sync()) == [0, 1, 2]


def _worker_subclass(api: Any) -> type:
    class Worker(api.ParallelIteratorWorker):
        def __init__(self, items: list[Any], repeat: bool) -> None:
            super().__init__(items, repeat)
            self.extra = "user state"

        def ping(self) -> str:
            return self.extra

    return Worker


@cites("SRC-5")
def test_parallel_iterator_worker_can_be_subclassed(api: Any) -> None:
    """The class is exported and its constructor takes an iterable or a callable plus
    ``repeat``; user subclasses construct."""
    worker_cls = _worker_subclass(api)
    assert issubclass(worker_cls, api.ParallelIteratorWorker)
    assert worker_cls([1, 2], False).ping() == "user state"
    api.ParallelIteratorWorker(funcs.OneShotFactory([1]), True)
    api.ParallelIteratorWorker(range(3), False)


@cites("SRC-5", "SRC-6")
@needs("from_actors", "ray")
def test_a_repeating_worker_restarts_its_source(api: Any) -> None:
    """A worker constructed with ``repeat=True`` cycles its item_generator (SRC-6)."""
    import ray

    actor = ray.remote(_worker_subclass(api)).remote([1, 2], True)
    assert api.from_actors([actor]).take(5) == [1, 2, 1, 2, 1]
    ray.kill(actor)


@cites("SRC-4", "SRC-5", "LIFE-4")
@needs("from_actors", "ray")
def test_from_actors_reads_the_actors_item_generators(api: Any) -> None:
    """Actors of a ParallelIteratorWorker subclass made with ray.remote are shards
    whose source is their item_generator; the actors stay alive and usable."""
    import ray

    actor_cls = ray.remote(_worker_subclass(api))
    actors = [actor_cls.remote([1, 2, 3], False), actor_cls.remote([10, 20], False)]
    pi = api.from_actors(actors)
    assert isinstance(pi, api.ParallelIterator)
    assert pi.num_shards() == 2
    assert drain(pi.gather_sync()) == [1, 10, 2, 20, 3]
    del pi
    assert ray.get([a.ping.remote() for a in actors], timeout=60) == ["user state"] * 2


@cites("SRC-6")
def test_repeat_cycles_each_shard(api: Any) -> None:
    """With repeat=True each shard starts again from its beginning, forever."""
    assert api.from_items([1, 2, 3], num_shards=1, repeat=True).take(7) == [1, 2, 3, 1, 2, 3, 1]
    assert api.from_items([1, 2, 3], num_shards=2, repeat=True).take(6) == [1, 2, 3, 2, 1, 2]
    assert api.from_range(4, num_shards=2, repeat=True).take(6) == [0, 2, 1, 3, 0, 2]
    pi = api.from_iterators([funcs.OneShotFactory([5, 6])], repeat=True)
    assert pi.take(5) == [5, 6, 5, 6, 5]


@cites("SRC-6")
@pytest.mark.timeout(120)
def test_repeat_with_an_empty_shard_ends_it(backend: Any) -> None:
    """An empty repeating shard stays empty and ends instead of spinning (run in a
    child driver so that a spinning shard cannot outlive the check)."""
    outcome = isolated.run(backend, "repeat_with_empty_shard", timeout=15)
    assert outcome.status == "ok", f"{outcome.status}: {outcome.error}\n{outcome.output[-1500:]}"
    assert outcome.value == {"take": [1, 1, 1, 1], "empty_shard": []}


@cites("SRC-6")
def test_repeat_refuses_a_one_shot_iterator(api: Any) -> None:
    """A one-shot iterator (iter(x) is x) with repeat=True is refused with ValueError,
    at the call or at the start of the run -- never a single pass."""
    try:
        pi = api.from_iterators([iter([1, 2, 3])], repeat=True)
    except ValueError:
        return
    with pytest.raises(ValueError):
        pi.take(5)


@cites("SRC-7", "GATH-7")
def test_regathering_list_sources_yields_the_same_items(api: Any) -> None:
    pi = api.from_items([1, 2, 3, 4, 5], num_shards=2).for_each(funcs.double)
    first = drain(pi.gather_sync())
    assert first == [2, 4, 6, 8, 10]
    assert drain(pi.gather_sync()) == first
    assert [drain(s) for s in pi.shards()] == [[2, 6, 10], [4, 8]]


@cites("SRC-7")
def test_regathering_callable_sources_starts_them_again(api: Any) -> None:
    pi = api.from_iterators([funcs.OneShotFactory([1, 2]), funcs.OneShotFactory([3])])
    assert drain(pi.gather_sync()) == [1, 3, 2]
    assert drain(pi.gather_sync()) == [1, 3, 2]


@cites("SRC-7")
def test_regathering_repeating_sources_starts_from_the_beginning(api: Any) -> None:
    pi = api.from_items([1, 2, 3], num_shards=1, repeat=True)
    assert pi.take(4) == [1, 2, 3, 1]
    assert pi.take(4) == [1, 2, 3, 1]


@cites("SRC-7", "PAR-9")
def test_regathering_a_repartition_yields_the_same_items(api: Any) -> None:
    pi = api.from_range(6, num_shards=2).repartition(2)
    first = sorted(drain(pi.gather_sync()))
    assert first == list(range(6))
    assert sorted(drain(pi.gather_sync())) == first
