"""Which clauses the suite's test functions cite, read from the test modules.

Used by the clause-coverage check (``test_kit.py``): it imports every
``conformance/suite/test_*.py`` module and reads the ``clauses`` marks of each test
function, including marks attached to ``pytest.param`` values of its
``parametrize`` marks.  This works whatever subset of tests a run selects.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SUITE_DIR = Path(__file__).resolve().parent / "suite"


def suite_modules() -> list[str]:
    """The suite's test modules, by import name."""
    return sorted(f"conformance.suite.{p.stem}" for p in SUITE_DIR.glob("test_*.py"))


def _marks(obj: Any) -> Iterable[Any]:
    marks = getattr(obj, "pytestmark", [])
    return marks if isinstance(marks, list) else [marks]


def _clause_args(marks: Iterable[Any]) -> list[str]:
    ids: list[str] = []
    for mark in marks:
        if mark.name == "clauses":
            ids.extend(str(a) for a in mark.args)
        elif mark.name == "parametrize":
            values = mark.args[1] if len(mark.args) > 1 else mark.kwargs.get("argvalues", [])
            for value in values:
                ids.extend(_clause_args(getattr(value, "marks", ())))
    return ids


def citations() -> dict[str, set[str]]:
    """``{module::test_function: {clause ids}}`` over every test module."""
    found: dict[str, set[str]] = {}
    for name in suite_modules():
        module = importlib.import_module(name)
        module_marks = list(_marks(module))
        for attr, obj in vars(module).items():
            if attr.startswith("test_") and callable(obj):
                ids = set(_clause_args(list(_marks(obj)) + module_marks))
                found[f"{name.rsplit('.', 1)[1]}::{attr}"] = ids
    return found
