"""Mutant: after a shard's worker dies, the run resumes one item too late.

Breaks **REC-3** (the consumer receives exactly the items of a run in which
nothing died: nothing lost). Recovery is done over runs that cannot recover
themselves (``_recovery.py``): when a worker dies, the gather starts again
and drops what was delivered -- and one item more, the one the consumer was
waiting for when the worker died, as a backend would that counts an item
in flight (requested, not yet received) as delivered. Every restart loses
that item; everything else (the restart limit, errors, order) is correct.
"""

from conformance.mutants import _recovery, _wrap


class ParallelIterator(_recovery.ParallelIterator):
    policy = _recovery.Policy(skew=1)


globals().update(_wrap.exports(ParallelIterator))
conformance_restart_limit = _recovery.RESTART_LIMIT
