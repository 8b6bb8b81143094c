"""Errors the reference raises itself (as opposed to user errors, which reach
the consumer with their own type, ERR-1)."""

from __future__ import annotations

import ray
from ray.exceptions import RayTaskError


class ShardWorkerDied(RuntimeError):
    """Shard workers died or became unreachable mid-run, and the run cannot
    recover them (ERR-6): their source cannot be replayed (REC-6), or they
    were restarted as often as a run allows (``restarts``, REC-5)."""

    def __init__(
        self,
        shard: int | list[int],
        cause: BaseException,
        restarts: int | None = None,
        replayable: bool = True,
    ):
        shards = [shard] if isinstance(shard, int) else list(shard)
        named = ", ".join(f"shard {s}" for s in shards)
        if not replayable:
            why = "its source cannot be replayed (from_actors or a one-shot iterator), so "
        elif restarts is not None:
            plural = "" if restarts == 1 else "s"
            why = f"after {restarts} restart{plural} in this run, the most allowed, "
        else:
            why = ""
        super().__init__(
            f"{named}: worker died or became unreachable "
            f"({type(cause).__name__}); {why}the run cannot continue"
        )
        self.shard = shards[0]
        self.shards = shards
        self.restarts = restarts


class ParentWorkerDied(RuntimeError):
    """Raised inside a partition's worker when a worker of the repartitioned
    shards it reads from is lost: the partition's work is lost with it, and
    the consumer's side recovers the partitions (REC-2) or reports it (ERR-6)."""


class ShardBusy(RuntimeError):
    """A ``from_actors`` shard is already being read by another run (LIFE-5)."""

    def __init__(self, shard: int):
        super().__init__(
            f"shard {shard} is already being read by another consumer; "
            "a shard has one reader at a time"
        )
        self.shard = shard


def is_user_error(exc: BaseException) -> bool:
    """True for an exception raised by user code inside a shard worker."""
    return isinstance(exc, RayTaskError) and not isinstance(exc, ParentWorkerDied)


def is_lost_work(exc: BaseException) -> bool:
    """True when ``exc``, raised by ``ray.get`` of a shard's answer, means the
    shard's worker (or one it reads from) is gone, not a user error."""
    if isinstance(exc, RayTaskError):
        return isinstance(exc, ParentWorkerDied)
    return isinstance(exc, ray.exceptions.RayError)
