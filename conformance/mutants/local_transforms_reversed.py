"""Mutant: ``LocalIterator(..., local_transforms=[f, g])`` applies ``g`` first.

Breaks **LOC-3** (``local_transforms`` is a list of functions applied in
order). The constructor stores the list as a stack and applies it last to
first. Iterators built by the API's own methods are right (they are chained
one transform at a time); only user-constructed ``LocalIterator``s with two
or more ``local_transforms`` are affected.
"""

from conformance.mutants import _wrap


class LocalIterator(_wrap.LocalIterator):
    def __init__(self, base_iterator, shared_metrics=None, local_transforms=None, timeout=None, name=None):
        reversed_transforms = list(reversed(local_transforms or []))
        super().__init__(base_iterator, shared_metrics, reversed_transforms, timeout, name)


class ParallelIterator(_wrap.ParallelIterator):
    local_class = LocalIterator


globals().update(_wrap.exports(ParallelIterator))
