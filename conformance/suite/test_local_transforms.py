"""SPEC §4 Local transforms: LOC-1..10 (ORD-6 for local order)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conformance import checks, funcs, model, pipeline, probes, strategies
from conformance.plugin import examples, shard_cap
from conformance.util import cites, drain, needs, per_tag, tagged_lists

ITEMS = list(range(10, 22))


@pytest.fixture(scope="module")
def source(api: Any) -> Any:
    return api.from_items(ITEMS, num_shards=2)


def gathered(api: Any, source: Any) -> Any:
    return source.gather_sync()


def model_gathered() -> Any:
    return model.from_items(ITEMS, num_shards=2).gather_sync()


#: the gathers whose LocalIterators LOC-1 is checked on.
GATHERS = ("gather_sync", "gather_async", "batch_across_shards", "get_shard", "shards")


def _gather(pi: Any, gather: str, index: int = 0) -> Any:
    if gather == "get_shard":
        return pi.get_shard(index % pi.num_shards())
    if gather == "shards":
        return pi.shards()[index % pi.num_shards()]
    return getattr(pi, gather)()


def _check_against_model(got: list[Any], gather: str, shards: int, index: int = 0) -> None:
    """``got`` is what the model's run of the same gather over ITEMS delivers; under
    gather_async any interleaving of the shards (ORD-5)."""
    pi = model.from_items(ITEMS, num_shards=shards)
    if gather == "gather_async":
        checks.check_merge(got, [drain(s) for s in pi.shards()], what="gather_async")
    else:
        assert got == drain(_gather(pi, gather, index)), gather


@cites("LOC-1")
@examples(0.5)
@given(data=st.data())
def test_iterator_protocol(api: Any, data: st.DataObject) -> None:
    """Under a drawn gather of 1..3 shards, ``next()`` yields the run's items and then
    raises StopIteration, also on every later call."""
    shards = data.draw(st.integers(1, 3), label="shards")
    gather = data.draw(st.sampled_from(GATHERS), label="gather")
    index = data.draw(st.integers(0, 2), label="shard index")
    it = _gather(api.from_items(ITEMS, num_shards=shards), gather, index)
    assert isinstance(it, api.LocalIterator)
    got = []
    while len(got) <= len(ITEMS):
        try:
            got.append(next(it))
        except StopIteration:
            break
    _check_against_model(got, gather, shards, index)
    for _ in range(2):
        with pytest.raises(StopIteration):
            next(it)


@cites("LOC-1")
def test_iter_returns_the_iterator_itself(api: Any, source: Any) -> None:
    it = source.gather_sync()
    assert iter(it) is it


@cites("LOC-2", "ORD-6")
@examples(1)
@given(data=st.data())
def test_local_transform_chains_match_the_model(api: Any, source: Any, data: st.DataObject) -> None:
    """Chains of local transform/for_each/filter/batch/flatten/combine/shuffle on a
    determined stream give exactly the model's output."""
    ops: list[pipeline.Op] = []
    ordered, depth = True, 0
    for _ in range(data.draw(st.integers(1, 4), label="number of local ops")):
        op, ordered, depth = data.draw(strategies.local_op(ordered, depth, ()), label="local op")
        ops.append(op)
    it, want = source.gather_sync(), model_gathered()
    for op in ops:
        new = op.apply(it, api)
        assert isinstance(new, api.LocalIterator) and new is not it
        it, want = new, op.apply(want, model)
    assert drain(it) == drain(want), f"ops: {ops}"


@cites("LOC-2", "PAR-3")
@needs("max_concurrency")
def test_local_for_each_with_concurrency_keeps_the_multiset(api: Any, source: Any) -> None:
    got = drain(
        source.gather_sync().for_each(funcs.concurrent_tag, max_concurrency=2, resources={"num_cpus": 0})
    )
    checks.check_multiset(got, [("c", x) for x in drain(model_gathered())])


class _Base:
    """A ``base_iterator(timeout=None)`` callable over ``items`` (LOC-3)."""

    def __init__(self, items: list[int]) -> None:
        self.items = items

    def __call__(self, timeout: Any = None) -> Any:
        return iter(self.items)


def _add(k: int) -> Any:
    def step(it: Any) -> Any:
        return (x + k for x in it)

    return step


def _times(k: int) -> Any:
    def step(it: Any) -> Any:
        return (x * k for x in it)

    return step


