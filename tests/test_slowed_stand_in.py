"""The slowdown the gate's validation relies on (``benchmarks/cpu_spin.py``) is
the size it says: ``CpuSpin(f)`` makes the calling thread use ``1 + f`` times
the CPU time it did, whatever an item costs, and a pause adds nothing. Checked
on a simulated CPU clock (the arithmetic, exactly: a real thread's CPU time on
a shared VM is too noisy to judge 10 % by). And the validation's summary
counts what each run said."""

from __future__ import annotations

import importlib.util
import pathlib
import time

import pytest

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    """A module of the repository's benchmarks/ (tools, not part of the package;
    each imports nothing from benchmarks/)."""
    spec = importlib.util.spec_from_file_location(f"_benchmarks_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cpu_spin = _load("cpu_spin")
validate_gate = _load("validate_gate")


class _FakeCpu:
    """A thread CPU clock that advances only when told to, and by ``read_cost``
    at every read (a read is a system call: it costs CPU time too)."""

    def __init__(self, read_cost: float):
        self.now = 0.0
        self.read_cost = read_cost
        self.reads = 0

    def __call__(self) -> float:
        self.now += self.read_cost
        self.reads += 1
        return self.now


@pytest.mark.parametrize("item_s", [1e-6, 2e-5, 3e-3])
@pytest.mark.parametrize("fraction", [0.1, 0.25])
def test_cpu_spin_adds_its_fraction_of_the_threads_cpu_time(fraction, item_s):
    clock = _FakeCpu(read_cost=2e-7)
    spin = cpu_spin.CpuSpin(fraction, clock=clock)
    items = int(0.5 / item_s)
    for _ in range(items):
        clock.now += item_s  # the item's own work
        spin()
    work = items * item_s
    # the clock's reads cost CPU time too (1 µs items: a read per item would
    # add 20 %), so this also checks that reads are rationed
    assert clock.now / work == pytest.approx(1 + fraction, abs=0.02), (clock.now, work, clock.reads)


def test_cpu_spin_does_not_count_time_spent_waiting():
    """On the real thread CPU clock: 100 ms asleep between calls is no CPU work,
    so a spin of 100 % adds next to nothing (it would add 100 ms were it wall time)."""
    spin = cpu_spin.CpuSpin(1.0)
    start = time.thread_time()
    for _ in range(20):
        time.sleep(0.005)
        spin()
    assert time.thread_time() - start < 0.03


def test_cpu_spin_refuses_a_fraction_that_is_not_positive():
    with pytest.raises(ValueError, match="fraction"):
        cpu_spin.CpuSpin(0)


def test_validation_summary_counts_failures_and_unresolved_benchmarks():
    def bench(name, ratio, regressed, resolved):
        return {"name": name, "ratio": ratio, "lo": ratio - 0.05, "hi": ratio + 0.05,
                "regressed": regressed, "resolved": resolved,
                "label": "SLOWER" if regressed else "no change detected"}

    runs = [{"exit": 1, "seconds": 300,
             "benchmarks": [bench("a", 1.2, True, True), bench("b", 1.0, False, False)]},
            {"exit": 2, "seconds": 360,
             "benchmarks": [bench("a", 1.0, False, True), bench("b", 1.0, False, False)]}]
    text = validate_gate.summarize("demo", runs, "python -m benchmarks.validate_gate demo --runs 2")
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| a ")
            or line.startswith("| b ")}
    assert rows["a"].endswith("| 1 | 0 |")
    assert rows["b"].endswith("| 0 | 2 |")
    assert "**SLOWER**" in rows["a"]
    assert "wall 1.200 [1.15, 1.25]" in rows["a"]


def test_validation_summary_gives_every_measure_and_marks_those_not_judged():
    measures = {"wall": {"ratio": 1.3, "lo": 0.9, "hi": 1.8},
                "cpu": {"ratio": 1.1, "lo": 1.08, "hi": 1.12}}
    bench = {"name": "a", "ratio": 1.3, "lo": 0.9, "hi": 1.8, "judged": ["cpu"], "measures": measures,
             "regressed": False, "resolved": True, "label": "slower, within tolerance"}
    text = validate_gate.summarize("demo", [{"exit": 0, "seconds": 60, "benchmarks": [bench]}], "cmd")
    [row] = [line for line in text.splitlines() if line.startswith("| a ")]
    assert "(wall 1.300 [0.90, 1.80]) cpu 1.100 [1.08, 1.12] slower, within tolerance" in row


