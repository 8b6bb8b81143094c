"""Run tests against a two-node Ray cluster started on this machine.

``python tools/cluster.py [pytest args]`` starts a head node and a worker node
(each with its own raylet), runs ``pytest`` with ``RAY_ADDRESS`` pointing at the
head, and stops both nodes afterwards — also when the tests fail or the run is
interrupted. ``nox -s cluster`` calls it.
"""

from __future__ import annotations

import os
import subprocess
import sys

from ray.cluster_utils import Cluster

NODES = 2


def main(pytest_args: list[str]) -> int:
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
        env = dict(os.environ, RAY_ADDRESS=cluster.address, KIT_CLUSTER_NODES=str(NODES))
        print(f"cluster of {NODES} nodes at {cluster.address}", flush=True)
        return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], env=env)
    finally:
        cluster.shutdown()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
