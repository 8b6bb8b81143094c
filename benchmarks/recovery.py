"""Recovery benchmark (SPEC §14): what one shard worker's death costs a run.

    python benchmarks/recovery.py [--backend reference] [--shards 2 8] [--repeats 5]

For each shard count and gather (``gather_sync``, ``gather_async()``), the same
pipeline -- ``from_range(n, shards)`` through a cheap ``for_each`` -- runs
alternately without a death and with one: user code ends the process of
shard 1 half-way through that shard (``conformance.recovery_funcs.DieAt``,
which logs the time of the death). It reports, as medians over the repeats:

* **death → next item**: from the death to the next item of the dead shard
  that the consumer receives (the dead shard's stall);
* **run time, one death ÷ none**: the whole run with the death against the
  same run without it, measured side by side.

Before every run a warm-up pipeline over ``shards + 1`` shards fills the
backend's idle pool (the reference keeps at most 8 idle workers, so with 8
shards the replacement is a new process). The backend must declare the
``recovery`` capability. Figures are from one machine and one run: compare the
ratios, not the absolute times (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from conformance.backend import resolve
from conformance.recovery_funcs import Deaths, DieAt

GATHERS = ("gather_sync", "gather_async")


def _plan(api, shards: int, per_shard: int, directory: str, die: bool):
    n = shards * per_shard
    victim = per_shard + per_shard // 2  # half-way through shard 1
    times = 1 if die else 0
    return api.from_range(n, num_shards=shards).for_each(DieAt(victim, directory, os.getpid(), times))


def _warm(api, shards: int) -> None:
    list(api.from_range(4 * (shards + 1), num_shards=shards + 1).gather_async())


def _run(api, gather: str, shards: int, per_shard: int, die: bool) -> dict:
    """One run; returns its time and, with a death, the dead shard's stall."""
    _warm(api, shards)
    with tempfile.TemporaryDirectory() as directory:
        pi = _plan(api, shards, per_shard, directory, die)
        low, high = per_shard, 2 * per_shard  # shard 1's items
        it = getattr(pi, gather)()
        shard_1 = []  # (time received, item) for the dead shard's items
        count = 0
        start = time.perf_counter()
        for item in it:
            count += 1
            if low <= item < high:
                shard_1.append((time.time(), item))
        elapsed = time.perf_counter() - start
        assert count == shards * per_shard, f"{count} items instead of {shards * per_shard}"
        out = {"seconds": elapsed}
        deaths = Deaths(directory).times()
        if die:
            assert len(deaths) == 1, f"{len(deaths)} deaths"
            after = [t for t, _ in shard_1 if t >= deaths[0]]
            out["stall"] = after[0] - deaths[0]
    return out


def measure(api, shards: int, gather: str, per_shard: int, repeats: int) -> dict:
    runs = {"none": [], "one": []}
    _run(api, gather, shards, per_shard, False)  # warm-up
    for _ in range(repeats):
        runs["none"].append(_run(api, gather, shards, per_shard, False))
        runs["one"].append(_run(api, gather, shards, per_shard, True))
    none = statistics.median(r["seconds"] for r in runs["none"])
    one = statistics.median(r["seconds"] for r in runs["one"])
    return {
        "shards": shards,
        "gather": gather,
        "items": shards * per_shard,
        "repeats": repeats,
        "seconds_without_death": none,
        "seconds_with_one_death": one,
        "ratio": one / none,
        "stall_seconds": statistics.median(r["stall"] for r in runs["one"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", default="reference", help="module or module:object (default reference)")
    parser.add_argument("--shards", type=int, nargs="+", default=[2, 8])
    parser.add_argument("--per-shard", type=int, default=2000, help="items per shard (default 2000)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)

    import ray

    if not ray.is_initialized():
        ray.init(include_dashboard=False, logging_level=logging.ERROR)
    api, _ = resolve(args.backend)
    if "recovery" not in getattr(api, "conformance_capabilities", ()):
        parser.error(f"{args.backend} does not declare the recovery capability")
    results = []
    print(
        "| shards | gather | items | run, no death (s) | run, one death (s) "
        "| one death ÷ none | death → next item (s) |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for shards in args.shards:
        for gather in GATHERS:
            r = measure(api, shards, gather, args.per_shard, args.repeats)
            results.append(r)
            print(
                f"| {shards} | `{gather}` | {r['items']} | {r['seconds_without_death']:.3f} | "
                f"{r['seconds_with_one_death']:.3f} | {r['ratio']:.2f}× | {r['stall_seconds']:.3f} |",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
