"""Control: the reference behind the mutants' proxy layer, with nothing broken.

Every mutant is this module plus one deliberate bug. The suite must pass it;
if it does not, a failure of a mutant says nothing about the suite.
"""

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    pass


globals().update(_wrap.exports(ParallelIterator))
