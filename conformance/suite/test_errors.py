"""SPEC §10 Errors: ERR-1..4 and ERR-6 (bad input, ERR-5 and BAD-n: test_bad_input.py)."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from conformance import funcs
from conformance.util import cites, collect_until_error, needs, tagged_lists

MESSAGE = "user failure 7f3a"


def _is_user_error(exc: BaseException | None) -> bool:
    if exc is None:
        return False
    chain = [exc, exc.__cause__]
    return any(isinstance(e, funcs.UserError) for e in chain) and MESSAGE in str(exc)


LISTS = tagged_lists(["a", "b", "c"], [4, 4, 4])


@pytest.fixture(scope="module")
def base(api: Any) -> Any:
    """Three shards of four ``(tag, i)`` items, shared by the module's tests."""
    return api.from_iterators(LISTS)


def _failing(api: Any, where: str, base: Any) -> Any:
    lists = LISTS
    bad = ("b", 2)
    if where == "source":
        gens: list[Any] = [lists[0], funcs.FailingSource(lists[1][:2], MESSAGE), lists[2]]
        return api.from_iterators(gens)
    pi = base
    if where == "for_each":
        return pi.for_each(funcs.FailOn(bad, MESSAGE))
    if where == "filter":
        return pi.filter(funcs.FailOn(bad, MESSAGE, as_filter=True))
    if where == "combine":
        return pi.combine(lambda x: [funcs.FailOn(bad, MESSAGE)(x)])
    if where == "transform":
        return pi.transform(lambda it: (funcs.FailOn(bad, MESSAGE)(x) for x in it))
    raise ValueError(where)


WHERE = ["source", "for_each", "filter", "combine", "transform"]


@cites("ERR-1")
@pytest.mark.parametrize(
    ("where", "gather"),
    [(w, "gather_sync") for w in WHERE]
    + [
        ("for_each", "gather_async"),
        ("source", "gather_async"),
        ("for_each", "get_shard"),
        ("filter", "get_shard"),
    ],
)
def test_user_errors_reach_the_consumer(api: Any, base: Any, where: str, gather: str) -> None:
    pi = _failing(api, where, base)
    it = pi.get_shard(1) if gather == "get_shard" else getattr(pi, gather)()
    _, exc = collect_until_error(it)
    assert exc is not None, "the run ended without raising the user's error"
    assert _is_user_error(exc), f"got {type(exc).__name__}: {exc}"


@cites("ERR-2")
@pytest.mark.parametrize("where", WHERE)
def test_error_position_under_gather_sync(api: Any, base: Any, where: str) -> None:
    """Failing item ("b", 2): round 2, position 7 of the round-robin order."""
    order = [(t, i) for i in range(4) for t in "abc"]
    delivered, exc = collect_until_error(_failing(api, where, base).gather_sync())
    assert _is_user_error(exc)
    assert delivered == order[: len(delivered)], f"out of order: {delivered}"
    assert 6 <= len(delivered) <= 7, f"delivered {len(delivered)} items before the error: {delivered}"


@cites("ERR-2")
@pytest.mark.parametrize("num_async", [1, 3])
def test_error_position_per_shard(api: Any, base: Any, num_async: int) -> None:
    delivered, exc = collect_until_error(_failing(api, "for_each", base).get_shard(1, num_async=num_async))
    assert _is_user_error(exc)
    assert delivered == [("b", 0), ("b", 1)]
    delivered, exc = collect_until_error(_failing(api, "for_each", base).gather_async(num_async=num_async))
    assert _is_user_error(exc)
    assert [x for x in delivered if x[0] == "b"] == [("b", 0), ("b", 1)]


@cites("ERR-3")
@pytest.mark.parametrize("where", ["for_each", "filter", "transform"])
def test_local_errors_are_unchanged(api: Any, where: str) -> None:
    it = api.from_items([1, 2, 3, 4], num_shards=2).gather_sync()
    fail = funcs.FailOn(3, MESSAGE, as_filter=where == "filter")
    it = {
        "for_each": lambda: it.for_each(fail),
        "filter": lambda: it.filter(fail),
        "transform": lambda: it.transform(lambda s: (fail(x) for x in s)),
    }[where]()
    delivered, exc = collect_until_error(it)
    assert type(exc) is funcs.UserError and MESSAGE in str(exc), repr(exc)
    assert delivered == [1, 2]


@cites("ERR-4")
@pytest.mark.parametrize("side", ["parallel", "local"])
@pytest.mark.parametrize("gather", ["gather_sync", "gather_async", "get_shard"])
def test_after_an_error_the_iterator_is_finished(api: Any, base: Any, side: str, gather: str) -> None:
    pi = _failing(api, "for_each", base) if side == "parallel" else base
    it = pi.get_shard(1) if gather == "get_shard" else getattr(pi, gather)()
    if side == "local":
        it = it.for_each(funcs.FailOn(("b", 2), MESSAGE))
    _, exc = collect_until_error(it)
    assert exc is not None
    for _ in range(3):
        try:
            item = next(it)
        except StopIteration:
            continue
        except Exception as again:  # noqa: BLE001
            assert isinstance(again, type(exc)), f"different error after the first: {again!r}"
            continue
        pytest.fail(f"next() returned {item!r} after the iterator raised {exc!r}")


@cites("ERR-6")
@needs("ray")
@pytest.mark.timeout(120)
@pytest.mark.parametrize("gather", ["gather_sync", "gather_async", "batch_across_shards", "get_shard"])
def test_a_dead_shard_worker_is_reported(api: Any, gather: str) -> None:
    lists = tagged_lists(["a", "b"], [4, 4])
    pi = api.from_iterators(lists).for_each(funcs.ExitProcess(("b", 1), os.getpid()))
    it = pi.get_shard(1) if gather == "get_shard" else getattr(pi, gather)()
    start = time.monotonic()
    delivered, exc = collect_until_error(it)
    elapsed = time.monotonic() - start
    assert exc is not None, f"the stream ended silently after {delivered}"
    assert elapsed <= 30, f"the error took {elapsed:.1f} s"
    assert "shard 1" in str(exc), f"the error does not name the shard: {type(exc).__name__}: {exc}"
