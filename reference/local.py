"""``LocalIterator``: an iterator in the consumer's process (LOC-1..LOC-9).

It is a recipe until first advanced: a ``base_iterator`` callable (usually a
gather strategy) and a list of local operators. The first ``next()`` builds
the chain; before that the object pickles (SER-2), after it does not (SER-5).
"""

from __future__ import annotations

import builtins
import itertools
import operator
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

from . import fast_local, metrics
from . import validation as check
from .metrics import MetricsContext, SharedMetrics
from .operators import ChainMethods, ForEach, make_shuffle
from .readiness import NotReady, wait_for_any

T = TypeVar("T")
U = TypeVar("U")


class LocalIterator(ChainMethods, Generic[T]):
    """A lazily built chain of local transforms over a base iterator."""

    _CAPTURE = False  # local transforms run in the consumer, on the objects given

    def __init__(
        self,
        base_iterator: Callable[..., Iterable[T]],
        shared_metrics: SharedMetrics | None = None,
        local_transforms: list[Callable[[Iterator], Iterator]] | None = None,
        timeout: int | None = None,
        name: str | None = None,
    ):
        self.base_iterator = base_iterator
        self.shared_metrics = shared_metrics or SharedMetrics()
        self.local_transforms = list(local_transforms or [])
        self.timeout = timeout
        self.name = name or "unknown"
        self._base: Iterator | None = None
        self._built: Iterator | None = None

    # -- iteration (LOC-1) -------------------------------------------------
    def __iter__(self) -> LocalIterator[T]:
        return self

    #: ``next()`` calls what ``_next`` is: the method below, or, once a chain
    #: has started on the fast path (fast_local.py), that generator's own
    #: ``__next__``, so that no Python frame of this class runs per item
    __next__ = property(operator.attrgetter("_next"))

    def _next(self) -> T:
        # The chain's context is the thread's current one while it advances
        # (LOC-9), and the previous one again after. Set and restored inline:
        # this runs once per item, and a context manager here cost a third of
        # the consumer's time per cheap item (benchmarks/results/profile-cheap-*).
        state = metrics.THREAD_STATE
        previous = getattr(state, "metrics", None)
        state.metrics = self.shared_metrics.metrics
        try:
            if self._built is None:
                if fast_local.applies(self):
                    self._built = fast_local.items(
                        self.base_iterator.batches(self.timeout), self.shared_metrics
                    )
                    self._next = self._built.__next__
                else:
                    self._build()
            return next(self._built)
        finally:
            state.metrics = previous

    def _build(self) -> None:
        self._base = iter(self.base_iterator(self.timeout))
        it = self._base
        for op in self.local_transforms:
            it = op(it)
        self._built = iter(it)

    def close(self) -> None:
        """Stop the run now and release its workers (LIFE-1)."""
        for it in (self._built, self._base):
            close = getattr(it, "close", None)
            if close is not None:
                close()
        if self._built is None:
            self._built = iter(())

    def __reduce__(self):
        if self._built is not None:
            raise TypeError(
                f"{self!r} has started iterating and cannot be serialized; "
                "serialize it before the first next()"
            )
        return (
            LocalIterator,
            (self.base_iterator, None, self.local_transforms, self.timeout, self.name),
        )

    def __repr__(self) -> str:
        return f"LocalIterator[{self.name}]"

    __str__ = __repr__

    @staticmethod
    def get_metrics() -> MetricsContext:
        """The metrics context of the chain being advanced (LOC-9)."""
        context = metrics.current()
        if context is None:
            raise ValueError("get_metrics() can only be called inside a local iterator")
        return context

    # -- transforms (LOC-2) ------------------------------------------------
    def _with(self, op: Callable[[Iterator], Iterator], label: str | None = None) -> LocalIterator:
        return LocalIterator(
            self.base_iterator,
            self.shared_metrics,
            self.local_transforms + [op],
            self.timeout,
            self.name + (op.label if label is None else label),
        )

    def combine(self, fn: Callable[[T], list[U]]) -> LocalIterator[U]:
        check.check_callable("fn", fn)
        it = self.for_each(fn).flatten()
        it.name = self.name + ".combine()"
        return it

    def shuffle(self, shuffle_buffer_size: int, seed: int | None = None) -> LocalIterator[T]:
        return self._with(make_shuffle("shuffle", shuffle_buffer_size, seed))

    def zip_with_source_actor(self) -> LocalIterator:
        """Pairs ``(worker, item)``; only after ``gather_async`` (LOC-8)."""
        return self._with(ForEach(_zip_with_source), ".zip_with_source_actor()")

    # -- consuming (LOC-4) -------------------------------------------------
    def take(self, n: int) -> list[T]:
        n = check.check_int("n", n, minimum=0)
        return list(itertools.islice(self, n))

    def show(self, n: int = 20) -> None:
        n = check.check_int("n", n, minimum=0)
        for item in itertools.islice(self, n):
            builtins.print(item)

    # -- combining (LOC-5, LOC-6) -----------------------------------------
    def duplicate(self, n: int) -> list[LocalIterator[T]]:
        n = check.check_int("n", n, minimum=2)
        tee = _Tee(self, n)
        return [
            LocalIterator(_TeeBranch(tee, i), self.shared_metrics, name=f"{self.name}.duplicate[{i}]")
            for i in range(n)
        ]

    def union(
        self,
        *others: LocalIterator[T],
        deterministic: bool = False,
        round_robin_weights: list | None = None,
    ) -> LocalIterator[T]:
        for other in others:
            if not isinstance(other, LocalIterator):
                raise TypeError(f"others must be LocalIterators, got {type(other).__name__}")
        inputs = [self, *others]
        if round_robin_weights is not None:
            if len(round_robin_weights) != len(inputs):
                raise ValueError(
                    f"round_robin_weights must have one weight per iterator ({len(inputs)}), "
                    f"got {len(round_robin_weights)}"
                )
            for weight in round_robin_weights:
                if weight != "*" and (
                    isinstance(weight, bool)
                    or not isinstance(weight, int | float)
                    or not weight > 0
                ):
                    raise ValueError(
                        f"round_robin_weights must be numbers > 0 or '*', got {weight!r}"
                    )
            weights = list(round_robin_weights)
        else:
            weights = [1] * len(inputs)
        names = ", ".join(repr(i) for i in inputs)
        ready_first = not deterministic and all(w == "*" for w in round_robin_weights or ["*"])
        shared = SharedMetrics(parents=[i.shared_metrics for i in inputs])
        return LocalIterator(_Union(inputs, weights, ready_first), shared, name=f"LocalUnion[{names}]")