#: a chain of local_transforms, as (step maker, its parameter) pairs.
LOCAL_TRANSFORM_CHAINS = st.lists(st.tuples(st.sampled_from([_add, _times]), st.integers(-3, 10)), max_size=4)


@cites("LOC-3")
@examples(1)
@given(items=st.lists(st.integers(-9, 9), max_size=6), local_transforms=LOCAL_TRANSFORM_CHAINS)
@example(items=[1, 2, 3, 4], local_transforms=[(_add, 1), (_times, 10)])
def test_local_iterator_construction(api: Any, items: list[int], local_transforms: list[Any]) -> None:
    """LocalIterator(base_iterator, ...) wraps a callable; a drawn list of 0..4
    local_transforms applies in order (positionally or by keyword); the other
    arguments have defaults."""
    steps = local_transforms
    want = list(items)
    for make, k in steps:
        want = [x + k for x in want] if make is _add else [x * k for x in want]
    transforms = [make(k) for make, k in steps]
    assert drain(api.LocalIterator(_Base(items))) == items
    assert drain(api.LocalIterator(_Base(items), local_transforms=transforms, name="mine")) == want
    positional = api.LocalIterator(_Base(items), None, [make(k) for make, k in steps], None, "x")
    assert drain(positional.for_each(funcs.double)) == [2 * x for x in want]


@cites("LOC-4")
def test_take_continues_where_the_last_take_stopped(api: Any, source: Any, capsys: Any) -> None:
    want = drain(model_gathered())
    it = source.gather_sync()
    assert it.take(3) == want[:3]
    assert it.take(4) == want[3:7]
    it.show(2)
    assert capsys.readouterr().out.splitlines() == [str(x) for x in want[7:9]]
    assert it.take(100) == want[9:]
    assert it.take(5) == []


@cites("LOC-4")
def test_show_default_prints_twenty(api: Any, capsys: Any) -> None:
    api.from_range(25, num_shards=1).gather_sync().show()
    assert capsys.readouterr().out.splitlines() == [str(x) for x in range(20)]


@cites("LOC-5")
def test_duplicate_copies_read_in_lockstep(api: Any, source: Any) -> None:
    a, b = source.gather_sync().duplicate(2)
    want = drain(model_gathered())
    got_a, got_b = [], []
    for _ in range(len(want)):
        got_a.append(next(a))
        got_b.append(next(b))
    assert got_a == want and got_b == want


@cites("LOC-5")
@examples(1)
@given(data=st.data())
def test_duplicate_buffers_for_a_lagging_copy(api: Any, data: st.DataObject) -> None:
    """``duplicate(n)`` of a drawn gather: copies read in a drawn order (one copy
    ahead, in lockstep, or any mix, so items are buffered at drawn positions), then
    each drained in a drawn order, each yield every item of the receiver, in order."""
    shards = data.draw(st.integers(1, 3), label="shards")
    gather = data.draw(st.sampled_from(GATHERS), label="gather")
    n = data.draw(st.integers(2, 3), label="copies")
    reads = data.draw(st.lists(st.integers(0, n - 1), max_size=3 * len(ITEMS)), label="position")
    finish = data.draw(st.permutations(range(n)), label="ending")
    copies = _gather(api.from_items(ITEMS, num_shards=shards), gather).duplicate(n)
    assert len(copies) == n and all(isinstance(c, api.LocalIterator) for c in copies)
    got: list[list[Any]] = [[] for _ in range(n)]
    for c in reads:
        got[c] += copies[c].take(1)
    for c in finish:
        got[c] += drain(copies[c])
    _check_against_model(got[0], gather, shards)
    assert all(g == got[0] for g in got), f"copies differ after reads {reads}: {got}"


def _three(api: Any) -> tuple[Any, Any, Any]:
    return (
        api.from_items([1, 2, 3], num_shards=1).gather_sync(),
        api.from_items([10, 20, 30, 40, 50], num_shards=1).gather_sync(),
        api.from_items([100], num_shards=1).gather_sync(),
    )


@cites("LOC-6")
def test_union_deterministic_round_robin(api: Any) -> None:
    a, b, c = _three(api)
    assert drain(a.union(b, c, deterministic=True)) == [1, 10, 100, 2, 20, 3, 30, 40, 50]


@cites("LOC-6")
def test_union_integer_weights(api: Any) -> None:
    a, b, c = _three(api)
    got = drain(a.union(b, c, round_robin_weights=[1, 2, 1]))
    assert got == [1, 10, 20, 100, 2, 30, 40, 3, 50]


