"""Mutant: a started ``LocalIterator`` pickles as if it had never started.

Breaks **SER-5** (serializing a started iterator either resumes from its
current position or raises ``TypeError``; it never silently restarts). The
backend pickles a ``LocalIterator`` as its recipe (base iterator, local
transforms, name) whether or not it has been advanced, so a copy of a
half-read iterator starts again from the first item. Unstarted iterators
(SER-2) are unaffected.
"""

from conformance.mutants import _wrap


class LocalIterator(_wrap.LocalIterator):
    def __reduce__(self):
        inner = self._it
        recipe = (inner.base_iterator, None, list(inner.local_transforms), inner.timeout, inner.name)
        return (type(self), recipe)


class ParallelIterator(_wrap.ParallelIterator):
    local_class = LocalIterator


globals().update(_wrap.exports(ParallelIterator))
