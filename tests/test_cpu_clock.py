"""``conformance.bench.cpu_clock``: the CPU time a benchmark process and its
Ray workers used, which ``compare`` judges beside wall time. Real work on a
real local Ray: a worker that spins for a known CPU time must show it, one
that sleeps as long must not, and this process's own spin counts too."""

from __future__ import annotations

import time

import pytest

from conformance.bench import cpu_clock

pytestmark = pytest.mark.skipif(not cpu_clock.available(), reason="per-thread CPU times need Linux /proc")

SPIN_S = 0.3


def _spin(seconds: float) -> float:
    """Spin on this thread's CPU clock for ``seconds`` of CPU time."""
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass
    return time.thread_time() - start


def test_this_process_spin_is_counted():
    clock = cpu_clock.CpuClock()
    before = clock.read()
    spun = _spin(SPIN_S)
    used = clock.used(before, clock.read(since=before))
    assert spun <= used < spun + 0.1


def test_a_worker_spin_is_counted_and_its_sleep_is_not(ray_session):
    ray = ray_session

    @ray.remote(num_cpus=0)
    class Worker:
        def spin(self, seconds):
            return _spin(seconds)

        def sleep(self, seconds):
            time.sleep(seconds)
            return 0.0

    worker = Worker.remote()
    ray.get(worker.sleep.remote(0))  # started, titled "ray::Worker"
    clock = cpu_clock.CpuClock()

    before = clock.read()
    spun = ray.get(worker.spin.remote(SPIN_S))
    spinning = clock.used(before, clock.read(since=before))

    before = clock.read()
    ray.get(worker.sleep.remote(SPIN_S))
    sleeping = clock.used(before, clock.read(since=before))

    assert spinning >= spun
    # what else ran meanwhile (Ray's own threads in this process and the
    # workers) is small next to the spin, and the sleep costs no CPU
    assert sleeping < spun / 2
    ray.kill(worker)


def test_used_counts_only_processes_seen_at_both_reads():
    before = {0: 1.0, 11: 5.0}
    after = {0: 1.5, 11: 5.25, 12: 30.0}  # 12 started during the round: its import is not the work
    assert cpu_clock.CpuClock.used(before, after) == pytest.approx(0.75)