@cites("LOC-6")
@pytest.mark.parametrize("weights", [None, [1, "*", 1], ["*", "*", "*"]])
def test_union_unspecified_interleaving_keeps_each_input(api: Any, weights: Any) -> None:
    a, b, c = _three(api)
    got = drain(a.union(b, c, round_robin_weights=weights))
    checks.check_merge(got, [[1, 2, 3], [10, 20, 30, 40, 50], [100]], what="union")


@cites("LOC-7")
@examples(0.5)
@given(data=st.data())
def test_shuffle_with_seed_is_exactly_the_buffer_shuffle(api: Any, source: Any, data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 8), label="shuffle_buffer_size")
    seed = data.draw(st.integers(0, 10_000), label="seed")
    got = drain(source.gather_sync().shuffle(size, seed=seed))
    assert got == drain(model_gathered().shuffle(size, seed=seed))


@cites("LOC-7")
def test_shuffle_without_seed_is_a_permutation(api: Any, source: Any) -> None:
    checks.check_multiset(drain(source.gather_sync().shuffle(4)), ITEMS)


@cites("LOC-8")
@needs("zip_with_source_actor")
@examples(0.5)
@given(data=st.data())
def test_zip_with_source_actor_identifies_shards(backend: Any, api: Any, data: st.DataObject) -> None:
    """Over 2..4 shards of drawn lengths (at least two with items, so that sources can
    differ), a drawn num_async and batch_ms: the pairs' sources group the items
    exactly by shard, one source value per shard."""
    lengths = data.draw(
        st.lists(st.integers(0, 4), min_size=2, max_size=shard_cap(backend)).filter(
            lambda ls: sum(1 for n in ls if n) >= 2
        ),
        label="shards",
    )
    num_async = data.draw(st.integers(1, 3), label="num_async")
    batch_ms = data.draw(st.just(0) | st.floats(0.1, 5.0), label="batch_ms")
    lists = tagged_lists([f"s{i}" for i in range(len(lengths))], lengths)
    pi = api.from_iterators(lists)
    pairs = drain(pi.gather_async(batch_ms=batch_ms, num_async=num_async).zip_with_source_actor())
    assert all(isinstance(p, tuple) and len(p) == 2 for p in pairs), pairs
    groups: list[tuple[Any, list[Any]]] = []
    for src, item in pairs:
        for known, members in groups:
            if known == src:
                members.append(item)
                break
        else:
            groups.append((src, [item]))
    assert sorted(members for _, members in groups) == sorted(x for x in lists if x)
    sources = [g[0] for g in groups]
    assert all(sources[i] != sources[j] for i in range(len(sources)) for j in range(i)), sources


class _CountCalls:
    """Local for_each fn counting its calls in the chain's metrics."""

    def __init__(self, api: Any, counter: str) -> None:
        self.api = api
        self.counter = counter

    def __call__(self, x: Any) -> Any:
        metrics = self.api.LocalIterator.get_metrics()
        metrics.counters[self.counter] += 1
        return (x, metrics.counters[self.counter], metrics.counters["unused"])


class _ReadCount:
    def __init__(self, api: Any) -> None:
        self.api = api

    def __call__(self, x: Any) -> Any:
        metrics = self.api.LocalIterator.get_metrics()
        metrics.info["seen"] = x
        _ = metrics.timers
        return (x, metrics.counters["calls"])


@cites("LOC-9")
@needs("metrics")
def test_get_metrics_is_shared_by_one_local_chain(api: Any) -> None:
    it = api.from_items([5, 6, 7], num_shards=1).gather_sync().for_each(_CountCalls(api, "calls"))
    it = it.for_each(_ReadCount(api))
    assert drain(it) == [((5, 1, 0), 1), ((6, 2, 0), 2), ((7, 3, 0), 3)]


class _CountTag:
    """Local for_each: counts the items of one tag in the chain's metrics."""

    def __init__(self, api: Any, tag: str) -> None:
        self.api = api
        self.tag = tag

    def __call__(self, x: Any) -> Any:
        if x[0] == self.tag:
            self.api.LocalIterator.get_metrics().counters[self.tag] += 1
        return x


class _ReadTag:
    def __init__(self, api: Any, tag: str) -> None:
        self.api = api
        self.tag = tag

    def __call__(self, x: Any) -> Any:
        return (x, self.api.LocalIterator.get_metrics().counters[self.tag])


