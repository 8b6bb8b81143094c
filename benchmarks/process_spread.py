"""How much identical processes differ in speed for as long as they live.

    python -m benchmarks.process_spread [--processes N] [--rounds R]

Starts N plain Python processes (no Ray) running the same fixed loop and
asks them for R rounds in turn, alternating the order (1..N, N..1, ...), so
that every process sees the same machine. Each round is timed on the thread's
CPU clock, so waiting does not count. Prints every process's median round
relative to the median over all processes, and the spread, max / min.

If the processes were alike, every relative median would be within the
rounds' own noise of 1. On this 2-core machine they are not: 1.03 to 1.09
between the slowest and the fastest of 8 on a quiet machine
(``benchmarks/README.md``, "Validating the gate"). That is why
``python -m conformance.bench compare`` runs several processes per side and
lets its interval range over them (``conformance.bench.stats``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys

_CHILD = r"""
import sys, time

def work():
    table = {}
    for i in range(60000):
        table[i % 977] = table.get(i % 977, 0) + i
        str(i)

for _ in sys.stdin:
    start = time.thread_time()
    work()
    print(time.thread_time() - start, flush=True)
"""


def measure(processes: int, rounds: int, hash_seed: str | None = None,
            no_aslr: bool = False) -> list[list[float]]:
    """Per process, its rounds' CPU seconds. ``hash_seed`` gives every process
    that ``PYTHONHASHSEED``; ``no_aslr`` starts each with address-space layout
    randomization off (``setarch -R``), so all lay out their memory alike."""
    env = dict(os.environ, **({"PYTHONHASHSEED": hash_seed} if hash_seed is not None else {}))
    cmd = [*(["setarch", platform.machine(), "-R"] if no_aslr else []), sys.executable, "-c", _CHILD]
    procs = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
             for _ in range(processes)]
    times: list[list[float]] = [[] for _ in procs]
    try:
        for r in range(rounds):
            order = range(processes) if r % 2 == 0 else reversed(range(processes))
            for i in order:
                procs[i].stdin.write("go\n")
                procs[i].stdin.flush()
                times[i].append(float(procs[i].stdout.readline()))
    finally:
        for p in procs:
            p.stdin.close()
            p.wait(timeout=30)
    return times


def relative_medians(times: list[list[float]]) -> list[float]:
    """Each process's median round over the median of those medians."""
    medians = [statistics.median(t) for t in times]
    overall = statistics.median(medians)
    return [m / overall for m in medians]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.process_spread",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--processes", type=int, default=8, metavar="N", help="processes (default 8)")
    p.add_argument("--rounds", type=int, default=40, metavar="R", help="rounds per process (default 40)")
    p.add_argument("--hash-seed", metavar="N", help="PYTHONHASHSEED of every process (default: random)")
    p.add_argument("--no-aslr", action="store_true",
                   help="start every process without address-space layout randomization (setarch -R)")
    args = p.parse_args(argv)
    if args.processes < 2:
        p.error("--processes must be at least 2")
    if args.rounds < 3:
        p.error("--rounds must be at least 3")
    rel = relative_medians(measure(args.processes, args.rounds, args.hash_seed, args.no_aslr))
    print("| process | median round / median of all |")
    print("|---:|---:|")
    for i, r in enumerate(rel):
        print(f"| {i} | {r:.3f} |")
    print(f"\nspread (slowest / fastest): {max(rel) / min(rel):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
