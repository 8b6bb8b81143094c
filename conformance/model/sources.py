"""Sources of the model backend: the constructors ``from_items``, ``from_range``,
``from_iterators`` and ``from_actors`` (SRC-1..7, SHARD-1..3) and what a shard reads
from.  A source is opened once per run; nothing is called before that (LAZY-1, LAZY-8).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from conformance.model import validation as validate
from conformance.model.operators import Frozen
from conformance.model.plan import ParallelIterator, Run, ShardPlan


def one_pass(obj: Any) -> Any:
    """The iterable of one pass over a source element (callables are called)."""
    return obj() if callable(obj) else obj


def repeat_passes(obj: Any) -> Iterator[Any]:
    """Passes over ``obj`` forever (SRC-6); an empty pass ends the stream, and a
    one-shot iterator is refused with ``ValueError`` at the start of the run."""
    while True:
        source = one_pass(obj)
        it = iter(source)
        if it is source and not callable(obj):
            raise ValueError(
                "generators: with repeat=True every element must be re-iterable or a "
                f"callable; got a one-shot iterator {obj!r} (iter(x) is x)"
            )
        empty = True
        for item in it:
            empty = False
            yield item
        if empty:
            return


class IterableSource:
    """A source over an iterable or a zero-argument callable (SRC-3, SRC-6)."""

    def __init__(self, obj: Any, repeat: bool) -> None:
        self.obj = Frozen(obj)
        self.repeat = bool(repeat)

    def open(self, run: Run) -> Iterator[Any]:
        obj = self.obj.fresh()
        if self.repeat:
            return repeat_passes(obj)
        return iter(one_pass(obj))


class WorkerSource:
    """The source of a ``from_actors`` shard: the worker's own, persistent stream."""

    def __init__(self, worker: Any) -> None:
        self.worker = worker

    def open(self, run: Run) -> Iterator[Any]:
        return self.worker._model_stream()


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
