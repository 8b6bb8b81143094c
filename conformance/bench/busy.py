"""Busy neighbours: processes that keep a core busy for as long as a run lasts
(``--bench-busy=N`` of the pytest runs, ``compare --busy N``), the "beside a
busy process" condition of benchmarks/README.md."""

from __future__ import annotations

import multiprocessing


def spin_forever() -> None:
    """A busy process's life: pure-Python arithmetic until it is terminated."""
    x = 0
    while True:
        x = (x * 1_103_515_245 + 12_345) % 2_147_483_648


def start_busy(n: int) -> list:
    """Start ``n`` processes running :func:`spin_forever` (spawn context)."""
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=spin_forever, name=f"bench-busy-{i}", daemon=True)
             for i in range(n)]
    for proc in procs:
        proc.start()
    return procs


def stop_busy(procs: list) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.join(timeout=10)