@cites("LOC-9", "LOC-6")
@needs("metrics")
@examples(1)
@given(data=st.data())
def test_a_union_shares_its_metrics_with_its_inputs(backend: Any, api: Any, data: st.DataObject) -> None:
    """Counters set before a union, in a drawn input of a drawn tree of nested unions
    (3..4 inputs merged two at a time at drawn places, so unions nest in unions), are
    seen after it."""
    n = data.draw(st.integers(3, 3 if backend.uses_ray else 4), label="number of inputs")
    lengths = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n), label="input lengths")
    counted = data.draw(st.integers(0, n - 1), label="counted input")
    tags = [f"u{i}" for i in range(n)]
    lists = tagged_lists(tags, lengths)
    inputs = [api.from_items(items, num_shards=1).gather_sync() for items in lists]
    inputs[counted] = inputs[counted].for_each(_CountTag(api, tags[counted]))
    while len(inputs) > 1:
        at = data.draw(st.integers(0, len(inputs) - 2), label="nesting")
        inputs[at : at + 2] = [inputs[at].union(inputs[at + 1], deterministic=True)]
    got = drain(inputs[0].for_each(_ReadTag(api, tags[counted])))
    assert sorted(x for x, _ in got) == sorted(x for items in lists for x in items)
    seen = 0
    for x, counter in got:
        seen += x[0] == tags[counted]
        assert counter == seen, f"after {x!r} the union's transforms saw counters = {counter}: {got!r}"


def _union_of_a_ready_and_a_held_input(api: Any, tmp_path: Any, read: Any, weights: Any) -> None:
    """Input ``b``'s shard cannot produce an item until the consumer has received every
    item of input ``a``: a union that waits on ``b`` before ``a`` is done never finishes
    (``b``'s gate gives up after ``probes.GATE_SECONDS``, or at once if it would wait
    in the consumer's own thread)."""
    a_items, b_items = tagged_lists(["a", "b"], [4, 3])
    opened = probes.Counter(tmp_path, "a-received")
    gate = probes.Gate(opened, need=1, wait_tag="b")
    a = api.from_items(a_items, num_shards=1)
    b = api.from_items(b_items, num_shards=1).for_each(gate)
    got: list[Any] = []
    for item in read(a).union(read(b), round_robin_weights=weights):
        got.append(item)
        if [x for x in got if x[0] == "a"] == a_items and opened.value() == 0:
            opened.hit()
        assert len(got) <= len(a_items) + len(b_items), got
    assert per_tag(got) == {"a": a_items, "b": b_items}


@cites("LOC-10", "LOC-6")
@examples(0.5)
@given(num_async=st.integers(1, 3), round_robin_weights=st.sampled_from([None, ["*", "*"]]))
def test_a_non_deterministic_union_reads_the_ready_input(
    api: Any, tmp_path_factory: Any, num_async: int, round_robin_weights: list[str] | None
) -> None:
    """Two gather_async inputs, of a drawn num_async, without weights or with ``"*"``."""
    _union_of_a_ready_and_a_held_input(
        api,
        tmp_path_factory.mktemp("loc10"),
        lambda pi: pi.gather_async(num_async=num_async),
        round_robin_weights,
    )


@cites("LOC-10", "LOC-6")
@examples(0.5)
@given(read=st.sampled_from(["get_shard", "shards"]), num_async=st.integers(1, 3))
def test_a_non_deterministic_union_reads_a_ready_shard_iterator(
    api: Any, tmp_path_factory: Any, read: str, num_async: int
) -> None:
    """Two shard iterators: get_shard of a drawn num_async, or elements of shards()."""

    def reader(pi: Any) -> Any:
        return pi.get_shard(0, num_async=num_async) if read == "get_shard" else pi.shards()[0]

    _union_of_a_ready_and_a_held_input(api, tmp_path_factory.mktemp("loc10"), reader, None)


#: the kinds of union input drawn by the tests below (LOC-6 ranges over every input).
UNION_INPUT_KINDS = (
    "gather_sync",
    "gather_async",
    "get_shard",
    "shards",
    "batch_flatten",
    "nested",
)


#: inputs that are shard iterators: drawn only in the test that always has one, whose
#: known deviation on ray.util.iter covers them (it also fails on an empty one in a
#: deterministic union: IndexError from an empty deque).
SHARD_ITERATORS = ("get_shard", "shards")


