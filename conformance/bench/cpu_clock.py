"""The CPU time a benchmark process and the Ray workers it started have used,
to the nanosecond: the second measure of ``python -m conformance.bench compare``.

Wall time counts every moment another process held a core; on a shared
2-core machine that is most of the noise between two rounds of the same
work. CPU time counts only the work itself: the consumer's threads and the
shard workers' threads, wherever they ran and whoever preempted them. It
misses time spent waiting (a slower backend that only waits longer), which is
why ``compare`` judges both.

Which processes count: this process (every thread, ended ones included:
``time.process_time``) and the Ray workers among its descendants (the local
Ray that ``ray.init`` started here runs them: their process title starts with
``ray::``, Ray's own agents excepted), read per thread from
``/proc/PID/task/TID/schedstat`` (nanoseconds; ``/proc/PID/stat`` counts in
10 ms ticks, as long as a cheap round). Ray's daemons (the raylet, the GCS)
do not count: they serve every process alike. A worker thread that ended
during a round loses its time (worker threads live as long as the worker).
Elsewhere than Linux, :func:`available` is false and only wall time is judged.
"""

from __future__ import annotations

import os
import sys
import time

import psutil

_PROC = "/proc"


def available() -> bool:
    """Whether per-thread CPU times can be read here (Linux ``/proc``)."""
    return sys.platform.startswith("linux") and os.path.exists(f"{_PROC}/self/task")


def _is_worker(proc: psutil.Process) -> bool:
    try:
        argv = proc.cmdline()
    except psutil.Error:
        return False
    title = argv[0] if argv else ""
    return title.startswith("ray::") and "Agent" not in title


def _threads_ns(pid: int) -> int:
    total = 0
    try:
        tids = os.listdir(f"{_PROC}/{pid}/task")
    except OSError:  # the process ended
        return 0
    for tid in tids:
        try:
            with open(f"{_PROC}/{pid}/task/{tid}/schedstat", "rb") as f:
                total += int(f.read().split(maxsplit=1)[0])
        except (OSError, ValueError, IndexError):  # the thread ended
            continue
    return total


class CpuClock:
    """``read()`` -> CPU seconds used so far by this process and its Ray
    workers; ``used(before, read(since=before))`` is what a run used.

    Workers are looked up at a read without ``since``, and a run counts the
    workers seen at both its reads (:meth:`used`): a worker that starts during
    a run spends it importing, which is no part of the benchmark's per-item
    work (the warm-up round starts the workers a benchmark uses). The lookup
    walks the process tree, which costs this process milliseconds: it happens
    before this process's own clock is read, and the closing read
    (``since=``) does not look again, so the run's CPU time leaves it out."""

    def __init__(self) -> None:
        self._me = psutil.Process(os.getpid())
        self._workers: dict[int, psutil.Process] = {}

    def _worker_pids(self) -> list[int]:
        seen = {}
        try:
            children = self._me.children(recursive=True)
        except psutil.Error:
            children = []
        for proc in children:
            known = self._workers.get(proc.pid)
            if known is not None:
                seen[proc.pid] = known
            elif _is_worker(proc):
                seen[proc.pid] = proc
        self._workers = seen
        return list(seen)

    def read(self, since: dict[int, float] | None = None) -> dict[int, float]:
        """CPU seconds so far: this process under key 0, each worker under its
        pid; the workers of ``since`` (an opening read) if given, else those
        found now."""
        if since is not None:
            out = {0: time.process_time()}
            out.update((pid, _threads_ns(pid) / 1e9) for pid in since if pid)
            return out
        out = {pid: _threads_ns(pid) / 1e9 for pid in self._worker_pids()}
        out[0] = time.process_time()
        return out

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        """CPU seconds used between two reads, by the processes seen at both."""
        return sum(max(0.0, t - before[pid]) for pid, t in after.items() if pid in before)
