"""Mutant: ``ParallelIteratorWorker`` ignores its ``repeat`` flag.

Breaks **SRC-5** (the constructor accepts the ``repeat`` flag with the meaning
of SRC-6). The exported worker class accepts ``repeat`` but always serves a
single pass, so a ``from_actors`` shard built from
``ParallelIteratorWorker(items, repeat=True)`` ends after one pass instead of
cycling. ``repeat=True`` on ``from_items``/``from_range``/``from_iterators``
is unaffected.
"""

from conformance.mutants import _wrap


class ParallelIteratorWorker(_wrap.ParallelIteratorWorker):
    def __init__(self, item_generator, repeat):
        super().__init__(item_generator, False)


class ParallelIterator(_wrap.ParallelIterator):
    pass


globals().update(_wrap.exports(ParallelIterator, ParallelIteratorWorker=ParallelIteratorWorker))
