"""Public Hypothesis strategies for the conformance suite.

* :func:`item_lists` -- lists of distinct items; :func:`shard_counts` -- 1..8 shards,
  more shards than items included, so some shards may be empty.
* :func:`sources` -- ``from_items`` / ``from_range`` / ``from_iterators`` as data.
* :func:`pipelines` -- random pipelines (:class:`conformance.pipeline.Pipeline`):
  chains of ``for_each``, ``filter``, ``batch``, ``flatten``, ``combine``,
  ``local_shuffle`` (seeded or not), ``repartition``, ``union``, ``select_shards``,
  ``transform``, then a gather (``gather_sync``, ``gather_async``,
  ``batch_across_shards``, ``shards``, ``get_shard``, ``take``), then local transforms.

Generated pipelines keep items distinct (every function is injective), so an item
identifies its shard and position and the checks of :mod:`conformance.checks` can be
exact about per-shard order.  They never ask for something the spec leaves open:
position-dependent steps (``batch``, ``transform``, seeded shuffles, ``repartition``)
only follow steps that keep every shard's order determined.

The strategies are plain ``st.composite`` functions; each draw inside is a named
sub-strategy, so a failing example prints as a readable pipeline.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

from conformance import funcs
from conformance.pipeline import Op, Pipeline, Plan, Source

MAX_SHARDS = 8


def shard_counts(max_shards: int = MAX_SHARDS) -> st.SearchStrategy[int]:
    """Shard counts ``1..max_shards``, shrinking towards 1."""
    return st.integers(min_value=1, max_value=max_shards)


def item_lists(max_size: int = 16, min_size: int = 0) -> st.SearchStrategy[list[int]]:
    """Lists of distinct small ints (distinct items keep per-shard checks exact)."""
    return st.lists(st.integers(0, 999), min_size=min_size, max_size=max_size, unique=True)


def any_item_lists(max_size: int = 16) -> st.SearchStrategy[list[Any]]:
    """Lists of items of mixed types, duplicates allowed (SHARD-4 conservation)."""
    leaf = st.one_of(st.integers(-5, 5), st.text(max_size=3), st.none(), st.booleans())
    return st.lists(st.one_of(leaf, st.tuples(leaf, leaf)), max_size=max_size)


@st.composite
def sources(draw: st.DrawFn, max_items: int = 16, max_shards: int = MAX_SHARDS) -> Source:
    """One of the three list-based sources, over distinct ints."""
    kind = draw(st.sampled_from(["items", "range", "iterators"]))
    if kind == "items":
        return Source(
            "items", items=tuple(draw(item_lists(max_items))), num_shards=draw(shard_counts(max_shards))
        )
    if kind == "range":
        return Source("range", n=draw(st.integers(0, max_items)), num_shards=draw(shard_counts(max_shards)))
    values = draw(item_lists(max_items))
    k = draw(shard_counts(max_shards))
    cuts = sorted(draw(st.lists(st.integers(0, len(values)), min_size=k - 1, max_size=k - 1)))
    bounds = [0, *cuts, len(values)]
    return Source(
        "iterators", lists=tuple(tuple(values[a:b]) for a, b in zip(bounds, bounds[1:], strict=False))
    )


@dataclass(frozen=True)
class _State:
    shards: int
    actors: int
    ordered: bool = True
    depth: int = 0
    union: bool = False


def _elementwise_ops(
    state: _State, capabilities: Collection[str]
) -> list[st.SearchStrategy[tuple[Op, _State]]]:
    labels = st.integers(0, 9)
    options = [
        labels.map(lambda k: (Op("for_each", (funcs.Tag(k),)), state)),
        st.tuples(st.sampled_from([2, 3, 5]), st.integers(0, 4)).map(
            lambda mr: (Op("filter", (funcs.Keep(mr[0], mr[1] % mr[0]),)), state)
        ),
        st.integers(0, 2).map(lambda k: (Op("combine", (funcs.Split(k),)), replace(state, depth=0))),
    ]
    if state.depth >= 1:
        options.append(st.just((Op("flatten"), replace(state, depth=state.depth - 1))))
    if "max_concurrency" in capabilities:
        options.append(
            st.sampled_from([0, 2, 3]).map(
                lambda k: (
                    Op("for_each", (funcs.concurrent_tag,), (("max_concurrency", k),)),
                    replace(state, ordered=False),
                )
            )
        )
    return options


def _parallel_op(
    state: _State, capabilities: Collection[str], max_shards: int, max_actors: int
) -> st.SearchStrategy[tuple[Op, _State]]:
    options = _elementwise_ops(state, capabilities)
    options.append(
        st.integers(0, 99).map(lambda _: (Op("local_shuffle", (3,)), replace(state, ordered=False)))
    )
    if state.ordered:
        options += [
            st.integers(1, 4).map(lambda n: (Op("batch", (n,)), replace(state, depth=state.depth + 1))),
            st.just((Op("transform", (funcs.SwapPairs(),)), state)),
            st.tuples(st.integers(1, 4), st.integers(0, 99)).map(
                lambda a: (Op("local_shuffle", (a[0],), (("seed", a[1]),)), state)
            ),
        ]
        room = min(max_shards, max_actors - state.actors)
        if room >= 1:
            options.append(
                st.integers(1, room).map(
                    lambda n: (
                        Op("repartition", (n,)),
                        replace(state, shards=n, actors=state.actors + n, ordered=state.shards == 1),
                    )
                )
            )
    room = min(max_shards - state.shards, max_actors - state.actors)
    if state.depth == 0 and room >= 1:
        options.append(_union_op(state, room))
    options.append(_select_op(state))
    return st.one_of(options)


@st.composite
def _union_op(draw: st.DrawFn, state: _State, room: int) -> tuple[Op, _State]:
    k = draw(st.integers(1, room))
    values = draw(item_lists(6))
    other = Plan(Source("items", items=tuple(f"u{v}" for v in values), num_shards=k))
    new = replace(state, shards=state.shards + k, actors=state.actors + k, union=True)
    return Op("union", (other,)), new


@st.composite
def _select_op(draw: st.DrawFn, state: _State) -> tuple[Op, _State]:
    keep = draw(st.lists(st.integers(0, state.shards - 1), min_size=1, max_size=state.shards, unique=True))
    return Op("select_shards", (keep,)), replace(state, shards=len(keep))


@st.composite
def plans(
    draw: st.DrawFn,
    *,
    max_items: int = 16,
    max_shards: int = MAX_SHARDS,
    max_actors: int = 16,
    max_ops: int = 4,
    capabilities: Collection[str] = (),
) -> tuple[Plan, _State]:
    """A :class:`Plan` plus the generator's view of its result (shard count, order)."""
    source = draw(sources(max_items, min(max_shards, max_actors)))
    state = _State(shards=source.shard_count(), actors=source.shard_count())
    ops: list[Op] = []
    for _ in range(draw(st.integers(0, max_ops))):
        op, state = draw(_parallel_op(state, capabilities, max_shards, max_actors))
        ops.append(op)
    return Plan(source, tuple(ops)), state


