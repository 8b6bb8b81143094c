"""``LocalIterator`` of the model backend (SPEC §4).

Local transforms run in the consumer's thread, inside ``next()``, on demand.  While a
``next()`` runs, the chain's metrics context is the current one, so
``LocalIterator.get_metrics()`` works from user code in local transforms (LOC-9).
An unstarted iterator pickles (SER-2); a started one refuses with ``TypeError``
(SER-5).  After a user error the iterator is finished (ERR-4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from conformance.model import validation as validate
from conformance.model.fetch import NOT_READY, PROGRESS
from conformance.model.metrics import MetricsCell, MetricsContext, current_metrics, set_current_metrics
from conformance.model.operators import Step


class LocalIterator:
    """An iterator in the consumer's process over a base iterator plus local transforms."""

    def __init__(
        self,
        base_iterator: Callable[..., Iterable[Any]],
        shared_metrics: Any = None,
        local_transforms: list[Callable[[Iterator[Any]], Iterable[Any]]] | None = None,
        timeout: Any = None,
        name: str | None = None,
    ) -> None:
        validate.check_callable("base_iterator", base_iterator)
        self.base_iterator = base_iterator
        self.shared_metrics = shared_metrics if shared_metrics is not None else MetricsCell()
        self.local_transforms = list(local_transforms or [])
        self.timeout = timeout
        self.name = name or "unknown"
        self._built: Iterator[Any] | None = None
        self._finished = False

    # -- iteration -------------------------------------------------------------------

    def _build(self) -> Iterator[Any]:
        it: Iterator[Any] = iter(self.base_iterator(self.timeout))
        for fn in self.local_transforms:
            it = iter(fn(it))
        return it

    def __iter__(self) -> LocalIterator:
        return self

    def __next__(self) -> Any:
        if self._finished:
            raise StopIteration
        previous = set_current_metrics(self.shared_metrics.context)
        try:
            if self._built is None:
                self._built = self._build()
            return next(self._built)
        except StopIteration:
            self._release()
            raise
        except BaseException:
            self._release()
            raise
        finally:
            set_current_metrics(previous)

    def _release(self) -> None:
        self._finished = True
        built, self._built = self._built, None
        close = getattr(built, "close", None)
        if close is not None:
            close()

    def __getstate__(self) -> dict[str, Any]:
        if self._built is not None or self._finished:
            raise TypeError(
                f"cannot serialize {self!r}: it has started iterating (SER-5); "
                "serialize it before the first next()"
            )
        return dict(self.__dict__)

    def __repr__(self) -> str:
        return f"LocalIterator[{self.name}]"

    __str__ = __repr__

    # -- metrics ---------------------------------------------------------------------

    @staticmethod
    def get_metrics() -> MetricsContext:
        """The metrics context of the running local chain (LOC-9)."""
        ctx = current_metrics()
        if ctx is None:
            raise ValueError("get_metrics() can only be called from inside an iterator")
        return ctx

    # -- local transforms (LOC-2) ----------------------------------------------------

    def _chain(self, step: Callable[[Iterator[Any]], Iterable[Any]], suffix: str) -> LocalIterator:
        return LocalIterator(
            self.base_iterator,
            self.shared_metrics,
            self.local_transforms + [step],
            timeout=self.timeout,
            name=self.name + suffix,
        )

    def transform(self, fn: Callable[[Iterator[Any]], Iterable[Any]]) -> LocalIterator:
        validate.check_callable("fn", fn)
        return self._chain(Step("transform", fn).apply, ".transform()")

    def for_each(
        self, fn: Callable[[Any], Any], max_concurrency: int = 1, resources: dict | None = None
    ) -> LocalIterator:
        validate.check_callable("fn", fn)
        validate.check_int("max_concurrency", max_concurrency, 0)
        return self._chain(Step("for_each", fn, (max_concurrency,)).apply, ".for_each()")

    def filter(self, fn: Callable[[Any], Any]) -> LocalIterator:
        validate.check_callable("fn", fn)
        return self._chain(Step("filter", fn).apply, ".filter()")

    def batch(self, n: int) -> LocalIterator:
        validate.check_int("n", n, 1)
        return self._chain(Step("batch", None, (n,)).apply, f".batch({n})")

    def flatten(self) -> LocalIterator:
        return self._chain(Step("flatten").apply, ".flatten()")

    def combine(self, fn: Callable[[Any], Iterable[Any]]) -> LocalIterator:
        validate.check_callable("fn", fn)
        return self._chain(Step("combine", fn).apply, ".combine()")

    def shuffle(self, shuffle_buffer_size: int, seed: Any = None) -> LocalIterator:
        validate.check_int("shuffle_buffer_size", shuffle_buffer_size, 1)
        return self._chain(
            Step("shuffle", None, (shuffle_buffer_size, seed)).apply,
            f".shuffle(shuffle_buffer_size={shuffle_buffer_size}, seed={seed})",
        )

    def zip_with_source_actor(self) -> LocalIterator:
        return self._chain(Step("for_each", _zip_with_source).apply, ".zip_with_source_actor()")

    # -- consuming (LOC-4) -----------------------------------------------------------

    def take(self, n: int) -> list[Any]:
        validate.check_int("n", n, 0)
        out: list[Any] = []
        while len(out) < n:
            try:
                out.append(next(self))
            except StopIteration:
                break
        return out

    def show(self, n: int = 20) -> None:
        validate.check_int("n", n, 0)
        for _ in range(n):
            try:
                item = next(self)
            except StopIteration:
                break
            print(item)

    # -- duplicate and union (LOC-5, LOC-6) ------------------------------------------

    def duplicate(self, n: int) -> list[LocalIterator]:
        validate.check_int("n", n, 2)
        shared = _Replay(self)
        return [
            LocalIterator(shared.reader, self.shared_metrics, name=f"{self.name}.duplicate[{k}]")
            for k in range(n)
        ]

    def union(
        self,
        *others: LocalIterator,
        deterministic: bool = False,
        round_robin_weights: list[Any] | None = None,
    ) -> LocalIterator:
        for other in others:
            if not isinstance(other, LocalIterator):
                raise TypeError(f"others must be LocalIterators, got {type(other).__name__} {other!r}")
        inputs = [self, *others]
        weights = validate.check_weights(round_robin_weights, len(inputs))
        name = f"LocalUnion[{', '.join(map(repr, inputs))}]"
        cell = MetricsCell()
        for it in inputs:
            it.shared_metrics.link_to(cell)
        ready_first = not deterministic and (weights is None or all(w == "*" for w in weights))
        return LocalIterator(_Union(inputs, weights, ready_first), cell, name=name)


