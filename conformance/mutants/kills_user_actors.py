"""Mutant: the actors given to ``from_actors`` are killed when a run ends.

Breaks **LIFE-4** (actors passed to ``from_actors`` are never killed by the
backend). At the end of a run (exhausted, on any gather) the backend
"releases" every shard actor the way it releases its own workers, including
the user's ``ParallelIteratorWorker`` actors, which ``ray.kill`` terminates.
The run itself is complete and correct; a second run over the same actors,
or any other use of them, fails.
"""

import ray

from conformance.mutants import _wrap


def _then_kill(inner, kind, actors):
    yield from _wrap.relay(inner, kind)
    for actor in actors:
        ray.kill(actor)


class ParallelIterator(_wrap.ParallelIterator):
    def _gather(self, kind, inner):
        actors = [a for source, handles in self._sources if source == "actors" for a in handles]
        if not actors:
            return super()._gather(kind, inner)
        return _wrap.wrapped(self, inner, _then_kill, kind, actors)

    take = _wrap.take
    show = _wrap.show


globals().update(_wrap.exports(ParallelIterator))
