"""``ParallelIterator``: an immutable plan of shards (PAR-1..PAR-14).

A plan is a tuple of :class:`ShardPlan` (a source and its operators) and a
name. Every method returns a new plan and does no work (LAZY-1); gathers
return :class:`~reference.local.LocalIterator` recipes whose first ``next()``
starts a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from . import validation as check
from .gather import ASYNC_BATCH_LIMIT, AsyncBatches, Flattened, SyncRounds
from .local import LocalIterator
from .operators import ChainMethods, make_shuffle
from .sources import PartitionSource, RepartitionNode

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class ShardPlan:
    """One shard: where its items come from and the operators applied to them
    inside its worker, in order."""

    source: Any
    operators: tuple = ()


class ParallelIterator(ChainMethods, Generic[T]):
    """A sharded, lazy iterator. Read it with a gather, never directly."""

    _CAPTURE = True  # parallel transforms ship a snapshot of fn to every shard (SHARD-6)

    def __init__(self, shards: Iterable[ShardPlan], name: str):
        self._shards = tuple(shards)
        self.name = name

    def __iter__(self):
        raise TypeError(
            "a ParallelIterator is not directly iterable: use it.gather_sync() "
            "or it.gather_async() to iterate over its items"
        )

    def __repr__(self) -> str:
        return f"ParallelIterator[{self.name}]"

    __str__ = __repr__

    # -- parallel transforms ------------------------------------------------
    def _with(self, op) -> ParallelIterator:
        shards = (ShardPlan(s.source, s.operators + (op,)) for s in self._shards)
        return ParallelIterator(shards, self.name + op.label)

    def combine(self, fn: Callable[[T], list[U]]) -> ParallelIterator[U]:
        check.check_callable("fn", fn)
        it = self.for_each(fn).flatten()
        return ParallelIterator(it._shards, self.name + ".combine()")

    def local_shuffle(
        self, shuffle_buffer_size: int, seed: int | None = None
    ) -> ParallelIterator[T]:
        return self._with(make_shuffle("local_shuffle", shuffle_buffer_size, seed))

    # -- reshaping ------------------------------------------------------------
    def repartition(self, num_partitions: int, batch_ms: int = 0) -> ParallelIterator[T]:
        """``num_partitions`` shards; partition ``j`` takes positions
        ``p % num_partitions == j`` of every shard (SHARD-10)."""
        n = check.check_int("num_partitions", num_partitions, minimum=1)
        batch_ms = check.check_number("batch_ms", batch_ms, minimum=0)
        node = RepartitionNode(self, n, batch_ms)
        shards = (ShardPlan(PartitionSource(node, j)) for j in range(n))
        return ParallelIterator(shards, f"{self.name}.repartition[num_partitions={n}]")

    def union(self, other: ParallelIterator[T]) -> ParallelIterator[T]:
        """Shards of ``self`` then shards of ``other`` (SHARD-8)."""
        if not isinstance(other, ParallelIterator):
            raise TypeError(f"other must be a ParallelIterator, got {type(other).__name__}")
        return ParallelIterator(self._shards + other._shards, f"ParallelUnion[{self}, {other}]")

    def select_shards(self, shards_to_keep: list[int]) -> ParallelIterator[T]:
        """The listed shards, in increasing index order (SHARD-9)."""
        if not isinstance(shards_to_keep, list | tuple | range):
            raise TypeError(
                f"shards_to_keep must be a list of ints, got {type(shards_to_keep).__name__}"
            )
        if len(shards_to_keep) == 0:
            raise ValueError("shards_to_keep must select at least one shard")
        for index in shards_to_keep:
            self._check_index("shards_to_keep", index)
        keep = sorted(set(shards_to_keep))
        shards = (self._shards[i] for i in keep)
        return ParallelIterator(shards, f"{self.name}.select_shards({len(keep)} total)")

    def num_shards(self) -> int:
        return len(self._shards)

    def _check_index(self, name: str, index: Any) -> int:
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"{name} must hold ints, got {type(index).__name__} {index!r}")
        if not 0 <= index < len(self._shards):
            raise IndexError(f"{name}: shard index {index} out of range(0, {len(self._shards)})")
        return index

    # -- gathering ------------------------------------------------------------
    def batch_across_shards(self) -> LocalIterator[list[T]]:
        return LocalIterator(SyncRounds(self._shards), name=f"{self}.batch_across_shards()")

    def gather_sync(self) -> LocalIterator[T]:
        return LocalIterator(Flattened(SyncRounds(self._shards)), name=f"{self}.gather_sync()")

    def gather_async(self, batch_ms: int = 0, num_async: int = 1) -> LocalIterator[T]:
        batch_ms = check.check_number("batch_ms", batch_ms, minimum=0)
        num_async = check.check_int("num_async", num_async, minimum=1)
        base = AsyncBatches(self._shards, batch_ms, num_async, ASYNC_BATCH_LIMIT)
        return LocalIterator(base, name=f"{self}.gather_async()")

    def get_shard(self, shard_index: int, batch_ms: int = 0, num_async: int = 1) -> LocalIterator[T]:
        index = self._check_index("shard_index", shard_index)
        batch_ms = check.check_number("batch_ms", batch_ms, minimum=0)
        num_async = check.check_int("num_async", num_async, minimum=1)
        base = AsyncBatches(
            self._shards[index : index + 1], batch_ms, num_async, ASYNC_BATCH_LIMIT,
            labels=(index,),
        )
        return LocalIterator(base, name=f"{self.name}.shard[{index}]")

    def shards(self) -> list[LocalIterator[T]]:
        return [self.get_shard(i) for i in range(self.num_shards())]

    def take(self, n: int) -> list[T]:
        """PAR-13: ``gather_sync().take(n)``, and the run is closed at once."""
        it = self.gather_sync()
        try:
            return it.take(n)
        finally:
            it.close()

    def show(self, n: int = 20) -> None:
        """PAR-13: ``gather_sync().show(n)``, and the run is closed at once."""
        it = self.gather_sync()
        try:
            it.show(n)
        finally:
            it.close()
