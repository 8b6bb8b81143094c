"""Run the benchmarks and write their report.

    python -m conformance.bench [--backend SPEC ...] [--size tiny|quick|full] [--results DIR]
                                [--storage DIR] [--save NAME] [--no-peers] [--compare]
                                [-- PYTEST_ARGS]

runs pytest on :mod:`conformance.bench.cases` with :mod:`conformance.bench.plugin`
in a subprocess, writes pytest-benchmark's JSON to ``DIR/latest.json``, then
``DIR/results.md`` and ``DIR/chart.png`` (:mod:`conformance.bench.report`). Every
run is also saved as a pytest-benchmark baseline named NAME in the storage
directory. ``--compare`` is the regression gate instead: it reruns (by default
the reference alone, without peers) against the latest saved baseline NAME and
fails if any median is more than 100 % slower (twice as slow). The exit status is
pytest's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from conformance.bench import report

PYTEST = [sys.executable, "-m", "pytest", "-p", "conformance.bench.plugin", "--pyargs",
          "conformance.bench", "-o", "python_files=cases.py", "-p", "no:cacheprovider",
          "-W", "ignore::DeprecationWarning"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.bench", allow_abbrev=False,
        description="Run the benchmarks in pytest, then write DIR/results.md and DIR/chart.png "
                    "from pytest-benchmark's DIR/latest.json; every run is saved as a baseline. "
                    "With --compare, the regression gate against the latest saved baseline.",
        epilog="Other arguments, and everything after --, go to pytest (e.g. -k cheap).")
    parser.add_argument("--backend", action="append", default=[], metavar="SPEC",
                        help="backend module path or module:attribute (repeatable); "
                             "default: reference and ray.util.iter (with --compare: reference, no peers)")
    parser.add_argument("--size", choices=["tiny", "quick", "full"], default="full",
                        help="workload sizes: quick takes under 5 minutes on 2 cores, "
                             "full (default) under 30")
    parser.add_argument("--quick", dest="size", action="store_const", const="quick",
                        help="same as --size quick")
    parser.add_argument("--results", default="benchmark-results", metavar="DIR",
                        help="where the JSON and report go (default: ./benchmark-results)")
    parser.add_argument("--storage", default=".benchmarks", metavar="DIR",
                        help="pytest-benchmark baselines (default: ./.benchmarks)")
    parser.add_argument("--save", metavar="NAME",
                        help="name of the baseline a run saves and --compare reads (default: the size)")
    parser.add_argument("--no-peers", action="store_true",
                        help="backends only: no Ray Data, multiprocessing or serial Python")
    parser.add_argument("--compare", action="store_true",
                        help="regression gate: fail if a median is more than 100%% slower than in "
                             "the latest saved baseline; writes no report")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--") if "--" in argv else len(argv)
    args, pytest_args = _parser().parse_known_args(argv[:split])
    pytest_args += argv[split + 1:]
    save = args.save or args.size
    storage = Path(args.storage).resolve()
    results = Path(args.results).resolve()
    latest = results / "latest.json"
    backends, no_peers = args.backend, args.no_peers
    run = [*PYTEST, f"--bench-size={args.size}", "-v", "-rs", f"--benchmark-storage={storage}",
           "--benchmark-sort=name"]
    if args.compare:
        saved = sorted(storage.glob(f"*/[0-9][0-9][0-9][0-9]_{save}.json"))
        if not saved:
            sys.exit(f"no saved baseline {save!r} in {storage}: "
                     f"run `python -m conformance.bench --size={args.size}` first")
        if not backends and not any(a.startswith("--backend") for a in pytest_args):
            backends, no_peers = ["reference"], True
        print(f"comparing with baseline {saved[-1]}; fails on a median > 100% slower", flush=True)
        run += [f"--benchmark-compare={saved[-1].name.split('_')[0]}",
                "--benchmark-compare-fail=median:100%"]
    else:
        results.mkdir(parents=True, exist_ok=True)
        run += [f"--benchmark-save={save}", f"--benchmark-json={latest}", f"--bench-results={results}"]
    run += [f"--backend={b}" for b in backends] + ["--no-peers"] * no_peers + pytest_args
    before = latest.stat().st_mtime_ns if latest.exists() else None
    status = subprocess.call(run)
    if not args.compare and latest.exists() and latest.stat().st_mtime_ns != before:
        report.main([str(latest), str(results), f"--skipped={results / 'skipped.json'}"])
    return status


if __name__ == "__main__":
    sys.exit(main())
