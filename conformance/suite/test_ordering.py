"""SPEC §6 Fetch ordering: ORD-1..7."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import checks, funcs, probes
from conformance.plugin import examples, shard_cap
from conformance.util import cites, drain, per_tag, tagged_lists


@cites("ORD-1", "SHARD-6")
def test_a_stateful_transform_sees_its_shards_items_in_order(api: Any) -> None:
    """Each shard's copy of a stateful function sees exactly that shard's items, in
    source order, through a chain of order-preserving transforms."""
    lists = tagged_lists(["a", "b", "c"], [5, 3, 4])
    pi = (
        api.from_iterators(lists)
        .filter(funcs.Keep(7, 3))
        .for_each(funcs.Seen())
        .combine(funcs.Split(1))
        .for_each(lambda pair: pair[0])
    )
    kept = [[x for x in s if funcs.Keep(7, 3)(x)] for s in lists]
    for i, shard in enumerate(pi.shards()):
        got = drain(shard)
        assert [x for x, _ in got] == kept[i]
        assert [list(seen) for _, seen in got] == [kept[i][: k + 1] for k in range(len(kept[i]))]


def _check_completion_before_next_pull(events: list[str], tag: str, n: int, name: str) -> None:
    for i in range(n - 1):
        end = events.index(f"end {name} {(tag, i)!r}")
        pull = events.index(f"pull {tag} {i + 1}")
        assert end < pull, f"fn{(tag, i)} had not returned when item {i + 1} was pulled: {events}"


#: the transforms ORD-2 names, each with a function that keeps every item.
ORD2_TRANSFORMS = {"for_each": funcs.identity, "filter": bool, "combine": lambda x: [x]}


@cites("ORD-2")
@examples(0.5)
@given(data=st.data())
def test_fn_returns_before_the_next_pull(api: Any, tmp_path_factory: Any, data: st.DataObject) -> None:
    """In a chain of for_each, filter and combine, each fn(x_i) returns before the
    source yields x_{i+1}, at every position of 1..2 shards of drawn lengths: source
    and transforms log to a shared, append-only event log (their real-time order)."""
    lengths = data.draw(st.lists(st.integers(2, 6), min_size=1, max_size=2), label="ending")
    tags = [f"s{i}" for i in range(len(lengths))]
    log = probes.EventLog(tmp_path_factory.mktemp("ord2") / "events")
    pi = api.from_iterators([probes.LoggedSource(log, t, n) for t, n in zip(tags, lengths, strict=True)])
    for kind, fn in ORD2_TRANSFORMS.items():
        pi = getattr(pi, kind)(probes.LoggedCall(log, kind, fn, pause=0.02))
    got = drain(pi.gather_async(num_async=2))
    assert per_tag(got) == dict(zip(tags, tagged_lists(tags, lengths), strict=True))
    events = log.events()
    for tag, n in zip(tags, lengths, strict=True):
        for kind in ORD2_TRANSFORMS:
            _check_completion_before_next_pull(events, tag, n, kind)


@cites("ORD-2")
@examples(0.5)
@given(data=st.data())
def test_batch_pulls_exactly_what_it_needs(api: Any, tmp_path_factory: Any, data: st.DataObject) -> None:
    """batch(n) pulls the n items of a batch (or the rest, at the end) and no more
    before the downstream fn has returned for that batch; two or more batches, the
    stream ending at a drawn position."""
    n = data.draw(st.integers(1, 4), label="n")
    batches = data.draw(st.integers(2, 3), label="batches")
    ending = n * batches + data.draw(st.integers(0, n - 1), label="ending")
    log = probes.EventLog(tmp_path_factory.mktemp("batch") / "events")
    pi = api.from_iterators([probes.LoggedSource(log, "p", ending)]).batch(n)
    pi = pi.for_each(probes.LoggedCall(log, "g", funcs.identity, pause=0.02))
    items = [("p", i) for i in range(ending)]
    want = [items[k : k + n] for k in range(0, ending, n)]
    assert drain(pi.gather_sync()) == want
    events = log.events()
    for batch in want:
        end = events.index(f"end g {batch!r}")
        last = batch[-1][1]
        assert events.index(f"pull p {last}") < end, events
        if last + 1 < ending:
            assert end < events.index(f"pull p {last + 1}"), f"{batch} ended after the next pull: {events}"


@cites("ORD-3")
def test_gather_sync_drops_ended_shards_and_keeps_relative_order(api: Any) -> None:
    pi = api.from_iterators([[1], [10, 20, 30], [], [100, 200]])
    assert drain(pi.gather_sync()) == [1, 10, 100, 20, 200, 30]
    assert drain(pi.gather_sync()) == [1, 10, 100, 20, 200, 30], "deterministic"


@cites("ORD-4")
def test_batch_across_shards_kth_list_holds_item_k(api: Any) -> None:
    pi = api.from_iterators([[1, 2], [], [10, 20, 30]])
    assert drain(pi.batch_across_shards()) == [[1, 10], [2, 20], [30]]


ORD5_LISTS = tagged_lists(["a", "b", "c"], [6, 4, 5])


@pytest.fixture(scope="module")
def three_shards(api: Any) -> Any:
    return api.from_iterators(ORD5_LISTS)


@cites("ORD-5")
@pytest.mark.parametrize(("batch_ms", "num_async"), [(0, 1), (0, 2), (0, 4), (2, 1), (10, 3)])
def test_gather_async_keeps_each_shards_order(three_shards: Any, batch_ms: int, num_async: int) -> None:
    lists = ORD5_LISTS
    pi = three_shards.for_each(funcs.Sleep(0.002))
    got = drain(pi.gather_async(batch_ms=batch_ms, num_async=num_async))
    checks.check_merge(got, lists, what="gather_async")


@cites("ORD-6")
def test_local_transforms_keep_delivery_order(api: Any) -> None:
    lists = tagged_lists(["a", "b"], [4, 4])
    it = api.from_iterators(lists).gather_async(num_async=2)
    got = drain(it.for_each(funcs.Tag(1)).filter(funcs.Keep(5, 0)).for_each(funcs.Seen()))
    delivered = [x for x, _ in got]
    assert [list(seen) for _, seen in got] == [delivered[: k + 1] for k in range(len(delivered))]
    checks.check_merge([x for _, x in delivered], [[x for x in s if funcs.Keep(5, 0)((1, x))] for s in lists])


@cites("ORD-7", "SHARD-8", "PAR-10")
@examples(1)
@given(data=st.data())
def test_union_gathers_round_robin_over_the_concatenated_shards(
    backend: Any, api: Any, data: st.DataObject
) -> None:
    """A union of 2..3 plans of drawn shard counts and lengths, nested to the left or
    the right: its shards are the plans' shards in order, and ``gather_sync`` is the
    round-robin of ORD-3 over them."""
    cap = shard_cap(backend)
    plans = data.draw(
        st.lists(st.lists(st.integers(0, 4), min_size=1, max_size=2), min_size=2, max_size=3).filter(
            lambda ps: sum(map(len, ps)) <= cap
        ),
        label="shards",
    )
    grouping = data.draw(st.sampled_from(["left", "right"]), label="nesting")
    shards = [tagged_lists([f"u{j}s{i}" for i in range(len(p))], p) for j, p in enumerate(plans)]
    parts = [api.from_iterators(lists) for lists in shards]
    if grouping == "left":  # ((a ∪ b) ∪ c)
        united = parts[0]
        for part in parts[1:]:
            united = united.union(part)
    else:  # (a ∪ (b ∪ c))
        united = parts[-1]
        for part in reversed(parts[:-1]):
            united = part.union(united)
    concatenated = [lst for lists in shards for lst in lists]
    checks.check_round_robin(drain(united.gather_sync()), [[lst] for lst in concatenated])
    assert [drain(s) for s in united.shards()] == concatenated
