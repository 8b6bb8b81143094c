"""Mutant: ``from_iterators(..., repeat=True)`` accepts one-shot iterators.

Breaks **SRC-6** (with ``repeat=True`` an element that is a one-shot iterator,
``iter(x) is x``, MUST be refused with ``ValueError`` rather than yielding a
single pass). The backend just calls ``iter()`` on the element for every
pass; the second pass of an exhausted iterator is empty, which ends the
shard, so the "repeating" shard quietly yields its items once. Re-iterables
and callables repeat correctly; generator objects are still refused.
"""

import collections.abc
import inspect

from conformance.mutants import _wrap


class _EachPassIter:
    def __init__(self, obj):
        self.obj = obj

    def __iter__(self):
        return iter(self.obj)


class ParallelIterator(_wrap.ParallelIterator):
    pass


_proxied = _wrap.sources(ParallelIterator)  # the sources as the reference has them


def from_iterators(generators, repeat=False, name=None):
    if repeat and isinstance(generators, list | tuple):
        generators = [
            _EachPassIter(g) if isinstance(g, collections.abc.Iterator) and not inspect.isgenerator(g) else g
            for g in generators
        ]
    return _proxied.from_iterators(generators, repeat, name)


globals().update(_wrap.exports(ParallelIterator, from_iterators=from_iterators))
