"""The clause report: a terminal table and a JSON file per run.

Written with the standard library rather than pytest-json-report: the report is
organised around clause IDs and run information (backend, versions, spec version,
Hypothesis profile and seed) that a generic JSON report does not know, and a small
writer avoids a dependency for a few dozen lines.

Per test the JSON holds ``nodeid``, ``clauses``, ``status`` (``passed``, ``failed``,
``error``, ``skipped``, ``xfailed`` -- a known deviation --, ``should-fail``), a one-
line ``message`` and ``duration``.  Per clause the result is the worst status of the
tests citing it (failed/error > should-fail > xfailed > passed > skipped), or
``untested`` when no test of this run cites it -- except that a clause that applies
only to backends declaring a capability this backend lacks is ``skipped`` whatever
its tests did (BACK-4): a verdict is earned by the clause's own tests, not by a test
that also cites it.  So *passed* means at least one test citing the clause ran to
completion and none failed.  A skipped clause carries its ``reasons``.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance import clauses, plugin

RANK = {"failed": 6, "error": 6, "should-fail": 5, "xfailed": 4, "passed": 3, "skipped": 2}


@dataclass
class TestRecord:
    nodeid: str
    clauses: list[str]
    status: str = "passed"
    message: str = ""
    duration: float = 0.0
    deviation: str | None = None


@dataclass
class Collector:
    records: dict[str, TestRecord] = field(default_factory=dict)
    started: float = field(default_factory=time.time)


COLLECTOR_KEY = pytest.StashKey[Collector]()


def _message(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return str(report.wasxfail)
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    text = getattr(report, "longreprtext", "") or ""
    lines = [line for line in text.splitlines() if line.startswith("E ")]
    chosen = lines[0][1:].strip() if lines else (text.strip().splitlines() or [""])[-1]
    return chosen[:500]


def pytest_configure(config: pytest.Config) -> None:
    config.stash[COLLECTOR_KEY] = Collector()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = _config
    if config is None:
        return
    col = config.stash[COLLECTOR_KEY]
    rec = col.records.get(report.nodeid)
    if rec is None:
        rec = col.records[report.nodeid] = TestRecord(report.nodeid, list(_clauses.get(report.nodeid, ())))
        rec.deviation = _deviations.get(report.nodeid)
    rec.duration += report.duration
    status = None
    if report.when == "call":
        if hasattr(report, "wasxfail") and report.skipped:
            status = "should-fail" if str(report.wasxfail).startswith(plugin.SHOULD_PREFIX) else "xfailed"
        elif report.passed:
            status = "passed"
        elif report.failed:
            status = "failed"
        elif report.skipped:
            status = "skipped"
    elif report.failed:
        status = "error"
    elif report.skipped:
        status = "xfailed" if hasattr(report, "wasxfail") else "skipped"
    if status is not None and (report.when != "teardown" or status == "error"):
        rec.status = status
        if status != "passed":
            rec.message = _message(report)


_config: pytest.Config | None = None
_clauses: dict[str, tuple[str, ...]] = {}
_deviations: dict[str, str] = {}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    global _config
    _config = config
    for item in items:
        _clauses[item.nodeid] = item.stash.get(plugin.CLAUSES_KEY, ())
        if plugin.DEVIATION_KEY in item.stash:
            _deviations[item.nodeid] = item.stash[plugin.DEVIATION_KEY]


@dataclass
class ClauseResult:
    result: str = "untested"
    reasons: list[str] = field(default_factory=list)


def clause_results(records: list[TestRecord], capabilities: frozenset[str]) -> dict[str, ClauseResult]:
    """The result of every clause of the spec for a backend with ``capabilities``:
    the worst status of the tests citing it, ``skipped`` (with reasons) when it needs
    a capability the backend lacks or all its tests were skipped, ``untested`` when
    no test of this run cites it."""
    index = clauses.index()
    results = {cid: ClauseResult() for cid in index}
    for rec in records:
        for cid in rec.clauses:
            entry = results.setdefault(cid, ClauseResult())
            if RANK.get(rec.status, 0) > RANK.get(entry.result, 0):
                entry.result = rec.status
            if rec.status == "skipped" and rec.message and rec.message not in entry.reasons:
                entry.reasons.append(rec.message)
    for cid, clause in index.items():
        missing = sorted(clause.needs - capabilities)
        if missing and results[cid].result in ("passed", "untested"):
            results[cid] = ClauseResult(
                "skipped", [f"backend does not declare capability {', '.join(missing)} (BACK-4)"]
            )
        elif results[cid].result != "skipped":
            results[cid].reasons = []
    return results


def _ray_version() -> str | None:
    mod = sys.modules.get("ray")
    if mod is None:
        try:
            from importlib.metadata import version

            return version("ray")
        except Exception:  # noqa: BLE001
            return None
    return getattr(mod, "__version__", None)


def run_info(config: pytest.Config) -> dict[str, Any]:
    b = plugin.selected_backend(config)
    seed = config.getoption("hypothesis_seed", default=None)
    profile = plugin.active_profile()
    return {
        "backend": b.spec,
        "backend_module": b.module_name,
        "backend_version": b.version,
        "capabilities": sorted(b.capabilities),
        "async_batch_limit": b.async_batch_limit,
        "hooks": list(b.hooks_declared),
        "known_deviations": b.deviations,
        "ray_version": _ray_version(),
        "spec_version": clauses.spec_version(),
        "hypothesis_profile": profile,
        "hypothesis_seed": "derandomized" if profile == "ci" and seed is None else seed,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if config.option.collectonly:
        return
    col = config.stash[COLLECTOR_KEY]
    records = list(col.records.values())
    results = clause_results(records, plugin.selected_backend(config).capabilities)
    index = clauses.index()
    payload = {
        "run": {
            **run_info(config),
            "started": col.started,
            "duration": time.time() - col.started,
            "exitstatus": int(exitstatus),
        },
        "clauses": [
            {
                "id": cid,
                "level": index[cid].level,
                "title": index[cid].title,
                "chapter": index[cid].chapter,
                "result": results[cid].result,
                "reasons": results[cid].reasons,
            }
            for cid in index
        ],
        "tests": [asdict(r) for r in records],
    }
    path = Path(config.getoption("--conformance-report"))
    if not path.is_absolute():
        path = Path(config.invocation_params.dir) / path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=repr), encoding="utf-8")
    config.stash[COLLECTOR_KEY].started = -1.0  # mark written
    _written.append(str(path))


_written: list[str] = []


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    col = config.stash[COLLECTOR_KEY]
    records = list(col.records.values())
    if not records:
        return
    b = plugin.selected_backend(config)
    results = clause_results(records, b.capabilities)
    index = clauses.index()
    tr = terminalreporter
    tr.section("conformance clause report")
    tr.write_line(
        f"backend {b.spec} (version {b.version}); spec {clauses.spec_version()}; "
        f"hypothesis profile {plugin.active_profile()}"
    )
    tr.write_line(f"{'clause':<9} {'level':<7} {'result':<12} title")
    for cid, clause in index.items():
        entry = results[cid]
        why = f"  [{'; '.join(entry.reasons)}]" if entry.reasons else ""
        tr.write_line(f"{cid:<9} {clause.level:<7} {entry.result:<12} {clause.title}{why}")
    counts: dict[str, int] = {}
    for cid, clause in index.items():
        key = f"{clause.level} {results[cid].result}"
        counts[key] = counts.get(key, 0) + 1
    tr.write_line("summary: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    for path in _written:
        tr.write_line(f"JSON report written to {path}")
