"""The clause report of a run: the pytest plugin that collects every test into the
result model (:mod:`conformance.reporting.model`) and writes it out.

Written with the standard library rather than pytest-json-report or pytest-html:
the report is organised around clause IDs and run information (backend, versions,
spec version, Hypothesis profile and seed) that a generic report does not know.

Outputs, all from one :class:`~conformance.reporting.model.RunReport`:

* the terminal table (``conformance clause report`` section);
* the JSON report, ``--conformance-report=PATH`` (default ``conformance-report.json``);
* the HTML page, ``--conformance-html=PATH`` (only when asked);
* pytest's JUnit XML (``--junitxml``): each test case gets a ``clauses`` property.

``--collect-only`` writes neither file.  The options are added by
:mod:`conformance.plugin`, which registers this plugin.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conformance import clauses
from conformance.reporting import keys, run_page, terminal
from conformance.reporting.model import RunReport, TestRecord, build


def _message(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return str(report.wasxfail)
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    text = getattr(report, "longreprtext", "") or ""
    lines = [line for line in text.splitlines() if line.startswith("E ")]
    chosen = lines[0][1:].strip() if lines else (text.strip().splitlines() or [""])[-1]
    return chosen[:500]


def _status(report: pytest.TestReport) -> str | None:
    """The status this phase's report gives its test, or None if it says nothing."""
    if report.when == "call":
        if hasattr(report, "wasxfail") and report.skipped:
            return "should-fail" if str(report.wasxfail).startswith(keys.SHOULD_PREFIX) else "xfailed"
        if report.passed:
            return "passed"
        if report.failed:
            return "failed"
        return "skipped" if report.skipped else None
    if report.failed:
        return "error"
    if report.skipped:
        return "xfailed" if hasattr(report, "wasxfail") else "skipped"
    return None


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
    """The ``run`` part of the report without the times and the exit status."""
    b = config.stash[keys.BACKEND_KEY]
    seed = config.getoption("hypothesis_seed", default=None)
    profile = config.stash.get(keys.PROFILE_KEY, "dev")
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


def _out_path(config: pytest.Config, option: str) -> Path | None:
    value = config.getoption(option)
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else Path(config.invocation_params.dir) / path


class ClauseReport:
    """Registered once per run; holds the run's test records."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.records: dict[str, TestRecord] = {}
        self.cited: dict[str, tuple[str, ...]] = {}
        self.deviations: dict[str, str] = {}
        self.started = time.time()
        self.written: list[str] = []

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            cited = item.stash.get(keys.CLAUSES_KEY, ())
            self.cited[item.nodeid] = cited
            item.user_properties.append(("clauses", " ".join(cited)))  # JUnit XML property
            if keys.DEVIATION_KEY in item.stash:
                self.deviations[item.nodeid] = item.stash[keys.DEVIATION_KEY]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        rec = self.records.get(report.nodeid)
        if rec is None:
            rec = self.records[report.nodeid] = TestRecord(
                report.nodeid, list(self.cited.get(report.nodeid, ())),
                deviation=self.deviations.get(report.nodeid),
            )
        rec.duration += report.duration
        status = _status(report)
        if status is not None and (report.when != "teardown" or status == "error"):
            rec.status = status
            if status != "passed":
                rec.message = _message(report)

    def report(self, exitstatus: int) -> RunReport:
        run = {
            **run_info(self.config),
            "started": self.started,
            "duration": time.time() - self.started,
            "exitstatus": int(exitstatus),
        }
        return build(run, list(self.records.values()), self.config.stash[keys.BACKEND_KEY].capabilities)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.config.option.collectonly:
            return
        report = self.report(exitstatus)
        json_path = _out_path(self.config, "--conformance-report")
        html_path = _out_path(self.config, "--conformance-html")
        for path, text in ((json_path, report.to_json()), (html_path, run_page.render(report))):
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        if json_path is not None:
            self.written.append(f"JSON report written to {json_path}")
        if html_path is not None:
            self.written.append(f"HTML report written to {html_path}")

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int) -> None:
        if not self.records:
            return
        tr = terminalreporter
        tr.section("conformance clause report")
        for line in terminal.lines(self.report(exitstatus)):
            tr.write_line(line)
        for line in self.written:
            tr.write_line(line)
