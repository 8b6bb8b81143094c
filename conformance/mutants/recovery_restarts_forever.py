"""Mutant: a shard whose worker keeps dying is restarted without end.

Breaks **REC-5** (at most N restarts of a shard per run, then the error of
ERR-6 naming the shard and the restarts). Recovery is done over runs that
cannot recover themselves (``_recovery.py``) and is exact, but has no limit:
the backend declares the reference's limit of 3 restarts, yet a death that
repeats on every replay is replayed again and again, so the run never ends
(or, once the deaths stop, ends as if nothing had happened).
"""

from conformance.mutants import _recovery, _wrap


class ParallelIterator(_recovery.ParallelIterator):
    policy = _recovery.Policy(limit=float("inf"))


globals().update(_wrap.exports(ParallelIterator))
conformance_restart_limit = _recovery.RESTART_LIMIT
