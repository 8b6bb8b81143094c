"""Mutation run: the conformance suite against the control and every mutant.

    python -m conformance.mutants [--jobs 2] [--timeout 60] [--maxfail 1] [NAME ...]

(``nox -s mutants`` runs this with the ``ci`` Hypothesis profile.) The control
(``control.py``: the reference behind the same proxy layer as the mutants) must
pass the whole suite, and every mutant must be *caught*: at least one test fails
or errors. Each run is its own pytest process with its own Ray, ``--jobs`` at a
time; the control, which runs in full, starts first.

Speed: a mutant's run stops after ``--maxfail`` failing tests, and the tests
citing the clauses the mutant's docstring says it breaks run first (only the
order changes; see ``_order.py``). A mutant that blocks is caught by the suite's
bound on each call into the backend (BACK-5: the test fails with ``BackendHang``,
reported as reason ``hang``); ``--timeout`` is the per-test limit given to
pytest-timeout behind that, and a run that exceeds ``--run-timeout`` as a whole
is killed and counts as missed.

Flaky catches: the tests that caught mutants are re-run on the control; a
mutant caught only by tests that fail on the control too is re-run without
them (``--confirm-rounds`` times), so a catch means "fails here, passes on the
control". The catching tests are also re-run on the mutant, and a catch that
does not fail again is dropped (``--no-reproduce`` skips this: faster, but a
flaky test can then "catch" a mutant). ``--targeted-only`` runs only the tests citing
each mutant's own clauses, to see whether they catch it by themselves.

For each mutant it prints the clauses cited by the tests that caught it (from
the suite's JSON report), then the mutation score. Exit status 0 only if the
control passed and every mutant was caught.
"""

from __future__ import annotations

import argparse
import json
import os
import pkgutil
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import conformance.mutants as _package

PACKAGE = _package.__name__
#: the directory that holds the ``conformance`` package (site-packages, or a clone)
ROOT = Path(_package.__path__[0]).resolve().parents[1]
FAILING = ("failed", "error")
#: how the first catching test failed, from its report message: a call into the
#: backend that did not return in time (BACK-5), pytest-timeout, anything else.
REASONS = (("hang", "BackendHang"), ("timeout", "Timeout >"))


@dataclass
class MutantRun:
    name: str
    targets: list[str]
    returncode: int | None = None
    seconds: float = 0.0
    failing: list[dict] = field(default_factory=list)  # test records that failed/errored
    counts: dict[str, int] = field(default_factory=dict)
    problem: str = ""  # why the run says nothing (no report, killed, ...)
    tail: str = ""

    @property
    def caught(self) -> bool:
        return bool(self.failing)

    @property
    def reason(self) -> str:
        """``hang``, ``timeout`` or ``failure``: how the first catching test failed."""
        if not self.failing:
            return ""
        message = self.failing[0].get("message", "")
        return next((name for name, mark in REASONS if mark in message), "failure")

    @property
    def catching_clauses(self) -> list[str]:
        return list(dict.fromkeys(c for rec in self.failing for c in rec.get("clauses", [])))


def discover() -> list[str]:
    """Every mutant module: all modules of this package but ``control`` and private ones."""
    names = [m.name for m in pkgutil.iter_modules(_package.__path__)]
    return sorted(n for n in names if not n.startswith("_") and n != "control")


def targets_of(name: str) -> list[str]:
    """The clause IDs a mutant's docstring says it breaks (its ``Breaks **ID**`` line)."""
    source = (Path(_package.__path__[0]) / f"{name}.py").read_text(encoding="utf-8")
    match = re.search(r'"""(.*?)"""', source, re.S)
    doc = match.group(1) if match else ""
    breaks = doc.split("Breaks", 1)[1] if "Breaks" in doc else doc
    sentence = re.split(r"\)\.|\.\s", breaks, maxsplit=1)[0]
    return list(dict.fromkeys(re.findall(r"\*\*([A-Z]+-\d+)\*\*", sentence)))


