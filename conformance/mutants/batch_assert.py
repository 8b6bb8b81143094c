"""Mutant: ``batch(n)`` checks its argument with ``assert``.

Breaks **BAD-9** / **ERR-5** (bad input is refused with ``TypeError`` /
``ValueError`` naming the argument, and MUST NOT produce an
``AssertionError``). On both sides ``batch(0)``, ``batch(-1)`` and
``batch(1.5)`` raise ``AssertionError: batch size must be a positive int``.
Valid sizes behave exactly as the reference.
"""

from conformance.mutants import _wrap


def _check(n):
    assert isinstance(n, int) and not isinstance(n, bool) and n >= 1, "batch size must be a positive int"


class LocalIterator(_wrap.LocalIterator):
    def batch(self, n):
        _check(n)
        return super().batch(n)


class ParallelIterator(_wrap.ParallelIterator):
    local_class = LocalIterator

    def batch(self, n):
        _check(n)
        return super().batch(n)


globals().update(_wrap.exports(ParallelIterator))
