"""SPEC §10 bad input: the BAD table (BAD-1..20) and ERR-5.

One test case per row: every bad value of the row must be refused *at the call*
with the row's exception type (``TypeError`` for a wrong type, ``ValueError`` for a
value out of range, ``IndexError`` for shard indices), with a message that names the
argument; the row's boundary values must be accepted.  Results of accepted calls are
never iterated (a bad value accepted could hang the run).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from conformance import funcs
from conformance.util import cites

Call = Callable[[Any], Any]


@dataclass(frozen=True)
class Case:
    """``call(ctx)`` must raise ``error`` naming ``arg``; ``error=None``: must not raise."""

    label: str
    call: Call
    error: type[BaseException] | None
    arg: str


class Ctx:
    """What the calls need: the API, a small parallel iterator, local iterators."""

    def __init__(self, api: Any, pi: Any) -> None:
        self.api = api
        self.pi = pi

    def li(self) -> Any:
        return self.pi.gather_sync()


def bad(label: str, call: Call, error: type[BaseException], arg: str) -> Case:
    return Case(label, call, error, arg)


def ok(label: str, call: Call, arg: str) -> Case:
    return Case(label, call, None, arg)


def _both(
    method: str,
    arg: str,
    values: list[tuple[Any, type[BaseException]]],
    valid: Any,
    local: str | None = None,
    **fixed: Any,
) -> list[Case]:
    """Cases for a method on both sides (ParallelIterator and LocalIterator)."""
    cases = []
    for side, name in (("pi", method), ("li", local or method)):

        def target(c: Ctx, side: str = side) -> Any:
            return c.pi if side == "pi" else c.li()

        for value, error in values:
            cases.append(
                bad(
                    f"{side}.{name}({arg}={value!r})",
                    lambda c, n=name, v=value, t=target: getattr(t(c), n)(**{arg: v}, **fixed),
                    error,
                    arg,
                )
            )
        cases.append(
            ok(
                f"{side}.{name}({arg}={valid!r})",
                lambda c, n=name, t=target: getattr(t(c), n)(**{arg: valid}, **fixed),
                arg,
            )
        )
    return cases


def _fn_cases() -> list[Case]:
    cases = []
    for side in ("pi", "li"):
        for method in ("for_each", "filter", "combine", "transform"):
            cases.append(
                bad(
                    f"{side}.{method}(3)",
                    lambda c, m=method, s=side: getattr(c.pi if s == "pi" else c.li(), m)(3),
                    TypeError,
                    "fn",
                )
            )
            cases.append(
                bad(
                    f"{side}.{method}(None)",
                    lambda c, m=method, s=side: getattr(c.pi if s == "pi" else c.li(), m)(None),
                    TypeError,
                    "fn",
                )
            )
        cases.append(
            ok(
                f"{side}.for_each(callable object)",
                lambda c, s=side: (c.pi if s == "pi" else c.li()).for_each(funcs.Tag(1)),
                "fn",
            )
        )
    return cases


ROWS: dict[str, list[Case]] = {
    "BAD-1": [
        bad("from_items(3)", lambda c: c.api.from_items(3), TypeError, "items"),
        bad("from_items(None)", lambda c: c.api.from_items(None, num_shards=1), TypeError, "items"),
        ok("from_items(range(3))", lambda c: c.api.from_items(range(3), num_shards=1), "items"),
    ],
    "BAD-2": [
        bad(
            "from_items(num_shards='2')",
            lambda c: c.api.from_items([1], num_shards="2"),
            TypeError,
            "num_shards",
        ),
        bad(
            "from_items(num_shards=2.0)",
            lambda c: c.api.from_items([1], num_shards=2.0),
            TypeError,
            "num_shards",
        ),
        bad(
            "from_items(num_shards=True)",
            lambda c: c.api.from_items([1], num_shards=True),
            TypeError,
            "num_shards",
        ),
        bad(
            "from_range(num_shards=None)",
            lambda c: c.api.from_range(4, num_shards=None),
            TypeError,
            "num_shards",
        ),
        ok("from_items(num_shards=1)", lambda c: c.api.from_items([1], num_shards=1), "num_shards"),
    ],
    "BAD-3": [
        bad(
            "from_items(num_shards=0)",
            lambda c: c.api.from_items([1], num_shards=0),
            ValueError,
            "num_shards",
        ),
        bad(
            "from_items(num_shards=-1)",
            lambda c: c.api.from_items([1], num_shards=-1),
            ValueError,
            "num_shards",
        ),
        bad(
            "from_range(num_shards=0)", lambda c: c.api.from_range(4, num_shards=0), ValueError, "num_shards"
        ),
        ok("from_range(num_shards=1)", lambda c: c.api.from_range(4, num_shards=1), "num_shards"),
    ],
    "BAD-4": [
        bad("from_range('5')", lambda c: c.api.from_range("5", num_shards=1), TypeError, "n"),
        bad("from_range(2.5)", lambda c: c.api.from_range(2.5, num_shards=1), TypeError, "n"),
        bad("from_range(-1)", lambda c: c.api.from_range(-1, num_shards=1), ValueError, "n"),
        ok("from_range(0)", lambda c: c.api.from_range(0, num_shards=1), "n"),
    ],
    "BAD-5": [
        bad("from_iterators(3)", lambda c: c.api.from_iterators(3), TypeError, "generators"),
        bad("from_iterators('ab')", lambda c: c.api.from_iterators("ab"), TypeError, "generators"),
        bad("from_iterators([])", lambda c: c.api.from_iterators([]), ValueError, "generators"),
        bad("from_iterators(())", lambda c: c.api.from_iterators(()), ValueError, "generators"),
        ok("from_iterators(([1],))", lambda c: c.api.from_iterators(([1],)), "generators"),
    ],
    "BAD-6": [
        bad("from_iterators([[1], 3])", lambda c: c.api.from_iterators([[1], 3]), TypeError, "generators"),
        bad("from_iterators([None])", lambda c: c.api.from_iterators([None]), TypeError, "generators"),
        ok(
            "from_iterators([range(2), callable])",
            lambda c: c.api.from_iterators([range(2), funcs.OneShotFactory([1])]),
            "generators",
        ),
    ],
    "BAD-7": _fn_cases(),
    "BAD-8": _both(
        "for_each",
        "max_concurrency",
        [(-1, ValueError), ("2", TypeError), (1.5, TypeError)],
        0,
        fn=funcs.identity,
    ),
    "BAD-9": _both("batch", "n", [(0, ValueError), (-1, ValueError), ("2", TypeError), (2.0, TypeError)], 1),
    "BAD-10": _both(
        "local_shuffle",
        "shuffle_buffer_size",
        [(0, ValueError), (-3, ValueError), ("3", TypeError), (None, TypeError)],
        1,
        local="shuffle",
    ),
    "BAD-11": [
        bad("repartition(0)", lambda c: c.pi.repartition(0), ValueError, "num_partitions"),
        bad("repartition(-2)", lambda c: c.pi.repartition(-2), ValueError, "num_partitions"),
        bad("repartition('2')", lambda c: c.pi.repartition("2"), TypeError, "num_partitions"),
        ok("repartition(1)", lambda c: c.pi.repartition(1), "num_partitions"),
    ],
    "BAD-12": [
        bad("select_shards([])", lambda c: c.pi.select_shards([]), ValueError, "shards_to_keep"),
        bad("select_shards([5])", lambda c: c.pi.select_shards([5]), IndexError, "shards_to_keep"),
        bad("select_shards([-1])", lambda c: c.pi.select_shards([-1]), IndexError, "shards_to_keep"),
        bad("select_shards(['0'])", lambda c: c.pi.select_shards(["0"]), TypeError, "shards_to_keep"),
        bad("select_shards(0)", lambda c: c.pi.select_shards(0), TypeError, "shards_to_keep"),
        ok("select_shards([1])", lambda c: c.pi.select_shards([1]), "shards_to_keep"),
    ],
    "BAD-13": [
        bad("pi.union(3)", lambda c: c.pi.union(3), TypeError, "other"),
        bad("pi.union([pi])", lambda c: c.pi.union([c.pi]), TypeError, "other"),
        bad("pi.union(local iterator)", lambda c: c.pi.union(c.li()), TypeError, "other"),
    ],
    "BAD-14": [
        bad("li.union(3)", lambda c: c.li().union(3), TypeError, "others"),
        bad("li.union(li, pi)", lambda c: c.li().union(c.li(), c.pi), TypeError, "others"),
        ok("li.union(li)", lambda c: c.li().union(c.li()), "others"),
    ],
    "BAD-15": [
        bad(
            "weights [1]",
            lambda c: c.li().union(c.li(), round_robin_weights=[1]),
            ValueError,
            "round_robin_weights",
        ),
        bad(
            "weights [1, 0]",
            lambda c: c.li().union(c.li(), round_robin_weights=[1, 0]),
            ValueError,
            "round_robin_weights",
        ),
        bad(
            "weights [1, -2]",
            lambda c: c.li().union(c.li(), round_robin_weights=[1, -2]),
            ValueError,
            "round_robin_weights",
        ),
        bad(
            "weights [1, 'x']",
            lambda c: c.li().union(c.li(), round_robin_weights=[1, "x"]),
            ValueError,
            "round_robin_weights",
        ),
        bad(
            "weights [1, None]",
            lambda c: c.li().union(c.li(), round_robin_weights=[1, None]),
            ValueError,
            "round_robin_weights",
        ),
        ok(
            "weights [0.5, '*']",
            lambda c: c.li().union(c.li(), round_robin_weights=[0.5, "*"]),
            "round_robin_weights",
        ),
    ],
    "BAD-16": [
        bad("gather_async(batch_ms=-1)", lambda c: c.pi.gather_async(batch_ms=-1), ValueError, "batch_ms"),
        bad("gather_async(batch_ms='5')", lambda c: c.pi.gather_async(batch_ms="5"), TypeError, "batch_ms"),
        bad(
            "get_shard(0, batch_ms=-0.5)", lambda c: c.pi.get_shard(0, batch_ms=-0.5), ValueError, "batch_ms"
        ),
        bad(
            "repartition(2, batch_ms=-1)", lambda c: c.pi.repartition(2, batch_ms=-1), ValueError, "batch_ms"
        ),
        bad(
            "repartition(2, batch_ms='x')", lambda c: c.pi.repartition(2, batch_ms="x"), TypeError, "batch_ms"
        ),
        ok("gather_async(batch_ms=0.5)", lambda c: c.pi.gather_async(batch_ms=0.5), "batch_ms"),
    ],
    "BAD-17": [
        bad("gather_async(num_async=0)", lambda c: c.pi.gather_async(num_async=0), ValueError, "num_async"),
        bad(
            "gather_async(num_async='2')", lambda c: c.pi.gather_async(num_async="2"), TypeError, "num_async"
        ),
        bad(
            "gather_async(num_async=1.5)", lambda c: c.pi.gather_async(num_async=1.5), TypeError, "num_async"
        ),
        bad("get_shard(0, num_async=0)", lambda c: c.pi.get_shard(0, num_async=0), ValueError, "num_async"),
        ok("get_shard(0, num_async=1)", lambda c: c.pi.get_shard(0, num_async=1), "num_async"),
    ],
    "BAD-18": [
        bad("get_shard(2)", lambda c: c.pi.get_shard(2), IndexError, "shard_index"),
        bad("get_shard(-1)", lambda c: c.pi.get_shard(-1), IndexError, "shard_index"),
        bad("get_shard('0')", lambda c: c.pi.get_shard("0"), TypeError, "shard_index"),
        bad("get_shard(1.0)", lambda c: c.pi.get_shard(1.0), TypeError, "shard_index"),
        ok("get_shard(1)", lambda c: c.pi.get_shard(1), "shard_index"),
    ],
    "BAD-19": [
        bad("pi.take(-1)", lambda c: c.pi.take(-1), ValueError, "n"),
        bad("pi.take('2')", lambda c: c.pi.take("2"), TypeError, "n"),
        bad("pi.show(-1)", lambda c: c.pi.show(-1), ValueError, "n"),
        bad("li.take(-1)", lambda c: c.li().take(-1), ValueError, "n"),
        bad("li.show('x')", lambda c: c.li().show("x"), TypeError, "n"),
        ok("li.take(0)", lambda c: c.li().take(0), "n"),
    ],
    "BAD-20": [
        bad("duplicate(1)", lambda c: c.li().duplicate(1), ValueError, "n"),
        bad("duplicate(0)", lambda c: c.li().duplicate(0), ValueError, "n"),
        bad("duplicate('2')", lambda c: c.li().duplicate("2"), TypeError, "n"),
        ok("duplicate(2)", lambda c: c.li().duplicate(2), "n"),
    ],
}


def _names(message: str, arg: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(arg)}(?![A-Za-z0-9_])", message) is not None


def check_case(ctx: Ctx, case: Case) -> str | None:
    """None if the backend behaves as the row says, else a description."""
    try:
        case.call(ctx)
    except Exception as exc:  # noqa: BLE001 - classified below
        if case.error is None:
            return f"{case.label}: valid input refused with {type(exc).__name__}: {exc}"
        if type(exc) is AssertionError or not isinstance(exc, case.error):
            return f"{case.label}: raised {type(exc).__name__} ({exc}), expected {case.error.__name__}"
        if not _names(str(exc), case.arg):
            return f"{case.label}: {type(exc).__name__} message does not name {case.arg!r}: {exc}"
        return None
    if case.error is not None:
        return f"{case.label}: accepted at the call, expected {case.error.__name__}"
    return None


@pytest.fixture(scope="module")
def ctx(api: Any) -> Ctx:
    return Ctx(api, api.from_items([1, 2, 3], num_shards=2))


@pytest.mark.parametrize("row", [pytest.param(r, marks=pytest.mark.clauses(r), id=r) for r in ROWS])
def test_bad_input_row(ctx: Ctx, row: str) -> None:
    problems = [p for case in ROWS[row] if (p := check_case(ctx, case))]
    assert not problems, "\n".join(problems)


@cites("ERR-5")
def test_bad_input_is_refused_at_the_call_never_with_assertion_error(ctx: Ctx) -> None:
    """Every bad value of the table raises at the call, and never AssertionError."""
    problems = []
    for row, cases in ROWS.items():
        for case in cases:
            if case.error is None:
                continue
            try:
                case.call(ctx)
            except AssertionError as exc:
                problems.append(f"{row} {case.label}: AssertionError {exc}")
            except Exception:  # noqa: BLE001, S110 - any other exception is a refusal
                pass
            else:
                problems.append(f"{row} {case.label}: accepted")
    assert not problems, "\n".join(problems)
