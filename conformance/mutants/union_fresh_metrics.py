"""Mutant: the chain after a ``LocalIterator.union`` has a metrics context of
its own.

Breaks **LOC-9** (a union and its inputs are one chain for ``get_metrics()``,
recursively). Counters set by transforms of the inputs are invisible to the
transforms after the union, which see a fresh context; within each chain,
metrics work as before.
"""

from conformance.mutants import _wrap


class LocalIterator(_wrap.LocalIterator):
    def union(self, *others, deterministic=False, round_robin_weights=None):
        checked = super().union(*others, deterministic=deterministic, round_robin_weights=round_robin_weights)
        inner = checked._it
        alone = _wrap.reference.LocalIterator(
            inner.base_iterator, _wrap.SharedMetrics(), inner.local_transforms, inner.timeout, inner.name
        )
        return checked._replaced(checked, alone)


class ParallelIterator(_wrap.ParallelIterator):
    local_class = LocalIterator


globals().update(_wrap.exports(ParallelIterator))
