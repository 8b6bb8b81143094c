"""Does a ray.util.iter run leave work behind that the next run pays for?

Alternates ``gather_sync`` runs of the reference and of ``ray.util.iter``
(4 shards, 1,200 cheap items, timed after the first item) in one process and
one Ray, with a pause of each given number of seconds after every run
(default 0), and prints each run's wall time in milliseconds. From the
checkout's root, with ``RAY_ADDRESS=local REFERENCE_COMPILED_ROUNDS=0``::

    python benchmarks/results/compare-19-upstream/aftermath.py 0 2
"""

from __future__ import annotations

import gc
import sys
import time

import ray
import ray.util.iter as upstream

import reference


def run(module, n: int = 1200, shards: int = 4) -> float:
    it = iter(module.from_range(n, shards).gather_sync())
    next(it)
    start = time.perf_counter()
    for _ in it:
        pass
    return time.perf_counter() - start


def main() -> None:
    ray.init(include_dashboard=False, log_to_driver=False)
    for settle in [float(a) for a in sys.argv[1:]] or [0.0]:
        times: dict[str, list[int]] = {"reference": [], "ray.util.iter": []}
        for _ in range(6):
            for name, module in (("reference", reference), ("ray.util.iter", upstream)):
                times[name].append(round(run(module) * 1e3))
                gc.collect()  # ray.util.iter's actors go when its iterator does
                time.sleep(settle)
        for name, ms in times.items():
            print(f"pause {settle:g} s: {name:14} ms per run {ms}")


if __name__ == "__main__":
    main()
