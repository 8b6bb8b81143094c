"""Where the time of a cheap item goes: the per-item budget of the ``cheap``
benchmark, consumer side and worker side (issue #19's first step).

    python -m benchmarks.profile_cheap [--case ID ...] [--size full|quick] [--seconds S]
                                       [--no-py-spy] [--out DIR]

For each case (default: ``reference:gather_async_tuned``,
``reference:gather_async``, ``reference:gather_sync`` and ``mp_pool:imap``,
the ids of ``python -m conformance.bench``), runs the very job the ``cheap``
workload times (``from_range(n, 2).for_each(inc)`` read to its end, or
``Pool(2).imap(inc, range(n), chunksize)``) and reports, per item:

* the wall time;
* the CPU time of the consumer (this process, every thread), of the workers
  (the Ray worker processes, or the pool's processes), and of the rest (Ray's
  own processes: raylet, GCS, agents), read from ``/proc`` before and after
  one run.

With py-spy (``pip install py-spy``, or the ``profile`` extra) it then runs
the job again for ``--seconds`` while sampling the consumer and every busy
worker, and writes each process's collapsed stacks (``DIR/CASE-ROLE.txt``,
one ``frame;frame;... count`` line per stack, for speedscope or
flamegraph.pl) and a table of the functions that hold the most samples
themselves (``DIR/profile.md``, with the budget table).

Repository tool, like the rest of ``benchmarks/``: run it from a checkout.
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

from conformance.bench import workloads as W

DEFAULT_CASES = ("reference:gather_async_tuned", "reference:gather_async", "reference:gather_sync",
                 "mp_pool:imap")
#: py-spy's sampling rate (per second); py-spy reads the target's memory
#: without stopping it (``--nonblocking``), so the target runs at full speed
RATE = 250


def _job(case_id: str, size: str) -> W.Job:
    sizes = W.SIZES[size]
    workload = W.WORKLOADS["cheap"]
    for case in W.cases(workload, [("reference", "reference")], sizes):
        if case.id == case_id:
            return workload.job(case, sizes)
    known = [c.id for c in W.cases(workload, [("reference", "reference")], sizes)]
    raise SystemExit(f"unknown case {case_id!r}; the cheap workload's cases: {', '.join(known)}")


def _role(proc: psutil.Process, me: int) -> str | None:
    try:
        if proc.pid == me:
            return "consumer"
        argv = proc.cmdline()
        parent = proc.ppid()
    except psutil.Error:
        return None
    line = " ".join(argv)
    title = argv[0] if argv else ""
    # Ray's workers retitle themselves "ray::ClassName..." (ray::DashboardAgent
    # and the like are Ray's own; the raylet's arguments mention "ray::" too)
    if (title.startswith("ray::") and "Agent" not in title) or "default_worker.py" in line:
        return "workers"
    if parent == me and "multiprocessing" in line:
        return "workers"
    if "ray" in line.lower() or "gcs_server" in line or "raylet" in line:
        return "ray"
    return None


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """CPU seconds so far of this process and of the worker and Ray processes
    it started (its descendants: the local Ray that ``ray.init`` starts, whose
    raylet starts the workers, and the pool's processes), never another Ray's
    on the same machine."""
    me = os.getpid()
    out = {}
    root = psutil.Process(me)
    for proc in [root, *root.children(recursive=True)]:
        role = _role(proc, me)
        if role is None:
            continue
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue
        out[proc.pid] = (role, t.user + t.system)
    return out


def budget(job: W.Job, min_seconds: float = 2.0) -> dict:
    """Runs of ``job`` until their timed parts reach ``min_seconds`` (``/proc``
    counts CPU in 10 ms ticks): the timed wall time per item, and the CPU each
    role used from before each run's untimed start to its end, per item
    (``cpu_items``: the timed items and each run's first)."""
    cpu = collections.Counter()
    busy = collections.Counter()
    items = cpu_items = 0
    wall = 0.0
    while wall < min_seconds:
        # from before prepare(): a gather that reads ahead has its workers busy
        # from the untimed first item on, and may be done before the timed part
        before = cpu_by_process()
        state = job.prepare()
        try:
            start = time.perf_counter()
            done = job.run(state)
            wall += time.perf_counter() - start
            after = cpu_by_process()
        finally:
            job.cleanup(state)
        items += done
        cpu_items += done + 1
        for pid, (role, seconds) in after.items():
            used = seconds - before.get(pid, (role, 0.0))[1]
            cpu[role] += used
            if role == "workers":
                busy[pid] += used
    return {"items": items, "wall": wall, "cpu": dict(cpu), "cpu_items": cpu_items,
            "busy_workers": [pid for pid, used in busy.items() if used > 0.1 * wall]}


def _self_time(raw: Path) -> tuple[int, list[tuple[str, int]]]:
    """Samples in all, and per function the samples it was the innermost frame of."""
    total, own = 0, collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        leaf = stack.split(";")[-1]
        # "function (file.py:line)": drop the line, keep the file
        name, _, where = leaf.partition(" (")
        where = where.rstrip(")").rsplit(":", 1)[0]
        own[f"{name} ({os.path.basename(where)})" if where else name] += n
    return total, own.most_common()


def profile(case_id: str, job: W.Job, pids: dict[str, list[int]], seconds: float, out: Path,
            failed: list[str]) -> dict:
    """Sample ``pids`` (role -> processes) with py-spy while ``job`` runs again
    and again for ``seconds``; each process's collapsed stacks go to ``out``.
    A process py-spy could not sample is named in ``failed``."""
    spy = shutil.which("py-spy")
    records = []
    for role, group in pids.items():
        for k, pid in enumerate(group):
            path = out / f"{case_id.replace(':', '-')}-{role}{'' if len(group) == 1 else k}.txt"
            records.append((role, path, subprocess.Popen(
                [spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", str(RATE),
                 "--format", "raw", "--nonblocking", "--output", str(path)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
    time.sleep(1.0)  # py-spy attaches
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        W.run_once(job)
    tables = collections.defaultdict(list)
    for role, path, proc in records:
        _, err = proc.communicate(timeout=120)
        if proc.returncode != 0 or not path.exists():
            # a worker can end, or be replaced, while it is sampled: say so, go on
            reason = next((line for line in err.decode().splitlines() if line.strip()), "no output")
            failed.append(f"{case_id}, {role} ({path.name}): py-spy failed: {reason}")
            print(failed[-1], file=sys.stderr)
            continue
        tables[role].append(_self_time(path))
    return tables


def _merge(parts: list[tuple[int, list[tuple[str, int]]]]) -> tuple[int, list[tuple[str, int]]]:
    total, own = 0, collections.Counter()
    for t, rows in parts:
        total += t
        own.update(dict(rows))
    return total, own.most_common()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile_cheap",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--case", action="append", default=[], metavar="ID",
                   help=f"a case of the cheap workload (repeatable; default: {', '.join(DEFAULT_CASES)})")
    p.add_argument("--size", default="full", choices=["quick", "full"], help="workload size (default full)")
    p.add_argument("--seconds", type=float, default=8.0, help="sampling time per case (default 8)")
    p.add_argument("--no-py-spy", action="store_true", help="the budget table only")
    p.add_argument("--out", default="profile-cheap", metavar="DIR", help="where the results go")
    args = p.parse_args(argv)
    if args.seconds < 2:
        p.error("--seconds must be at least 2")
    if not args.no_py_spy and shutil.which("py-spy") is None:
        p.error("py-spy is not installed (pip install py-spy), or pass --no-py-spy")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import ray

    ray.init(include_dashboard=False, logging_level=logging.ERROR)
    lines = ["| case | items | wall µs/item | consumer CPU µs/item | workers CPU µs/item "
             "| Ray's own CPU µs/item |", "|---|---:|---:|---:|---:|---:|"]
    sections = []
    failed: list[str] = []
    try:
        for case_id in args.case or DEFAULT_CASES:
            job = _job(case_id, args.size)
            W.run_once(job)  # warm: pool workers started, code imported
            b = budget(job)
            per = {k: 1e6 * v / b["cpu_items"] for k, v in b["cpu"].items()}
            lines.append(f"| {case_id} | {b['items']:,} | {1e6 * b['wall'] / b['items']:.2f} | "
                         f"{per.get('consumer', 0):.2f} | {per.get('workers', 0):.2f} | "
                         f"{per.get('ray', 0):.2f} |")
            print(lines[-1], flush=True)
            if args.no_py_spy:
                continue
            pids = {"consumer": [os.getpid()], "worker": b["busy_workers"]}
            tables = profile(case_id, job, pids, args.seconds, out, failed)
            for role, parts in tables.items():
                total, rows = _merge(parts)
                if not total:
                    continue
                body = [f"#### {case_id}, {role} ({len(parts)} process{'es' if len(parts) > 1 else ''}, "
                        f"{total} samples)", "", "| function (file) | self samples |", "|---|---:|"]
                body += [f"| `{name}` | {100 * n / total:.1f} % |" for name, n in rows[:12]]
                sections.append("\n".join(body))
    finally:
        W.close_mp_pools()
        ray.shutdown()
    text = "\n".join([
        f"# The cheap benchmark's per-item budget (size {args.size})", "",
        f"`python -m benchmarks.profile_cheap {' '.join(sys.argv[1:] if argv is None else argv)}`",
        "", f"load average at the end: {os.getloadavg()[0]:.1f}", "", *lines, "",
        "CPU per item is summed over the processes of each role for one run; the workers' includes "
        "their idle polling, Ray's own is the raylet, GCS and agents.", "",
        *(f"{s}\n" for s in sections),
        *(["Not sampled:", "", *(f"- {f}" for f in failed), ""] if failed else [])])
    (out / "profile.md").write_text(text)
    print(f"\nwritten: {out / 'profile.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
