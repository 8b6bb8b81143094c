"""Run the benchmarks and write their report.

    python -m conformance.bench [--backend SPEC ...] [--size tiny|quick|full|gate] [--results DIR]
                                [--storage DIR] [--save NAME] [--no-peers]
                                [--baseline | --compare [--against FILE] [--threshold-file FILE]]
                                [-- PYTEST_ARGS]

runs pytest on :mod:`conformance.bench.cases` with :mod:`conformance.bench.plugin`
in a subprocess, writes pytest-benchmark's JSON to ``DIR/latest.json``, then
``DIR/results.md``, ``DIR/chart.png`` and ``DIR/results.html`` (the tables with the
chart inline, one self-contained page) (:mod:`conformance.bench.report`). Every
run is also saved as a pytest-benchmark baseline named NAME in the storage
directory.

The regression gate: ``--baseline`` runs the gate's benchmarks (by default the
reference alone, without peers, at the ``gate`` size) and saves them as baseline
NAME (default the size); ``--compare`` runs the same benchmarks, writes
``DIR/gate-latest.json`` and judges them with :mod:`conformance.bench.gate`
against the latest saved baseline NAME (or ``--against FILE``): each benchmark's
ratio to its yardstick against the baseline's, with per-workload thresholds. The
table goes to stdout and ``DIR/gate.md``. The exit status is pytest's if pytest
failed, else the gate's (1: a regression).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from conformance.bench import gate, report

PYTEST = [sys.executable, "-m", "pytest", "-p", "conformance.bench.plugin", "-o",
          "python_files=cases.py", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning"]
ALL = ["--pyargs", "conformance.bench"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.bench", allow_abbrev=False,
        description="Run the benchmarks in pytest, then write DIR/results.md, DIR/chart.png and "
                    "DIR/results.html "
                    "from pytest-benchmark's DIR/latest.json; every run is saved as a baseline. "
                    "With --compare, the regression gate against the latest saved baseline.",
        epilog="Other arguments, and everything after --, go to pytest (e.g. -k cheap).")
    parser.add_argument("--backend", action="append", default=[], metavar="SPEC",
                        help="backend module path or module:attribute (repeatable); "
                             "default: reference and ray.util.iter (with --baseline/--compare: "
                             "reference, no peers)")
    parser.add_argument("--size", choices=["tiny", "quick", "full", "gate"], default=None,
                        help="workload sizes: quick takes under 5 minutes on 2 cores, "
                             "full (default) under 30; gate (default with --baseline/--compare) "
                             "is quick with 7 rounds after a warm-up round")
    parser.add_argument("--quick", dest="size", action="store_const", const="quick",
                        help="same as --size quick")
    parser.add_argument("--results", default="benchmark-results", metavar="DIR",
                        help="where the JSON and report go (default: ./benchmark-results)")
    parser.add_argument("--storage", default=".benchmarks", metavar="DIR",
                        help="pytest-benchmark baselines (default: ./.benchmarks)")
    parser.add_argument("--save", metavar="NAME",
                        help="name of the baseline a run saves and --compare reads (default: the size)")
    parser.add_argument("--baseline", action="store_true",
                        help="regression gate: run the gate's benchmarks (default: the reference, "
                             "no peers, gate size) and save them as the baseline; writes no report")
    parser.add_argument("--no-peers", action="store_true",
                        help="backends only: no Ray Data, multiprocessing or serial Python")
    parser.add_argument("--compare", action="store_true",
                        help="regression gate: run the gate's benchmarks and fail if a ratio to its "
                             "yardstick rose by more than the workload's threshold over the latest "
                             "saved baseline (conformance.bench.gate); writes no report")
    parser.add_argument("--against", metavar="FILE",
                        help="with --compare: the baseline's pytest-benchmark JSON (default: the "
                             "latest saved baseline NAME)")
    parser.add_argument("--threshold-file", metavar="FILE",
                        help="with --compare: JSON thresholds replacing the gate's, keyed by workload")
    parser.add_argument("--retries", type=int, default=1, metavar="N",
                        help="with --compare: rerun the benchmarks that regressed up to N times "
                             "(default 1); one fails only if it regressed in every run")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--") if "--" in argv else len(argv)
    parser = _parser()
    args, pytest_args = parser.parse_known_args(argv[:split])
    pytest_args += argv[split + 1:]
    if args.baseline and args.compare:
        parser.error("--baseline and --compare are exclusive")
    gating = args.baseline or args.compare
    size = args.size or ("gate" if gating else "full")
    save = args.save or size
    storage = Path(args.storage).resolve()
    results = Path(args.results).resolve()
    latest = results / {"compare": "gate-latest.json", "baseline": "gate-baseline.json"}.get(
        "compare" if args.compare else "baseline" if args.baseline else "", "latest.json")
    backends, no_peers = args.backend, args.no_peers
    if gating and not backends and not any(a.startswith("--backend") for a in pytest_args):
        backends, no_peers = ["reference"], True
    if gating:
        pytest_args = ["--bench-gated-only", *pytest_args]
    run = [*PYTEST, *ALL, f"--bench-size={size}", "-v", "-rs", f"--benchmark-storage={storage}",
           "--benchmark-sort=name"]
    baseline = None
    if args.compare:
        baseline = Path(args.against) if args.against else None
        if baseline is None:
            saved = sorted(storage.glob(f"*/[0-9][0-9][0-9][0-9]_{save}.json"))
            if not saved:
                sys.exit(f"no saved baseline {save!r} in {storage}: "
                         f"run `python -m conformance.bench --baseline --size={size}` first")
            baseline = saved[-1]
        print(f"comparing with baseline {baseline} (conformance.bench.gate)", flush=True)
        results.mkdir(parents=True, exist_ok=True)
        run += [f"--benchmark-json={latest}"]
    elif args.baseline:
        results.mkdir(parents=True, exist_ok=True)
        run += [f"--benchmark-save={save}", f"--benchmark-json={latest}"]
    else:
        results.mkdir(parents=True, exist_ok=True)
        run += [f"--benchmark-save={save}", f"--benchmark-json={latest}", f"--bench-results={results}"]
    run += [f"--backend={b}" for b in backends] + ["--no-peers"] * no_peers + pytest_args
    before = latest.stat().st_mtime_ns if latest.exists() else None
    status = subprocess.call(run)
    fresh = latest.exists() and latest.stat().st_mtime_ns != before
    if args.compare:
        if status != 0 or not fresh:
            return status or 2
        return _judge(args, run, baseline, latest, results)
    if not args.baseline and fresh:
        report.main([str(latest), str(results), f"--skipped={results / 'skipped.json'}"])
    return status


def _judge(args, run: list[str], baseline: Path, latest: Path, results: Path) -> int:
    """The gate on ``latest``; benchmarks that regressed are rerun (only they,
    ``args.retries`` times at most) and judged on their best run."""
    import json

    from conformance.bench import cases

    extra = [f"--threshold-file={args.threshold_file}"] if args.threshold_file else []
    overrides = json.loads(Path(args.threshold_file).read_text()) if args.threshold_file else None
    base = json.loads(baseline.read_text())
    runs = [latest]
    for attempt in range(1, args.retries + 1):
        rows = gate.compare(base, [json.loads(r.read_text()) for r in runs], overrides)
        names = gate.regressed(rows)
        if not names:
            break
        retry = results / f"gate-retry-{attempt}.json"
        print(f"\nregressed: {', '.join(names)}; rerunning them (retry {attempt} of {args.retries})",
              flush=True)
        nodes = [f"{Path(cases.__file__)}::{name}" for name in names]
        rerun = [a for a in run if a not in ALL and not a.startswith("--benchmark-json=")]
        if subprocess.call([*rerun, f"--benchmark-json={retry}", *nodes]) != 0 or not retry.exists():
            break
        runs.append(retry)
    return gate.main([str(baseline), *map(str, runs), f"--markdown={results / 'gate.md'}", *extra])


if __name__ == "__main__":
    sys.exit(main())