def local_op(
    ordered: bool, depth: int, capabilities: Collection[str]
) -> st.SearchStrategy[tuple[Op, bool, int]]:
    state = _State(shards=1, actors=0, ordered=ordered, depth=depth)
    options = [s.map(lambda r: (r[0], r[1].ordered, r[1].depth)) for s in _elementwise_ops(state, ())]
    if "max_concurrency" in capabilities:
        options.append(
            st.just((Op("for_each", (funcs.concurrent_tag,), (("max_concurrency", 2),)), False, depth))
        )
    if ordered:
        options += [
            st.integers(1, 4).map(lambda n: (Op("batch", (n,)), True, depth + 1)),
            st.just((Op("transform", (funcs.SwapPairs(),)), True, depth)),
            st.tuples(st.integers(1, 4), st.integers(0, 99)).map(
                lambda a: (Op("shuffle", (a[0],), (("seed", a[1]),)), True, depth)
            ),
        ]
    return st.one_of(options)


@st.composite
def gathers(draw: st.DrawFn, shards: int, max_take: int = 20) -> Op:
    """A gather call valid for ``shards`` shards."""
    timing = st.tuples(st.sampled_from([0, 0, 2]), st.integers(1, 3))
    kind = draw(
        st.sampled_from(["gather_sync", "gather_async", "batch_across_shards", "shards", "get_shard", "take"])
    )
    if kind == "gather_async":
        batch_ms, num_async = draw(timing)
        return Op(kind, (), (("batch_ms", batch_ms), ("num_async", num_async)))
    if kind == "get_shard":
        batch_ms, num_async = draw(timing)
        return Op(
            kind, (draw(st.integers(0, shards - 1)),), (("batch_ms", batch_ms), ("num_async", num_async))
        )
    if kind == "take":
        return Op(kind, (draw(st.integers(1, max_take)),))
    return Op(kind)


@st.composite
def pipelines(
    draw: st.DrawFn,
    *,
    max_items: int = 16,
    max_shards: int = MAX_SHARDS,
    max_actors: int = 16,
    max_ops: int = 4,
    max_local_ops: int = 2,
    capabilities: Collection[str] = (),
) -> Pipeline:
    """A random pipeline; ``max_actors`` bounds the shards created in total (sources,
    union parts and repartitions), which is what costs time on Ray backends."""
    plan, state = draw(
        plans(
            max_items=max_items,
            max_shards=max_shards,
            max_actors=max_actors,
            max_ops=max_ops,
            capabilities=capabilities,
        )
    )
    gather = draw(gathers(state.shards))
    local: list[Op] = []
    finish = None
    if gather.name in ("gather_sync", "gather_async", "get_shard"):
        ordered = state.ordered and (gather.name != "gather_async" or state.shards == 1)
        depth = state.depth
        for _ in range(draw(st.integers(0, max_local_ops))):
            op, ordered, depth = draw(local_op(ordered, depth, capabilities))
            local.append(op)
        finish = draw(st.none() | st.integers(1, 20))
    notes = ("select_shards after union",) if _select_after_union(plan) else ()
    return Pipeline(plan, gather, tuple(local), finish, notes)


def _select_after_union(plan: Plan) -> bool:
    seen_union = False
    for op in plan.ops:
        seen_union = seen_union or op.name == "union"
        if op.name == "select_shards" and seen_union:
            return True
    return False
