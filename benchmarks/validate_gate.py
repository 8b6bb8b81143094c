"""Repeat a ``compare`` run to validate the regression gate, and tabulate the verdicts.

    python -m benchmarks.validate_gate NAME --runs 5 [--spinner] [--set VAR=VALUE ...]
        [--candidate SPEC] [-- COMPARE-OPTIONS ...]

runs ``python -m conformance.bench compare reference CANDIDATE`` (``CANDIDATE``
defaults to ``reference``: unchanged against unchanged) ``--runs`` times, one
after the other, each into ``benchmarks/results/gate-validation/NAME/run-I``.
``--spinner`` keeps one extra process spinning on the CPU for the whole time
(the "beside one spinning process" condition). ``--set`` puts a variable in the
environment of both compare sides; the slowed stand-ins of
:mod:`benchmarks.slowed_reference` read theirs only on the candidate's side,
which is the only side that imports them. Options after ``--`` go to compare
(``-k``, ``--budget``, ``--tolerance-file``...).

It exits 0 when every run judged its benchmarks, whatever the verdicts, and 1
when a run wrote no report. It then writes ``summary.md`` next to the runs: per benchmark, the verdict of
every run, and how many runs called it slower beyond tolerance (the gate's
failure) or left it unresolved. A rerun of a single NAME appends nothing: it
starts the directory afresh.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "results" / "gate-validation"
SPIN = "while True: pass"


def _run(i: int, out: Path, candidate: str, env: dict, extra: list[str]) -> dict:
    cmd = [sys.executable, "-m", "conformance.bench", "compare", "reference", candidate,
           f"--results={out}", *extra]
    start, load = time.monotonic(), os.getloadavg()[0]
    with open(out.with_suffix(".out.txt"), "w") as log:
        code = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    took = time.monotonic() - start
    report = json.loads((out / "compare.json").read_text()) if (out / "compare.json").exists() else {}
    loads = (load, os.getloadavg()[0])
    print(f"run {i}: exit {code} in {took:.0f} s, load average {loads[0]:.1f} -> {loads[1]:.1f}", flush=True)
    if not report:
        tail = out.with_suffix(".out.txt").read_text()[-1500:]
        print(f"run {i} wrote no report; the end of its output:\n{tail}", flush=True)
    return {"exit": code, "seconds": took, "loads": loads, "benchmarks": report.get("benchmarks", []),
            "reported": bool(report)}


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=ROOT.parent, check=True).stdout.strip() or "unknown"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _measures(b: dict) -> list[str]:
    """Each measure's ratio and interval (older reports: the wall time's only)."""
    measures = b.get("measures") or {"wall": b}
    judged = b.get("judged", ["wall"])
    out = []
    for m, j in measures.items():
        ratio = "—" if j["ratio"] is None else f"{j['ratio']:.3f}"
        interval = "" if j["lo"] is None else f" [{j['lo']:.2f}, {j['hi']:.2f}]"
        text = f"{m} {ratio}{interval}"
        out.append(text if m in judged else f"({text})")
    return out


def summarize(name: str, runs: list[dict], command: str, commit: str = "unknown") -> str:
    names = list(dict.fromkeys(b["name"] for r in runs for b in r["benchmarks"]))
    lines = [f"# Gate validation: {name}", "", f"`{command}` (commit `{commit}`)", "",
             "| run | exit | minutes | load average (start -> end) |", "|---:|---:|---:|---|"]
    lines += [f"| {i} | {r['exit']} | {r['seconds'] / 60:.1f} | "
              + (f"{r['loads'][0]:.1f} -> {r['loads'][1]:.1f}" if "loads" in r else "") + " |"
              for i, r in enumerate(runs, 1)]
    lines += ["", "Per benchmark: candidate / base of each measure with its 95 % interval (a measure "
              "the verdict is not on in parentheses), and the verdict of each run "
              "(**SLOWER** = slower beyond tolerance, over both measurements where there are "
              "two: the gate fails).", "",
              "| benchmark | " + " | ".join(f"run {i}" for i in range(1, len(runs) + 1))
              + " | failed | unresolved |", "|---|" + "---|" * len(runs) + "---:|---:|"]
    for n in names:
        cells, failed, unresolved = [], 0, 0
        for r in runs:
            b = next((b for b in r["benchmarks"] if b["name"] == n), None)
            if b is None:
                cells.append("not run")
                continue
            label = "**SLOWER**" if b["regressed"] else b["label"]
            cells.append(" ".join(_measures(b)) + f" {label}")
            failed += bool(b["regressed"])
            unresolved += not b["resolved"]
        lines.append(f"| {n} | " + " | ".join(cells) + f" | {failed} | {unresolved} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    own, extra = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    p = argparse.ArgumentParser(prog="python -m benchmarks.validate_gate")
    p.add_argument("name", help="directory under benchmarks/results/gate-validation/")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--candidate", default="reference", help="backend spec of the candidate side")
    p.add_argument("--spinner", action="store_true", help="keep one process spinning meanwhile")
    p.add_argument("--set", action="append", default=[], metavar="VAR=VALUE",
                   help="environment variable for the compare run")
    args = p.parse_args(own)
    if args.runs < 1:
        p.error("--runs must be at least 1")
    env = dict(os.environ, RAY_ADDRESS="local")
    for item in args.set:
        var, sep, value = item.partition("=")
        if not sep or not var:
            p.error(f"--set takes VAR=VALUE, got {item!r}")
        env[var] = value
    where = ROOT / args.name
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    command = "python -m benchmarks.validate_gate " + " ".join(argv)
    spinner = subprocess.Popen([sys.executable, "-c", SPIN]) if args.spinner else None
    try:
        runs = [_run(i, where / f"run-{i}", args.candidate, env, extra) for i in range(1, args.runs + 1)]
    finally:
        if spinner:
            spinner.kill()
    text = summarize(args.name, runs, command, _commit())
    (where / "summary.md").write_text(text)
    print(text)
    # verdicts, whatever they are, are the result; a run that judged nothing is a failure
    return 0 if all(r["reported"] and r["benchmarks"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
