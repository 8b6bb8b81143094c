"""Recovery redone over the reference's public API, for the recovery mutants (SPEC §14).

The reference recovers dead shard workers inside its runs. A recovery mutant
turns that off -- ``reference.set_max_restarts(0)``: every death then ends the
reference's run at once with ``reference.ShardWorkerDied`` naming the shard --
and recovers one level up, as a backend built on runs that cannot recover
could: it starts the gather again and drops the items it has delivered already.

* ``gather_sync``, ``batch_across_shards``, ``get_shard`` (and ``shards()``,
  ``take``, ``show`` through them): their order is fixed, so the new run's
  first ``delivered`` items (or rounds) are dropped.
* ``gather_async``: the order between shards is not fixed, so the gather runs
  over a plan whose every shard tags its items with the shard's index
  (``select_shards([i]).for_each(tag)``, united back in order) and the new run
  drops, per shard, what that shard delivered; the tags are taken off in the
  consumer. It stays the reference's own concurrent gather (GATH-3).

A shard that cannot be replayed (``from_actors``, a one-shot iterator) is not
restarted (REC-6). :class:`Policy` says where a restarted run resumes and how
often a shard restarts; ``Policy()`` is a faithful recovery (REC-2, REC-3,
REC-5), and each mutant changes one thing.
"""

from __future__ import annotations

import collections.abc
from dataclasses import dataclass

import reference
from conformance.mutants import _wrap

reference.set_max_restarts(0)

#: the restart limit the mutants declare (BACK-3), the reference's default
RESTART_LIMIT = 3


@dataclass(frozen=True)
class Policy:
    """``skew``: a restarted run resumes ``skew`` items after (negative: before)
    the last delivered item of the dead shard; ``limit``: restarts per shard."""

    skew: int = 0
    limit: float = RESTART_LIMIT


@dataclass(frozen=True)
class _Tag:
    """for_each: ``x -> (shard, x)``."""

    shard: int

    def __call__(self, x):
        return (self.shard, x)


def _replayable(sources: tuple) -> bool:
    for kind, parts in sources:
        if kind == "actors":
            return False
        for part in parts:
            if isinstance(part, collections.abc.Iterator) and not callable(part):
                return False
    return True


def _give_up(exc: reference.ShardWorkerDied, made: int):
    return reference.ShardWorkerDied(exc.shard, exc.__cause__ or exc, restarts=made)


def _replayed(inner_pi, method: str, args: tuple, kind: str, policy: Policy):
    """The items of ``getattr(inner_pi, method)(*args)``, started again (and the
    delivered items dropped) when a shard's worker dies."""
    delivered = skip = 0
    restarts: dict[int, int] = {}
    while True:
        source = _wrap.relay(getattr(inner_pi, method)(*args), kind)
        try:
            for item in source:
                if skip:
                    skip -= 1
                    continue
                delivered += 1
                yield item
            return
        except reference.ShardWorkerDied as exc:
            _count_restart(restarts, exc, policy)
            skip = max(0, delivered + policy.skew)
        finally:
            source.close()


def _replayed_async(inner_pi, batch_ms: int, num_async: int, policy: Policy):
    """``gather_async`` of ``inner_pi``, its shards tagged so that a new run can
    drop, per shard, the items that shard has delivered."""
    count = inner_pi.num_shards()
    parts = [inner_pi.select_shards([i]).for_each(_Tag(i)) for i in range(count)]
    tagged = parts[0]
    for part in parts[1:]:
        tagged = tagged.union(part)
    delivered = [0] * count
    skip = [0] * count
    restarts: dict[int, int] = {}
    while True:
        pairs = _wrap.relay_pairs(tagged.gather_async(batch_ms, num_async))
        try:
            for actor, (shard, item) in pairs:
                if skip[shard]:
                    skip[shard] -= 1
                    continue
                delivered[shard] += 1
                _wrap.set_current_actor(actor)
                yield item
            return
        except reference.ShardWorkerDied as exc:
            _count_restart(restarts, exc, policy)
            skip = list(delivered)
            skip[exc.shard] = max(0, delivered[exc.shard] + policy.skew)
        finally:
            pairs.close()


class ParallelIterator(_wrap.ParallelIterator):
    """A backend recovering as :data:`policy` says (subclassed by each mutant)."""

    policy = Policy()

    def _recovering(self, checked, generator_fn, *args):
        if not _replayable(self._sources):
            return self._local(checked)  # ERR-6 at once, from the reference (REC-6)
        return _wrap.local(self, generator_fn, *args, name=checked.name)

    def batch_across_shards(self):
        checked = self._it.batch_across_shards()
        args = (self._it, "batch_across_shards", (), "rounds", self.policy)
        return self._recovering(checked, _replayed, *args)

    def gather_sync(self):
        checked = self._it.gather_sync()
        return self._recovering(checked, _replayed, self._it, "gather_sync", (), "sync", self.policy)

    def get_shard(self, shard_index, batch_ms=0, num_async=1):
        checked = self._it.get_shard(shard_index, batch_ms, num_async)
        args = (shard_index, batch_ms, num_async)
        return self._recovering(checked, _replayed, self._it, "get_shard", args, "shard", self.policy)

    def gather_async(self, batch_ms=0, num_async=1):
        checked = self._it.gather_async(batch_ms, num_async)
        return self._recovering(checked, _replayed_async, self._it, batch_ms, num_async, self.policy)

    take = _wrap.take
    show = _wrap.show


def _count_restart(restarts: dict[int, int], exc: BaseException, policy: Policy) -> None:
    """Count one more restart of the dead shard, or give up past the policy's limit."""
    made = restarts.get(exc.shard, 0)
    if made >= policy.limit:
        raise _give_up(exc, made) from exc
    restarts[exc.shard] = made + 1
