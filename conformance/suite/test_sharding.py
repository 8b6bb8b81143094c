"""SPEC §9 Sharding: SHARD-1..11."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conformance import checks, funcs, model, strategies
from conformance.plugin import examples, shard_cap
from conformance.util import cites, drain, per_tag, tagged_lists


def shard_lists(pi: Any) -> list[list[Any]]:
    return [drain(s) for s in pi.shards()]


@cites("SHARD-1")
@pytest.mark.parametrize(("count", "num_shards"), [(7, 1), (7, 3), (2, 3)])
def test_from_items_is_round_robin(api: Any, count: int, num_shards: int) -> None:
    items = ["a", "b", "c", "d", "e", "f", "g"][:count]
    assert shard_lists(api.from_items(items, num_shards=num_shards)) == [
        items[i::num_shards] for i in range(num_shards)
    ]


@cites("SHARD-2")
@pytest.mark.parametrize(("n", "k"), [(10, 3), (7, 2), (3, 4), (0, 2), (9, 1)])
def test_from_range_is_contiguous(api: Any, n: int, k: int) -> None:
    q = n // k
    want = [list(range(i * q, (i + 1) * q)) for i in range(k - 1)] + [list(range((k - 1) * q, n))]
    assert shard_lists(api.from_range(n, num_shards=k)) == want


@cites("SHARD-3")
def test_from_iterators_shard_i_is_generator_i(api: Any) -> None:
    generators = [[3, 2, 1], [], (9, 8), range(4), funcs.OneShotFactory(["x"])]
    assert shard_lists(api.from_iterators(generators)) == [[3, 2, 1], [], [9, 8], [0, 1, 2, 3], ["x"]]


@cites("SHARD-4", "SRC-1")
@examples(0.5)
@given(data=st.data())
@example(data=None)
def test_conservation_under_every_gather(backend: Any, api: Any, data: st.DataObject | None) -> None:
    """All shards' items are the input's multiset (duplicates and mixed types
    included, more shards than items included) under every gather."""
    if data is None:
        items, n = [1, 1, None, "a"], 6
    else:
        items = data.draw(strategies.any_item_lists(10), label="items")
        n = data.draw(strategies.shard_counts(shard_cap(backend)), label="num_shards")
    pi = api.from_items(items, num_shards=n)
    checks.check_multiset(drain(pi.gather_sync()), items, what="gather_sync")
    checks.check_multiset(drain(pi.gather_async()), items, what="gather_async")
    checks.check_multiset(
        [x for r in drain(pi.batch_across_shards()) for x in r], items, what="batch_across_shards"
    )
    checks.check_multiset([x for s in shard_lists(pi) for x in s], items, what="shards")
    checks.check_multiset(pi.take(len(items) + 3), items, what="take")


@cites("SHARD-4", "SRC-2")
@pytest.mark.parametrize(("n", "k"), [(2, 3), (1, 2), (0, 2)])
def test_from_range_with_more_shards_than_items(api: Any, n: int, k: int) -> None:
    pi = api.from_range(n, num_shards=k)
    assert pi.num_shards() == k
    assert sorted(drain(pi.gather_async())) == list(range(n))


@cites("SHARD-5")
def test_get_shard_is_shard_is_subsequence_of_gather_sync(api: Any) -> None:
    lists = tagged_lists(["a", "b", "c"], [4, 1, 3])
    pi = api.from_iterators(lists).for_each(funcs.Tag("t")).filter(funcs.Keep(3, 1))
    gathered = drain(pi.gather_sync())
    groups = per_tag([x for _, x in gathered])
    for i, tag in enumerate(["a", "b", "c"]):
        assert [x for _, x in drain(pi.get_shard(i))] == groups.get(tag, [])


@cites("SHARD-6")
def test_running_sum_is_per_shard(api: Any) -> None:
    """The spec's example: [1..5] on 2 shards with a running-sum object."""
    pi = api.from_items([1, 2, 3, 4, 5], num_shards=2)
    assert drain(pi.for_each(funcs.CumulativeSum()).gather_sync()) == [(1, 1), (2, 2), (4, 3), (6, 4), (9, 5)]


@cites("SHARD-6")
def test_transform_function_is_captured_when_added(api: Any) -> None:
    """Mutating a callable object after adding it does not change the iterator."""
    fn = funcs.CumulativeSum()
    pi = api.from_items([1, 2, 3, 4, 5], num_shards=2).for_each(fn)
    fn.total = 100
    assert drain(pi.gather_sync()) == [(1, 1), (2, 2), (4, 3), (6, 4), (9, 5)]


