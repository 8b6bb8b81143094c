"""Mutant: ``ParallelIterator.take`` deadlocks with itself.

Breaks **PAR-13** (``take(n)`` returns a list of the first ``n`` items of
``gather_sync()``). The backend reads the ``n`` items, then waits for the
run's workers to be back in the pool before returning them; but a run gives
its workers back only when it is closed, which ``take`` does after that wait,
so ``take`` never returns. ``gather_sync``, ``show`` and ``LocalIterator.take``
are right.
"""

import itertools
import time

from conformance.mutants import _wrap


def _workers_back(it):
    return False  # they come back when ``it`` is closed, after this wait


class ParallelIterator(_wrap.ParallelIterator):
    def take(self, n):
        _wrap.check_count("n", n, 0)
        it = self.gather_sync()
        try:
            items = list(itertools.islice(it, n))
            while not _workers_back(it):
                time.sleep(0.05)
            return items
        finally:
            it.close()


globals().update(_wrap.exports(ParallelIterator))
