"""The reference on a multi-node Ray cluster: shards on every node, iterators
handed between tasks on different nodes. Runs under ``nox -s cluster``
(tools/cluster.py), which starts the nodes and sets ``KIT_CLUSTER_NODES``."""

from __future__ import annotations

import os

import pytest
import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

import reference as it

NODES = int(os.environ.get("KIT_CLUSTER_NODES", "0"))
pytestmark = [
    pytest.mark.skipif(NODES < 2, reason="needs a multi-node cluster: run `nox -s cluster`"),
    pytest.mark.usefixtures("ray_session"),
]


def test_cluster_has_the_expected_nodes():
    alive = [n for n in ray.nodes() if n["Alive"]]
    assert len(alive) == NODES


def _shard_and_node(x):
    return x // 10, ray.get_runtime_context().get_node_id()


def test_shards_are_placed_on_every_node():
    """New workers go to the nodes in turn: the first run of the session (no
    idle workers yet) has as many shards on each node. Placed at random, 4
    shards on 2 nodes would be split 2:2 in only 6 of 16 cases."""
    shards = 2 * NODES
    placed = dict(it.from_range(10 * shards, num_shards=shards).for_each(_shard_and_node).gather_async())
    per_node = {node: list(placed.values()).count(node) for node in set(placed.values())}
    assert sorted(per_node.values()) == [2] * NODES, per_node


@ray.remote
def _consume_here(local):
    return ray.get_runtime_context().get_node_id(), list(local)


@ray.remote
def _pass_on(local, node_id):
    pinned = NodeAffinitySchedulingStrategy(node_id, soft=False)
    here = ray.get_runtime_context().get_node_id()
    there, items = ray.get(_consume_here.options(scheduling_strategy=pinned).remote(local))
    return here, there, items


def test_iterators_travel_between_tasks_on_different_nodes():
    first, second = [n["NodeID"] for n in ray.nodes() if n["Alive"]][:2]
    offset = 7
    local = it.from_range(20, num_shards=3).for_each(lambda x: x + offset).gather_sync()
    pinned = NodeAffinitySchedulingStrategy(first, soft=False)
    here, there, items = ray.get(_pass_on.options(scheduling_strategy=pinned).remote(local, second))
    assert (here, there) == (first, second)
    assert items == list(local)



class _DieOnceOnNode:
    """for_each: ``x -> (node id, x)``; on node ``node``, at the first item with
    ``x % 20 == 10`` it ends its process, once over all processes (the item is
    logged in ``directory``, and the death as ``conformance.recovery_funcs`` does;
    a ticket file created exclusively picks the one process)."""

    def __init__(self, node: str, directory: str, consumer_pid: int):
        from conformance.recovery_funcs import DieAt

        self.node = node
        self.directory = directory
        self.die = DieAt(None, directory, consumer_pid)

    def _first_to_die(self) -> bool:
        # Shards on the node reach their item in the same round: of the
        # processes that get there, the one that creates the ticket dies.
        try:
            os.close(os.open(os.path.join(self.directory, "ticket"), os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return False
        return True

    def __call__(self, x):
        from conformance.probes import EventLog

        here = ray.get_runtime_context().get_node_id()
        if here == self.node and x % 20 == 10 and self.die.due() and self._first_to_die():
            EventLog(os.path.join(self.directory, "victim.log")).record(str(x))
            self.die.value = x
            self.die(x)
        return here, x


def test_a_worker_killed_on_the_second_node_is_recovered(tmp_path):
    """REC-2, REC-3 across nodes: a shard worker on the non-head node dies mid-run;
    the shard is replayed by a worker on either node and the run delivers
    exactly what it would have without the death."""
    from conformance.probes import EventLog
    from conformance.recovery_funcs import Deaths

    second = next(
        n["NodeID"]
        for n in ray.nodes()
        if n["Alive"] and "node:__internal_head__" not in n["Resources"]
    )
    shards = 2 * NODES
    p = it.from_range(20 * shards, num_shards=shards)
    got = list(p.for_each(_DieOnceOnNode(second, str(tmp_path), os.getpid())).gather_sync())
    assert Deaths(tmp_path).count() == 1, "no shard worker died on the second node"
    assert [x for _, x in got] == list(p.gather_sync())
    victim = int(EventLog(tmp_path / "victim.log").events()[0])
    nodes = dict((x, node) for node, x in got)
    assert nodes[victim - 1] == second  # the shard's first worker ran there
    resumed_on = nodes[victim]
    assert resumed_on in {n["NodeID"] for n in ray.nodes() if n["Alive"]}
    where = "the same node" if resumed_on == second else "the head node"
    print(f"shard of item {victim}: died on node {second[:8]}, resumed on {where}")
