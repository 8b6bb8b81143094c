"""Mutant: ``conformance_run_remote`` runs the function in the consumer's
process, after a pickling round trip.

Breaks **BACK-6** (a backend's own ``conformance_run_remote`` hook runs ``fn`` in
another process). Everything §8 checks about pickling still holds, which is why
such a hook could pass every other test; the backend itself is the reference.
"""

import cloudpickle

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    pass


globals().update(_wrap.exports(ParallelIterator))


def conformance_run_remote(fn, *args):
    fn, args = cloudpickle.loads(cloudpickle.dumps((fn, args)))
    return cloudpickle.loads(cloudpickle.dumps(fn(*args)))