@cites("SHARD-6")
def test_state_is_not_shared_between_runs_or_shards(api: Any) -> None:
    pi = api.from_items([1, 2, 3, 4, 5, 6], num_shards=3).for_each(funcs.CumulativeSum())
    want = drain(
        model.from_items([1, 2, 3, 4, 5, 6], num_shards=3).for_each(funcs.CumulativeSum()).gather_sync()
    )
    assert want == [(1, 1), (2, 2), (3, 3), (5, 4), (7, 5), (9, 6)]
    assert drain(pi.gather_sync()) == want
    assert sorted(drain(pi.gather_async())) == sorted(want)
    assert shard_lists(pi) == [[(1, 1), (5, 4)], [(2, 2), (7, 5)], [(3, 3), (9, 6)]]


@cites("SHARD-7")
def test_num_shards_is_exact(api: Any) -> None:
    a = api.from_items(list(range(4)), num_shards=3)
    b = api.from_range(10, num_shards=2)
    c = api.from_iterators([[1], [2], [3]])
    assert (a.num_shards(), b.num_shards(), c.num_shards()) == (3, 2, 3)
    assert a.union(b).num_shards() == 5
    assert a.union(b).union(c).num_shards() == 8
    assert c.select_shards([2, 0]).num_shards() == 2
    assert a.repartition(4).num_shards() == 4
    assert a.repartition(1).num_shards() == 1


@cites("SHARD-8")
def test_union_shard_i(api: Any) -> None:
    a = api.from_iterators([[1, 2], [3]])
    b = api.from_iterators([[4], [], [5, 6]])
    assert shard_lists(a.union(b)) == [[1, 2], [3], [4], [], [5, 6]]
    assert drain(a.union(b).get_shard(4)) == [5, 6]
    c = api.from_iterators([[7], [8, 9]])
    three = a.union(b).union(c)
    expected = [[1, 2], [3], [4], [], [5, 6], [7], [8, 9]]
    assert [drain(three.get_shard(i)) for i in range(three.num_shards())] == expected


@cites("SHARD-9")
def test_select_shards_keeps_increasing_index_order(api: Any) -> None:
    pi = api.from_iterators([[0], [1], [2], [3]])
    assert shard_lists(pi.select_shards([3, 0, 2])) == [[0], [2], [3]]


@cites("SHARD-9", "SHARD-7")
def test_select_shards_repeated_indices_count_once(api: Any) -> None:
    pi = api.from_iterators([[0], [1], [2], [3]])
    picked = pi.select_shards([2, 1, 2, 1])
    assert picked.num_shards() == 2
    assert shard_lists(picked) == [[1], [2]]


@cites("SHARD-10", "PAR-9")
@pytest.mark.parametrize(("lengths", "n"), [([5, 3], 2), ([4, 0, 7], 3), ([6], 4), ([2, 2], 1)])
def test_repartition_partition_rule(api: Any, lengths: list[int], n: int) -> None:
    """Partition j holds, per parent shard, its items at positions p % n == j, in order."""
    tags = [f"p{i}" for i in range(len(lengths))]
    parents = tagged_lists(tags, lengths)
    pi = api.from_iterators(parents).repartition(n)
    assert pi.num_shards() == n
    for j, got in enumerate(shard_lists(pi)):
        checks.check_merge(
            got, [[x for x in parent if x[1] % n == j] for parent in parents], what=f"partition {j}"
        )


GATHERS = ["gather_sync", "gather_async", "batch_across_shards"]


def _gathered(pi: Any, gather: str) -> list[Any]:
    out = drain(getattr(pi, gather)())
    return [x for batch in out for x in batch] if gather == "batch_across_shards" else out


@cites("SHARD-8", "SHARD-4")
@pytest.mark.parametrize("gather", GATHERS)
def test_a_plan_united_with_itself_yields_every_item_twice(api: Any, gather: str) -> None:
    """Each appearance of a shard in a plan is its own pipeline in a run."""
    items = list(range(7))
    p = api.from_items(items, num_shards=2).for_each(funcs.double)
    assert sorted(_gathered(p.union(p), gather)) == sorted(2 * [2 * x for x in items])


@cites("SHARD-11", "SHARD-10")
@pytest.mark.parametrize("gather", GATHERS)
def test_a_repartition_united_with_itself_yields_every_item_once(api: Any, gather: str) -> None:
    """One run reads a repartition once: the two appearances of each partition
    share its items."""
    items = list(range(9))
    r = api.from_items(items, num_shards=2).repartition(3)
    got = _gathered(r.union(r), gather)
    assert sorted(got) == items, f"{r!r}.union(itself) gave {got!r}"
