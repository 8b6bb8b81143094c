"""Small helpers shared by the test modules."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest


def cites(*ids: str) -> pytest.MarkDecorator:
    """``@pytest.mark.clauses(*ids)``: the spec clauses a test checks."""
    return pytest.mark.clauses(*ids)


def needs(*capabilities: str) -> pytest.MarkDecorator:
    """``@pytest.mark.needs(*capabilities)``: skip unless the backend declares them."""
    return pytest.mark.needs(*capabilities)


def tagged_lists(tags: list[str], lengths: list[int]) -> list[list[tuple[str, int]]]:
    """Per-shard item lists ``[(tag, 0), (tag, 1), ...]``: items name their shard."""
    return [[(t, i) for i in range(n)] for t, n in zip(tags, lengths, strict=True)]


def shard_tags(k: int) -> list[str]:
    return [f"s{i}" for i in range(k)]


def drain(it: Iterator[Any], limit: int = 10_000) -> list[Any]:
    """``list(it)`` that fails instead of looping forever past ``limit`` items."""
    out: list[Any] = []
    for item in it:
        out.append(item)
        if len(out) > limit:
            raise AssertionError(f"iterator yielded more than {limit} items: {out[:20]!r}...")
    return out


def next_items(it: Iterator[Any], n: int) -> list[Any]:
    """Exactly ``n`` calls of ``next(it)`` (fails if the iterator ends first)."""
    return [next(it) for _ in range(n)]


def collect_until_error(it: Iterator[Any], limit: int = 10_000) -> tuple[list[Any], BaseException | None]:
    """Items delivered before ``next()`` raised, and the exception (None if it ended)."""
    out: list[Any] = []
    while len(out) <= limit:
        try:
            out.append(next(it))
        except StopIteration:
            return out, None
        except Exception as exc:  # noqa: BLE001 - the caller inspects it
            return out, exc
    raise AssertionError(f"no error and no end after {limit} items")


def collect_garbage(rounds: int = 3) -> None:
    for _ in range(rounds):
        gc.collect()


def eventually(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds pass."""
    end = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > end:
            return False
        time.sleep(interval)


def per_tag(items: list[Any]) -> dict[str, list[Any]]:
    """Group ``(tag, i)`` items by tag, keeping order."""
    groups: dict[str, list[Any]] = {}
    for item in items:
        groups.setdefault(item[0], []).append(item)
    return groups
