"""Shared fixtures: one real local Ray for the whole test session."""

from __future__ import annotations

import logging
import os
import pathlib

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent

# Ray workers inherit the driver's environment when Ray starts: make this
# directory importable there too, so functions defined in test modules unpickle.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(HERE), str(ROOT), os.environ.get("PYTHONPATH", "")) if p
)


@pytest.fixture(scope="session")
def ray_session():
    import ray

    started = False
    if not ray.is_initialized():
        ray.init(include_dashboard=False, logging_level=logging.ERROR)
        started = True
    yield ray
    if started:
        ray.shutdown()
