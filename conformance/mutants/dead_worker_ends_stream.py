"""Mutant: a shard whose worker died is treated as a shard that ended.

Breaks **ERR-6** (a dead shard worker is reported by ``next()`` with an error
naming the shard; it never ends the stream silently). When a run fails
because a shard's process died (its error is caused by Ray's
``RayActorError``), every gather simply stops, as if the stream had ended:
the consumer sees a short, clean stream instead of an error. User errors
(ERR-1) and everything else are unchanged.
"""

import ray

from conformance.mutants import _wrap


def _is_dead_worker(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ray.exceptions.RayActorError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _quiet_on_death(inner, kind):
    try:
        yield from _wrap.relay(inner, kind)
    except Exception as exc:
        if not _is_dead_worker(exc):
            raise


class ParallelIterator(_wrap.ParallelIterator):
    def _gather(self, kind, inner):
        return _wrap.wrapped(self, inner, _quiet_on_death, kind)

    take = _wrap.take
    show = _wrap.show


globals().update(_wrap.exports(ParallelIterator))
