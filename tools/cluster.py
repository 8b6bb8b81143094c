"""Run pytest against a two-node Ray cluster started on this machine.

``python tools/cluster.py RUN [--then RUN ...]`` starts a head node and a worker
node (each with its own raylet), runs ``pytest RUN`` for each RUN in turn with
``RAY_ADDRESS`` pointing at the head, and stops both nodes afterwards, also when
the tests fail or the run is interrupted. Each RUN is its own pytest invocation,
so the kit's tests and the conformance suite (whose plugin requires every test
to cite a clause) do not judge each other; all runs share the one cluster.
Every run is made, and the exit code is the first failing run's (0 if none).
``nox -s cluster`` calls it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

import ray
from ray.cluster_utils import Cluster
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

NODES = 2
SEPARATOR = "--then"


def split_runs(argv: list[str]) -> list[list[str]]:
    """``a b --then c`` -> ``[[a, b], [c]]``; an empty run is refused."""
    runs: list[list[str]] = [[]]
    for arg in argv:
        if arg == SEPARATOR:
            runs.append([])
        else:
            runs[-1].append(arg)
    if any(not run for run in runs):
        raise SystemExit(f"usage: cluster.py PYTEST_ARGS [{SEPARATOR} PYTEST_ARGS ...]: a run is empty")
    return runs


@ray.remote(num_cpus=0, memory=1)  # a non-empty request, as reference/pool.py places workers
def _node_here() -> str:
    return ray.get_runtime_context().get_node_id()


def wait_until_schedulable(address: str, attempts: int = 120) -> None:
    """Return once a task placed with soft affinity to each node runs there.

    ``wait_for_nodes`` returns when the nodes are registered; the scheduler may
    learn of a new node's resources a moment later, and until then a soft
    affinity to it falls back to another node (the tests that check placement
    would see one node). Each attempt is one task per node, a second apart."""
    ray.init(address=address, logging_level=logging.ERROR)
    try:
        nodes = sorted(n["NodeID"] for n in ray.nodes() if n["Alive"])
        for _ in range(attempts):
            placed = [
                _node_here.options(
                    scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=True)
                ).remote()
                for node in nodes
            ]
            if ray.get(placed) == nodes:
                return
            time.sleep(1)
        raise SystemExit(f"the nodes of the cluster did not become schedulable in {attempts} attempts")
    finally:
        ray.shutdown()


def main(argv: list[str]) -> int:
    runs = split_runs(argv)
    # Workers inherit the environment of the raylets started here: make the
    # project's test modules importable there, as tests/conftest.py does for
    # a Ray it starts itself.
    here = os.getcwd()
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (os.path.join(here, "tests"), here, os.environ.get("PYTHONPATH", "")) if p
    )
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False},
    )
    try:
        for _ in range(NODES - 1):
            cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        wait_until_schedulable(cluster.address)
        env = dict(os.environ, RAY_ADDRESS=cluster.address, KIT_CLUSTER_NODES=str(NODES))
        print(f"cluster of {NODES} nodes at {cluster.address}", flush=True)
        codes = []
        for run in runs:
            print(f"pytest {' '.join(run)}", flush=True)
            codes.append(subprocess.call([sys.executable, "-m", "pytest", *run], env=env))
        return next((code for code in codes if code), 0)
    finally:
        cluster.shutdown()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
