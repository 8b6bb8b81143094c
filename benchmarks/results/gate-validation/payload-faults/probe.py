"""Does payload[gather_async]'s CPU cost per item follow page faults?

``python benchmarks/results/gate-validation/payload-faults/probe.py [PROCESSES]
[ROUNDS] [--together]`` starts PROCESSES benchmark processes (default 6), each
with its own local Ray as ``compare`` starts them, one after the other or all
at once (``--together``: as the gate runs its six), and runs the reference's
``payload[gather_async]`` at the ``compare`` size in each: a warm-up round,
then ROUNDS timed rounds (default 12). Per round it prints the CPU time per
item, a 1 MiB array (``CpuClock``: the process and its Ray workers, as
``compare`` reads it), and the minor page faults per item of the same
processes (``/proc/PID/stat``).
Every process ends with its medians, so a process that stays slow can be set
beside its faults.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys


def _faults(pids) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[7])  # minflt: field 10 of proc(5), the 8th after the name
        except (OSError, ValueError, IndexError):
            continue
    return total


def one_process(rounds: int) -> None:
    import ray

    from conformance.bench import workloads as W
    from conformance.bench.cpu_clock import CpuClock
    from conformance.bench.side import OBJECT_STORE_BYTES, backend_cases

    ray.init(include_dashboard=False, logging_level=logging.ERROR, _node_ip_address="127.0.0.1",
             object_store_memory=OBJECT_STORE_BYTES)
    sizes = W.SIZES["compare"]
    workload, case = backend_cases("reference", sizes)["payload[gather_async]"]
    job = W.WORKLOADS[workload].job(case, sizes)
    clock = CpuClock()
    W.run_once(job, clock)  # warm-up: starts the workers
    rows = []
    for _ in range(rounds):
        before = clock.read()
        pids = [os.getpid(), *[p for p in before if p]]
        faults = _faults(pids)
        done, seconds, info = W.run_once(job, clock)
        faults = _faults(pids) - faults
        rows.append({"wall": seconds / done, "cpu": info["cpu_seconds"] / done, "faults": faults / done})
    print(json.dumps({"pid": os.getpid(), "rounds": rows}), flush=True)
    ray.shutdown()


def main(argv: list[str]) -> None:
    together = "--together" in argv
    args = [a for a in argv if a != "--together"]
    processes = int(args[0]) if args else 6
    rounds = int(args[1]) if len(args) > 1 else 12
    cmd = [sys.executable, __file__, "--one", str(rounds)]
    env = {**os.environ, "RAY_ADDRESS": "local"}
    if together:
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env) for _ in range(processes)]
        outputs = [p.communicate()[0] for p in procs]
    else:
        outputs = [subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env).stdout
                   for _ in range(processes)]
    print(f"payload[gather_async], size compare, {processes} processes "
          f"({'all at once' if together else 'one after the other'}), {rounds} rounds each")
    print("| process | median CPU ms per item | median minor faults per item | "
          "CPU ms per item, every round | faults per item, every round |")
    print("|---|---:|---:|---|---|")
    for i, out in enumerate(outputs):
        line = [x for x in out.splitlines() if x.startswith("{")]
        if not line:
            print(f"| {i} | failed | | | |")
            continue
        rows = json.loads(line[-1])["rounds"]
        cpu = [1e3 * r["cpu"] for r in rows]
        faults = [r["faults"] for r in rows]
        print(f"| {i} | {statistics.median(cpu):.2f} | {statistics.median(faults):.0f} | "
              f"{' '.join(f'{x:.2f}' for x in cpu)} | {' '.join(f'{x:.0f}' for x in faults)} |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        one_process(int(sys.argv[2]))
    else:
        main(sys.argv[1:])
