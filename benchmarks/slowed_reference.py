"""A deliberately slowed reference backend, used ONLY to check that the
regression gate (``python -m conformance.bench compare reference
benchmarks.slowed_reference``, and earlier ``--compare``) finds a slowdown.

It is the reference backend with a delay added to every
``LocalIterator.__next__`` in this process (the consumer), one of:

* ``SLOWED_REFERENCE_DELAY_US`` (default 20): ``time.sleep`` of that many
  microseconds per item. Linux sleeps longer than asked for so short a sleep
  (timer slack, about 50 µs more), so the real cost per item is larger than
  the figure, and the same for every workload.
* ``SLOWED_REFERENCE_PCT`` (set it to use this instead, e.g. 25): the consumer
  spins (busy-waits) for that percentage of its own time: whenever at least
  0.2 ms have passed since its last spin, it spins for PCT % of that time. A
  pipeline the consumer paces becomes that much slower; one paced by its
  workers slows less (they keep working while the consumer spins). The check
  itself costs a clock read per item, which shows where an item takes a
  microsecond or less (batched cheap items).

``python -m benchmarks.slowed_reference [--pct P] [--rounds N]`` (from the repository
root) measures the slowdown this really causes: the same pipeline, cheap
items through ``gather_async(batch_ms=50, num_async=1)`` and ``gather_sync``,
timed with the patch on and off in alternating rounds of one process.

It poses as the reference in results (``bench_label``) so its benchmarks carry
the reference's names and are compared with the reference's baseline.
Importing it patches ``reference.local.LocalIterator`` for the whole process:
never import it anywhere else. See benchmarks/README.md.
"""

from __future__ import annotations

import os
import sys
import time

import reference
from reference import *  # noqa: F403  (the backend's public names)
from reference import conformance_async_batch_limit, conformance_capabilities  # noqa: F401
from reference.local import LocalIterator

bench_label = "reference"

_DELAY_S = float(os.environ.get("SLOWED_REFERENCE_DELAY_US", "20")) / 1e6
_PCT = float(os.environ.get("SLOWED_REFERENCE_PCT", "0") or 0) / 100
_BLOCK_S = 0.0002  # spin at most this often
_GAP_S = 0.5  # a longer pause is not the consumer's work (between runs): start afresh
_next = LocalIterator.__next__
_clock = time.perf_counter
_since = [0.0]


def _sleep_next(self):
    time.sleep(_DELAY_S)
    return _next(self)


def _spin_next(self):
    item = _next(self)
    now = _clock()
    elapsed = now - _since[0]
    if elapsed >= _BLOCK_S:
        if elapsed < _GAP_S:
            until = now + _PCT * elapsed
            while _clock() < until:
                pass
        _since[0] = _clock()
    return item


def install(pct: float | None = None) -> None:
    """Patch the consumer: spin ``pct`` % (default ``SLOWED_REFERENCE_PCT``) or,
    with no percentage, sleep ``SLOWED_REFERENCE_DELAY_US`` per item."""
    global _PCT
    if pct is not None:
        _PCT = pct / 100
    _since[0] = 0.0
    LocalIterator.__next__ = _spin_next if _PCT > 0 else _sleep_next


def uninstall() -> None:
    LocalIterator.__next__ = _next


install()
__all__ = reference.__all__


def _measure(argv: list[str]) -> None:
    """Alternate rounds with and without the patch; print the median slowdown."""
    import argparse
    import logging
    import statistics

    import ray

    parser = argparse.ArgumentParser(prog="python -m benchmarks.slowed_reference")
    parser.add_argument("--pct", type=float, default=_PCT * 100 or 25)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    ray.init(include_dashboard=False, logging_level=logging.ERROR, _node_ip_address="127.0.0.1")
    cases = {"cheap gather_async_tuned (100,000 items)": (100_000, lambda p: p.gather_async(
        batch_ms=50, num_async=1)), "cheap gather_sync (6,000 items)": (6_000, lambda p: p.gather_sync())}
    print(f"SLOWED_REFERENCE_PCT={args.pct:g}: time with the patch / without, alternating rounds")
    for title, (n, gather) in cases.items():
        ratios = []
        for _ in range(args.rounds):
            times = []
            for on in (False, True):
                install(args.pct) if on else uninstall()
                it = gather(reference.from_range(n, 2).for_each(lambda x: x + 1))
                next(it)
                start = time.perf_counter()
                for _ in it:
                    pass
                times.append(time.perf_counter() - start)
            ratios.append(times[1] / times[0])
        uninstall()
        print(f"{title}: median {statistics.median(ratios):.3f} "
              f"(rounds: {', '.join(f'{r:.3f}' for r in ratios)})")


if __name__ == "__main__":
    _measure(sys.argv[1:])
