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


#: element kinds of ``from_iterators`` (SRC-3): iterables, and a zero-argument callable.
ELEMENT_KINDS = {
    "list": list,
    "tuple": tuple,
    "range": lambda items: range(len(items)),
    "callable": funcs.OneShotFactory,
}


@cites("SHARD-3")
@examples(0.5)
@given(data=st.data())
def test_from_iterators_shard_i_is_generator_i(backend: Any, api: Any, data: st.DataObject) -> None:
    """Shard ``i`` yields the items of ``generators[i]`` in order, for every number of
    elements, each a list, tuple, range or callable (empty ones included)."""
    k = data.draw(strategies.shard_counts(shard_cap(backend)), label="shards")
    kinds = data.draw(st.lists(st.sampled_from(sorted(ELEMENT_KINDS)), min_size=k, max_size=k), label="kinds")
    contents = data.draw(st.lists(strategies.item_lists(5), min_size=k, max_size=k), label="contents")
    generators = [ELEMENT_KINDS[kind](items) for kind, items in zip(kinds, contents, strict=True)]
    want = [list(g() if callable(g) else g) for g in generators]
    assert shard_lists(api.from_iterators(generators)) == want, f"elements {generators!r}"


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


def running_sums(items: list[int], num_shards: int) -> list[list[tuple[int, int]]]:
    """SHARD-6 with SHARD-1: per shard, ``(running sum, x)`` over that shard's items."""
    shards = []
    for i in range(num_shards):
        total, out = 0, []
        for x in items[i::num_shards]:
            total += x
            out.append((total, x))
        shards.append(out)
    return shards


@cites("SHARD-6")
@examples(0.5)
@given(items=st.lists(st.integers(0, 99), max_size=9), num_shards=st.integers(1, 4))
@example(items=[1, 2, 3, 4, 5], num_shards=2)
def test_running_sum_is_per_shard(api: Any, items: list[int], num_shards: int) -> None:
    """The spec's running-sum example ([1..5] on 2 shards gives (1,1) (2,2) (4,3) (6,4)
    (9,5)), over drawn items and shard counts: each shard sums only its own items."""
    pi = api.from_items(items, num_shards=num_shards).for_each(funcs.CumulativeSum())
    want = running_sums(items, num_shards)
    checks.check_round_robin(drain(pi.gather_sync()), [[shard] for shard in want])


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


def _drawn_source(api: Any, data: st.DataObject) -> tuple[Any, int]:
    """A source of each kind with a drawn shard count, and that count."""
    kind = data.draw(st.sampled_from(["items", "range", "iterators"]), label="source kind")
    k = data.draw(st.integers(1, 4), label="shards")
    if kind == "items":
        return api.from_items(list(range(data.draw(st.integers(0, 6), label="items"))), num_shards=k), k
    if kind == "range":
        return api.from_range(data.draw(st.integers(0, 6), label="n"), num_shards=k), k
    return api.from_iterators([[i] for i in range(k)]), k


PLAN_OPS = ["union", "select_shards", "repartition", "for_each"]


@cites("SHARD-7")
@examples(1)
@given(data=st.data())
def test_num_shards_is_exact(api: Any, data: st.DataObject) -> None:
    """After every step of a drawn chain: the shards the sources created, the sum over
    the parts of a union, the distinct indices kept by select_shards, num_partitions
    after repartition, unchanged by element-wise transforms (nothing is run)."""
    pi, want = _drawn_source(api, data)
    assert pi.num_shards() == want
    united = False
    for _ in range(data.draw(st.integers(1, 5), label="number of parallel ops")):
        op = data.draw(st.sampled_from(PLAN_OPS), label="parallel op")
        if op == "union":
            other, k = _drawn_source(api, data)
            pi, want, united = pi.union(other), want + k, True
        elif op == "select_shards":
            # distinct indices: repeated ones are test_select_shards_repeated_indices_count_once's
            keep = data.draw(st.lists(st.integers(0, want - 1), min_size=1, unique=True), label="keep")
            try:
                pi, want = pi.select_shards(keep), len(set(keep))
            except ValueError:
                if not united:
                    raise  # PAR-11 allows refusing only on the result of a union
        elif op == "repartition":
            want = data.draw(st.integers(1, 4), label="num_partitions")
            pi = pi.repartition(want)
        else:
            pi = pi.for_each(funcs.identity)
        assert pi.num_shards() == want, f"after {op}: {pi!r}"


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
def test_a_repartition_united_with_itself_yields_every_item_once(api: Any) -> None:
    """The clause's example: ``r.union(r)`` yields every item of ``r`` once."""
    items = list(range(9))
    r = api.from_items(items, num_shards=2).repartition(3)
    got = drain(r.union(r).gather_sync())
    assert sorted(got) == items, f"{r!r}.union(itself) gave {got!r}"


@cites("SHARD-11", "SHARD-10")
@examples(1)
@given(data=st.data())
def test_a_run_reads_a_repartition_once(backend: Any, api: Any, data: st.DataObject) -> None:
    """A plan holding a repartition ``r`` several times (``r`` itself, or some of its
    partitions by select_shards) yields, under every gather, each item of the
    partitions it reads exactly once (partition ``j`` holds each parent shard's items
    at positions ``p % n == j``, SHARD-10)."""
    lengths = data.draw(st.lists(st.integers(0, 5), min_size=1, max_size=2), label="shards")
    n = data.draw(st.integers(1, 3), label="num_partitions")
    parents = tagged_lists([f"p{i}" for i in range(len(lengths))], lengths)
    r = api.from_iterators(parents).repartition(n)
    # distinct indices per select_shards: repeated ones are SHARD-9's own test's matter
    some = st.lists(st.integers(0, n - 1), min_size=1, unique=True)
    appearances = data.draw(st.lists(st.none() | some, min_size=2, max_size=3), label="nesting")
    parts = [r if keep is None else r.select_shards(keep) for keep in appearances]
    plan = parts[0]
    for part in parts[1:]:
        plan = plan.union(part)
    read = set().union(*(range(n) if keep is None else keep for keep in appearances))
    want = [x for parent in parents for x in parent if x[1] % n in read]
    gather = data.draw(st.sampled_from(GATHERS), label="gather")
    got = _gathered(plan, gather)
    checks.check_multiset(got, want, what=f"{gather} over {plan!r}")
