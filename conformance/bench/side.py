"""One side of ``python -m conformance.bench compare``: a long-lived benchmark
process for one backend, started and warmed once, that runs single rounds of
the benchmarks when asked.

    python -m conformance.bench.side BACKEND SIZE

(:mod:`conformance.bench.compare` starts it; it is not meant to be run by
hand). It starts its own local Ray, imports the backend and answers requests,
one JSON object per line on stdin, one JSON answer per line on the stdout it
was started with (anything else the process prints goes to stderr):

* ``{"op": "cases"}`` -> ``{"python": ..., "label": ..., "backend_file": ..., "cases": [{"name", "workload",
  "variant", "shards", "items"}, ...]}``: every timed benchmark of the backend
  (:data:`conformance.bench.workloads.WORKLOADS`; ``readahead`` is a count the
  conformance suite checks, not a time);
* ``{"op": "round", "case": NAME, "repeat": K}`` -> ``{"seconds": s, "units": n,
  "cpu_seconds": c}``: one round, ``K`` (default 1) runs of the benchmark back
  to back (:func:`conformance.bench.workloads.run_once`: each prepared and
  cleaned up untimed), their timed seconds and units summed, and the CPU time
  this process and its Ray workers used over the runs
  (:mod:`conformance.bench.cpu_clock`; ``null`` where it cannot be read);
* ``{"op": "quit"}``: shuts Ray down and exits.

With ``BENCH_SETTLE=1`` in its environment (``compare --settle``) the process
lets every round settle before it answers (:func:`settle`), and the answer
also gives ``settle_seconds``.

An error answers ``{"error": "..."}``. Case names leave the backend's label
out (``cheap[gather_sync]``, ``cpu[gather_async-2shards]``) so that the two
sides' benchmarks pair up whatever their backends are called.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable

import psutil

from conformance.bench import workloads as W
from conformance.bench.cpu_clock import CpuClock
from conformance.bench.cpu_clock import available as cpu_clock_available

#: each benchmark process's Ray object store
OBJECT_STORE_BYTES = 1 << 30
#: workloads that report a count, not a time
UNTIMED = ("readahead",)

# Settling: a backend may leave work running after a run ends (ray.util.iter's
# actors are killed when its iterator goes; their exit, and the raylet starting
# idle workers in their place, take a few hundred milliseconds of CPU). Without
# settling, that work falls into the next round, the other side's half of the
# time. With it, a side waits after each round until its own processes (this
# one and every descendant: its Ray's raylet, GCS and workers) use at most
# IDLE_CORES of a core over a window, or until it has waited SETTLE_LIMIT times
# the round's own time.
IDLE_CORES = 0.1
SETTLE_WINDOW_S = 0.1  # /proc counts CPU in 10 ms ticks: one tick per window is idle
SETTLE_LIMIT = 4


def tree_cpu() -> dict[int, float]:
    """CPU seconds used so far by this process and each of its descendants."""
    me = psutil.Process()
    out = {}
    for proc in (me, *me.children(recursive=True)):
        try:
            times = proc.cpu_times()
        except psutil.Error:  # ended meanwhile
            continue
        out[proc.pid] = times.user + times.system
    return out


def busy_seconds(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two :func:`tree_cpu` readings: what each process still
    alive used, all of it for a process started meanwhile; a process that
    ended takes its time with it (never a negative share)."""
    return sum(max(0.0, used - before.get(pid, 0.0)) for pid, used in after.items())


def settle(round_s: float, read: Callable[[], dict] = tree_cpu,
           sleep: Callable[[float], None] = time.sleep) -> float:
    """Wait until the processes ``read`` reports use at most ``IDLE_CORES`` of
    a core over a window of ``SETTLE_WINDOW_S``, at most ``SETTLE_LIMIT``
    times ``round_s`` (and at least one window); returns the seconds waited."""
    windows = max(1, round(SETTLE_LIMIT * round_s / SETTLE_WINDOW_S))
    before = read()
    waited = 0
    while waited < windows:
        sleep(SETTLE_WINDOW_S)
        waited += 1
        after = read()
        if busy_seconds(before, after) <= IDLE_CORES * SETTLE_WINDOW_S:
            break
        before = after
    return waited * SETTLE_WINDOW_S


