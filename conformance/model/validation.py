"""Argument checks for the model backend: the bad-input table of SPEC §10 (BAD-1..20).

Every check raises at the call (ERR-5) with the exception type of the table and a
message that starts with the argument's name.  A "wrong type" is a ``TypeError``, a
value of the right type outside the valid range a ``ValueError`` (or ``IndexError``
for shard indices, BAD-12 and BAD-18).  ``bool`` is never accepted where an ``int``
or a number is asked for.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any


def _type_name(value: Any) -> str:
    return type(value).__name__


def is_int(value: Any) -> bool:
    """True for ints (including numpy integers), False for ``bool``."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """True for real numbers, False for ``bool``."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_int(name: str, value: Any, minimum: int) -> int:
    """``value`` must be an int ``>= minimum`` (TypeError / ValueError)."""
    if not is_int(value):
        raise TypeError(f"{name} must be an int, got {_type_name(value)} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def check_number(name: str, value: Any, minimum: float = 0) -> float:
    """``value`` must be a real number ``>= minimum`` (TypeError / ValueError)."""
    if not is_number(value):
        raise TypeError(f"{name} must be a number, got {_type_name(value)} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def check_callable(name: str, value: Any) -> None:
    """``value`` must be callable (BAD-7)."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {_type_name(value)} {value!r}")


def is_iterable(value: Any) -> bool:
    """Whether ``value`` looks iterable, without calling any of its code."""
    return isinstance(value, Iterable) or hasattr(type(value), "__getitem__")


def check_iterable(name: str, value: Any) -> None:
    """``value`` must be iterable (BAD-1)."""
    if not is_iterable(value):
        raise TypeError(f"{name} must be an iterable, got {_type_name(value)} {value!r}")


def check_generators(value: Any) -> list[Any]:
    """``generators`` of ``from_iterators``: a non-empty list/tuple (BAD-5) of iterables
    or callables (BAD-6)."""
    if not isinstance(value, list | tuple):
        raise TypeError(f"generators must be a list or tuple, got {_type_name(value)}")
    if not value:
        raise ValueError("generators must not be empty")
    for i, element in enumerate(value):
        if not (callable(element) or is_iterable(element)):
            raise TypeError(
                f"generators[{i}] must be an iterable or a zero-argument callable, "
                f"got {_type_name(element)} {element!r}"
            )
    return list(value)


def check_shard_list(name: str, value: Any, num_shards: int) -> list[int]:
    """``shards_to_keep`` of ``select_shards`` (BAD-12)."""
    if not isinstance(value, list | tuple):
        raise TypeError(f"{name} must be a list of ints, got {_type_name(value)}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    for index in value:
        if not is_int(index):
            raise TypeError(f"{name} must hold ints, got {_type_name(index)} {index!r}")
        if not 0 <= index < num_shards:
            raise IndexError(f"{name}: shard index {index} not in range({num_shards})")
    return sorted({int(i) for i in value})


def check_shard_index(name: str, value: Any, num_shards: int) -> int:
    """``shard_index`` of ``get_shard`` (BAD-18)."""
    if not is_int(value):
        raise TypeError(f"{name} must be an int, got {_type_name(value)} {value!r}")
    if not 0 <= value < num_shards:
        raise IndexError(f"{name} {value} not in range({num_shards})")
    return int(value)


def check_weights(value: Any, count: int) -> list[Any] | None:
    """``round_robin_weights`` of ``LocalIterator.union`` (BAD-15): one per input, each a
    number ``> 0`` or ``"*"``; anything else is a ``ValueError``."""
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise ValueError(f"round_robin_weights must be a list, got {_type_name(value)}")
    if len(value) != count:
        raise ValueError(f"round_robin_weights must have one weight per input ({count}), got {len(value)}")
    for weight in value:
        if weight == "*" and isinstance(weight, str):
            continue
        if not is_number(weight) or not weight > 0:
            raise ValueError(f"round_robin_weights: each must be a number > 0 or '*', got {weight!r}")
    return list(value)
