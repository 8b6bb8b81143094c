"""Pipelines as data: a source, parallel ops, a gather, local ops and a finish.

A :class:`Pipeline` is a small immutable value that can be built on any backend
(:meth:`Pipeline.run`) and on the model, where :func:`expectation` derives what the
spec allows the backend to return (via :mod:`conformance.oracle`), and :func:`verify`
compares the two with :mod:`conformance.checks`.  Functions inside ops are instances
of :mod:`conformance.funcs` classes: picklable and deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance import checks, model, oracle
from conformance.checks import Chains
from conformance.model.operators import ELEMENTWISE


@dataclass(frozen=True)
class Source:
    """``from_items(items, num_shards)``, ``from_range(n, num_shards)`` or
    ``from_iterators(lists)``."""

    kind: str
    items: tuple[Any, ...] = ()
    num_shards: int = 1
    n: int = 0
    lists: tuple[tuple[Any, ...], ...] = ()

    def build(self, api: Any) -> Any:
        if self.kind == "items":
            return api.from_items(list(self.items), num_shards=self.num_shards)
        if self.kind == "range":
            return api.from_range(self.n, num_shards=self.num_shards)
        if self.kind == "iterators":
            return api.from_iterators([list(x) for x in self.lists])
        raise ValueError(self.kind)

    def shard_count(self) -> int:
        return len(self.lists) if self.kind == "iterators" else self.num_shards

    def __repr__(self) -> str:
        if self.kind == "items":
            return f"from_items({list(self.items)!r}, num_shards={self.num_shards})"
        if self.kind == "range":
            return f"from_range({self.n}, num_shards={self.num_shards})"
        return f"from_iterators({[list(x) for x in self.lists]!r})"


@dataclass(frozen=True)
class Op:
    """A method call ``name(*args, **kwargs)``; for ``union`` the single argument is a
    :class:`Plan` built on the same backend."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def apply(self, obj: Any, api: Any) -> Any:
        args = tuple(a.build(api) if isinstance(a, Plan) else a for a in self.args)
        return getattr(obj, self.name)(*args, **dict(self.kwargs))

    def __repr__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        return f".{self.name}({', '.join(parts)})"


@dataclass(frozen=True)
class Plan:
    """A source followed by parallel ops: a ``ParallelIterator`` as data."""

    source: Source
    ops: tuple[Op, ...] = ()

    def build(self, api: Any) -> Any:
        pi = self.source.build(api)
        for op in self.ops:
            pi = op.apply(pi, api)
        return pi

    def __repr__(self) -> str:
        return repr(self.source) + "".join(map(repr, self.ops))


@dataclass(frozen=True)
class Pipeline:
    """``plan`` then ``gather`` (an :class:`Op` on the ``ParallelIterator``), then
    ``local`` ops on the ``LocalIterator``, then ``finish``: ``None`` for ``list(it)``
    or an int ``k`` for ``it.take(k)``."""

    plan: Plan
    gather: Op
    local: tuple[Op, ...] = ()
    finish: int | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    def run(self, api: Any, pi: Any = None) -> Any:
        """Build (unless ``pi`` is given) and run on backend ``api``; return the list
        (a list of lists for ``shards``)."""
        if pi is None:
            pi = self.plan.build(api)
        out = self.gather.apply(pi, api)
        if self.gather.name == "take":
            return out
        if self.gather.name == "shards":
            return [list(it) for it in out]
        for op in self.local:
            out = op.apply(out, api)
        if self.finish is not None:
            return out.take(self.finish)
        return list(out)

    def __repr__(self) -> str:
        finish = "" if self.finish is None else f".take({self.finish})"
        local = "".join(map(repr, self.local))
        return f"{self.plan!r}{self.gather!r}{local}{finish if self.finish is not None else ''}"


# -- expectations --------------------------------------------------------------------


@dataclass
class Expectation:
    """What a pipeline must return: ``kind`` is ``exact`` (a list), ``merge`` (any
    interleaving of ``chains``), ``round_robin`` (ORD-3 over ``shards``), ``rounds``
    (ORD-4 over ``shards``) or ``shards`` (one ``merge`` per shard); ``prefix`` is the
    length of a ``take`` prefix, if any."""

    kind: str
    items: list[Any] = field(default_factory=list)
    chains: Chains = field(default_factory=list)
    shards: list[Chains] = field(default_factory=list)
    prefix: int | None = None