def _zip_with_source(item):
    actor = LocalIterator.get_metrics().current_actor
    if actor is None:
        raise ValueError("zip_with_source_actor() needs an iterator from gather_async()")
    return actor, item


class _Union:
    """Round-robin over the inputs: ``weights[i]`` items from input ``i`` per
    turn, ended inputs dropped (LOC-6). ``"*"`` takes one item per turn, which
    is one of the interleavings the spec allows for it. A non-deterministic
    union skips, in its turns, bare asynchronous gathers that have no answer
    yet, and waits only when no input can give an item (LOC-10)."""

    def __init__(self, inputs: list[LocalIterator], weights: list, ready_first: bool = False):
        self.inputs = inputs
        self.weights = weights
        self.ready_first = ready_first

    def __call__(self, timeout=None) -> Iterator:
        if self.ready_first:
            return _ready_first(self.inputs)
        return _turns(self.inputs, self.weights)


def _turns(inputs: list[LocalIterator], weights: list) -> Iterator:
    active = [(it, _turn_size(w)) for it, w in zip(inputs, weights, strict=True)]
    while active:
        for entry in list(active):
            it, size = entry
            for _ in range(size):
                try:
                    yield next(it)
                except StopIteration:
                    active.remove(entry)
                    break


def _ready_first(inputs: list[LocalIterator]) -> Iterator:
    streams = [_pollable(it) for it in inputs]
    active = list(range(len(streams)))
    try:
        while active:
            pending = []
            for i in list(active):
                try:
                    item = next(streams[i])
                except StopIteration:
                    active.remove(i)
                    continue
                if isinstance(item, NotReady):
                    pending.append(item)
                else:
                    yield item
            if len(pending) == len(active):
                wait_for_any(pending)
    finally:
        for stream in streams:
            stream.close()


def _pollable(it: LocalIterator) -> Iterator:
    """A bare, unstarted asynchronous gather in poll mode; any other input
    as it is (reading it may wait)."""
    poll = getattr(it.base_iterator, "poll", None)
    if poll is not None and not it.local_transforms and it._built is None:
        return poll()
    return (item for item in it)


def _turn_size(weight) -> int:
    if weight == "*":
        return 1
    return max(1, round(weight))


class _Tee:
    """Shared buffer behind ``duplicate``: each copy has its own queue."""

    def __init__(self, source: LocalIterator, n: int):
        self.source = source
        self.queues = [deque() for _ in range(n)]

    def next_for(self, i: int):
        queue = self.queues[i]
        if not queue:
            item = next(self.source)  # StopIteration ends this copy
            for q in self.queues:
                q.append(item)
        return queue.popleft()


class _TeeBranch:
    def __init__(self, tee: _Tee, index: int):
        self.tee = tee
        self.index = index

    def __call__(self, timeout=None) -> Iterator:
        while True:
            try:
                yield self.tee.next_for(self.index)
            except StopIteration:
                return

    def __reduce__(self):
        raise TypeError("iterators made by duplicate() share a buffer and cannot be serialized")
