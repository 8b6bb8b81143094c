"""What each shard of a model plan must produce, as *chains* (SPEC §6, §9).

A shard's expected output is a list of chains (lists of items): the shard must yield
exactly the items of the chains, each chain in order, interleaved in any way.  One
chain means the order is fully determined (ORD-1); several chains arise where the spec
leaves interleaving open -- a repartition mixes its parent shards (SHARD-10), a
concurrent ``for_each`` (PAR-3) or an unseeded ``local_shuffle`` (PAR-8) leave every
item free (one chain per item).

Positions after such an unordered step are not determined, so a step whose output
depends on positions (``batch``, ``transform``, a seeded ``local_shuffle``, or a
repartition of an unordered parent) raises :class:`Undetermined`; the pipeline
strategies never generate those combinations.

The oracle is computed eagerly from the model's plan, independently of the model's
lazy execution, so running the differential test against the model also checks the
model's execution against this second reading of the spec.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import Chains
from conformance.model import ParallelIterator
from conformance.model.operators import ELEMENTWISE, Step
from conformance.model.plan import PartitionSource, ShardPlan
from conformance.model.sources import IterableSource, one_pass


class Undetermined(Exception):
    """The spec does not determine the requested expectation."""


def expected_shards(pi: ParallelIterator) -> list[Chains]:
    """The chains of every shard of the model iterator ``pi``."""
    return [shard_chains(plan) for plan in pi._shards]


def shard_chains(plan: ShardPlan) -> Chains:
    """The chains of one shard plan."""
    chains = source_chains(plan.source)
    for step in plan.steps:
        chains = apply_step(step, chains)
    return [c for c in chains if c]


def source_chains(source: Any) -> Chains:
    if isinstance(source, IterableSource):
        if source.repeat:
            raise Undetermined("a repeating source is infinite")
        return [list(one_pass(source.obj.fresh()))]
    if isinstance(source, PartitionSource):
        node, j = source.node, source.j
        chains: Chains = []
        for parent in node.parents:
            parent_chains = shard_chains(parent)
            if len(parent_chains) > 1:
                raise Undetermined("repartition of a shard whose order is not determined")
            items = parent_chains[0] if parent_chains else []
            chains.append(items[j :: node.n])
        return chains
    raise Undetermined(f"no oracle for source {type(source).__name__}")


def apply_step(step: Step, chains: Chains) -> Chains:
    """Apply one parallel step (with a fresh function copy for this shard)."""
    fn = step.thaw()
    if step.kind == "for_each" and step.args and step.args[0] != 1:
        return [[out] for chain in chains for out in step.apply(iter(chain), fn)]
    if step.kind == "shuffle" and step.args[1] is None:
        return [[item] for chain in chains for item in chain]
    if step.kind in ELEMENTWISE:
        return [list(step.apply(iter(chain), fn)) for chain in chains]
    if len(chains) > 1:
        raise Undetermined(f"{step.kind} of a shard whose order is not determined")
    items = chains[0] if chains else []
    return [list(step.apply(iter(items), fn))]
