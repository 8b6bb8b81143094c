"""A deliberately slowed reference backend, used ONLY to check that the
regression gate (``python -m conformance.bench compare reference
benchmarks.slowed_reference``) finds a slowdown.

It is the reference backend with a slowdown of a known size on one side:

* ``SLOWED_REFERENCE_PCT=P`` (e.g. 10) with ``SLOWED_REFERENCE_SIDE``:

  * ``consumer`` (the default): the consumer's per-item path spins so that
    the consumer's thread does P % more CPU work from the iterator's first
    item on (:class:`benchmarks.cpu_spin.CpuSpin`, one per iterator): on the
    plain path every ``LocalIterator._next``; on the fast path
    (``reference/fast_local.py``, whose items cost less than a wrapper's own
    call) once per answer of the gather, before its items are handed out;
  * ``worker``: every pipeline gets one more operator, last, that does the
    same in the shard worker: the thread that runs the shard's per-item path,
    where the user's functions run, does P % more CPU work, spun once per
    answer of the worker (:class:`benchmarks.answer_spin.SpinEveryAnswer`,
    pickled by value into the workers; the items pass through no extra
    generator). The extra operator keeps ``gather_sync`` off the compiled
    graph, as any operator outside the graph's list does; ``compare`` keeps
    both sides off it by default.

  Either is P % more CPU time on that path; how much slower a benchmark gets
  depends on how much of its time the path is (``python -m
  benchmarks.slowed_reference`` measures it).
* Without ``SLOWED_REFERENCE_PCT``: a ``time.sleep`` of
  ``SLOWED_REFERENCE_DELAY_US`` microseconds (default 20) in every
  ``LocalIterator.__next__``. Linux sleeps longer than asked for so short a
  sleep (timer slack, about 50 µs more).

``python -m benchmarks.slowed_reference [--side S] [--pct P] [--rounds N]``
(from the repository root) measures the slowdown this really causes: every
timed benchmark of the ``compare`` size, with the patch on and off in
alternating rounds of one process, the compiled graph off (as ``compare``
runs both sides by default), on wall time and on CPU time (this process and
its Ray workers, as ``compare`` reads it). With a large ``--pct`` (100) the
slowdown measures the share of a benchmark's time, and of its CPU time, spent
on the slowed path.

It poses as the reference in results (``bench_label``) so its benchmarks carry
the reference's names and are compared with the reference's. Importing it
patches ``reference`` for the whole process: never import it anywhere else.
See benchmarks/README.md.
"""

from __future__ import annotations

import os
import sys
import time
import weakref

import ray.cloudpickle

import reference
from benchmarks import answer_spin, cpu_spin
from reference import *  # noqa: F403  (the backend's public names)
from reference import conformance_async_batch_limit, conformance_capabilities, fast_local  # noqa: F401
from reference.local import LocalIterator
from reference.plan import ParallelIterator, ShardPlan

bench_label = "reference"

SIDES = ("consumer", "worker")
_DELAY_S = float(os.environ.get("SLOWED_REFERENCE_DELAY_US", "20")) / 1e6
# LocalIterator.__next__ is a property that resolves to the iterator's current
# way of advancing: its _next method (the plain path), or the items generator of
# reference/fast_local.py. The consumer-side stand-in wraps each: a wrapper
# around every next() of the fast path would cost several times its item.
_next_attribute = LocalIterator.__dict__["__next__"]
_plain_next = LocalIterator._next
_fast_items = fast_local.items


def _next(self):
    return _next_attribute.__get__(self, LocalIterator)()

_init = ParallelIterator.__init__
# the worker-side operator travels by value: a shard worker cannot import this repository
ray.cloudpickle.register_pickle_by_value(cpu_spin)
ray.cloudpickle.register_pickle_by_value(answer_spin)


def _sleep_next(self):
    time.sleep(_DELAY_S)
    return _next(self)


def _spinning_next(fraction: float):
    # one spin per iterator, from its first item on: the CPU the consumer's
    # thread used before (building the pipeline, the harness's own work between
    # runs) is not the per-item path
    spins: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _next(self):
        spin = spins.get(self)
        if spin is None:
            spins[self] = cpu_spin.CpuSpin(fraction)
        else:
            spin()
        return _plain_next(self)

    return _next


def _spinning_items(fraction: float):
    def items(answers, shared):
        def spun():
            spin = cpu_spin.CpuSpin(fraction)  # from the first answer on
            try:
                for answer in answers:
                    spin()  # the CPU since the last answer: its items, and this fetch
                    yield answer
            finally:
                answers.close()  # the gather's run is released as without the stand-in

        return _fast_items(spun(), shared)

    return items


def _spinning_init(fraction: float):
    def __init__(self, shards, name):
        shards = [ShardPlan(s.source, tuple(op for op in s.operators
                                            if not isinstance(op, answer_spin.SpinEveryAnswer))
                            + (answer_spin.SpinEveryAnswer(fraction),)) for s in shards]
        _init(self, shards, name)

    return __init__


