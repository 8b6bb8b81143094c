"""Mutant: a union input whose weight is below 1 gets no turns.

Breaks **LOC-6** (for every valid weight, BAD-15: a number ``> 0`` or ``"*"``,
the union loses nothing). The weights are validated, then truncated to
integers: an input weighted ``0.5`` truncates to ``0`` and is left out of the
union, so its items are lost. Integer weights, ``"*"``, weights of 1 or more
and unions without weights are right.
"""

from conformance.mutants import _wrap


def _kept(weight) -> bool:
    return weight == "*" or int(weight) >= 1


class LocalIterator(_wrap.LocalIterator):
    def union(self, *others, deterministic=False, round_robin_weights=None):
        checked = super().union(*others, deterministic=deterministic, round_robin_weights=round_robin_weights)
        if round_robin_weights is None or all(_kept(w) for w in round_robin_weights):
            return checked
        pairs = [(it, w) for it, w in zip([self, *others], round_robin_weights, strict=True) if _kept(w)]
        if not pairs:
            pairs = [(self, 1)]
        first, *rest = [_wrap.unwrap(it) for it, _ in pairs]
        weights = [w if w == "*" else int(w) for _, w in pairs]
        out = first.union(*rest, deterministic=deterministic, round_robin_weights=weights)
        return self._replaced(checked, out)


class ParallelIterator(_wrap.ParallelIterator):
    local_class = LocalIterator


globals().update(_wrap.exports(ParallelIterator))
