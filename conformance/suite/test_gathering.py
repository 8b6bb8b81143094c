"""SPEC §5 Gathering: GATH-1..8."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import checks, funcs, model, oracle, probes, strategies
from conformance.plugin import examples, shard_cap
from conformance.util import cites, drain, per_tag, tagged_lists

LENGTHS = [3, 0, 5, 1]
TAGS = ["a", "b", "c", "d"]


@pytest.fixture(scope="module")
def uneven(api: Any) -> Any:
    """Four shards of lengths 3, 0, 5, 1; items ``(tag, i)`` name their shard."""
    return api.from_iterators(tagged_lists(TAGS, LENGTHS))


def model_uneven() -> Any:
    return model.from_iterators(tagged_lists(TAGS, LENGTHS))


@cites("GATH-1", "ORD-3")
def test_gather_sync_is_round_robin(uneven: Any) -> None:
    it = uneven.gather_sync()
    assert drain(it) == drain(model_uneven().gather_sync())
    assert drain(it) == []


@cites("GATH-1", "ORD-3", "SHARD-4")
@examples(0.5)
@given(data=st.data())
def test_gather_sync_matches_the_model(api: Any, data: st.DataObject) -> None:
    source = data.draw(strategies.sources(10, 4), label="source")
    got = drain(source.build(api).gather_sync())
    checks.check_round_robin(got, oracle.expected_shards(source.build(model)))


@cites("GATH-2", "ORD-4")
def test_batch_across_shards_yields_rounds(uneven: Any) -> None:
    rounds = drain(uneven.batch_across_shards())
    assert rounds == [
        [("a", 0), ("c", 0), ("d", 0)],
        [("a", 1), ("c", 1)],
        [("a", 2), ("c", 2)],
        [("c", 3)],
        [("c", 4)],
    ]
    assert [x for r in rounds for x in r] == drain(uneven.gather_sync())
    assert drain(uneven.batch_across_shards().flatten()) == drain(uneven.gather_sync())


@cites("GATH-3", "ORD-5")
@pytest.mark.parametrize(("batch_ms", "num_async"), [(0, 1), (0, 3), (5, 1), (5, 2)])
def test_gather_async_delivers_every_item_in_shard_order(uneven: Any, batch_ms: int, num_async: int) -> None:
    got = drain(uneven.gather_async(batch_ms=batch_ms, num_async=num_async))
    checks.check_merge(got, [s for s in tagged_lists(TAGS, LENGTHS) if s], what="gather_async")


@cites("GATH-4", "ORD-5")
@examples(0.5)
# positive batch_ms below 0.5 ms: the next test
@given(batch_ms=st.just(0) | st.floats(0.5, 25), num_async=st.integers(1, 3))
def test_batch_ms_with_a_slow_shard(api: Any, batch_ms: float, num_async: int) -> None:
    """batch_ms is only a throughput hint: every item still arrives once, per shard
    in order, also when one shard is much slower than the others (drawn batch_ms and
    num_async)."""
    lists = tagged_lists(["fast", "slow"], [6, 3])
    pi = api.from_iterators(lists).for_each(_SlowOn("slow", 0.05))
    got = drain(pi.gather_async(batch_ms=batch_ms, num_async=num_async))
    checks.check_merge(got, lists, what=f"gather_async(batch_ms={batch_ms}, num_async={num_async})")
    assert drain(pi.get_shard(1, batch_ms=batch_ms, num_async=num_async)) == lists[1]


@cites("GATH-4", "ORD-5")
@given(batch_ms=st.floats(min_value=0, max_value=1e-4, exclude_min=True), num_async=st.integers(1, 3))
def test_a_batch_ms_far_below_a_millisecond_is_still_only_a_hint(api: Any, batch_ms: float,
                                                                 num_async: int) -> None:
    """GATH-4's batch_ms is any number >= 0: a positive one far below a
    millisecond, down to the smallest floats, still delivers every item once, per
    shard in order (drawn batch_ms and num_async)."""
    lists = tagged_lists(["a", "b"], [5, 3])
    got = drain(api.from_iterators(lists).gather_async(batch_ms=batch_ms, num_async=num_async))
    checks.check_merge(got, lists, what=f"gather_async(batch_ms={batch_ms!r}, num_async={num_async})")


class _SlowOn:
    def __init__(self, tag: str, seconds: float) -> None:
        self.tag = tag
        self.seconds = seconds

    def __call__(self, item: Any) -> Any:
        if item[0] == self.tag:
            funcs.Sleep(self.seconds)(item)
        return item


@cites("GATH-5", "SHARD-5")
@pytest.mark.parametrize(("batch_ms", "num_async"), [(0, 1), (0, 2), (3, 3)])
def test_get_shard_yields_exactly_that_shard(uneven: Any, batch_ms: int, num_async: int) -> None:
    lists = tagged_lists(TAGS, LENGTHS)
    for i in range(len(TAGS)):
        it = uneven.get_shard(i, batch_ms=batch_ms, num_async=num_async)
        assert drain(it) == lists[i]


@cites("GATH-6")
def test_shards_lists_one_iterator_per_shard(api: Any, uneven: Any) -> None:
    shards = uneven.shards()
    assert isinstance(shards, list) and len(shards) == uneven.num_shards() == 4
    assert all(isinstance(s, api.LocalIterator) for s in shards)
    assert [drain(s) for s in shards] == [drain(uneven.get_shard(i)) for i in range(4)]


@cites("GATH-7", "SHARD-6")
def test_sequential_runs_share_no_transform_state(api: Any) -> None:
    pi = api.from_items([1, 2, 3, 4, 5], num_shards=2).for_each(funcs.CumulativeSum())
    want = [(1, 1), (2, 2), (4, 3), (6, 4), (9, 5)]
    assert drain(pi.gather_sync()) == want
    assert drain(pi.gather_sync()) == want
    assert drain(pi.get_shard(0)) == [(1, 1), (4, 3), (9, 5)]


@cites("GATH-7")
def test_interleaved_runs_do_not_consume_each_others_items(api: Any) -> None:
    pi = api.from_items(list(range(8)), num_shards=2)
    a, b = pi.gather_sync(), pi.gather_sync()
    got_a, got_b = [], []
    for _ in range(8):
        got_a.append(next(a))
        got_b.append(next(b))
    assert got_a == list(range(8)) and got_b == list(range(8))


@cites("GATH-7")
def test_interleaved_shard_runs_are_independent(api: Any) -> None:
    pi = api.from_items(list(range(10)), num_shards=1)
    a, b = pi.get_shard(0), pi.get_shard(0)
    got_a = [next(a), next(a)]
    got_b = [next(b), next(b)]
    got_a += drain(a)
    got_b += drain(b)
    assert got_a == list(range(10)) and got_b == list(range(10))


class _SlowAt:
    """for_each: identity, sleeping ``seconds`` on the one item equal to ``item``."""

    def __init__(self, item: Any, seconds: float) -> None:
        self.item = item
        self.seconds = seconds

    def __call__(self, x: Any) -> Any:
        if x == self.item:
            funcs.Sleep(self.seconds)(x)
        return x


@cites("GATH-8")
@pytest.mark.parametrize("gather", ["gather_sync", "gather_async", "batch_across_shards"])
def test_end_of_stream_is_final(uneven: Any, gather: str) -> None:
    it = getattr(uneven, gather)()
    items = drain(it)
    flat = [x for r in items for x in r] if gather == "batch_across_shards" else items
    assert sorted(flat) == sorted(x for s in tagged_lists(TAGS, LENGTHS) for x in s)
    for _ in range(3):
        with pytest.raises(StopIteration):
            next(it)


@cites("GATH-8")
@examples(1)
@given(data=st.data())
def test_a_run_ends_exactly_when_its_shards_have_ended(backend: Any, api: Any, data: st.DataObject) -> None:
    """Shards of drawn lengths (empty ones included), one item made slow at a drawn
    position, under a drawn gather: the run delivers every item, then ends, and stays
    ended."""
    k = data.draw(st.integers(1, shard_cap(backend)), label="shards")
    lengths = data.draw(st.lists(st.integers(0, 5), min_size=k, max_size=k), label="ending")
    slow = data.draw(st.tuples(st.integers(0, k - 1), st.integers(0, 4)), label="position")
    gather = data.draw(
        st.sampled_from(["gather_sync", "gather_async", "batch_across_shards", "get_shard", "shards"]),
        label="gather",
    )
    tags = [f"s{i}" for i in range(k)]
    lists = tagged_lists(tags, lengths)
    pi = api.from_iterators(lists).for_each(_SlowAt((tags[slow[0]], slow[1]), 0.05))
    if gather in ("get_shard", "shards"):
        runs = [pi.get_shard(i) for i in range(k)] if gather == "get_shard" else pi.shards()
        for i, it in enumerate(runs):
            assert drain(it) == lists[i]
            _check_ended(it)
        return
    it = getattr(pi, gather)()
    got = drain(it)
    if gather == "gather_sync":
        checks.check_round_robin(got, [[lst] for lst in lists])
    elif gather == "gather_async":
        checks.check_merge(got, lists, what="gather_async")
    else:
        checks.check_rounds(got, [[lst] for lst in lists])
    _check_ended(it)


def _check_ended(it: Any) -> None:
    for _ in range(3):
        with pytest.raises(StopIteration):
            next(it)


@cites("GATH-8", "SHARD-4")
def test_all_empty_shards_end_at_once(api: Any) -> None:
    pi = api.from_items([], num_shards=3)
    assert drain(pi.gather_sync()) == []
    assert drain(pi.gather_async()) == []
    assert drain(pi.batch_across_shards()) == []
    assert [drain(s) for s in pi.shards()] == [[], [], []]


@cites("GATH-8")
def test_a_run_does_not_end_early_with_a_slow_shard(api: Any) -> None:
    lists = tagged_lists(["x", "y"], [1, 4])
    pi = api.from_iterators(lists).for_each(_SlowOn("y", 0.05))
    assert per_tag(drain(pi.gather_async())) == {"x": lists[0], "y": lists[1]}


@cites("GATH-3", "GATH-8")
@pytest.mark.parametrize("num_async", [1, 2])
def test_gather_async_reads_a_shard_while_another_waits_on_it(
    api: Any, tmp_path: Any, num_async: int
) -> None:
    """Shard ``a``'s first item cannot be produced until shard ``b`` has produced three
    items, so a backend that reads ``a`` before fetching ``b`` never finishes (the
    waiting item gives up after ``probes.GATE_SECONDS``, or at once if it waits in
    the consumer's own thread)."""
    gate = probes.Gate(probes.Counter(tmp_path, "b-produced"), need=3, wait_tag="a", mark_tag="b")
    pi = api.from_iterators(tagged_lists(["a", "b"], [2, 5])).for_each(gate)
    got = drain(pi.gather_async(num_async=num_async))
    a, b = tagged_lists(["a", "b"], [2, 5])
    assert per_tag(got) == {"a": a, "b": b}
