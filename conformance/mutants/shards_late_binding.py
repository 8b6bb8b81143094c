"""Mutant: every element of ``shards()`` reads the last shard.

Breaks **GATH-6** (element ``i`` of ``shards()`` is equivalent to
``get_shard(i)``). ``shards()`` builds its iterators with a lambda in a loop
and the classic late-binding closure bug: each lambda looks up ``i`` when it
runs, by which time the loop has finished. Names, count and ``get_shard``
are right; with one shard nothing is wrong.
"""

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    def shards(self):
        inner = self._it
        return [
            self.local_class(
                lambda timeout=None: inner.get_shard(i),  # noqa: B023 - the bug
                name=f"{self.name}.shard[{i}]",
            )
            for i in range(self.num_shards())
        ]


globals().update(_wrap.exports(ParallelIterator))
