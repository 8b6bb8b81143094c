"""Errors the reference raises itself (as opposed to user errors, which reach
the consumer with their own type, ERR-1)."""

from __future__ import annotations

import ray
from ray.exceptions import RayTaskError


class ShardWorkerDied(RuntimeError):
    """Shard workers died or became unreachable mid-run (ERR-6)."""

    def __init__(self, shard: int | list[int], cause: BaseException):
        shards = [shard] if isinstance(shard, int) else list(shard)
        named = ", ".join(f"shard {s}" for s in shards)
        super().__init__(
            f"{named}: worker died or became unreachable "
            f"({type(cause).__name__}); the run cannot continue"
        )
        self.shard = shards[0]
        self.shards = shards


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
    return isinstance(exc, RayTaskError)


def get_naming_shard(refs: list, shards: list[int]) -> list:
    """``ray.get(refs)``; a dead worker is reported as :class:`ShardWorkerDied`
    naming its shard (``shards[i]`` is the shard index behind ``refs[i]``)."""
    try:
        return ray.get(refs)
    except RayTaskError:
        raise
    except ray.exceptions.RayError:
        for ref, shard in zip(refs, shards, strict=True):
            try:
                ray.get(ref)
            except RayTaskError:
                continue
            except ray.exceptions.RayError as inner:
                raise ShardWorkerDied(shard, inner) from inner
        raise
