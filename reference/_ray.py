"""Joining or starting Ray (LIFE-3)."""

from __future__ import annotations

import logging
import os
import threading

import ray

_lock = threading.Lock()


def ensure_ray() -> None:
    """Use the Ray that is running (or the cluster at ``RAY_ADDRESS``); else
    start a private local one: dashboard off, quiet logs."""
    if ray.is_initialized():
        return
    with _lock:
        if ray.is_initialized():
            return
        if os.environ.get("RAY_ADDRESS"):
            ray.init(logging_level=logging.ERROR)
        else:
            # Ray 2.60 has no loopback-only setting: it resolves 127.0.0.1 to
            # the external address and binds gRPC on all interfaces (LIFE-6).
            ray.init(include_dashboard=False, logging_level=logging.ERROR)
