"""Mutant: the copies made by ``duplicate(n)`` share one iterator.

Breaks **LOC-5** (each copy yields *every* item of the receiver, buffering
for copies that lag behind). There is no buffer: every copy reads straight
from the receiver, so each item goes to whichever copy asks first. Reading
one copy to the end leaves the others empty; alternating between two copies
splits the items between them.
"""

from conformance.mutants import _wrap


class _SameIterator:
    def __init__(self, source):
        self.source = source

    def __call__(self, timeout=None):
        return self.source


class LocalIterator(_wrap.LocalIterator):
    def duplicate(self, n):
        checked = self._it.duplicate(n)  # TypeError / ValueError for a bad n (BAD-20)
        return [
            LocalIterator(_SameIterator(self._it), self.shared_metrics, name=copy.name) for copy in checked
        ]


class ParallelIterator(_wrap.ParallelIterator):
    local_class = LocalIterator


globals().update(_wrap.exports(ParallelIterator))
