"""The result model every report is built on (terminal table, JSON, JUnit
properties, HTML page, matrix).

Per test: ``nodeid``, ``clauses`` (the IDs it cites), ``status`` -- ``passed``,
``failed``, ``error``, ``skipped``, ``xfailed`` (a known deviation, BACK-3) or
``should-fail`` (it cites only SHOULD/MAY clauses and failed) --, a one-line
``message`` and ``duration``, and ``deviation`` (the reason of the deviation it
matched).

Per clause the result is the worst status of the tests citing it
(failed/error > should-fail > xfailed > passed > skipped), or ``untested`` when no
test of the run cites it -- except that a clause that applies only to backends
declaring a capability this backend lacks is ``skipped`` whatever its tests did
(BACK-4): a verdict is earned by the clause's own tests, not by a test that also
cites it.  So *passed* means at least one test citing the clause ran to completion
and none failed.  A skipped clause carries its ``reasons``.

A :class:`RunReport` is what the JSON report holds; :func:`load` reads one back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from conformance import clauses as clauses_mod

RANK = {
    "failed": 6, "error": 6, "should-fail": 5, "xfailed": 4, "not-run": 3.5, "passed": 3, "skipped": 2,
    "untested": 0,
}  # fmt: skip
#: every result a clause or test can have, worst first
RESULTS = ("failed", "error", "should-fail", "xfailed", "not-run", "passed", "skipped", "untested")
#: the message of a test the run did not run because it stopped early (the
#: backend hung too often, conformance.hang_limit): its clauses are ``not-run``,
#: never ``passed`` by the tests that did run
NOT_RUN_PREFIX = "not run: "
#: a result as a symbol and a word, so it reads without colour
LABEL = {
    "passed": ("✓", "passed"),
    "failed": ("✗", "FAILED"),
    "error": ("✗", "ERROR"),
    "should-fail": ("!", "should-fail"),
    "xfailed": ("~", "deviation"),
    "skipped": ("–", "skipped"),
    "not-run": ("?", "not run"),
    "untested": ("·", "untested"),
}


@dataclass
class TestRecord:
    """One test of a run, as the JSON report's ``tests`` list holds it."""

    __test__ = False  # not a pytest test class

    nodeid: str
    clauses: list[str]
    status: str = "passed"
    message: str = ""
    duration: float = 0.0
    deviation: str | None = None


@dataclass
class ClauseResult:
    """One clause's result in a run, and the reasons when it is ``skipped``."""

    result: str = "untested"
    reasons: list[str] = field(default_factory=list)


@dataclass
class ClauseRow:
    """One clause of a run report: the clause's index entry and its result."""

    id: str
    level: str
    title: str
    chapter: str
    result: str
    reasons: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    """A whole run: ``run`` (backend, versions, profile, times, exit status),
    one :class:`ClauseRow` per clause of the spec, in spec order, and the tests."""

    run: dict[str, Any]
    clauses: list[ClauseRow]
    tests: list[TestRecord]

    def tests_citing(self) -> dict[str, list[TestRecord]]:
        """``{clause id: the tests citing it, in run order}``."""
        citing: dict[str, list[TestRecord]] = {}
        for test in self.tests:
            for cid in test.clauses:
                citing.setdefault(cid, []).append(test)
        return citing

    def counts(self) -> dict[str, dict[str, int]]:
        """``{level: {result: number of clauses}}``."""
        counts: dict[str, dict[str, int]] = {}
        for row in self.clauses:
            level = counts.setdefault(row.level, {})
            level[row.result] = level.get(row.result, 0) + 1
        return counts

    def to_json(self) -> str:
        payload = {
            "run": self.run,
            "clauses": [asdict(row) for row in self.clauses],
            "tests": [asdict(test) for test in self.tests],
        }
        return json.dumps(payload, indent=2, default=repr)


def clause_results(
    records: Iterable[TestRecord],
    capabilities: frozenset[str],
    index: Mapping[str, clauses_mod.Clause] | None = None,
) -> dict[str, ClauseResult]:
    """The result of every clause of the spec for a backend with ``capabilities``:
    the worst status of the tests citing it, ``skipped`` (with reasons) when it needs
    a capability the backend lacks or all its tests were skipped, ``untested`` when
    no test of this run cites it, ``not-run`` (with the reason) when the run stopped
    before one of its tests and none failed."""
    index = clauses_mod.index() if index is None else index
    results = {cid: ClauseResult() for cid in index}
    for rec in records:
        status = rec.status
        if status == "skipped" and rec.message.startswith(NOT_RUN_PREFIX):
            status = "not-run"
        for cid in rec.clauses:
            entry = results.setdefault(cid, ClauseResult())
            if RANK.get(status, 0) > RANK.get(entry.result, 0):
                entry.result = status
            if status in ("skipped", "not-run") and rec.message and rec.message not in entry.reasons:
                entry.reasons.append(rec.message)
    for cid, clause in index.items():
        missing = sorted(clause.needs - capabilities)
        if missing and results[cid].result in ("passed", "untested"):
            results[cid] = ClauseResult(
                "skipped", [f"backend does not declare capability {', '.join(missing)} (BACK-4)"]
            )
        elif results[cid].result not in ("skipped", "not-run"):
            results[cid].reasons = []
    return results


def build(run: dict[str, Any], records: list[TestRecord], capabilities: frozenset[str]) -> RunReport:
    """The report of a run: every clause of the spec (in spec order) with its result."""
    index = clauses_mod.index()
    results = clause_results(records, capabilities, index)
    rows = [
        ClauseRow(cid, c.level, c.title, c.chapter, results[cid].result, results[cid].reasons)
        for cid, c in index.items()
    ]
    return RunReport(run, rows, list(records))


def from_dict(data: Mapping[str, Any]) -> RunReport:
    """A report from its JSON form (``ValueError`` naming the part that is missing)."""
    for key in ("run", "clauses", "tests"):
        if key not in data:
            raise ValueError(f"not a conformance report: no {key!r} part")
    rows = [
        ClauseRow(
            c["id"], c["level"], c["title"], c.get("chapter", ""), c["result"], list(c.get("reasons", []))
        )
        for c in data["clauses"]
    ]
    tests = [
        TestRecord(
            t["nodeid"], list(t.get("clauses", [])), t.get("status", "passed"), t.get("message", ""),
            float(t.get("duration", 0.0)), t.get("deviation"),
        )
        for t in data["tests"]
    ]
    return RunReport(dict(data["run"]), rows, tests)


def load(path: str | Path) -> RunReport:
    """Read a JSON report written by a run (``--conformance-report``)."""
    return from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
