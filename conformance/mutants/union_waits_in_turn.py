"""Mutant: a non-deterministic ``LocalIterator.union`` takes its inputs in
strict turns, waiting on each.

Breaks **LOC-10** (a non-deterministic union reads inputs as they are ready).
It reads ``a0, b0, a1, b1, ...`` as a deterministic union would, so a fast
input is held back by a slow one, and an input whose shards wait for the
consumer to finish another input is never finished. Every item still comes
once, each input in its order (LOC-6 holds).
"""

from conformance.mutants import _wrap


class LocalIterator(_wrap.LocalIterator):
    def union(self, *others, deterministic=False, round_robin_weights=None):
        checked = super().union(*others, deterministic=deterministic, round_robin_weights=round_robin_weights)
        if deterministic or any(w != "*" for w in round_robin_weights or []):
            return checked
        inner = self._it.union(*[_wrap.unwrap(o) for o in others], deterministic=True)
        return checked._replaced(checked, inner)


class ParallelIterator(_wrap.ParallelIterator):
    local_class = LocalIterator


globals().update(_wrap.exports(ParallelIterator))
