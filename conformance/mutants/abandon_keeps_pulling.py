"""Mutant: an abandoned run is drained to its end in the background.

Breaks **LAZY-7** (when a partly read ``LocalIterator`` becomes unreachable or
is closed, its run stops pulling within 5 seconds). To leave its workers in a
clean state, the backend finishes an abandoned run before releasing it: on
``close()`` or garbage collection a background thread reads the rest of the
stream and throws it away. Finite runs end (late); a run over an infinite
source is pulled forever. Reading a run to its end is unaffected.
"""

import threading

from conformance.mutants import _wrap


def _drain(inner):
    try:
        for _ in inner:
            pass
    except Exception:  # nobody is left to tell
        pass


def _drained_when_abandoned(inner, kind):
    source = _wrap.relay(inner, kind)
    finished = False
    try:
        while True:  # not ``yield from``, which would close ``source`` with us
            try:
                item = next(source)
            except StopIteration:
                finished = True
                return
            yield item
    finally:
        if not finished:
            threading.Thread(target=_drain, args=(source,), daemon=True).start()


class ParallelIterator(_wrap.ParallelIterator):
    def _gather(self, kind, inner):
        return _wrap.wrapped(self, inner, _drained_when_abandoned, kind)

    take = _wrap.take
    show = _wrap.show


globals().update(_wrap.exports(ParallelIterator))