def install(pct: float | None = None, side: str | None = None) -> None:
    """Patch the reference: spin ``pct`` % (default ``SLOWED_REFERENCE_PCT``) on
    ``side`` (default ``SLOWED_REFERENCE_SIDE``), or with no percentage, sleep
    ``SLOWED_REFERENCE_DELAY_US`` per item in the consumer."""
    uninstall()
    pct = float(os.environ.get("SLOWED_REFERENCE_PCT") or 0) if pct is None else pct
    side = os.environ.get("SLOWED_REFERENCE_SIDE", "consumer") if side is None else side
    if side not in SIDES:
        raise ValueError(f"SLOWED_REFERENCE_SIDE must be one of {', '.join(SIDES)}, got {side!r}")
    if pct < 0:
        raise ValueError(f"SLOWED_REFERENCE_PCT must not be negative, got {pct!r}")
    if not pct:
        LocalIterator.__next__ = _sleep_next
    elif side == "consumer":
        LocalIterator._next = _spinning_next(pct / 100)
        fast_local.items = _spinning_items(pct / 100)
    else:
        ParallelIterator.__init__ = _spinning_init(pct / 100)


def uninstall() -> None:
    LocalIterator.__next__ = _next_attribute
    LocalIterator._next = _plain_next
    fast_local.items = _fast_items
    ParallelIterator.__init__ = _init


install()
__all__ = reference.__all__


def _measure(argv: list[str]) -> None:
    """Alternate rounds of every timed benchmark with and without the patch, in
    one process; print each benchmark's median slowdown and the share of its
    time the slowed path takes (the slowdown over the percentage), on wall
    time and on CPU time."""
    import argparse
    import logging
    import statistics

    import ray

    from conformance.bench import workloads as W
    from conformance.bench.compare import runs_per_round
    from conformance.bench.cpu_clock import CpuClock
    from conformance.bench.side import backend_cases

    parser = argparse.ArgumentParser(prog="python -m benchmarks.slowed_reference")
    parser.add_argument("--side", choices=SIDES, default="consumer")
    parser.add_argument("--pct", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("-k", dest="only", action="append", default=[], metavar="SUBSTRING")
    args = parser.parse_args(argv)
    if args.pct <= 0 or args.rounds < 1:
        parser.error("--pct must be positive and --rounds at least 1")
    # as compare runs both sides by default: the plain gather_sync rounds (the
    # worker-side operator would keep the patched runs off the compiled graph)
    reference.compiled_rounds.ENABLED = False
    ray.init(include_dashboard=False, logging_level=logging.ERROR, _node_ip_address="127.0.0.1")
    sizes = W.SIZES["compare"]
    # the reference's own benchmarks: this module patches the reference's classes
    cases = backend_cases("reference", sizes)
    print(f"--side {args.side} --pct {args.pct:g}: time per unit with the patch / without, "
          f"{args.rounds} alternating rounds per benchmark ({W.backend_label('reference')}, size compare)")
    print("| benchmark | median slowdown | rounds | share of the time on the slowed path "
          "| median CPU slowdown | CPU rounds | share of the CPU on the slowed path |")
    print("|---|---:|---|---:|---:|---|---:|")
    clock = CpuClock()

    def share(median: float) -> float:
        """The slowed path's share: the slowdown over the percentage."""
        return (median - 1) / (args.pct / 100)

    for name, (workload, case) in cases.items():
        if args.only and not any(s in name for s in args.only):
            continue
        job = W.WORKLOADS[workload].job(case, sizes)
        uninstall()
        _, warm, _ = W.run_once(job)
        repeat = runs_per_round(warm)
        ratios, cpu_ratios = [], []
        for r in range(args.rounds):
            per_unit, cpu_per_unit = {}, {}
            for on in ((False, True) if r % 2 == 0 else (True, False)):
                install(args.pct, args.side) if on else uninstall()
                units, seconds = 0, 0.0
                before = clock.read()
                for _ in range(repeat):
                    done, took, _ = W.run_once(job)
                    units, seconds = units + done, seconds + took
                cpu = clock.used(before, clock.read(since=before))
                per_unit[on] = seconds / max(1, units)
                cpu_per_unit[on] = cpu / max(1, units)
            ratios.append(per_unit[True] / per_unit[False])
            cpu_ratios.append(cpu_per_unit[True] / cpu_per_unit[False])
        uninstall()
        median, cpu_median = statistics.median(ratios), statistics.median(cpu_ratios)
        print(f"| {name} | {median:.3f} | {', '.join(f'{x:.2f}' for x in ratios)} | "
              f"{share(median):.2f} | {cpu_median:.3f} | "
              f"{', '.join(f'{x:.2f}' for x in cpu_ratios)} | {share(cpu_median):.2f} |", flush=True)
    ray.shutdown()


if __name__ == "__main__":
    _measure(sys.argv[1:])
