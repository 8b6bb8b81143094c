"""A run stops judging a backend that keeps hanging (SPEC §13, BACK-5).

Every call into the backend is bounded (:mod:`conformance.bounded`), so one hang
costs one call bound.  A backend that hangs everywhere would still cost a call
bound per test, hundreds of times.  So after the backend has hung in
``--conformance-max-hangs`` tests (default :data:`DEFAULT_MAX_HANGS`, ``0`` = never
stop), the run stops as ``--maxfail`` does, except that the remaining tests are
still reported: each is skipped at setup, without calling the backend, with the
reason ``not run: the backend hung K times ...`` (:data:`NOT_RUN_PREFIX`).  No
clause is judged passed by a test that did not run; the terminal report, the JSON
report and the JUnit XML are written as usual, and the exit status is 1 (the hung
tests failed).

Only hangs that fail their test count: a hang in a test of a known deviation
(a strict expected failure, BACK-3) is the deviation the backend declared.

The hangs (test, clauses, call) are listed in the terminal summary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance import bounded
from conformance.reporting import model

#: hangs after which the run stops judging the backend.
DEFAULT_MAX_HANGS = 3
OPTION = "--conformance-max-hangs"
#: the start of the skip reason of every test the stop leaves unrun.
NOT_RUN_PREFIX = f"{model.NOT_RUN_PREFIX}the backend hung"  # its clauses read ``not-run``


@dataclass(frozen=True)
class Hang:
    """A test that failed because a call into the backend did not return."""

    nodeid: str
    clauses: tuple[str, ...]
    call: str


class HangLimit:
    """The pytest plugin object: counts hangs and stops the run at the limit."""

    def __init__(self, limit: int, clauses_key: Any, deviation_key: Any) -> None:
        self.limit = limit
        self.hangs: list[Hang] = []
        self.not_run = 0
        self._clauses_key = clauses_key
        self._deviation_key = deviation_key

    @property
    def stopped(self) -> bool:
        return self.limit > 0 and len(self.hangs) >= self.limit

    def reason(self) -> str:
        return (
            f"{NOT_RUN_PREFIX} {len(self.hangs)} times ({OPTION}={self.limit}); "
            "the run stopped judging it (BACK-5)"
        )

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self.stopped:
            self.not_run += 1
            pytest.skip(self.reason())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
        rep = yield
        excinfo = call.excinfo
        if (
            excinfo is not None
            and excinfo.errisinstance(bounded.BackendHang)
            and self._deviation_key not in item.stash
            and not (self.hangs and self.hangs[-1].nodeid == item.nodeid)
        ):
            first = str(excinfo.value).splitlines()[0] if str(excinfo.value) else "a call"
            self.hangs.append(Hang(item.nodeid, tuple(item.stash.get(self._clauses_key, ())), first))
        return rep

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.hangs:
            return
        tr = terminalreporter
        tr.section("backend hangs (BACK-5)")
        for hang in self.hangs:
            tr.write_line(f"{hang.nodeid} [{', '.join(hang.clauses) or 'no clause'}]: {hang.call}")
        if self.stopped:
            tr.write_line(
                f"the backend hung in {len(self.hangs)} tests ({OPTION}={self.limit}): "
                f"{self.not_run} later tests were not run; their clauses are not judged passed by them"
            )


def add_option(group: Any) -> None:
    group.addoption(
        OPTION,
        type=int,
        default=DEFAULT_MAX_HANGS,
        metavar="K",
        help=f"after the backend has hung in K tests, report the remaining tests as not run "
        f"and end the run (default {DEFAULT_MAX_HANGS}; 0 = never stop)",
    )


def register(config: pytest.Config, clauses_key: Any, deviation_key: Any) -> HangLimit:
    limit = config.getoption(OPTION, DEFAULT_MAX_HANGS)
    if limit is None or limit < 0:
        raise pytest.UsageError(f"{OPTION}={limit}: use 0 (never stop) or a positive number of hangs")
    plugin = HangLimit(int(limit), clauses_key, deviation_key)
    config.pluginmanager.register(plugin, "conformance-hang-limit")
    return plugin
