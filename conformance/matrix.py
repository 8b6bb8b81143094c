"""Clause x backend matrix: run the conformance suite against several backends
and write one markdown table of clause results.

``python -m conformance.matrix [--out PATH] [BACKEND ...] [pytest args]`` (default backends:
``reference``, ``conformance.model``, ``ray.util.iter``). Each backend runs in
its own pytest process with its own JSON report; a backend that cannot be
imported is shown as such, not dropped. Exits non-zero if any run failed.
``nox -s matrix`` calls it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_BACKENDS = ["reference", "conformance.model", "ray.util.iter"]
SYMBOL = {
    "passed": "pass",
    "failed": "**FAIL**",
    "xfailed": "xfail",
    "xpassed": "**XPASS**",
    "skipped": "skip",
    "untested": "—",
}


def _importable(backend: str) -> bool:
    module = backend.split(":", 1)[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def run_backend(backend: str, report: Path, extra: list[str]) -> int:
    cmd = [sys.executable, "-m", "pytest", "--pyargs", "conformance", f"--backend={backend}",
           f"--conformance-report={report}", "-q", *extra]
    print(f"== {backend}: {' '.join(cmd)}", flush=True)
    return subprocess.call(cmd, env=dict(os.environ))


def table(results: dict[str, dict | None]) -> str:
    backends = list(results)
    clauses: dict[str, dict] = {}
    for report in results.values():
        for clause in (report or {}).get("clauses", []):
            clauses.setdefault(clause["id"], clause)
    lines = [
        "| clause | level | title | " + " | ".join(f"`{b}`" for b in backends) + " |",
        "|---|---|---|" + "---|" * len(backends),
    ]
    by_backend = {
        b: {c["id"]: c["result"] for c in (r or {}).get("clauses", [])} for b, r in results.items()
    }
    for cid, clause in clauses.items():
        cells = []
        for b in backends:
            if results[b] is None:
                cells.append("not installed")
            else:
                cells.append(SYMBOL.get(by_backend[b].get(cid, "untested"), by_backend[b].get(cid)))
        lines.append(f"| {cid} | {clause['level']} | {clause['title']} | " + " | ".join(cells) + " |")
    runs = []
    for b, r in results.items():
        if r is None:
            runs.append(f"- `{b}`: not installed")
        else:
            info = r["run"]
            runs.append(
                f"- `{b}`: exit status {info.get('exitstatus')}, {info.get('duration', 0):.0f} s, "
                f"spec {info.get('spec_version')}, Ray {info.get('ray_version')}, "
                f"Hypothesis profile {info.get('hypothesis_profile')}"
            )
    return "# Conformance matrix\n\n" + "\n".join(runs) + "\n\n" + "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("backends", nargs="*", default=DEFAULT_BACKENDS)
    parser.add_argument("--out", default="conformance-matrix.md")
    args, extra = parser.parse_known_args(argv)
    results: dict[str, dict | None] = {}
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, backend in enumerate(args.backends):
            if not _importable(backend):
                results[backend] = None
                continue
            report = Path(tmp) / f"report-{i}.json"
            code = run_backend(backend, report, extra)
            status = status or code
            results[backend] = json.loads(report.read_text()) if report.exists() else {
                "run": {"exitstatus": code}, "clauses": []}
    Path(args.out).write_text(table(results))
    print(f"clause x backend matrix written to {args.out}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
