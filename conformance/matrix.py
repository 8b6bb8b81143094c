"""Clause x backend matrix: the suite's results for several backends side by side.

``python -m conformance.matrix [--out PATH] [--html PATH] [--bench-link URL]
[BACKEND | REPORT.json ...] [pytest args]``

Each argument is either a JSON report written by an earlier run
(``--conformance-report``; an existing file ending in ``.json``) or a backend to run
now, in its own pytest process with its own JSON report (default, when no argument
names either: ``reference``, ``conformance.model``, ``ray.util.iter``).  A backend
that cannot be imported is shown as such, not dropped.  ``--out`` writes a markdown
table, ``--html`` a self-contained page with filters, a *differences only* view and
a permalink per clause (:mod:`conformance.reporting.matrix_page`); with neither, the
markdown goes to ``conformance-matrix.md``.  ``--keep-reports DIR`` keeps the JSON
reports of the runs.  Exits non-zero if any run failed.  ``nox -s matrix`` calls it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from conformance.reporting import matrix_page, matrix_table
from conformance.reporting.model import RunReport, load

DEFAULT_BACKENDS = ["reference", "conformance.model", "ray.util.iter"]


def _importable(backend: str) -> bool:
    module = backend.split(":", 1)[0]
    try:
        return importlib.util.find_spec(module) is not None
    except (ModuleNotFoundError, ValueError):
        return False


def is_report(arg: str) -> bool:
    """True when ``arg`` names a JSON report file rather than a backend."""
    return arg.endswith(".json") and Path(arg).is_file()


def run_backend(backend: str, report: Path, extra: list[str]) -> int:
    cmd = [sys.executable, "-m", "pytest", "--pyargs", "conformance", f"--backend={backend}",
           f"--conformance-report={report}", "-q", *extra]
    print(f"== {backend}: {' '.join(cmd)}", flush=True)
    return subprocess.call(cmd, env=dict(os.environ))


Found = list[tuple[str, RunReport | None, str]]


def collect(args: list[str], report_dir: Path, extra: list[str]) -> tuple[Found, int]:
    """``(name, report or None, why none)`` per argument, and the worst exit status of the runs."""
    found: Found = []
    status = 0
    for i, arg in enumerate(args):
        if is_report(arg):
            found.append((arg, load(arg), ""))
            continue
        if not _importable(arg):
            found.append((arg, None, "not installed"))
            continue
        path = report_dir / f"report-{i}-{arg.replace(':', '_')}.json"
        code = run_backend(arg, path, extra)
        status = status or code
        if path.exists():
            found.append((arg, load(path), ""))
        else:
            found.append((arg, None, f"no report (pytest exit status {code})"))
    return found, status


def columns(found: Found) -> list[matrix_table.Column]:
    labels = matrix_table.labels([(name, report) for name, report, _ in found])
    return [
        matrix_table.Column(label, report, why)
        for label, (_, report, why) in zip(labels, found, strict=True)
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("backends", nargs="*", metavar="BACKEND_OR_REPORT")
    parser.add_argument(
        "--out", default=None, help="markdown table (default conformance-matrix.md without --html)"
    )
    parser.add_argument("--html", default=None, help="self-contained HTML page")
    parser.add_argument("--bench-link", default=None, help="link the HTML page to a benchmark results page")
    parser.add_argument("--keep-reports", default=None, type=Path, help="keep the runs' JSON reports here")
    args, extra = parser.parse_known_args(argv)
    targets = args.backends or DEFAULT_BACKENDS
    for target in targets:
        if target.endswith(".json") and not is_report(target):
            parser.error(f"no such report file: {target}")
    if args.keep_reports is not None:
        args.keep_reports.mkdir(parents=True, exist_ok=True)
        found, status = collect(targets, args.keep_reports, extra)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            found, status = collect(targets, Path(tmp), extra)
    cols = columns(found)
    out = args.out or (None if args.html else "conformance-matrix.md")
    if out:
        Path(out).write_text(matrix_table.markdown(cols), encoding="utf-8")
        print(f"clause x backend matrix written to {out}")
    if args.html:
        Path(args.html).write_text(matrix_page.render(cols, args.bench_link), encoding="utf-8")
        print(f"clause x backend matrix page written to {args.html}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