def run_one(
    name: str,
    args: argparse.Namespace,
    report_dir: Path,
    *,
    full: bool,
    tag: str = "",
    tests: list[str] | None = None,
    deselect: frozenset[str] = frozenset(),
) -> MutantRun:
    """One pytest process: the suite (or just ``tests``) against backend ``name``."""
    report = report_dir / f"{name}{tag}.json"
    report.unlink(missing_ok=True)
    # Node IDs are relative to ROOT (the directory holding the package), so tests
    # re-run by ID resolve from whatever directory the runner was started in.
    targets = [str(ROOT / t) for t in tests] if tests else ["conformance"]
    command = [sys.executable, "-m", "pytest", "--pyargs", *targets, f"--rootdir={ROOT}"]
    command += [
        f"--backend={PACKAGE}.{name}",
        f"--conformance-report={report}",
        f"--timeout={args.timeout:g}",
        "-q",
        "-p",
        "no:cacheprovider",
        "--no-header",
        "-rN",
    ]
    command += [f"--deselect={nodeid}" for nodeid in sorted(deselect)]
    outcome = MutantRun(name, [] if name == "control" else targets_of(name))
    env = dict(os.environ)
    env.setdefault("HYPOTHESIS_PROFILE", "ci")
    if not full:
        command.append(f"--maxfail={args.maxfail}")
        if not args.natural_order:
            command += ["-p", f"{PACKAGE}._order"]
            env["MUTANT_TARGETS"] = ",".join(outcome.targets)
            env["MUTANT_TARGETS_ONLY"] = "1" if args.targeted_only else "0"
    command += args.pytest_args
    started = time.monotonic()
    log_path = report_dir / f"{name}{tag}.log"
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            outcome.returncode = proc.wait(timeout=args.run_timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            outcome.problem = f"killed after {args.run_timeout:g} s: the suite did not end the run"
    outcome.seconds = time.monotonic() - started
    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    outcome.tail = "\n".join(log_text.splitlines()[-15:])
    if not report.exists():
        outcome.problem = outcome.problem or f"no JSON report (pytest exit {outcome.returncode})"
        return outcome
    data = json.loads(report.read_text(encoding="utf-8"))
    for record in data.get("tests", []):
        status = record.get("status", "")
        outcome.counts[status] = outcome.counts.get(status, 0) + 1
        if status in FAILING:
            outcome.failing.append(record)
    if not outcome.failing and outcome.returncode not in (0, None) and not outcome.problem:
        outcome.problem = f"pytest exit {outcome.returncode} without a failing test"
    return outcome


def describe(o: MutantRun, control: bool = False) -> str:
    time_s = f"{o.seconds:5.0f}s"
    if control:
        ok = o.returncode == 0 and not o.failing and not o.problem
        counts = ", ".join(f"{k} {v}" for k, v in sorted(o.counts.items()))
        line = f"{'PASSED' if ok else 'FAILED':7} {time_s}  control ({counts})"
        for rec in o.failing:
            line += f"\n        {rec['nodeid']} [{', '.join(rec['clauses'])}]: {rec['message']}"
        if o.problem:
            line += f"\n        {o.problem}\n" + _indent(o.tail)
        return line
    target = ", ".join(o.targets) or "?"
    if o.caught:
        first = o.failing[0]
        line = (
            f"{'CAUGHT':7} {time_s}  {o.name:34} breaks {target:18} caught by {', '.join(o.catching_clauses)}"
            f" ({o.reason})"
        )
        line += f"\n        {first['nodeid']}: {first['message'][:160]}"
    else:
        line = f"{'MISSED':7} {time_s}  {o.name:34} breaks {target}"
        if o.problem:
            line += f"\n        {o.problem}\n" + _indent(o.tail)
    return line


def _indent(text: str) -> str:
    return "\n".join("        | " + line for line in text.splitlines())


def _run_all(
    jobs: list[tuple], args: argparse.Namespace, report_dir: Path, quiet: bool = False
) -> dict[str, MutantRun]:
    """Run ``(name, kwargs)`` jobs ``args.jobs`` at a time, printing each result."""
    results: dict[str, MutantRun] = {}
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_one, name, args, report_dir, **kw) for name, kw in jobs]
        for future in as_completed(futures):
            outcome = future.result()
            results[outcome.name] = outcome
            if not quiet:
                print(describe(outcome, outcome.name == "control"), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.mutants",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "names", nargs="*", help="mutants to run (default: all); naming control is allowed, it always runs"
    )
    parser.add_argument("--jobs", "-j", type=int, default=2, help="suite runs at once (default 2)")
    parser.add_argument(
        "--timeout", type=float, default=60, help="per-test timeout (s) for pytest-timeout (default 60)"
    )
    parser.add_argument(
        "--maxfail", type=int, default=1, help="stop a mutant's run after this many failing tests (default 1)"
    )
    parser.add_argument(
        "--run-timeout",
        type=float,
        default=1800,
        help="kill a whole suite run after this long (default 1800 s)",
    )
    parser.add_argument(
        "--natural-order",
        action="store_true",
        help="run the suite in its own order (default: tests of the mutant's clauses first)",
    )
    parser.add_argument(
        "--targeted-only",
        action="store_true",
        help="diagnostic: run only the tests citing each mutant's own clauses",
    )
    parser.add_argument("--no-control", action="store_true", help="skip the control run")
    parser.add_argument(
        "--reproduce",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="re-run each catching test on its mutant; a catch that does not fail again is dropped "
        "(default on; --no-reproduce is faster but trusts flaky tests)",
    )
    parser.add_argument(
        "--confirm-rounds",
        type=int,
        default=3,
        help="rounds of confirming catches on the control / re-running mutants (default 3)",
    )
    parser.add_argument(
        "--no-confirm",
        action="store_true",
        help="do not re-run catching tests on the control (flaky-catch check)",
    )
    parser.add_argument(
        "--report-dir", type=Path, default=None, help="JSON reports and logs (default: a temporary directory)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write a summary JSON here")
    parser.add_argument(
        "--pytest-args", default="", help="extra pytest arguments, one string: --pytest-args='-k sources'"
    )
    args = parser.parse_args(argv)
    args.pytest_args = shlex.split(args.pytest_args)

    known = discover()
    requested = [n for n in args.names if n != "control"]  # the control runs anyway
    unknown = [n for n in requested if n not in known]
    if unknown:
        parser.error(f"unknown mutant(s) {unknown}; known: {', '.join(known)}")
    names = requested if args.names else list(known)
    report_dir = args.report_dir or Path(tempfile.mkdtemp(prefix="mutants-"))
    report_dir.mkdir(parents=True, exist_ok=True)
    profile = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    print(
        f"mutation run: control + {len(names)} mutants, {args.jobs} at a time, per-test timeout "
        f"{args.timeout:g}s, maxfail {args.maxfail}, HYPOTHESIS_PROFILE={profile}; reports in {report_dir}",
        flush=True,
    )
    started = time.monotonic()

    # 1. The control in full (started first: it is the longest run) and every mutant.
    jobs = [] if args.no_control else [("control", {"full": True})]
    jobs += [(n, {"full": False}) for n in names]
    results = _run_all(jobs, args, report_dir)
    control = results.pop("control", None)
    control_ok = control is None or (control.returncode == 0 and not control.failing and not control.problem)

    # 2. A catch by a test that fails on the control too says nothing about the
    #    mutant (a flaky or wrong test): re-run the catching tests on the control
    #    (and, with --reproduce, on the mutant again), then re-run the mutants
    #    left without a catch, minus those tests; repeat.
    bad_tests = {r["nodeid"] for r in control.failing} if control else set()
    good_tests: set[str] = set()
    flaky: dict[str, set[str]] = {n: set() for n in names}  # catches that did not reproduce
    reproduced: dict[str, set[str]] = {n: set() for n in names}
    notes: dict[str, dict[str, None]] = {n: {} for n in names}

    def drop(n: str, keep) -> None:
        for r in results[n].failing:
            if not keep(r["nodeid"]):
                why = "fails on the control too" if r["nodeid"] in bad_tests else "passed when re-run (flaky)"
                notes[n][f"{r['nodeid']} caught it but {why}"] = None
        results[n].failing = [r for r in results[n].failing if keep(r["nodeid"])]

    for round_number in range(1, args.confirm_rounds + 1):
        if args.no_confirm:
            break
        caught_before = {n for n, o in results.items() if o.caught}
        catching = sorted({r["nodeid"] for o in results.values() for r in o.failing} - bad_tests - good_tests)
        if catching and not args.no_control:
            print(
                f"-- round {round_number}: confirming {len(catching)} catching tests on the control",
                flush=True,
            )
            check = run_one(
                "control", args, report_dir, full=True, tag=f".confirm{round_number}", tests=catching
            )
            failed = {r["nodeid"] for r in check.failing}
            if check.problem:
                print(f"   confirmation run failed: {check.problem}\n{_indent(check.tail)}", flush=True)
            elif len(failed) >= 4 and 2 * len(failed) > len(catching):
                print(
                    f"   the control failed {len(failed)} of the {len(catching)} tests: it is unstable right "
                    "now (machine load? code changing?), so this confirmation is inconclusive",
                    flush=True,
                )
            else:
                if failed:
                    print("   these fail on the control too: " + ", ".join(sorted(failed)), flush=True)
                bad_tests |= failed
                good_tests |= set(catching) - failed
        known_bad = frozenset(bad_tests)
        for n in caught_before:
            drop(n, lambda nodeid, bad=known_bad: nodeid not in bad)
        if args.reproduce:
            todo = {
                n: sorted({r["nodeid"] for r in results[n].failing} - reproduced[n])
                for n in caught_before
                if results[n].caught
            }
            todo = {n: tests for n, tests in todo.items() if tests}
            if todo:
                print(f"-- round {round_number}: reproducing the catches of {len(todo)} mutants", flush=True)
                jobs = [
                    (n, {"full": True, "tag": f".repro{round_number}", "tests": t}) for n, t in todo.items()
                ]
                for n, again in _run_all(jobs, args, report_dir, quiet=True).items():
                    failed_again = {r["nodeid"] for r in again.failing}
                    reproduced[n] |= failed_again
                    flaky[n] |= set(todo[n]) - failed_again
                    drop(n, lambda nodeid, n=n: nodeid not in flaky[n])
        lost = sorted(n for n in caught_before if not results[n].caught)
        if not lost:
            break
        print(f"-- round {round_number}: re-running {len(lost)} mutants without those tests", flush=True)
        jobs = [
            (n, {"full": False, "tag": f".rerun{round_number}", "deselect": frozenset(bad_tests | flaky[n])})
            for n in lost
        ]
        for n, o in _run_all(jobs, args, report_dir).items():
            o.seconds += results[n].seconds
            results[n] = o
    for n in names:
        drop(n, lambda nodeid, n=n: nodeid not in bad_tests and nodeid not in flaky[n])

    elapsed = time.monotonic() - started

    caught = [n for n in names if results[n].caught]
    missed = [n for n in names if not results[n].caught]
    print("\n== mutation report ==")
    print(
        f"{'mutant':34} {'breaks':18} {'result':7} {'time':>6}  {'reason':8} "
        "caught by (clauses of the failing test)"
    )
    for n in names:
        o = results[n]
        print(
            f"{n:34} {', '.join(o.targets):18} {'caught' if o.caught else 'MISSED':7} "
            f"{o.seconds:5.0f}s  {o.reason or '-':8} {', '.join(o.catching_clauses) or '-'}"
        )
        if o.caught:
            print(f"{'':34} by {o.failing[0]['nodeid']}")
        for note in notes[n]:
            print(f"{'':34} note: {note}")
    score = len(caught) / len(names) if names else 1.0
    control_text = "skipped" if control is None else ("passed" if control_ok else "FAILED")
    print(
        f"control: {control_text}; mutation score {len(caught)}/{len(names)} = {score:.0%}; "
        f"wall time {elapsed:.0f}s"
    )
    if missed:
        print("missed: " + ", ".join(missed))
    if args.json:
        summary = {
            "control": None
            if control is None
            else {"passed": control_ok, "seconds": control.seconds, "counts": control.counts},
            "mutants": {
                n: {
                    "targets": results[n].targets,
                    "caught": results[n].caught,
                    "caught_by": results[n].catching_clauses,
                    "reason": results[n].reason,
                    "tests": [r["nodeid"] for r in results[n].failing],
                    "seconds": results[n].seconds,
                    "problem": results[n].problem,
                    "notes": list(notes[n]),
                }
                for n in names
            },
            "score": score,
            "seconds": elapsed,
        }
        args.json.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return 0 if control_ok and not missed else 1


if __name__ == "__main__":
    sys.exit(main())