def _union_input(api: Any, kind: str, items: list[Any], shards: int, depth: int = 1) -> Any:
    """A union input of ``kind`` over ``items``, whose own order is determined: one
    shard for the asynchronous kinds, ``shards`` under ``gather_sync``, a nested
    union ``depth`` levels deep."""
    if kind == "gather_sync":
        return api.from_items(items, num_shards=shards).gather_sync()
    if kind == "batch_flatten":
        return api.from_items(items, num_shards=shards).batch_across_shards().flatten()
    one = api.from_items(items, num_shards=1)
    if kind == "gather_async":
        return one.gather_async()
    if kind == "get_shard":
        return one.get_shard(0)
    if kind == "shards":
        return one.shards()[0]
    if kind == "duplicate":
        return one.gather_sync().duplicate(2)[0]
    return _nested_union(api, items, depth)


def _nested_union(api: Any, items: list[Any], depth: int) -> Any:
    """A deterministic union nested ``depth`` levels deep: the first part of ``items``
    from one gather, the rest from a union nested one level less (or a gather)."""
    cut = len(items) // (depth + 1)
    first = api.from_items(items[:cut], num_shards=1).gather_sync()
    rest = items[cut:]
    if depth == 1:
        return first.union(api.from_items(rest, num_shards=1).gather_sync(), deterministic=True)
    return first.union(_nested_union(api, rest, depth - 1), deterministic=True)


def _weight() -> st.SearchStrategy[Any]:
    """One valid weight (BAD-15), every region of the range drawn alike: integers,
    fractions below 1 (the boundary at 0), other non-integers and ``"*"``."""
    return st.one_of(
        st.integers(1, 3),
        st.floats(0.05, 0.95),
        st.floats(1.05, 3.5).filter(lambda w: w != int(w)),
        st.just("*"),
    )


def _check_union(
    backend: Any,
    api: Any,
    data: st.DataObject,
    deterministic: bool,
    shard_iterator: bool = False,
    copy: bool = False,
) -> None:
    """Draw a union over the number of inputs, their kinds (at least one ``get_shard``
    or ``shards()`` input if ``shard_iterator``, a copy made by ``duplicate`` if
    ``copy``), lengths, shard counts and every
    valid weight; check it against LOC-6."""
    # every shard is an actor on Ray backends: fewer inputs and shards per example there
    n = data.draw(st.integers(1, 3 if backend.uses_ray else 4), label="number of inputs")
    choices = (
        UNION_INPUT_KINDS if shard_iterator else [k for k in UNION_INPUT_KINDS if k not in SHARD_ITERATORS]
    )
    kinds = data.draw(st.lists(st.sampled_from(choices), min_size=n, max_size=n), label="input kinds")
    copy_at = data.draw(st.integers(0, n - 1), label="duplicate copy position") if copy else None
    if copy_at is not None:
        kinds[copy_at] = "duplicate"
    if shard_iterator and not {"get_shard", "shards"} & set(kinds):
        where = data.draw(st.integers(0, n - 1), label="shard iterator position")
        kinds[where] = data.draw(st.sampled_from(["get_shard", "shards"]), label="shard iterator")
    lengths = data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n), label="input lengths")
    if copy_at is not None:
        lengths[copy_at] = max(lengths[copy_at], 1)  # a copy with items to buffer
    cap = 2 if backend.uses_ray else 3
    shard_counts = data.draw(st.lists(st.integers(1, cap), min_size=n, max_size=n), label="shards")
    weights = data.draw(st.none() | st.lists(_weight(), min_size=n, max_size=n), label="round_robin_weights")
    lists = tagged_lists([f"u{i}" for i in range(n)], lengths)
    # a nested input is a union nested this deep (one shard per level)
    depths = data.draw(st.lists(st.integers(1, cap), min_size=n, max_size=n), label="nesting")
    parts = list(zip(kinds, lists, shard_counts, depths, strict=True))
    inputs = [_union_input(api, k, xs, s, d) for k, xs, s, d in parts]
    # each input's own sequence, from the model (ORD-3 for gather_sync over several shards)
    chains = [drain(_union_input(model, k, xs, s, d)) for k, xs, s, d in parts]
    got = drain(inputs[0].union(*inputs[1:], deterministic=deterministic, round_robin_weights=weights))
    integers = weights is None or all(isinstance(w, int) for w in weights)
    if integers and (deterministic or weights is not None):
        want = list(_turns_of(chains, weights if weights is not None else [1] * n))
        assert got == want, f"kinds {kinds}, weights {weights}, deterministic={deterministic}"
    else:
        checks.check_merge(got, chains, what=f"union of {kinds} with weights {weights}")


