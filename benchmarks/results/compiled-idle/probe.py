"""What a compiled graph kept alive between runs would cost while no run reads
it (issue #19's candidate "graphs that stay compiled over pooled workers
across runs").

A graph over ``SHARDS`` bare actors (``MultiOutputNode`` of one method per
actor, as ``reference/compiled_rounds.py`` builds) is compiled and executed a
few rounds; then nothing reads it for ``IDLE_S`` seconds, as a pooled worker
between two runs. The actors' CPU time over that pause (``psutil``, every
thread of their processes) is compared with the same actors' over the same
pause after ``teardown()``, and with the consumer's own.

From the checkout's root, with ``RAY_ADDRESS=local``::

    python benchmarks/results/compiled-idle/probe.py 3

``3``: pauses of each kind, alternating.
"""

from __future__ import annotations

import argparse
import os
import time

import psutil
import ray
from ray.dag import InputNode, MultiOutputNode

SHARDS = 2
IDLE_S = 5.0


@ray.remote(num_cpus=0)
class Worker:
    def step(self, x):
        return x

    def pid(self) -> int:
        return os.getpid()


def cpu_seconds(procs) -> float:
    total = 0.0
    for p in procs:
        t = p.cpu_times()
        total += t.user + t.system
    return total


def idle_shares(*groups) -> list[float]:
    """Cores each group of processes used over one idle pause."""
    before = [cpu_seconds(g) for g in groups]
    time.sleep(IDLE_S)
    return [(cpu_seconds(g) - b) / IDLE_S for g, b in zip(groups, before, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pauses", type=int, help="pauses of each kind")
    args = parser.parse_args()
    if args.pauses < 1:
        parser.error("pauses must be at least 1")
    ray.init(include_dashboard=False, log_to_driver=False)
    workers = [Worker.remote() for _ in range(SHARDS)]
    procs = [psutil.Process(pid) for pid in ray.get([w.pid.remote() for w in workers])]
    me = psutil.Process()
    print(f"# CPU of {SHARDS} actors over {IDLE_S:.0f}-s pauses with nothing to do, "
          "in cores (1.0: one core all the time)\n")
    print("| pause | actors, graph compiled | consumer, graph compiled "
          "| actors, torn down | consumer, torn down |")
    print("|---|---:|---:|---:|---:|")
    for pause in range(1, args.pauses + 1):
        with InputNode() as inp:
            dag = MultiOutputNode([w.step.bind(inp) for w in workers])
        graph = dag.experimental_compile()
        for i in range(20):
            ray.get(graph.execute(i))
        compiled = idle_shares(procs, [me])
        graph.teardown()
        ray.get([w.pid.remote() for w in workers])
        torn_down = idle_shares(procs, [me])
        cells = " | ".join(f"{x:.2f}" for x in (*compiled, *torn_down))
        print(f"| {pause} | {cells} |")
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
