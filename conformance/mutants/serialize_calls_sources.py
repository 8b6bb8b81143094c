"""Mutant: pickling a plan calls its ``from_iterators`` source callables.

Breaks **SER-3** (serializing and deserializing calls no user code and pulls
no item). Before a plan is shipped, the backend "checks" each zero-argument
callable given to ``from_iterators`` by calling it and peeking at the first
item, so that a broken source fails at the sender. The results are
discarded: what the receiver gathers is unchanged for deterministic sources.
Plans built only from ``from_items``/``from_range`` are unaffected, as are
``LocalIterator``s.
"""

from conformance.mutants import _wrap

_NOTHING = object()


class ParallelIterator(_wrap.ParallelIterator):
    def __getstate__(self):
        for kind, generators in self._sources:
            if kind != "iterators":
                continue
            for generator in generators:
                if callable(generator):
                    next(iter(generator()), _NOTHING)
        return self.__dict__


globals().update(_wrap.exports(ParallelIterator))
