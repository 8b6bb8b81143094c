"""Joining or starting Ray (LIFE-3)."""

from __future__ import annotations

import logging
import threading

import ray

_lock = threading.Lock()


def ensure_ray() -> None:
    """Use the Ray that is initialised; else let ``ray.init`` find one (the
    cluster at ``RAY_ADDRESS``, or a Ray already running on this machine);
    else start a private local one: dashboard off, quiet logs.
    ``RAY_ADDRESS=local`` always starts a private one."""
    if ray.is_initialized():
        return
    with _lock:
        if ray.is_initialized():
            return
        # include_dashboard only matters when Ray is started here; joining a
        # running Ray ignores it. Ray 2.60 has no loopback-only setting: it
        # resolves 127.0.0.1 to the external address and binds gRPC on all
        # interfaces (LIFE-6).
        ray.init(include_dashboard=False, logging_level=logging.ERROR)
