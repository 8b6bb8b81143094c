"""Mutant: ``gather_sync`` never signals the end of the stream.

Breaks **GATH-8** (a run ends exactly when every shard has ended and never
blocks forever on ended shards). After the last item, ``next()`` keeps polling
for "more items" instead of raising ``StopIteration``; every item is delivered
in the right order first, and ``take(n)`` returns as long as ``n`` items
exist. Only the suite's bound on each call into the backend (BACK-5) turns
this into a failure.
"""

import time

from conformance.mutants import _wrap


def _never_ends(inner, kind):
    yield from _wrap.relay(inner, kind)
    while True:  # waiting for an end-of-stream marker that never comes
        time.sleep(0.05)


class ParallelIterator(_wrap.ParallelIterator):
    def _gather(self, kind, inner):
        if kind != "sync":
            return super()._gather(kind, inner)
        return _wrap.wrapped(self, inner, _never_ends, kind)

    take = _wrap.take
    show = _wrap.show


globals().update(_wrap.exports(ParallelIterator))
