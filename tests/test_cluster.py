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


def _node_of_worker(_):
    return ray.get_runtime_context().get_node_id()


def test_cluster_has_the_expected_nodes():
    alive = [n for n in ray.nodes() if n["Alive"]]
    assert len(alive) == NODES


def test_shards_are_placed_on_every_node():
    nodes = set(it.from_range(40, num_shards=2 * NODES).for_each(_node_of_worker).gather_async())
    assert len(nodes) == NODES


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
