"""Mutant: a ``ParallelIterator`` holds a lock, so it cannot be pickled.

Breaks **SER-1** (a plan can be serialized and passed to Ray tasks and
actors). The backend guards the lazy start of its workers with a
``threading.Lock`` kept on every plan object, so ``cloudpickle.dumps(plan)``
raises ``TypeError: cannot pickle '_thread.lock' object``. Everything else,
including pickling the ``LocalIterator`` of a gather (SER-2), works.
"""

import threading

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    def __init__(self, inner, sources=()):
        super().__init__(inner, sources)
        self._start_lock = threading.Lock()


globals().update(_wrap.exports(ParallelIterator))
