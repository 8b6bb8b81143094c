"""Mutant: runs that are closed or dropped before their end are never released.

Breaks **LIFE-1** (a run's workers are released when it is exhausted, fails,
is closed, or is garbage collected). The backend keeps every started
``LocalIterator`` in a module-level registry "for metrics", and its
``close()`` does nothing, so a run that is not read to its end (or to an
error) keeps its shard workers forever. Exhausted and failed runs release
their workers normally; nothing is pulled after the consumer stops.
"""

from conformance.mutants import _wrap

_LIVE_RUNS = []


class LocalIterator(_wrap.LocalIterator):
    _registered = False

    def __next__(self):
        if not self._registered:
            self._registered = True
            _LIVE_RUNS.append(self._it)
        return next(self._it)

    def close(self):
        pass


class ParallelIterator(_wrap.ParallelIterator):
    local_class = LocalIterator


globals().update(_wrap.exports(ParallelIterator))
