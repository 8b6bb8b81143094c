"""A deliberately slowed reference backend, used ONLY to check that the
regression gate (``nox -s bench -- --compare``) fails on a slowdown.

It is the reference backend with a sleep of ``SLOWED_REFERENCE_DELAY_US``
microseconds (default 20) added to every ``LocalIterator.__next__`` in this
process, and it poses as the reference in results (``bench_label``) so its
benchmarks carry the reference's names and are compared with the reference's
baseline. Importing it patches ``reference.local.LocalIterator`` for the whole
process: never import it anywhere else. See benchmarks/README.md.
"""

from __future__ import annotations

import os
import time

import reference
from reference import *  # noqa: F403  (the backend's public names)
from reference import conformance_async_batch_limit, conformance_capabilities  # noqa: F401
from reference.local import LocalIterator

bench_label = "reference"

_DELAY_S = float(os.environ.get("SLOWED_REFERENCE_DELAY_US", "20")) / 1e6
_next = LocalIterator.__next__


def _slow_next(self):
    time.sleep(_DELAY_S)
    return _next(self)


LocalIterator.__next__ = _slow_next
__all__ = reference.__all__
