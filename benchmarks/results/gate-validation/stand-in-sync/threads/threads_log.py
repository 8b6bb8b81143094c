"""Imported by the two sides of ``probe.py``'s comparison: logs, for every
benchmark run of the side, the CPU time of each thread of the side's process
tree (``/proc/PID/task/TID/schedstat``), and, on the candidate, every spin of
the worker-side stand-in (the span of the worker thread's CPU it measured and
what it spun), to JSON lines in ``$THREADS_OUT``."""

from __future__ import annotations

import json
import os

import psutil


def _threads() -> dict[str, tuple[str, str, int]]:
    me = psutil.Process()
    out = {}
    for proc in (me, *me.children(recursive=True)):
        try:
            title = "consumer" if proc.pid == me.pid else proc.cmdline()[0].split()[0]
            tids = os.listdir(f"/proc/{proc.pid}/task")
        except (psutil.Error, IndexError, OSError):
            continue
        kind = title if title == "consumer" or title.startswith("ray::") else os.path.basename(title)
        for tid in tids:
            try:
                with open(f"/proc/{proc.pid}/task/{tid}/comm") as f:
                    name = f.read().strip()
                with open(f"/proc/{proc.pid}/task/{tid}/schedstat") as f:
                    ns = int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            out[f"{proc.pid}/{tid}"] = (kind, name, ns)
    return out


def log_runs(role: str) -> None:
    """Wrap the harness's ``run_once`` in this side: each run's CPU per thread kind."""
    from conformance.bench import workloads as W

    run_once = W.run_once
    path = os.path.join(os.environ["THREADS_OUT"], f"{role}-{os.getpid()}.jsonl")

    def logged(job, cpu_clock=None):
        before = _threads()
        result = run_once(job, cpu_clock)
        after = _threads()
        threads: dict[str, int] = {}
        for key, (kind, name, ns) in after.items():
            if key in before:  # threads alive through the run
                label = f"{kind}|{name}"
                threads[label] = threads.get(label, 0) + ns - before[key][2]
        with open(path, "a") as f:
            f.write(json.dumps({"units": result[0], "cpu": result[2].get("cpu_seconds"),
                                "threads": threads}) + "\n")
        return result

    W.run_once = logged


def log_spins() -> None:
    """Make the stand-in's spin (pickled by value into the shard workers) log
    what it measured and spun, in the worker, every 40 spins: a call that
    moved the spin's starting point on the same thread spun."""
    import time

    from benchmarks import cpu_spin

    out = os.environ["THREADS_OUT"]
    spin = cpu_spin.CpuSpin.__call__

    def __call__(self):
        since, thread = self._since, self._thread
        start = time.thread_time()
        spin(self)
        if self._since == since or self._thread != thread:
            return
        log = self.__dict__.setdefault("log", [])
        log.append((start - since, time.thread_time() - start))
        if len(log) >= 40:
            with open(os.path.join(out, f"spins-{os.getpid()}.jsonl"), "a") as f:
                f.write(json.dumps(log) + "\n")
            log.clear()

    cpu_spin.CpuSpin.__call__ = __call__
