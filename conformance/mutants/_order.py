"""pytest plugin for mutation runs: run first the tests that cite the clauses a
mutant says it breaks (``MUTANT_TARGETS``, comma-separated clause IDs).

Only the order changes; every test still runs until ``--maxfail`` stops the
run, so a mutant the targeted tests miss is still caught (or not) by the rest
of the suite. It just makes the usual case -- caught by a test of its own
clause -- quick. Loaded with ``-p conformance.mutants._order``.

With ``MUTANT_TARGETS_ONLY=1`` the other tests are deselected instead: a
diagnostic (``python -m conformance.mutants --targeted-only``) showing whether
the tests of the broken clause catch the mutant by themselves.
"""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    targets = {t for t in os.environ.get("MUTANT_TARGETS", "").split(",") if t}
    if not targets:
        return

    def cites_target(item: pytest.Item) -> bool:
        return any(set(map(str, mark.args)) & targets for mark in item.iter_markers("clauses"))

    if os.environ.get("MUTANT_TARGETS_ONLY") == "1":
        config.hook.pytest_deselected(items=[item for item in items if not cites_target(item)])
        items[:] = [item for item in items if cites_target(item)]
    else:
        items[:] = sorted(items, key=lambda item: not cites_target(item))
