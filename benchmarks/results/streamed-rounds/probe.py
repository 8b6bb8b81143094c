"""A candidate for issue #19's ``gather_sync`` rows: lock-step rounds read from
Ray streaming generators instead of one actor call per shard per item.

Each shard's worker runs one generator method for the whole run
(``num_returns="streaming"``) with Ray's generator backpressure at one
object: the worker may produce an item only once the consumer has taken the
reference to its previous one. The consumer takes shard ``s``'s reference
only when it delivers shard ``s``'s item of the round, so no shard is more
than one item ahead of what was delivered (LAZY-4), and each worker computes
its next item while the consumer delivers the round.

Three measurements, on bare actors (no pipeline, no recovery) in one process
and one Ray:

1. **Speed.** For every row, runs of the two ways alternate (ABBA) on the same
   actors: ``plain`` is ``ray.get([w.one.remote() for w in workers])`` per
   round, the reference's and ``ray.util.iter``'s plain round;
   ``streamed`` the generators. Per row: the median time per item of each,
   and streamed / plain with its 95 % interval (Hodges-Lehmann on the
   per-pair log-ratios, ``conformance.bench.stats.ratio_interval``; < 1:
   streamed is faster).
2. **The read-ahead bound.** One shard, 20 items; after every delivered item
   the consumer waits 20 ms and reads how many items the worker has produced
   (the worker writes its count to a file: the actor itself is busy in the
   generator). LAZY-4 allows at most delivered + 1.
3. **Abandoning.** A run that stops reading must stop its workers (LAZY-7)
   and give them back for the next run: ``ray.cancel`` on the generator, then
   the time until the worker answers a plain call. (Dropping the generator
   without ``ray.cancel`` left the worker unanswering for 20 s and more.)

From the checkout's root, with ``RAY_ADDRESS=local``::

    python benchmarks/results/streamed-rounds/probe.py 12
    python benchmarks/results/streamed-rounds/probe.py 12 --busy 1

``12``: runs of each way per row; ``--busy N``: N spinning processes
(``conformance.bench.busy``) for the whole probe.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import tempfile
import time

import ray

from conformance.bench import busy, stats
from conformance.bench import workloads as W

CPU_MS = 3.0  # the CPU-bound benchmark's work per item


def rows() -> list[tuple[str, int, int, int]]:
    """(label, shards, items, burn loops per item)."""
    loops = int(W.loops_per_ms() * CPU_MS)
    return [
        ("cheap, 1 shard", 1, 300, 0),
        ("cheap, 2 shards", 2, 300, 0),
        ("cheap, 4 shards", 4, 300, 0),
        ("cheap, 8 shards", 8, 400, 0),
        ("CPU-bound, 1 shard", 1, 60, loops),
        ("CPU-bound, 2 shards", 2, 60, loops),
        ("CPU-bound, 4 shards", 4, 60, loops),
    ]


@ray.remote(num_cpus=0)
class Worker:
    def start(self, items: int, loops: int) -> None:
        self.it, self.loops = iter(range(items)), loops

    def one(self):
        """The plain round's call: the next item, or None at the end."""
        x = next(self.it, None)
        return x if x is None or not self.loops else W.burn(x, loops=self.loops)

    def stream(self, items: int, loops: int, count_file: str | None = None):
        produced = 0
        for x in itertools.count() if items < 0 else range(items):
            item = W.burn(x, loops=loops) if loops else x
            produced += 1
            if count_file:
                with open(count_file, "w") as f:
                    f.write(str(produced))
            yield item

    def ping(self) -> int:
        return 1


def streaming(worker, items: int, loops: int, count_file: str | None = None):
    return worker.stream.options(
        num_returns="streaming", _generator_backpressure_num_objects=1
    ).remote(items, loops, count_file)


def plain_run(workers, items: int, loops: int) -> int:
    ray.get([w.start.remote(items, loops) for w in workers])
    got = 0
    while True:
        answers = ray.get([w.one.remote() for w in workers])
        if answers[0] is None:
            return got
        got += len(answers)


def streamed_run(workers, items: int, loops: int) -> int:
    gens = [streaming(w, items, loops) for w in workers]
    got = 0
    while True:
        for g in gens:  # shard s's reference is taken as its item is delivered
            ref = next(g, None)
            if ref is None:
                return got
            ray.get(ref)
            got += 1


def per_item(run, workers, items: int, loops: int) -> float:
    start = time.perf_counter()
    got = run(workers, items, loops)
    return (time.perf_counter() - start) / got


def speed(workers, reps: int) -> list[str]:
    lines = ["| row | plain, µs per item | streamed, µs per item | streamed / plain [95 %] | pairs |",
             "|---|---:|---:|---|---:|"]
    for label, shards, items, loops in rows():
        ws = workers[:shards]
        plain, streamed = [], []
        per_item(plain_run, ws, 8, loops)  # warm both paths on these actors
        per_item(streamed_run, ws, 8, loops)
        for rep in range(reps):
            order = [(plain_run, plain), (streamed_run, streamed)]
            for run, out in order if rep % 2 == 0 else order[::-1]:
                out.append(per_item(run, ws, items, loops))
        r = stats.ratio_interval(stats.paired_ratios(plain, streamed))
        lo = "–" if r.lo is None else f"{r.lo:.3f}"
        hi = "–" if r.hi is None else f"{r.hi:.3f}"
        lines.append(f"| {label} | {statistics.median(plain) * 1e6:.0f} | "
                     f"{statistics.median(streamed) * 1e6:.0f} | {r.estimate:.3f} [{lo}, {hi}] | {r.pairs} |")
    return lines


def read_ahead(worker) -> str:
    fd, path = tempfile.mkstemp(prefix="streamed-count-")
    os.close(fd)
    try:
        g = streaming(worker, 20, 0, path)
        worst = None
        for delivered in range(1, 21):
            ray.get(next(g))
            time.sleep(0.02)
            with open(path) as f:
                ahead = int(f.read() or 0) - delivered
            worst = ahead if worst is None else max(worst, ahead)
        next(g, None)
    finally:
        os.unlink(path)
    return f"most items produced beyond those delivered, 20 items: {worst} (LAZY-4 allows 1)"


def abandoning(worker, trials: int = 8) -> str:
    waits = []
    for _ in range(trials):
        g = streaming(worker, -1, 0)
        for _ in range(3):
            ray.get(next(g))
        start = time.perf_counter()
        ray.cancel(g)
        ray.get(worker.ping.remote())
        waits.append(time.perf_counter() - start)
    return ("after abandoning an endless stream: ray.cancel, then a plain call answered in "
            + ", ".join(f"{w * 1e3:.0f}" for w in waits) + " ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reps", type=int, help="runs of each way per row")
    parser.add_argument("--busy", type=int, default=0, help="spinning processes beside the probe")
    args = parser.parse_args()
    if args.reps < 2:
        parser.error("reps must be at least 2")
    if args.busy < 0:
        parser.error("--busy must be >= 0")
    spinners = busy.start_busy(args.busy)
    try:
        ray.init(include_dashboard=False, log_to_driver=False)
        workers = [Worker.remote() for _ in range(max(r[1] for r in rows()))]
        ray.get([w.ping.remote() for w in workers])
        print(f"# Streamed rounds against plain rounds ({args.reps} runs each per row, "
              f"{args.busy} spinning processes beside)\n")
        print("\n".join(speed(workers, args.reps)))
        print()
        print("- " + read_ahead(workers[0]))
        print("- " + abandoning(workers[0]))
        print(f"- load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        busy.stop_busy(spinners)


if __name__ == "__main__":
    main()