def expectation(pipeline: Pipeline) -> Expectation:
    """Derive the expectation from the model (raises :class:`oracle.Undetermined` if the
    spec does not determine enough)."""
    pi = pipeline.plan.build(model)
    shards = oracle.expected_shards(pi)
    gather = pipeline.gather
    if gather.name == "take":
        return Expectation("round_robin", shards=shards, prefix=gather.args[0])
    if gather.name == "shards":
        return Expectation("shards", shards=shards)
    if gather.name == "batch_across_shards":
        return Expectation("rounds", shards=shards)
    if gather.name == "get_shard":
        stream = Expectation("merge", chains=shards[gather.args[0]])
    elif gather.name == "gather_async":
        stream = Expectation("merge", chains=[c for s in shards for c in s])
    elif gather.name == "gather_sync":
        stream = Expectation("round_robin", shards=shards)
    else:
        raise ValueError(gather.name)
    stream = _normalise(stream)
    for op in pipeline.local:
        stream = _apply_local(stream, op)
    if pipeline.finish is not None:
        if stream.kind == "exact":
            stream.items = stream.items[: pipeline.finish]
        else:
            stream.prefix = pipeline.finish
    return stream


def _normalise(stream: Expectation) -> Expectation:
    """Turn a fully determined stream into ``exact``."""
    if stream.kind == "merge" and len(stream.chains) <= 1:
        return Expectation("exact", items=list(stream.chains[0]) if stream.chains else [])
    if stream.kind == "round_robin" and all(len(s) <= 1 for s in stream.shards):
        flat = [s[0] if s else [] for s in stream.shards]
        owners = checks.round_robin_owners([len(x) for x in flat])
        positions = [0] * len(flat)
        items = []
        for s in owners:
            items.append(flat[s][positions[s]])
            positions[s] += 1
        return Expectation("exact", items=items)
    return stream


def _apply_local(stream: Expectation, op: Op) -> Expectation:
    out = _apply_local_in_order(stream, op)
    if dict(op.kwargs).get("max_concurrency", 1) != 1:
        # A concurrent for_each keeps no order (ORD-6): any permutation will do.
        items = out.items if out.kind == "exact" else [x for chain in out.chains for x in chain]
        return Expectation("merge", chains=[[x] for x in items])
    return out


def _apply_local_in_order(stream: Expectation, op: Op) -> Expectation:
    if stream.kind == "exact":
        base = list(stream.items)
        it = model.LocalIterator(lambda timeout=None: iter(base))
        return Expectation("exact", items=list(op.apply(it, model)))
    if op.name not in ELEMENTWISE:
        raise oracle.Undetermined(f"local {op.name} after a stream whose order is not determined")
    chains = stream.chains if stream.kind == "merge" else [c for s in stream.shards for c in s]
    mapped = []
    for chain in chains:
        base = list(chain)
        it = model.LocalIterator(lambda timeout=None, base=base: iter(base))
        mapped.append(list(op.apply(it, model)))
    return Expectation("merge", chains=[c for c in mapped if c])


def verify(expected: Expectation, actual: Any, what: str = "result") -> None:
    """Raise :class:`checks.Mismatch` unless ``actual`` is allowed by ``expected``."""
    complete = expected.prefix is None
    if expected.kind == "exact":
        if list(actual) != expected.items:
            raise checks.Mismatch(f"{what}: expected {expected.items!r}, got {actual!r}")
    elif expected.kind == "merge":
        if not complete:
            want = min(expected.prefix or 0, checks.total(expected.chains))
            if len(actual) != want:
                raise checks.Mismatch(f"{what}: expected {want} items, got {len(actual)}: {actual!r}")
        checks.check_merge(actual, expected.chains, complete=complete, what=what)
    elif expected.kind == "round_robin":
        if not complete:
            want = min(expected.prefix or 0, sum(checks.total(s) for s in expected.shards))
            if len(actual) != want:
                raise checks.Mismatch(f"{what}: expected {want} items, got {len(actual)}: {actual!r}")
        checks.check_round_robin(actual, expected.shards, complete=complete, what=what)
    elif expected.kind == "rounds":
        checks.check_rounds(actual, expected.shards, what=what)
    elif expected.kind == "shards":
        if len(actual) != len(expected.shards):
            raise checks.Mismatch(f"{what}: expected {len(expected.shards)} shards, got {len(actual)}")
        for s, (got, chains) in enumerate(zip(actual, expected.shards, strict=True)):
            checks.check_merge(got, chains, what=f"{what}: shard {s}")
    else:  # pragma: no cover
        raise ValueError(expected.kind)