def case_name(workload: str, case: W.Case, multi_shard: bool) -> str:
    variant = case.contender.variant
    return (f"{workload}[{variant}" + (f"-{case.shards}shards" if multi_shard else "")
            + (f"-{case.items}items" if case.items else "") + "]")


def backend_cases(spec: str, sizes: W.Sizes) -> dict[str, tuple[str, W.Case]]:
    """Every timed benchmark of backend ``spec``: name -> (workload, case)."""
    label = W.backend_label(spec)
    out = {}
    for name, workload in W.WORKLOADS.items():
        if name in UNTIMED:
            continue
        multi = len(workload.shard_counts(sizes)) > 1
        for case in W.cases(workload, [(label, spec)], sizes):
            if case.contender.kind == "backend":
                out[case_name(name, case, multi)] = (name, case)
    return out


def serve(spec: str, size: str, requests, answers) -> None:
    import ray

    sizes = W.SIZES[size]
    # Several of these run at once (compare starts a few per side), each with
    # its own Ray: a store of 1 GiB each (the largest benchmark holds about
    # 60 MiB) rather than Ray's default share of the machine's memory apiece.
    ray.init(include_dashboard=False, logging_level=logging.ERROR, _node_ip_address="127.0.0.1",
             object_store_memory=OBJECT_STORE_BYTES)
    # to the log (stderr): which process served which part of a comparison
    print(f"benchmark process {os.getpid()} ({spec}, size {size}) started", file=sys.stderr, flush=True)
    cases = backend_cases(spec, sizes)
    jobs: dict[str, W.Job] = {}
    clock = CpuClock() if cpu_clock_available() else None
    settling = os.environ.get("BENCH_SETTLE") == "1"

    def answer(obj) -> None:
        answers.write(json.dumps(obj) + "\n")
        answers.flush()

    try:
        for line in requests:
            request = json.loads(line)
            op = request.get("op")
            try:
                if op == "quit":
                    break
                if op == "cases":
                    module = sys.modules.get(spec.partition(":")[0])
                    answer({"python": sys.executable, "label": W.backend_label(spec),
                            "backend_file": getattr(module, "__file__", None),
                            "cases": [{"name": n, "workload": w, "variant": c.contender.variant,
                                       "shards": c.shards, "items": c.items}
                                      for n, (w, c) in cases.items()]})
                elif op == "round":
                    name = request["case"]
                    if name not in jobs:
                        workload, case = cases[name]
                        jobs[name] = W.WORKLOADS[workload].job(case, sizes)
                    units, seconds, cpu = 0, 0.0, 0.0
                    for _ in range(int(request.get("repeat", 1))):
                        done, took, info = W.run_once(jobs[name], clock)
                        units, seconds = units + done, seconds + took
                        cpu += info.get("cpu_seconds", 0.0)
                    reply = {"seconds": seconds, "units": units,
                             "cpu_seconds": cpu if clock is not None else None}
                    if settling:
                        reply["settle_seconds"] = settle(seconds)
                    answer(reply)
                else:
                    answer({"error": f"unknown op {op!r}"})
            except Exception as exc:  # reported to the comparing process, which stops
                traceback.print_exc()
                answer({"error": f"{type(exc).__name__}: {exc}"})
    finally:
        W.close_mp_pools()
        ray.shutdown()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m conformance.bench.side BACKEND SIZE", file=sys.stderr)
        return 2
    spec, size = argv
    if size not in W.SIZES:
        print(f"SIZE must be one of {', '.join(W.SIZES)}, got {size!r}", file=sys.stderr)
        return 2
    # answers go to the stdout this process was given; everything else printed
    # here (the backend, Ray) goes to stderr
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    serve(spec, size, sys.stdin, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
