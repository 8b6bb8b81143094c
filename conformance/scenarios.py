"""Scenarios run in a child driver by :mod:`conformance.isolated`.

Each takes the backend API and returns JSON-serializable data; expectations are
checked by the calling test, not here.
"""

from __future__ import annotations

import itertools
from typing import Any


def repeat_with_empty_shard(api: Any) -> dict[str, Any]:
    """SRC-6: an empty repeating shard must end rather than spin."""
    pi = api.from_items([1], num_shards=2, repeat=True)
    return {"take": pi.take(4), "empty_shard": list(itertools.islice(pi.get_shard(1), 3))}


def ray_autostart(api: Any) -> dict[str, Any]:
    """LIFE-3 / LIFE-6: run a pipeline with Ray not initialised; report what started."""
    import ray

    before = ray.is_initialized()
    items = list(api.from_items([1, 2, 3], num_shards=2).gather_sync())
    after = ray.is_initialized()
    info: dict[str, Any] = {"before": before, "after": after, "items": items}
    if after:
        # Ray 2.60 has no public accessor; this is Ray's own (not the backend's) state.
        info["dashboard_url"] = ray._private.worker.get_dashboard_url() or ""
        info["node_addresses"] = [n.get("NodeManagerAddress") for n in ray.nodes() if n.get("Alive")]
    return info