def _zip_with_source(item: Any) -> tuple[Any, Any]:
    ctx = current_metrics()
    source = None if ctx is None else ctx.current_actor
    if source is None:
        raise ValueError("zip_with_source_actor() needs an iterator derived from gather_async()")
    return (source, item)


class _Replay:
    """``duplicate`` in the model: every item pulled from the source is
    appended to one list; each copy reads that list at its own position and
    pulls more from the source when it is the first to get there (LOC-5).
    The model keeps the whole history; a backend need only keep what lags."""

    def __init__(self, source: LocalIterator) -> None:
        self.source = source
        self.history: list[Any] = []
        self.ended = False

    def reader(self, timeout: Any = None) -> Iterator[Any]:
        position = 0
        while True:
            if position == len(self.history):
                if self.ended:
                    return
                try:
                    self.history.append(next(self.source))
                except StopIteration:
                    self.ended = True
                    return
            yield self.history[position]
            position += 1


class _Union:
    """Base iterator of ``LocalIterator.union``: ``w_i`` items from input ``i`` in turn
    (one for ``"*"``), skipping inputs that have ended (LOC-6).  A non-deterministic
    union reads bare asynchronous gathers in poll mode and passes over those with
    nothing queued (LOC-10)."""

    def __init__(self, inputs: list[LocalIterator], weights: list[Any] | None, ready_first: bool) -> None:
        self.inputs = inputs
        self.weights = weights
        self.ready_first = ready_first

    def __call__(self, timeout: Any = None) -> Iterator[Any]:
        if self.ready_first:
            return _ready_first_stream(self.inputs)
        return _union_stream(self.inputs, self.weights)


def _ready_first_stream(inputs: list[LocalIterator]) -> Iterator[Any]:
    streams = [_poll_or_plain(it) for it in inputs]
    active = list(range(len(streams)))
    while active:
        seen = PROGRESS.count
        gave = False
        for i in list(active):
            try:
                item = next(streams[i])
            except StopIteration:
                active.remove(i)
                gave = True
                continue
            if item is not NOT_READY:
                gave = True
                yield item
        if not gave and active:
            PROGRESS.wait_past(seen)


def _poll_or_plain(it: LocalIterator) -> Iterator[Any]:
    poll = getattr(it.base_iterator, "poll", None)
    if poll is not None and not it.local_transforms and it._built is None and not it._finished:
        return iter(poll())
    return (item for item in it)


def _union_stream(inputs: list[LocalIterator], weights: list[Any] | None) -> Iterator[Any]:
    counts = [
        1 if weights is None or weights[i] == "*" else max(1, round(weights[i])) for i in range(len(inputs))
    ]
    active = list(range(len(inputs)))
    while active:
        for i in list(active):
            for _ in range(counts[i]):
                try:
                    item = next(inputs[i])
                except StopIteration:
                    active.remove(i)
                    break
                yield item