@cites("LOC-6")
@examples(1.5)
@given(data=st.data())
def test_union_of_any_inputs_and_weights_keeps_every_item(
    backend: Any, api: Any, data: st.DataObject
) -> None:
    """``deterministic=True`` over the number of inputs, their kinds (shard iterators
    are drawn by the next test), shard counts and every valid weight: each input's
    order is kept and nothing is lost or duplicated; with integer weights the order
    is exactly the turns of LOC-6."""
    _check_union(backend, api, data, deterministic=True, shard_iterator=False)


@cites("LOC-6", "LOC-10")
@examples(1.5)
@given(data=st.data())
def test_a_non_deterministic_union_of_any_inputs_keeps_every_item(
    backend: Any, api: Any, data: st.DataObject
) -> None:
    """``deterministic=False``, likewise, with at least one ``get_shard``/``shards()``
    input (a ready-aware input, LOC-10) among inputs of every kind: with integer
    weights the turns of LOC-6, otherwise every item once, in each input's order."""
    _check_union(backend, api, data, deterministic=False, shard_iterator=True)


@cites("LOC-6", "LOC-5")
@examples(1)
@given(data=st.data())
def test_a_union_with_a_duplicate_copy_keeps_every_item(backend: Any, api: Any, data: st.DataObject) -> None:
    """Likewise, ``deterministic`` drawn, with a copy made by ``duplicate`` among the
    inputs (the other copy is never read: its items stay buffered, LOC-5)."""
    deterministic = data.draw(st.booleans(), label="deterministic")
    _check_union(backend, api, data, deterministic=deterministic, copy=True)


def _turns_of(chains: list[list[Any]], weights: list[int]) -> Any:
    """LOC-6's turns, written out: ``w_i`` items of input ``i`` in turn, ended inputs skipped."""
    positions = [0] * len(chains)
    while any(p < len(c) for p, c in zip(positions, chains, strict=True)):
        for i, chain in enumerate(chains):
            for _ in range(weights[i]):
                if positions[i] == len(chain):
                    break
                yield chain[positions[i]]
                positions[i] += 1


@cites("LOC-6", "LAZY-4", "LAZY-5")
@examples(1)
@given(data=st.data())
def test_a_union_holds_no_items_of_its_inputs_back(
    backend: Any, api: Any, tmp_path_factory: Any, data: st.DataObject
) -> None:
    """A union takes an item from an input only to deliver it: whenever the consumer
    is not inside ``next()``, each shard behind each input has produced at most its
    gather's read-ahead bound beyond the items of it the union delivered (LAZY-4 for
    ``gather_sync`` inputs, LAZY-5 for ``gather_async`` ones)."""
    n = data.draw(st.integers(2, 3), label="number of inputs")
    asynchronous = data.draw(st.lists(st.booleans(), min_size=n, max_size=n), label="async inputs")
    num_async = data.draw(st.integers(1, 3), label="num_async")
    deterministic = data.draw(st.booleans(), label="deterministic")
    stop = data.draw(st.integers(1, 6), label="position")
    produced = probes.Counters(tmp_path_factory.mktemp("union"))
    inputs, slack, tags = [], {}, []
    shards = data.draw(st.lists(st.integers(1, 2), min_size=n, max_size=n), label="shards")
    weights = data.draw(st.none() | st.lists(st.integers(1, 3), min_size=n, max_size=n), label="weights")
    for i, is_async in enumerate(asynchronous):
        shard_tags = [f"i{i}s{k}" for k in range(shards[i])]
        tags += shard_tags
        pi = api.from_iterators(tagged_lists(shard_tags, [8] * shards[i]))
        pi = pi.for_each(probes.CountPerShard(produced))
        if is_async:
            inputs.append(pi.gather_async(num_async=num_async))
            bound = (num_async + 1) * backend.async_batch_limit - 1
        else:
            inputs.append(pi.gather_sync())
            bound = 1
        slack.update({t: bound for t in shard_tags})
    it = inputs[0].union(*inputs[1:], deterministic=deterministic, round_robin_weights=weights)
    delivered: dict[str, int] = {}
    for _step in range(stop):
        item = next(it)
        delivered[item[0]] = delivered.get(item[0], 0) + 1
    time.sleep(0.3)
    for t in tags:
        p, d = produced[t].value(), delivered.get(t, 0)
        assert p <= d + slack[t], (
            f"shard {t}: produced {p} > delivered {d} + {slack[t]} after {stop} items "
            f"(inputs async={asynchronous}, shards={shards}, num_async={num_async}, "
            f"weights={weights}, deterministic={deterministic})"
        )
