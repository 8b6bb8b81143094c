"""The model: a pure, in-process, deterministic backend written from SPEC.md.

It is the suite's oracle (see :mod:`conformance.oracle`) and a backend of its own::

    python -m pytest conformance --backend=conformance.model

Every shard runs in the consumer's process, lazily, one item at a time; every run
thaws private copies of the sources and transform functions.  Where the spec leaves a
choice open the model takes the simplest one: ``gather_async`` and ``repartition``
interleave shards round-robin, concurrent ``for_each`` runs its calls one at a time
(at most ``k`` in flight, PAR-3), ``union`` weights of ``"*"`` count as 1.  Bad input
is refused at the call (SPEC §10, :mod:`conformance.validate`).

``from_actors`` takes in-process :class:`ParallelIteratorWorker` instances (the model
has no Ray), so the ``from_actors`` and ``ray`` capabilities are not declared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import cloudpickle

from conformance import validate
from conformance.model_local import LocalIterator
from conformance.model_ops import Frozen, Step
from conformance.model_plan import (
    BatchAcrossShards,
    GatherAsync,
    GatherSync,
    GetShard,
    IterableSource,
    PartitionSource,
    Repartition,
    ShardPlan,
    WorkerSource,
    one_pass,
    repeat_passes,
)

__all__ = [
    "LocalIterator",
    "ParallelIterator",
    "ParallelIteratorWorker",
    "from_actors",
    "from_items",
    "from_iterators",
    "from_range",
]

__version__ = "1.0.0"


class ParallelIterator:
    """An immutable plan: shards, each a source and a chain of parallel transforms."""

    def __init__(self, shards: tuple[ShardPlan, ...], name: str, *, from_union: bool = False) -> None:
        self._shards = tuple(shards)
        self.name = name
        self._from_union = from_union

    def __repr__(self) -> str:
        return f"ParallelIterator[{self.name}]"

    __str__ = __repr__

    def __iter__(self) -> Iterator[Any]:
        raise TypeError(
            "a ParallelIterator is not iterable: use gather_sync() or gather_async() to read its items"
        )

    # -- parallel transforms (PAR-1..11) ---------------------------------------------

    def _with(self, step: Step, suffix: str) -> ParallelIterator:
        shards = tuple(p.with_step(step) for p in self._shards)
        return ParallelIterator(shards, self.name + suffix, from_union=self._from_union)

    def transform(self, fn: Callable[[Iterator[Any]], Iterable[Any]]) -> ParallelIterator:
        validate.check_callable("fn", fn)
        return self._with(Step("transform", Frozen(fn)), ".transform()")

    def for_each(
        self, fn: Callable[[Any], Any], max_concurrency: int = 1, resources: dict | None = None
    ) -> ParallelIterator:
        validate.check_callable("fn", fn)
        validate.check_int("max_concurrency", max_concurrency, 0)
        return self._with(Step("for_each", Frozen(fn), (max_concurrency,)), ".for_each()")

    def filter(self, fn: Callable[[Any], Any]) -> ParallelIterator:
        validate.check_callable("fn", fn)
        return self._with(Step("filter", Frozen(fn)), ".filter()")

    def batch(self, n: int) -> ParallelIterator:
        validate.check_int("n", n, 1)
        return self._with(Step("batch", None, (n,)), f".batch({n})")

    def flatten(self) -> ParallelIterator:
        return self._with(Step("flatten"), ".flatten()")

    def combine(self, fn: Callable[[Any], Iterable[Any]]) -> ParallelIterator:
        validate.check_callable("fn", fn)
        return self._with(Step("combine", Frozen(fn)), ".combine()")

    def local_shuffle(self, shuffle_buffer_size: int, seed: Any = None) -> ParallelIterator:
        validate.check_int("shuffle_buffer_size", shuffle_buffer_size, 1)
        return self._with(
            Step("shuffle", None, (shuffle_buffer_size, seed)),
            f".local_shuffle(shuffle_buffer_size={shuffle_buffer_size}, seed={seed})",
        )

    def repartition(self, num_partitions: int, batch_ms: float = 0) -> ParallelIterator:
        validate.check_int("num_partitions", num_partitions, 1)
        validate.check_number("batch_ms", batch_ms, 0)
        node = Repartition(self._shards, num_partitions, batch_ms)
        shards = tuple(ShardPlan(PartitionSource(node, j)) for j in range(num_partitions))
        return ParallelIterator(shards, self.name + f".repartition[num_partitions={num_partitions}]")

    def union(self, other: ParallelIterator) -> ParallelIterator:
        if not isinstance(other, ParallelIterator):
            raise TypeError(f"other must be a ParallelIterator, got {type(other).__name__} {other!r}")
        return ParallelIterator(
            self._shards + other._shards, f"ParallelUnion[{self!r}, {other!r}]", from_union=True
        )

    def select_shards(self, shards_to_keep: list[int]) -> ParallelIterator:
        keep = validate.check_shard_list("shards_to_keep", shards_to_keep, len(self._shards))
        shards = tuple(self._shards[i] for i in keep)
        return ParallelIterator(shards, self.name + f".select_shards({len(keep)} total)")

    def num_shards(self) -> int:
        return len(self._shards)

    # -- gathering (GATH-1..6) -------------------------------------------------------

    def gather_sync(self) -> LocalIterator:
        return LocalIterator(GatherSync(self._shards), name=f"{self!r}.gather_sync()")

    def batch_across_shards(self) -> LocalIterator:
        return LocalIterator(BatchAcrossShards(self._shards), name=f"{self!r}.batch_across_shards()")

    def gather_async(self, batch_ms: float = 0, num_async: int = 1) -> LocalIterator:
        validate.check_number("batch_ms", batch_ms, 0)
        validate.check_int("num_async", num_async, 1)
        return LocalIterator(GatherAsync(self._shards, batch_ms, num_async), name=f"{self!r}.gather_async()")

    def get_shard(self, shard_index: int, batch_ms: float = 0, num_async: int = 1) -> LocalIterator:
        index = validate.check_shard_index("shard_index", shard_index, len(self._shards))
        validate.check_number("batch_ms", batch_ms, 0)
        validate.check_int("num_async", num_async, 1)
        return LocalIterator(
            GetShard(self._shards[index], batch_ms, num_async), name=f"{self.name}.shard[{index}]"
        )

    def shards(self) -> list[LocalIterator]:
        return [self.get_shard(i) for i in range(len(self._shards))]

    def take(self, n: int) -> list[Any]:
        validate.check_int("n", n, 0)
        it = self.gather_sync()
        try:
            return it.take(n)
        finally:
            it._release()

    def show(self, n: int = 20) -> None:
        validate.check_int("n", n, 0)
        it = self.gather_sync()
        try:
            it.show(n)
        finally:
            it._release()


class ParallelIteratorWorker:
    """A shard worker over an iterable or zero-argument callable (SRC-5).

    In the model a worker is a plain in-process object; its stream is created at the
    first pull and persists across runs (a ``from_actors`` shard is the worker's own
    state, SRC-7).
    """

    def __init__(self, item_generator: Any, repeat: bool) -> None:
        if not (callable(item_generator) or validate.is_iterable(item_generator)):
            raise TypeError(
                "item_generator must be an iterable or a zero-argument callable, "
                f"got {type(item_generator).__name__}"
            )
        self.item_generator = item_generator
        self.repeat = bool(repeat)
        self.__stream: Iterator[Any] | None = None

    def _model_stream(self) -> Iterator[Any]:
        if self.__stream is None:
            self.__stream = _lazy(self.item_generator, self.repeat)
        return self.__stream


def _lazy(obj: Any, repeat: bool) -> Iterator[Any]:
    yield from (repeat_passes(obj) if repeat else iter(one_pass(obj)))


# -- sources (SRC-1..4) --------------------------------------------------------------


def _repeat_suffix(repeat: bool) -> str:
    return ", repeat=True" if repeat else ""


def from_items(items: Iterable[Any], num_shards: int = 2, repeat: bool = False) -> ParallelIterator:
    validate.check_iterable("items", items)
    validate.check_int("num_shards", num_shards, 1)
    values = list(items)
    shards = tuple(ShardPlan(IterableSource(values[i::num_shards], repeat)) for i in range(num_shards))
    first = type(values[0]).__name__ if values else "None"
    name = f"from_items[{first}, {len(values)}, shards={num_shards}{_repeat_suffix(repeat)}]"
    return ParallelIterator(shards, name)


def from_range(n: int, num_shards: int = 2, repeat: bool = False) -> ParallelIterator:
    validate.check_int("n", n, 0)
    validate.check_int("num_shards", num_shards, 1)
    q = n // num_shards
    bounds = [(i * q, (i + 1) * q if i < num_shards - 1 else n) for i in range(num_shards)]
    shards = tuple(ShardPlan(IterableSource(range(a, b), repeat)) for a, b in bounds)
    return ParallelIterator(shards, f"from_range[{n}, shards={num_shards}{_repeat_suffix(repeat)}]")


def from_iterators(generators: list[Any], repeat: bool = False, name: str | None = None) -> ParallelIterator:
    elements = validate.check_generators(generators)
    shards = tuple(ShardPlan(IterableSource(g, repeat)) for g in elements)
    if not name:
        name = f"from_iterators[shards={len(elements)}{_repeat_suffix(repeat)}]"
    return ParallelIterator(shards, name)


def from_actors(actors: list[Any], name: str | None = None) -> ParallelIterator:
    if not isinstance(actors, list | tuple):
        raise TypeError(f"actors must be a list, got {type(actors).__name__}")
    for actor in actors:
        if not isinstance(actor, ParallelIteratorWorker):
            raise TypeError(
                "actors: the model takes in-process ParallelIteratorWorker instances, "
                f"got {type(actor).__name__}"
            )
    shards = tuple(ShardPlan(WorkerSource(a)) for a in actors)
    return ParallelIterator(shards, name or f"from_actors[shards={len(actors)}]")


# -- conformance hooks (SPEC §13 BACK-3) ---------------------------------------------

conformance_capabilities = frozenset({"max_concurrency", "metrics", "zip_with_source_actor"})
conformance_async_batch_limit = 1
conformance_deviations: dict[str, str] = {}


def conformance_run_remote(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` as if in another process: arguments and result make a
    cloudpickle round trip, so only what serializes gets through."""
    fn, args = cloudpickle.loads(cloudpickle.dumps((fn, args)))
    return cloudpickle.loads(cloudpickle.dumps(fn(*args)))
