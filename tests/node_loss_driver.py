"""Node loss on a real Ray cluster: the scenarios of ``tests/test_node_loss.py``.

Run as ``python tests/node_loss_driver.py OUT.json``. It starts its own cluster
on this machine with ``ray.cluster_utils.Cluster`` (a head node and worker
nodes, each with its own raylet), so it owns the nodes it removes. Each
scenario starts a run whose shards sit on the head and on a worker node, lets
a shard on the worker node reach an item and wait there, then removes that
whole node (its raylet and every worker on it) with ``Cluster.remove_node``,
as Ray's own chaos tests do, and lets the run finish. The result of every
scenario, with the run of the same plan on the intact cluster it is to be
compared with, is written to ``OUT.json`` as it completes; the tests judge them.

The waiting shard is the run's own user code (:class:`StallOnNode`): on the
node to be lost, at its shard's sixth item, it writes a flag file and
sleeps; a watcher thread in this process sees the flag and removes the
node. On any other node the function is the identity, so the replay on a
surviving node goes through.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

import ray
from ray.cluster_utils import Cluster

import reference as it

SHARDS = 4
PER_SHARD = 20
STALL_AT = 5  # the index within its shard of the item a shard waits at
#: runs of a scenario before it is given up: Ray may place no shard of a run on
#: the doomed node (the reference's placement is a soft affinity), and such a run
#: loses nothing; the test fails if no attempt lost the node
ATTEMPTS = 5


def node_id() -> str:
    return ray.get_runtime_context().get_node_id()


class StallOnNode:
    """for_each over ``from_range``-like items ``x`` (shard ``x // PER_SHARD``):
    the identity, except on the nodes named in the file ``doomed`` in
    ``directory`` (every worker node of the cluster): there, at a shard's item
    ``STALL_AT``, it writes the flag ``stalled-<node>`` and sleeps until its
    node is removed. With ``die_on_head``
    the replay of a shard that already stalled ends its process on the head
    node instead (a second loss that is not a node's)."""

    def __init__(self, directory: str, consumer_pid: int, die_on_head: str = ""):
        self.directory = directory
        self.consumer_pid = consumer_pid
        self.die_on_head = die_on_head

    def __call__(self, x):
        if x % PER_SHARD != STALL_AT:
            return x
        here = node_id()
        folder = Path(self.directory)
        doomed = set((folder / "doomed").read_text().split())
        shard_flag = folder / f"shard-{x // PER_SHARD}"
        if here in doomed:
            shard_flag.write_text(here)
            (folder / f"stalled-{here}").write_text(str(x))
            time.sleep(600)
        elif here == self.die_on_head and shard_flag.exists() and os.getpid() != self.consumer_pid:
            (folder / f"died-on-head-{x // PER_SHARD}").write_text(str(x))
            os._exit(3)
        return x


class NodeRemover(threading.Thread):
    """Removes every doomed node whose flag appears in ``directory``, once each."""

    def __init__(self, cluster: Cluster, nodes: dict[str, object], directory: str):
        super().__init__(daemon=True)
        self.cluster, self.nodes, self.directory = cluster, nodes, Path(directory)
        self.removed: list[str] = []
        self.removed_at: list[float] = []  # time.monotonic() as each removal returned
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for node_hex, node in list(self.nodes.items()):
                if node_hex not in self.removed and (self.directory / f"stalled-{node_hex}").exists():
                    self.cluster.remove_node(node)
                    self.removed.append(node_hex)
                    self.removed_at.append(time.monotonic())
            self.stop.wait(0.05)


class Scenarios:
    def __init__(self, out: Path):
        if os.environ.get("REFERENCE_MAX_IDLE_WORKERS") != "0":
            raise SystemExit("run with REFERENCE_MAX_IDLE_WORKERS=0: every run makes new workers, placed on "
                             "the alive nodes in turn, so each run has shards on the node it loses")
        self.out = out
        self.results: dict[str, dict] = {}
        self.cluster = Cluster(
            initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
        )
        ray.init(address=self.cluster.address, include_dashboard=False, logging_level="ERROR")
        self.head = node_id()
        self.workers: dict[str, object] = {}

    def add_worker_node(self) -> str:
        node = self.cluster.add_node(num_cpus=1)
        self.cluster.wait_for_nodes()
        self.workers[node.node_id] = node
        return node.node_id

    def alive(self) -> list[str]:
        return sorted(n["NodeID"] for n in ray.nodes() if n["Alive"])

    def record(self, name: str, **result) -> None:
        self.results[name] = result
        self.out.write_text(json.dumps(self.results, indent=1))

    def wait_until_used(self, node: str) -> bool:
        """True once a run places a shard worker on ``node`` (the reference reads
        the alive nodes for every new worker); False after two minutes."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            shards = 2 * len(self.alive())
            if node in set(it.from_range(shards, num_shards=shards).for_each(_node_of).gather_async()):
                return True
            time.sleep(1)
        return False

    def lose_a_node(self, name: str, consume, plan_of, die_on_head: bool = False, limit: int | None = None):
        """Run ``consume(plan_of(f))`` once with ``f`` the identity (the intact run) and
        once with ``f`` a :class:`StallOnNode` whose node (every worker node) is
        removed mid-run, leaving the head."""
        if not self.workers:
            self.add_worker_node()
        doomed = sorted(self.workers)
        placed = all(self.wait_until_used(node) for node in doomed)
        intact = consume(plan_of(lambda x: x))
        attempts = 0
        while attempts < ATTEMPTS:
            attempts += 1
            outcome = self._stall_and_lose(consume, plan_of, doomed, die_on_head, limit)
            if outcome["removed"]:
                break  # else Ray placed no shard of the run on a doomed node: nothing was lost
        self.record(
            name, intact=intact, doomed=doomed, doomed_nodes_in_use=placed, attempts=attempts, **outcome
        )

    def _stall_and_lose(self, consume, plan_of, doomed, die_on_head, limit) -> dict:
        with tempfile.TemporaryDirectory() as directory:
            Path(directory, "doomed").write_text(" ".join(doomed))
            stall = StallOnNode(directory, os.getpid(), self.head if die_on_head else "")
            remover = NodeRemover(self.cluster, self.workers, directory)
            remover.start()
            previous = it.set_max_restarts(limit) if limit is not None else None
            started = time.monotonic()
            try:
                got, error = consume(plan_of(stall)), None
            except Exception as exc:  # noqa: BLE001 - the error is the result judged
                got, error = None, f"{type(exc).__name__}: {exc}"
            finally:
                ended = time.monotonic()
                if previous is not None:
                    it.set_max_restarts(previous)
                remover.stop.set()
                remover.join()
            stalled_shards = sorted(int(p.name.split("-")[1]) for p in Path(directory).glob("shard-*"))
            died_on_head = sorted(int(p.name.split("-")[-1]) for p in Path(directory).glob("died-on-head-*"))
        for lost in remover.removed:
            self.workers.pop(lost)
        return dict(
            got=got,
            error=error,
            removed=remover.removed,
            stalled_shards=stalled_shards,
            died_on_head=died_on_head,
            seconds=ended - started,
            seconds_after_last_loss=ended - remover.removed_at[-1] if remover.removed_at else None,
        )

    def node_joins(self) -> None:
        """A node added while a run is in flight: the run is unaffected, and a
        later run places shards on it."""
        before = set(self.alive())
        p = it.from_range(SHARDS * PER_SHARD, num_shards=SHARDS).for_each(lambda x: x)
        intact = list(p.gather_sync())
        running = p.gather_sync()
        got = [next(running) for _ in range(SHARDS * 2)]
        joined = self.add_worker_node()
        got.extend(running)
        self.record(
            "node_joins",
            intact=intact,
            got=got,
            joined=joined,
            new_node_was_new=joined not in before,
            later_run_used_it=self.wait_until_used(joined),
        )


def _node_of(_):
    return node_id()


def _plan(f, repartition: bool = False):
    p = it.from_range(SHARDS * PER_SHARD, num_shards=SHARDS).for_each(f)
    return p.repartition(2) if repartition else p


def _one_shot_plan(f):
    sources = [iter(range(s * PER_SHARD, (s + 1) * PER_SHARD)) for s in range(SHARDS)]
    return it.from_iterators(sources).for_each(f)


def _per_shard(p) -> list[list[int]]:
    return [list(p.get_shard(i)) for i in range(p.num_shards())]


def main(out: str) -> int:
    scenarios = Scenarios(Path(out))
    try:
        runs = [
            ("gather_sync", lambda p: list(p.gather_sync()), _plan),
            ("gather_async", lambda p: list(p.gather_async(num_async=2)), _plan),
            ("batch_across_shards", lambda p: list(p.batch_across_shards()), _plan),
            ("get_shard", _per_shard, _plan),
            ("repartition", lambda p: list(p.gather_sync()), lambda f: _plan(f, repartition=True)),
        ]
        for name, consume, plan_of in runs:
            scenarios.lose_a_node(name, consume, plan_of)
        scenarios.lose_a_node("not_replayable", lambda p: list(p.gather_sync()), _one_shot_plan)
        scenarios.lose_a_node(
            "past_the_restart_limit", lambda p: list(p.gather_sync()), _plan, die_on_head=True, limit=1
        )
        scenarios.node_joins()
    except Exception:
        scenarios.record("driver_error", traceback=traceback.format_exc())
        return 1
    finally:
        ray.shutdown()
        scenarios.cluster.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
