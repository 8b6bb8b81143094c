"""Run the benchmarks and write their report, or compare two backends.

    python -m conformance.bench [--backend SPEC ...] [--size tiny|quick|full|gate] [--results DIR]
                                [--storage DIR] [--save NAME] [--no-peers] [-- PYTEST_ARGS]
    python -m conformance.bench compare BASE CANDIDATE [options]      (conformance.bench.compare)
    python -m conformance.bench --compare [--backend SPEC] --base-rev REV [compare options]

The first form runs pytest on :mod:`conformance.bench.cases` with :mod:`conformance.bench.plugin`
in a subprocess, writes pytest-benchmark's JSON to ``DIR/latest.json``, then
``DIR/results.md``, ``DIR/chart.png`` and ``DIR/results.html`` (the tables with the
chart inline, one self-contained page) (:mod:`conformance.bench.report`). Every
run is also saved as a pytest-benchmark baseline named NAME in the storage
directory.

The regression gate is ``compare`` (:mod:`conformance.bench.compare`): both sides
run in the same run, interleaved, and each benchmark is judged on the ratio
CANDIDATE/BASE with a 95 % interval. ``--compare`` is a shorthand for it with the
same backend on both sides (``--backend``, default ``reference``): ``--base-rev``
(or ``--base-python``) says what the base is. ``--baseline`` is gone: there is no
baseline to save when both sides run in the same run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from conformance.bench import report

PYTEST = [sys.executable, "-m", "pytest", "-p", "conformance.bench.plugin", "-o",
          "python_files=cases.py", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning"]
ALL = ["--pyargs", "conformance.bench"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.bench", allow_abbrev=False,
        description="Run the benchmarks in pytest, then write DIR/results.md, DIR/chart.png and "
                    "DIR/results.html "
                    "from pytest-benchmark's DIR/latest.json; every run is saved as a baseline. "
                    "The regression gate is `python -m conformance.bench compare BASE CANDIDATE` "
                    "(see `compare --help`), or --compare.",
        epilog="Other arguments, and everything after --, go to pytest (e.g. -k cheap); with "
               "--compare, they go to compare.")
    parser.add_argument("--backend", action="append", default=[], metavar="SPEC",
                        help="backend module path or module:attribute (repeatable); "
                             "default: reference and ray.util.iter (with --compare: reference)")
    parser.add_argument("--size", choices=["tiny", "quick", "full", "gate", "compare"], default=None,
                        help="workload sizes: quick takes under 5 minutes on 2 cores, "
                             "full (default) under 30; gate is quick with 7 rounds after a warm-up "
                             "round; compare (default with --compare) has rounds of 0.1-0.4 s")
    parser.add_argument("--quick", dest="size", action="store_const", const="quick",
                        help="same as --size quick")
    parser.add_argument("--results", default="benchmark-results", metavar="DIR",
                        help="where the JSON and report go (default: ./benchmark-results)")
    parser.add_argument("--storage", default=".benchmarks", metavar="DIR",
                        help="pytest-benchmark baselines (default: ./.benchmarks)")
    parser.add_argument("--save", metavar="NAME",
                        help="name of the pytest-benchmark baseline a run saves (default: the size)")
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-peers", action="store_true",
                        help="backends only: no Ray Data, multiprocessing or serial Python")
    parser.add_argument("--compare", action="store_true",
                        help="the regression gate: shorthand for `compare SPEC SPEC ...` with the "
                             "--backend given (default reference) on both sides; give the base with "
                             "--base-rev REV or --base-python PATH (see `compare --help`)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["compare"]:
        from conformance.bench import compare

        return compare.main(argv[1:])
    split = argv.index("--") if "--" in argv else len(argv)
    parser = _parser()
    args, pytest_args = parser.parse_known_args(argv[:split])
    pytest_args += argv[split + 1:]
    if args.baseline:
        parser.error("--baseline is gone: the gate now runs both sides in one run, interleaved; "
                     "use `python -m conformance.bench compare BASE CANDIDATE` or "
                     "`--compare --base-rev REV` (benchmarks/README.md, \"Regression gate\")")
    if args.compare:
        return _compare_shorthand(parser, args, pytest_args)
    size = args.size or "full"
    save = args.save or size
    storage = Path(args.storage).resolve()
    results = Path(args.results).resolve()
    latest = results / "latest.json"
    run = [*PYTEST, *ALL, f"--bench-size={size}", "-v", "-rs", f"--benchmark-storage={storage}",
           "--benchmark-sort=name"]
    results.mkdir(parents=True, exist_ok=True)
    run += [f"--benchmark-save={save}", f"--benchmark-json={latest}", f"--bench-results={results}"]
    run += [f"--backend={b}" for b in args.backend] + ["--no-peers"] * args.no_peers + pytest_args
    before = latest.stat().st_mtime_ns if latest.exists() else None
    status = subprocess.call(run)
    if latest.exists() and latest.stat().st_mtime_ns != before:
        report.main([str(latest), str(results), f"--skipped={results / 'skipped.json'}"])
    return status


def _compare_shorthand(parser, args, rest: list[str]) -> int:
    """``--compare``: ``compare SPEC SPEC`` with the remaining options."""
    from conformance.bench import compare

    if len(args.backend) > 1:
        parser.error("--compare takes one --backend (the same on both sides)")
    if not any(a.startswith(("--base-rev", "--base-python")) for a in rest):
        parser.error("--compare needs --base-rev REV or --base-python PATH: otherwise both sides "
                     "are the same code")
    spec = args.backend[0] if args.backend else "reference"
    extra = [f"--results={args.results}"] + ([f"--size={args.size}"] if args.size else [])
    return compare.main([spec, spec, *extra, *rest])


if __name__ == "__main__":
    sys.exit(main())