def test_cpu_spin_starts_over_when_called_from_another_thread():
    """Each thread has its own CPU clock: a span measured across two threads'
    clocks means nothing, so a call from a new thread starts over instead of
    spinning for the difference between the clocks."""
    import threading

    main = threading.get_ident()
    reads: dict[int, int] = {}

    def clock():  # the main thread's clock at 0; the other's 5 s ahead, 1 ms per read
        me = threading.get_ident()
        reads[me] = reads.get(me, 0) + 1
        return 0.0 if me == main else 5.0 + 0.001 * reads[me]

    spin = cpu_spin.CpuSpin(1.0, clock=clock)
    other = threading.Thread(target=spin)
    other.start()
    other.join()
    assert reads[other.ident] == 1  # one read to start over; no spin of 5 s


_CONSUMER_PROBE = r"""
import json, time
import ray
ray.init(include_dashboard=False, num_cpus=2)
import benchmarks.slowed_reference as slowed
from reference import fast_local
from reference.local import LocalIterator
import reference as it

def run(pipeline):
    start = time.thread_time()
    items = list(pipeline)
    return items, time.thread_time() - start

out = {}
for path, make in (("fast", lambda: it.from_range(20000, num_shards=2).gather_async()),
                   ("plain", lambda: it.from_range(20000, num_shards=2).gather_async().for_each(int))):
    run(make())  # warm
    slowed.uninstall()
    plain_cpu = min(run(make())[1] for _ in range(3))
    slowed.install(300, "consumer")
    items, _ = run(make())
    spun_cpu = min(run(make())[1] for _ in range(3))
    slowed.uninstall()
    out[path] = {"same": sorted(items) == list(range(20000)), "ratio": spun_cpu / plain_cpu}
out["restored"] = (LocalIterator._next is slowed._plain_next and fast_local.items is slowed._fast_items)
print(json.dumps(out))
"""


def test_the_consumer_stand_in_spins_on_the_fast_and_the_plain_path():
    """``SLOWED_REFERENCE_SIDE=consumer`` slows the consumer's thread on both of
    the reference's paths (a bare ``gather_async`` takes the fast one), hands
    out the same items, and ``uninstall()`` puts the reference back. 300 %
    more CPU: at least twice the CPU time, whatever the machine's noise; and on
    the fast path under 6 times (about 4 here), where a wrapper around every
    ``next()`` cost several times a cheap item by itself."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "RAY_ADDRESS": "local", "PYTHONPATH": str(BENCHMARKS.parent)}
    run = subprocess.run([sys.executable, "-c", _CONSUMER_PROBE], capture_output=True, text=True,
                         env=env, cwd=BENCHMARKS.parent, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["restored"]
    for path in ("fast", "plain"):
        assert out[path]["same"], path
        assert out[path]["ratio"] > 2, (path, out[path])
    assert out["fast"]["ratio"] < 6, out["fast"]


_WORKER_PROBE = r"""
import functools, json, logging
import ray
ray.init(include_dashboard=False, num_cpus=2, logging_level=logging.ERROR)
import benchmarks.slowed_reference as slowed
import reference as it
from conformance.bench.cpu_clock import CpuClock
from conformance.bench.workloads import burn

clock = CpuClock()
work = functools.partial(burn, loops=20_000)  # about a millisecond of pure Python

def run(gather):
    before = clock.read()
    items = list(getattr(it.from_range(120, num_shards=2).for_each(work), gather)())
    return items, clock.used(before, clock.read(since=before))

out = {}
for gather in ("gather_sync", "gather_async"):
    slowed.uninstall()
    run(gather)  # warm: start the workers
    before = min(run(gather)[1] for _ in range(3))
    slowed.install(300, "worker")
    items, _ = run(gather)
    spun = min(run(gather)[1] for _ in range(3))
    slowed.uninstall()
    after = min(run(gather)[1] for _ in range(3))
    out[gather] = {"same": sorted(items) == list(range(120)), "spun": spun / before, "after": after / before}
print(json.dumps(out))
"""


def test_the_worker_stand_in_spins_once_per_answer_and_only_in_its_own_runs():
    """``SLOWED_REFERENCE_SIDE=worker`` slows the shard workers' thread under
    both gathers (one item per answer under ``gather_sync``, batches under
    ``gather_async``) and hands out the same items. It arms itself per run, in
    the workers, which outlive the run: a run built after ``uninstall()``, in
    the same workers, does not spin. 300 % more CPU on a path that is most of
    the CPU time: at least twice the CPU time, whatever the machine's noise
    (about 4 times here); the run after, under twice the run before and under
    half the spun one (a spin left armed would cost it as much as the spun
    run)."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "RAY_ADDRESS": "local", "PYTHONPATH": str(BENCHMARKS.parent)}
    run = subprocess.run([sys.executable, "-c", _WORKER_PROBE], capture_output=True, text=True,
                         env=env, cwd=BENCHMARKS.parent, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    for gather in ("gather_sync", "gather_async"):
        assert out[gather]["same"], gather
        assert out[gather]["spun"] > 2, (gather, out[gather])
        assert out[gather]["after"] < min(2, out[gather]["spun"] / 2), (gather, out[gather])
