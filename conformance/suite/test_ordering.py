"""SPEC §6 Fetch ordering: ORD-1..7."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks, funcs, model, probes
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


@cites("ORD-2")
@pytest.mark.parametrize("kind", ["for_each", "filter", "combine"])
def test_fn_returns_before_the_next_pull(api: Any, tmp_path: Any, kind: str) -> None:
    """fn(x_i) returns before the source yields x_{i+1}: source and transform log to a
    shared, append-only event log (their real-time order)."""
    log = probes.EventLog(tmp_path / "events")
    n = 4
    sources = [probes.LoggedSource(log, t, n) for t in ("p", "q")]
    fn = {"for_each": funcs.identity, "filter": bool, "combine": lambda x: [x]}[kind]
    pi = getattr(api.from_iterators(sources), kind)(probes.LoggedCall(log, "f", fn, pause=0.02))
    got = drain(pi.gather_async(num_async=2))
    assert per_tag(got) == {"p": [("p", i) for i in range(n)], "q": [("q", i) for i in range(n)]}
    events = log.events()
    for tag in ("p", "q"):
        _check_completion_before_next_pull(events, tag, n, "f")


@cites("ORD-2")
def test_batch_pulls_exactly_what_it_needs(api: Any, tmp_path: Any) -> None:
    """batch(3) pulls three items for a batch and no more before the downstream fn
    has returned for that batch."""
    log = probes.EventLog(tmp_path / "events")
    pi = api.from_iterators([probes.LoggedSource(log, "p", 7)]).batch(3)
    pi = pi.for_each(probes.LoggedCall(log, "g", funcs.identity, pause=0.02))
    assert drain(pi.gather_sync()) == [
        [("p", 0), ("p", 1), ("p", 2)],
        [("p", 3), ("p", 4), ("p", 5)],
        [("p", 6)],
    ]
    events = log.events()
    first_end = events.index(f"end g {[('p', 0), ('p', 1), ('p', 2)]!r}")
    assert events.index("pull p 2") < first_end < events.index("pull p 3"), events


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
def test_union_gathers_round_robin_over_the_concatenated_shards(api: Any) -> None:
    a = api.from_iterators([[1, 2, 3], [4]])
    b = api.from_iterators([[10], [20, 30]])
    u = a.union(b)
    want = drain(
        model.from_iterators([[1, 2, 3], [4]]).union(model.from_iterators([[10], [20, 30]])).gather_sync()
    )
    assert want == [1, 4, 10, 20, 2, 30, 3]
    assert drain(u.gather_sync()) == want
    assert [drain(s) for s in u.shards()] == [[1, 2, 3], [4], [10], [20, 30]]
