"""Where does a CPU-bound ``gather_sync`` item's time go, reference against
``ray.util.iter``, on one shard?

Alternates runs of both in one process and one Ray (a pause of 2 s after every
run, so that neither pays for the other's teardown), ``ITEMS`` items of 3 ms of
pure-Python work each (``conformance.bench.workloads.burn``, the CPU-bound
benchmark's function). Every item is the pair of ``time.perf_counter()``
readings the shard worker took around its work (a system-wide clock on
Linux), so the consumer can split each item's time into the worker's work and
the worker's idle gap before it: the call's round trip, the consumer's own
work and the backend's per-item path. Prints, per backend, the medians over
every run's items after the first, and each run's median.

``ray.util.iter`` starts a new worker process for every run; the reference
takes its worker from a pool, so all its runs here share one process unless
``--fresh`` (the pool holds no idle worker: a new process every run, as
upstream). From the checkout's root, with ``RAY_ADDRESS=local
REFERENCE_COMPILED_ROUNDS=0``::

    python benchmarks/results/compare-19-upstream-cpu/gaps.py 12
    python benchmarks/results/compare-19-upstream-cpu/gaps.py 12 --fresh
"""

from __future__ import annotations

import gc
import statistics
import sys
import time

import ray
import ray.util.iter as upstream

import reference
from conformance.bench import workloads as W

ITEMS = 40
MS = 3.0


class Timed:
    """``x -> (start, end)`` of ``MS`` milliseconds of work, as the worker saw it."""

    def __init__(self, loops: int):
        self.loops = loops

    def __call__(self, x):
        start = time.perf_counter()
        W.burn(x, loops=self.loops)
        return start, time.perf_counter()


def run(module, fn) -> dict[str, float]:
    it = iter(module.from_range(ITEMS, 1).for_each(fn).gather_sync())
    previous = next(it)
    work, gaps, per_item = [], [], []
    last_seen = time.perf_counter()
    for start, end in it:
        now = time.perf_counter()
        work.append(end - start)
        gaps.append(start - previous[1])
        per_item.append(now - last_seen)
        previous, last_seen = (start, end), now
    return {"work": statistics.median(work), "gap": statistics.median(gaps),
            "item": statistics.median(per_item)}


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--fresh"]
    fresh = "--fresh" in sys.argv[1:]
    runs = int(args[0]) if args else 6
    ray.init(include_dashboard=False, log_to_driver=False)
    if fresh:
        reference.pool.POOL.max_idle = 0
    fn = Timed(int(W.loops_per_ms() * MS))
    got: dict[str, dict[str, list[float]]] = {"reference": {}, "ray.util.iter": {}}
    for r in range(runs):
        order = (("reference", reference), ("ray.util.iter", upstream))
        for name, module in order if r % 2 == 0 else order[::-1]:
            for key, value in run(module, fn).items():
                got[name].setdefault(key, []).append(value)
            gc.collect()  # ray.util.iter's actors go when its iterator does
            time.sleep(2.0)
    print(f"1 shard, {ITEMS} items of {MS:g} ms, {runs} runs each, alternating, reference's worker "
          f"{'new every run' if fresh else 'pooled'}; ms, the median of the runs' medians, "
          f"then every run's")
    print("| backend | per item (consumer) | worker's work | worker idle before an item | "
          "idle, every run | work, every run |")
    print("|---|---:|---:|---:|---|---|")
    for name, series in got.items():
        ms = {key: [1e3 * v for v in values] for key, values in series.items()}
        print(f"| {name} | {statistics.median(ms['item']):.3f} | {statistics.median(ms['work']):.3f} | "
              f"{statistics.median(ms['gap']):.3f} | {' '.join(f'{v:.2f}' for v in ms['gap'])} | "
              f"{' '.join(f'{v:.2f}' for v in ms['work'])} |")


if __name__ == "__main__":
    main()
