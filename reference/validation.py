"""Argument checks shared by the public API (clause ERR-5 and the BAD table).

Every check raises ``TypeError`` for a value of the wrong type and
``ValueError``/``IndexError`` for a value of the right type outside its range,
with a message that names the argument. Checks never call user code.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any


def check_int(name: str, value: Any, *, minimum: int) -> int:
    """An ``int`` (not ``bool``) that is at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def check_number(name: str, value: Any, *, minimum: float) -> float:
    """A real number (not ``bool``) that is at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def check_callable(name: str, value: Any) -> Callable:
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {type(value).__name__} {value!r}")
    return value


def check_optional_seed(name: str, value: Any) -> int | None:
    if value is None:
        return None
    return check_int(name, value, minimum=-(2**63))


def check_resources(name: str, value: Any) -> dict | None:
    if value is not None and not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict or None, got {type(value).__name__}")
    return value


def is_iterable_type(value: Any) -> bool:
    """True if ``value``'s type supports iteration, decided without calling it."""
    kind = type(value)
    return hasattr(kind, "__iter__") or hasattr(kind, "__getitem__")
