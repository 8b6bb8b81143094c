"""Mutant: every asynchronous run starts a watchdog thread that never ends.

Breaks **LIFE-1** (threads acquired for a run are released when the run ends, so
their number does not grow with the number of ended runs). ``gather_async``
starts, at its first ``next()``, a thread meant to watch the run's progress;
nobody tells it to stop, so one more thread is left behind by every run.
Items, order and ending are right.
"""

import threading

from conformance.mutants import _wrap

#: what the leaked watchdogs wait for: never set.
_NEVER = threading.Event()


def _watched(inner):
    threading.Thread(target=_NEVER.wait, name="run-watchdog", daemon=True).start()
    yield from _wrap.relay(inner, "async")


class ParallelIterator(_wrap.ParallelIterator):
    def _gather(self, kind, inner):
        if kind != "async":
            return super()._gather(kind, inner)
        return _wrap.wrapped(self, inner, _watched)


globals().update(_wrap.exports(ParallelIterator))
