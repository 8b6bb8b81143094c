"""A slowdown of a known size: make one thread do ``fraction`` more CPU work.

:class:`CpuSpin` is called once per item on a per-item path. It reads the
calling thread's CPU time (``time.thread_time``: time spent waiting, for a
request, a lock or the other side, does not count) and, whenever at least
:data:`MIN_SPAN_S` of it has been used since its last spin, spins until the
thread has used ``fraction`` of that span again. So the path costs
``1 + fraction`` times the CPU it did, whatever the item costs, and a pause
between items adds nothing.

Reading a thread's CPU clock is a system call (about 0.3 µs), as much as a
cheap item costs, so it is not read on every call: the number of calls
between reads doubles while a read finds less than :data:`MIN_SPAN_S` used
and halves when it finds more, up to :data:`MAX_STRIDE`. A call from another
thread than the last starts the count over (each thread has its own clock).

This module imports nothing from the kit, so that an instance can be pickled
by value into another process (a shard worker) where the kit's repository is
not importable.
"""

from __future__ import annotations

import threading
import time

MIN_SPAN_S = 0.0002
MAX_STRIDE = 256


class CpuSpin:
    """Call once per item; spins so that the calling thread uses ``1 +
    fraction`` times its own CPU time (module docstring)."""

    def __init__(self, fraction: float, clock=time.thread_time):
        if not fraction > 0:
            raise ValueError(f"fraction must be positive, got {fraction!r}")
        self.fraction = fraction
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        self._since = self._clock()
        self._thread = threading.get_ident()
        self._stride = 1
        self._calls = 0

    def __call__(self) -> None:
        self._calls += 1
        if self._calls < self._stride:
            return
        self._calls = 0
        if threading.get_ident() != self._thread:
            # called from another thread now (an actor may run its calls on a
            # pool of threads): its CPU clock is another clock; start over
            self.reset()
            return
        clock = self._clock
        now = clock()
        used = now - self._since
        if used < MIN_SPAN_S:
            self._stride = min(MAX_STRIDE, self._stride * 2)
            return
        self._stride = max(1, self._stride // 2)
        until = now + self.fraction * used
        while clock() < until:
            pass
        self._since = clock()

