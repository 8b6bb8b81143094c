"""Mutant: a plan keeps one run for ``gather_sync``; gathering again continues it.

Breaks **SRC-7** / **GATH-7** (each gather is its own run and starts every
source from its beginning). The backend starts a plan's shard workers once,
at the first ``gather_sync`` (or ``take``/``show``), and every later
``gather_sync`` of the same plan object reads on from where the previous one
stopped; after the first run is exhausted, further gathers are empty. Each
single run is correct, and ``gather_async``/``get_shard``/
``batch_across_shards`` start fresh runs.
"""

from conformance.mutants import _wrap


def _shared_run(pi):
    run = pi._runs.get("sync")
    if run is None:
        run = pi._runs["sync"] = pi._it.gather_sync()
    while True:  # not ``yield from``: closing this iterator must not close the run
        try:
            item = next(run)
        except StopIteration:
            return
        yield item


class ParallelIterator(_wrap.ParallelIterator):
    def __init__(self, inner, sources=()):
        super().__init__(inner, sources)
        self._runs = {}

    def __getstate__(self):
        return {**self.__dict__, "_runs": {}}

    def gather_sync(self):
        return _wrap.local(self, _shared_run, self, name=f"{self}.gather_sync()")

    take = _wrap.take
    show = _wrap.show


globals().update(_wrap.exports(ParallelIterator))
