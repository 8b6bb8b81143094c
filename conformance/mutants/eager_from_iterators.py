"""Mutant: ``from_iterators`` calls its callables while building the plan.

Breaks **LAZY-1** (building calls no user code) and the "never while building"
of **SRC-3**. To give an early error, ``from_iterators`` calls every
zero-argument callable once at construction and checks that the result is
iterable (the result is discarded; the run calls the callable again as it
should). Items and order are unchanged; only side effects of the callables
reveal it.
"""

import reference
from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    pass


def from_iterators(generators, repeat=False, name=None):
    inner = reference.from_iterators(generators, repeat, name)  # BAD-5/6, SRC-6
    for i, generator in enumerate(generators):
        if callable(generator):
            try:
                iter(generator())
            except TypeError:
                raise TypeError(f"generators[{i}] must return an iterable") from None
    return ParallelIterator(inner, (("iterators", tuple(generators)),))


globals().update(_wrap.exports(ParallelIterator, from_iterators=from_iterators))
