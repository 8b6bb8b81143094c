"""Where the worker-side stand-in's CPU goes in the gate, thread by thread.

    RAY_ADDRESS=local python benchmarks/results/gate-validation/stand-in-sync/threads/probe.py BUDGET

(from the repository's root) runs ``python -m conformance.bench compare`` of
the reference against ``benchmarks.slowed_reference`` (10 %, worker side) on
``cpu[gather_sync-1shards]``, three processes per side and ``BUDGET`` seconds,
both sides logging every run's CPU time per thread and the candidate's shard
workers logging every spin (``threads_log.py``), and prints:

* the comparison's verdict, the spread of its pairs' log-ratios (all pairs, and
  within one combination of processes) and each process's median CPU per item;
* per process: the median CPU per item on the side's clock and on the shard
  worker's main thread (where the items and the spin run), and that thread's
  CPU per run (lowest, median, highest);
* per candidate shard worker: what the spins added, over the worker thread's
  CPU they measured (10 % if the stand-in is exact).
"""

from __future__ import annotations

import collections
import json
import math
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[4]
CASE = "cpu[gather_sync-1shards]"


def _main_thread(threads: dict[str, int]) -> int:
    return sum(ns for label, ns in threads.items()
               if label.startswith("ray::ParallelIteratorWorker|ray::"))


def main(budget: int) -> None:
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "THREADS_OUT": out, "SLOWED_REFERENCE_PCT": "10",
               "SLOWED_REFERENCE_SIDE": "worker",
               "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT), os.environ.get("PYTHONPATH", "")])}
        results = pathlib.Path(out) / "compare"
        subprocess.run([sys.executable, "-m", "conformance.bench", "compare", "threads_base",
                        "threads_candidate", "-k", CASE, "--budget", str(budget),
                        "--results", str(results)], env=env, cwd=ROOT, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (result,) = json.loads((results / "compare.json").read_text())["benchmarks"]
        runs = {p.stem: [json.loads(line) for line in p.read_text().splitlines()]
                for p in pathlib.Path(out).glob("*-*.jsonl") if not p.stem.startswith("spins")}
        spins = {p.stem: [s for line in p.read_text().splitlines() for s in json.loads(line)]
                 for p in pathlib.Path(out).glob("spins-*.jsonl")}
    _comparison(result)
    _processes(runs)
    _spins(spins)


def _comparison(r: dict) -> None:
    logs = [math.log(c / b) for b, c in zip(r["base_cpu_per_unit"], r["candidate_cpu_per_unit"], strict=True)]
    cells = collections.defaultdict(list)
    for d, i, j in zip(logs, r["base_process"], r["candidate_process"], strict=True):
        cells[i, j].append(d)
    repeated = [statistics.stdev(v) for v in cells.values() if len(v) > 1]
    within = f"{statistics.mean(repeated):.3f}" if repeated else "n/a (one pair each)"
    interval = "no interval yet" if r["lo"] is None else f"[{r['lo']:.3f}, {r['hi']:.3f}]"
    print(f"{CASE}: {r['pairs']} pairs, CPU candidate / base {r['ratio']:.3f} {interval}, {r['label']}")
    print(f"pairs' log-ratio: sd {statistics.stdev(logs):.3f} over all pairs, "
          f"{within} within one combination of processes\n")


def _processes(runs: dict[str, list]) -> None:
    print("| process | runs | CPU per item, side's clock (ms) | of it, the shard worker's main thread (ms) "
          "| that thread per run: lowest, median, highest (ms) |")
    print("|---|---:|---:|---:|---|")
    for name in sorted(runs):
        rows = [r for r in runs[name] if r["units"]]
        clock = statistics.median(r["cpu"] / r["units"] * 1e3 for r in rows)
        main = [_main_thread(r["threads"]) / 1e6 for r in rows]
        per_item = statistics.median(m / r["units"] for m, r in zip(main, rows, strict=True))
        print(f"| {name} | {len(rows)} | {clock:.2f} | {per_item:.2f} | "
              f"{min(main):.0f}, {statistics.median(main):.0f}, {max(main):.0f} |")
    print()


def _spins(spins: dict[str, list]) -> None:
    print("| candidate's shard worker | spins | worker thread's CPU per spin (ms) | spun / that CPU |")
    print("|---|---:|---:|---:|")
    for name in sorted(spins):
        used = sum(u for u, _ in spins[name])
        spun = sum(s for _, s in spins[name])
        print(f"| {name} | {len(spins[name])} | {used / len(spins[name]) * 1e3:.2f} | {spun / used:.4f} |")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: probe.py BUDGET (seconds)")
    main(int(sys.argv[1]))
