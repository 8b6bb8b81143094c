"""Comparing a backend's output with the oracle's chains (SPEC §5, §6, §9).

The relations here are exactly as loose as the spec: ``check_merge`` accepts any
interleaving of the expected chains (per-shard order only), ``check_round_robin``
additionally fixes which positions of a ``gather_sync`` stream belong to which shard
(ORD-3), ``check_rounds`` does the same for ``batch_across_shards`` (ORD-4).

Items are identified by ``repr`` (generated items are distinct and have deterministic
reprs).  When the expected items are not distinct, the checks fall back to exact
comparison for a single chain and to multiset comparison otherwise (weaker, still
sound).  Every failure raises :class:`Mismatch` with a message naming the position.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

#: per-shard expected output: each chain is a list of items in order.
Chains = list[list[Any]]


class Mismatch(AssertionError):
    """A backend's output differs from what the spec allows."""


def key(item: Any) -> str:
    """The identity of an item for the checks."""
    return repr(item)


def _short(items: Any, limit: int = 400) -> str:
    text = repr(items)
    return text if len(text) <= limit else text[:limit] + "..."


def total(chains: Chains) -> int:
    return sum(len(c) for c in chains)


def check_merge(actual: list[Any], chains: Chains, *, complete: bool = True, what: str = "stream") -> None:
    """``actual`` is an interleaving of ``chains`` (of prefixes of them unless
    ``complete``): no item lost, duplicated, invented or out of its chain's order."""
    index: dict[str, tuple[int, int]] = {}
    unique = True
    for c, chain in enumerate(chains):
        for p, item in enumerate(chain):
            k = key(item)
            if k in index:
                unique = False
            index[k] = (c, p)
    if not unique:
        _check_merge_fallback(actual, chains, complete, what)
        return
    following = [0] * len(chains)
    for i, item in enumerate(actual):
        k = key(item)
        if k not in index:
            raise Mismatch(
                f"{what}: item {item!r} at position {i} is not expected here; expected an "
                f"interleaving of {_short(chains)}, got {_short(actual)}"
            )
        c, p = index[k]
        if p != following[c]:
            expected = chains[c][following[c]] if following[c] < len(chains[c]) else "nothing"
            raise Mismatch(
                f"{what}: at position {i} got {item!r}, but its chain {_short(chains[c])} "
                f"expects {expected!r} first (lost, duplicated or out of order); got {_short(actual)}"
            )
        following[c] += 1
    if complete:
        missing = [chain[following[c] :] for c, chain in enumerate(chains) if following[c] < len(chain)]
        if missing:
            raise Mismatch(f"{what}: items missing: {_short(missing)}; got {_short(actual)}")


def _check_merge_fallback(actual: list[Any], chains: Chains, complete: bool, what: str) -> None:
    if len(chains) == 1:
        expected = chains[0] if complete else chains[0][: len(actual)]
        if list(actual) != list(expected):
            raise Mismatch(f"{what}: expected {_short(expected)}, got {_short(actual)}")
        return
    want = Counter(key(x) for c in chains for x in c)
    got = Counter(key(x) for x in actual)
    if complete and want != got:
        raise Mismatch(f"{what}: multiset differs: expected {_short(chains)}, got {_short(actual)}")
    if not complete and got - want:
        raise Mismatch(f"{what}: unexpected items {_short(list((got - want).elements()))}")


def round_robin_owners(lengths: list[int], count: int | None = None) -> list[int]:
    """The shard of every position of a round-robin stream over shards of ``lengths``
    (ORD-3), for the first ``count`` positions (default: all)."""
    owners: list[int] = []
    limit = sum(lengths) if count is None else min(count, sum(lengths))
    r = 0
    while len(owners) < limit:
        for s, length in enumerate(lengths):
            if length > r and len(owners) < limit:
                owners.append(s)
        r += 1
    return owners


def check_round_robin(
    actual: list[Any], shards: list[Chains], *, complete: bool = True, what: str = "gather_sync"
) -> None:
    """``actual`` is the round-robin of ORD-3 over ``shards`` (each shard any
    interleaving of its chains); if not ``complete``, a prefix of it."""
    lengths = [total(s) for s in shards]
    if complete and len(actual) != sum(lengths):
        raise Mismatch(f"{what}: expected {sum(lengths)} items, got {len(actual)}: {_short(actual)}")
    if len(actual) > sum(lengths):
        raise Mismatch(f"{what}: expected at most {sum(lengths)} items, got {len(actual)}: {_short(actual)}")
    owners = round_robin_owners(lengths, len(actual))
    per_shard: list[list[Any]] = [[] for _ in shards]
    for item, s in zip(actual, owners, strict=True):
        per_shard[s].append(item)
    for s, chains in enumerate(shards):
        check_merge(per_shard[s], chains, complete=complete, what=f"{what} (items at shard {s}'s positions)")


def check_rounds(actual: list[list[Any]], shards: list[Chains], *, what: str = "batch_across_shards") -> None:
    """``actual`` holds one list per round: list ``k`` has item ``k`` of every shard
    with more than ``k`` items, in shard order (ORD-4)."""
    lengths = [total(s) for s in shards]
    rounds = max(lengths, default=0)
    if len(actual) != rounds:
        raise Mismatch(
            f"{what}: expected {rounds} rounds for shard lengths {lengths}, got {len(actual)}: "
            f"{_short(actual)}"
        )
    per_shard: list[list[Any]] = [[] for _ in shards]
    for k, batch in enumerate(actual):
        members = [s for s, length in enumerate(lengths) if length > k]
        if not isinstance(batch, list) or len(batch) != len(members):
            raise Mismatch(
                f"{what}: round {k} should be a list of {len(members)} items (shards {members}), "
                f"got {batch!r}"
            )
        for s, item in zip(members, batch, strict=True):
            per_shard[s].append(item)
    for s, chains in enumerate(shards):
        check_merge(per_shard[s], chains, what=f"{what} (shard {s})")


def check_multiset(actual: list[Any], expected: list[Any], *, what: str = "items") -> None:
    """Same items with the same multiplicities, in any order (SHARD-4)."""
    want = Counter(key(x) for x in expected)
    got = Counter(key(x) for x in actual)
    if want != got:
        lost = list((want - got).elements())
        extra = list((got - want).elements())
        raise Mismatch(f"{what}: lost {_short(lost)}, unexpected {_short(extra)}")
