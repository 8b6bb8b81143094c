"""SPEC §3 Parallel transforms: PAR-1..14.

Expected outputs come from the model (:mod:`conformance.model`), built with the same
source and transform; the sources are shared per module so that Ray backends reuse
their shard workers across examples.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import checks, funcs, model, probes
from conformance.plugin import examples
from conformance.util import cites, drain, needs

SOURCES = {
    "one": ([3, 1, 4, 1, 5], 1),
    "two": (list(range(9)), 2),
    "three": ([10, 20, 30, 40, 50, 60, 70], 3),
    "sparse": ([7, 8], 4),
}


@pytest.fixture(scope="module")
def sources(api: Any) -> dict[str, Any]:
    return {name: api.from_items(items, num_shards=n) for name, (items, n) in SOURCES.items()}


def model_source(name: str) -> Any:
    items, n = SOURCES[name]
    return model.from_items(items, num_shards=n)


def shard_lists(pi: Any) -> list[list[Any]]:
    return [drain(s) for s in pi.shards()]


source_names = st.sampled_from(sorted(SOURCES))


@cites("PAR-1", "ORD-1")
@examples(0.5)
@given(data=st.data())
def test_transform_replaces_each_shard_stream(api: Any, sources: dict[str, Any], data: st.DataObject) -> None:
    name = data.draw(source_names, label="source")
    fn = funcs.SwapPairs()
    got = shard_lists(sources[name].transform(fn))
    assert got == shard_lists(model_source(name).transform(fn))


class _NeedsIterator:
    """transform fn that checks it receives an iterator (PAR-1)."""

    def __call__(self, it: Any) -> Any:
        if not hasattr(it, "__next__"):
            raise TypeError(f"transform fn received {type(it).__name__}, not an iterator")
        return (x + 1 for x in it)


@cites("PAR-1")
def test_transform_fn_receives_an_iterator(api: Any, sources: dict[str, Any]) -> None:
    assert drain(sources["one"].transform(_NeedsIterator()).gather_sync()) == [4, 2, 5, 2, 6]


@cites("PAR-2")
def test_for_each_maps_every_item_and_leaves_the_receiver_unchanged(
    api: Any, sources: dict[str, Any]
) -> None:
    base = sources["two"]
    doubled = base.for_each(funcs.double)
    assert isinstance(doubled, api.ParallelIterator)
    assert doubled is not base
    assert shard_lists(doubled) == [[0, 4, 8, 12, 16], [2, 6, 10, 14]]
    assert shard_lists(base) == [[0, 2, 4, 6, 8], [1, 3, 5, 7]]
    assert drain(base.for_each(lambda x: (x, "lambda")).gather_sync())[:2] == [(0, "lambda"), (1, "lambda")]


@cites("PAR-3")
@needs("max_concurrency")
@pytest.mark.parametrize("k", [2, 3])
def test_for_each_max_concurrency_bounds_calls_in_flight(api: Any, tmp_path: Any, k: int) -> None:
    """At most k calls of fn in flight per shard; output is the multiset of fn(x)."""
    log = probes.EventLog(tmp_path / "log")
    items = list(range(7))
    fn = probes.InFlight(log, 0.15).as_function()
    pi = api.from_items(items, num_shards=1).for_each(fn, max_concurrency=k)
    got = drain(pi.gather_sync())
    checks.check_multiset(got, items)
    peak = probes.max_in_flight(log.events())
    assert 1 <= peak <= k, f"{peak} calls in flight with max_concurrency={k}"


@cites("PAR-3")
@needs("max_concurrency")
def test_for_each_unbounded_concurrency_keeps_the_multiset(api: Any, sources: dict[str, Any]) -> None:
    got = shard_lists(
        sources["three"].for_each(funcs.concurrent_tag, max_concurrency=0, resources={"num_cpus": 0})
    )
    want = shard_lists(model_source("three").for_each(funcs.concurrent_tag))
    for g, w in zip(got, want, strict=True):
        checks.check_multiset(g, w)


@cites("PAR-3")
@needs("max_concurrency")
def test_concurrent_for_each_accepts_callable_objects(api: Any, sources: dict[str, Any]) -> None:
    """``fn`` is any user callable, also with max_concurrency > 1."""
    got = shard_lists(sources["two"].for_each(funcs.Tag("o"), max_concurrency=2))
    want = shard_lists(model_source("two").for_each(funcs.Tag("o")))
    for g, w in zip(got, want, strict=True):
        checks.check_multiset(g, w)


@cites("PAR-3", "ORD-2")
def test_for_each_default_calls_are_sequential(api: Any, tmp_path: Any) -> None:
    log = probes.EventLog(tmp_path / "log")
    drain(api.from_items(list(range(4)), num_shards=1).for_each(probes.InFlight(log, 0.02)).gather_sync())
    assert probes.max_in_flight(log.events()) == 1


@cites("PAR-4")
@examples(0.5)
@given(data=st.data())
def test_filter_keeps_exactly_the_truthy_items_in_order(
    api: Any, sources: dict[str, Any], data: st.DataObject
) -> None:
    name = data.draw(source_names, label="source")
    mod = data.draw(st.sampled_from([2, 3]), label="mod")
    rem = data.draw(st.integers(0, mod - 1), label="rem")
    fn = funcs.Keep(mod, rem)
    assert shard_lists(sources[name].filter(fn)) == shard_lists(model_source(name).filter(fn))


@cites("PAR-5")
@examples(0.5)
@given(data=st.data())
def test_batch_groups_consecutive_items(api: Any, sources: dict[str, Any], data: st.DataObject) -> None:
    name = data.draw(source_names, label="source")
    n = data.draw(st.integers(1, 5), label="n")
    got = shard_lists(sources[name].batch(n))
    assert got == shard_lists(model_source(name).batch(n))
    for shard in got:
        assert all(isinstance(b, list) and 1 <= len(b) <= n for b in shard), shard
        assert all(len(b) == n for b in shard[:-1]), shard


@cites("PAR-4")
def test_filter_keeps_items_whose_answer_is_truthy_not_only_true(api: Any) -> None:
    pi = api.from_items(list(range(10)), num_shards=2).filter(funcs.remainder_of_three)
    assert sorted(drain(pi.gather_sync())) == [x for x in range(10) if x % 3]


@cites("PAR-6")
def test_flatten_takes_any_iterable_not_only_lists(api: Any) -> None:
    pi = api.from_items(list(range(6)), num_shards=2).for_each(funcs.as_tuple_and_range)
    expected = [[y for x in s for y in (x, range(x % 3))] for s in ([0, 2, 4], [1, 3, 5])]
    assert shard_lists(pi.flatten()) == expected


@cites("PAR-6")
def test_flatten_yields_elements_in_order(api: Any, sources: dict[str, Any]) -> None:
    pi = sources["two"].for_each(funcs.Split(2)).flatten()
    assert shard_lists(pi) == [
        [(x, i) for x in range(0, 9, 2) for i in range(2)],
        [(x, i) for x in range(1, 9, 2) for i in range(2)],
    ]
    assert shard_lists(sources["three"].batch(2).flatten()) == shard_lists(sources["three"])


@cites("PAR-7")
@pytest.mark.parametrize("k", [0, 1, 3])
def test_combine_is_for_each_then_flatten(api: Any, sources: dict[str, Any], k: int) -> None:
    fn = funcs.Split(k)
    assert shard_lists(sources["three"].combine(fn)) == shard_lists(sources["three"].for_each(fn).flatten())
    assert shard_lists(sources["three"].combine(fn)) == shard_lists(model_source("three").combine(fn))


@cites("PAR-8", "LOC-7")
@examples(0.5)
@given(data=st.data())
def test_local_shuffle_with_seed_is_the_buffer_shuffle_per_shard(
    api: Any, sources: dict[str, Any], data: st.DataObject
) -> None:
    name = data.draw(source_names, label="source")
    size = data.draw(st.integers(1, 6), label="shuffle_buffer_size")
    seed = data.draw(st.integers(0, 1000), label="seed")
    pi = sources[name].local_shuffle(size, seed=seed)
    want = shard_lists(model_source(name).local_shuffle(size, seed=seed))
    assert shard_lists(pi) == want
    assert shard_lists(pi) == want, "a fresh random.Random(seed) per shard per run"


@cites("PAR-8")
def test_local_shuffle_without_seed_permutes_each_shard(api: Any, sources: dict[str, Any]) -> None:
    got = shard_lists(sources["three"].local_shuffle(3))
    for g, w in zip(got, shard_lists(sources["three"]), strict=True):
        checks.check_multiset(g, w)


@cites("PAR-9", "SHARD-7")
@pytest.mark.parametrize("n", [1, 2, 3])
def test_repartition_has_num_partitions_shards_with_the_same_items(
    api: Any, sources: dict[str, Any], n: int
) -> None:
    pi = sources["three"].repartition(n)
    assert isinstance(pi, api.ParallelIterator)
    assert pi.num_shards() == n
    checks.check_multiset(drain(pi.gather_sync()), SOURCES["three"][0])


@cites("PAR-9", "GATH-4")
def test_repartition_with_batch_ms_keeps_the_items(api: Any, sources: dict[str, Any]) -> None:
    pi = sources["two"].repartition(2, batch_ms=5)
    checks.check_multiset(drain(pi.gather_sync()), SOURCES["two"][0])


@cites("PAR-10", "SHARD-8", "ORD-7")
def test_union_concatenates_the_shards(api: Any, sources: dict[str, Any]) -> None:
    a, b = sources["two"], sources["one"]
    u = a.union(b)
    assert isinstance(u, api.ParallelIterator)
    assert u.num_shards() == 3
    assert shard_lists(u) == shard_lists(a) + shard_lists(b)
    assert drain(u.gather_sync()) == drain(model_source("two").union(model_source("one")).gather_sync())


@cites("PAR-11", "SHARD-9")
def test_select_shards_keeps_the_listed_shards(api: Any, sources: dict[str, Any]) -> None:
    base = sources["three"]
    assert shard_lists(base.select_shards([2, 0])) == [shard_lists(base)[0], shard_lists(base)[2]]
    assert base.select_shards([1]).num_shards() == 1


@cites("PAR-11")
def test_select_shards_after_union_works_or_is_refused_with_value_error(
    api: Any, sources: dict[str, Any]
) -> None:
    u = sources["two"].union(sources["one"])
    try:
        picked = u.select_shards([2])
    except ValueError:
        return
    assert shard_lists(picked) == [SOURCES["one"][0]]


@cites("PAR-12", "SHARD-7")
def test_num_shards(api: Any, sources: dict[str, Any]) -> None:
    for name, (_, n) in SOURCES.items():
        assert sources[name].num_shards() == n
        assert sources[name].for_each(funcs.identity).batch(2).num_shards() == n


@cites("PAR-13")
@pytest.mark.parametrize("n", [1, 3, 9, 20])
def test_take_returns_the_first_n_items_of_gather_sync(api: Any, sources: dict[str, Any], n: int) -> None:
    want = drain(model_source("three").gather_sync())[:n]
    assert sources["three"].take(n) == want


@cites("PAR-13", "LOC-4")
def test_take_zero_returns_nothing(api: Any, sources: dict[str, Any]) -> None:
    assert sources["two"].take(0) == []
    assert sources["two"].gather_sync().take(0) == []


@cites("PAR-13")
def test_show_prints_one_line_per_item(api: Any, sources: dict[str, Any], capsys: Any) -> None:
    sources["three"].show(4)
    want = drain(model_source("three").gather_sync())
    assert capsys.readouterr().out.splitlines() == [str(x) for x in want[:4]]
    big = api.from_range(30, num_shards=1)
    big.show()
    assert capsys.readouterr().out.splitlines() == [str(x) for x in range(20)]


@cites("PAR-14")
def test_parallel_iterator_is_not_directly_iterable(api: Any, sources: dict[str, Any]) -> None:
    with pytest.raises(TypeError) as info:
        iter(sources["one"])
    assert "gather_sync" in str(info.value) and "gather_async" in str(info.value)
