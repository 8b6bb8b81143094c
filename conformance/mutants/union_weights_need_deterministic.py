"""Mutant: ``LocalIterator.union`` honours ``round_robin_weights`` only with
``deterministic=True``.

Breaks **LOC-6** (with ``deterministic=True`` *or* integer
``round_robin_weights`` it takes ``w_i`` items from input ``i`` in turn).
Without ``deterministic=True`` the weights are validated and then ignored, so
``a.union(b, round_robin_weights=[2, 1])`` alternates one by one. Nothing is
lost and each input's order is kept.
"""

from conformance.mutants import _wrap


class LocalIterator(_wrap.LocalIterator):
    def union(self, *others, deterministic=False, round_robin_weights=None):
        checked = super().union(*others, deterministic=deterministic, round_robin_weights=round_robin_weights)
        if deterministic or round_robin_weights is None:
            return checked
        out = self._it.union(*[_wrap.unwrap(o) for o in others])
        return self._replaced(checked, out)


class ParallelIterator(_wrap.ParallelIterator):
    local_class = LocalIterator


globals().update(_wrap.exports(ParallelIterator))
