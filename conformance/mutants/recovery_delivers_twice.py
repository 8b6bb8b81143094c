"""Mutant: after a shard's worker dies, the run resumes one item too early.

Breaks **REC-3** (the consumer receives exactly the items of a run in which
nothing died: nothing delivered twice). Recovery is done over runs that
cannot recover themselves (``_recovery.py``): when a worker dies, the gather
starts again and drops what was delivered -- but one item fewer, as a
backend would that resumes from the last item it sent instead of after it,
so the last item delivered before the death is delivered again. Everything
else (the restart limit, errors, order) is correct.
"""

from conformance.mutants import _recovery, _wrap


class ParallelIterator(_recovery.ParallelIterator):
    policy = _recovery.Policy(skew=-1)


globals().update(_wrap.exports(ParallelIterator))
conformance_restart_limit = _recovery.RESTART_LIMIT
