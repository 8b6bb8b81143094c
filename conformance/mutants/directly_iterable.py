"""Mutant: a ``ParallelIterator`` can be iterated directly.

Breaks **PAR-14** (``iter()`` on a ``ParallelIterator`` raises ``TypeError``
that says to use ``gather_sync()`` or ``gather_async()``). As a
"convenience", ``iter(pi)`` is ``iter(pi.gather_sync())``, so ``for x in pi``
and ``list(pi)`` silently start a run.
"""

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    def __iter__(self):
        return iter(self.gather_sync())


globals().update(_wrap.exports(ParallelIterator))
