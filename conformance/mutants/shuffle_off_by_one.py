"""Mutant: the local ``shuffle`` fills its buffer one item too far.

Breaks **LOC-7** (the buffer shuffle yields once ``len(buf) >=
shuffle_buffer_size``): this one waits for ``len(buf) > shuffle_buffer_size``.
The output is still a permutation of the input and is still determined by
the seed, but it is not *the* sequence LOC-7 prescribes (with
``shuffle_buffer_size=1`` it is no longer the identity). The parallel
``local_shuffle`` (PAR-8) is correct.
"""

import random

from conformance.mutants import _wrap


class _OffByOneShuffle:
    def __init__(self, size, seed):
        self.size = size
        self.seed = seed

    def __call__(self, it):
        rng = random.Random(self.seed)
        buf = []
        for item in it:
            buf.append(item)
            if len(buf) > self.size:
                yield buf.pop(rng.randint(0, len(buf) - 1))
        while buf:
            yield buf.pop(rng.randint(0, len(buf) - 1))


class LocalIterator(_wrap.LocalIterator):
    def shuffle(self, shuffle_buffer_size, seed=None):
        checked = self._it.shuffle(shuffle_buffer_size, seed)
        out = self._it.transform(_OffByOneShuffle(shuffle_buffer_size, seed))
        return self._replaced(checked, out)


class ParallelIterator(_wrap.ParallelIterator):
    local_class = LocalIterator


globals().update(_wrap.exports(ParallelIterator))
