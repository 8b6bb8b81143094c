"""Yardsticks: small fixed probes timed in the same run, interleaved with a
benchmark's rounds, so that a benchmark's figure can also be stated as a
ratio that a busy neighbour changes less than the absolute time.

Each yardstick returns its cost per unit in seconds, measured now:

``serial``
    ``map(inc, range(n))`` read by a loop in the consumer (what the
    ``serial:loop`` peer does): seconds per item. The consumer's own speed.
``rtt``
    ``ray.get(probe.ping.remote())`` on one trivial actor, one call at a time:
    seconds per round trip. Ray's per-call cost, two processes taking turns.
``rtt_shards``
    one ``ping`` to each of ``shards`` trivial actors, then ``ray.get`` of all
    of them, repeated: seconds per such round. The shape of a lock-step
    gather over ``shards`` workers.
``burn_shards``
    ``shards`` actors each spinning through the same pure-Python loop
    (:func:`conformance.bench.workloads.burn`) at once: seconds per loop
    iteration of one actor. The machine's parallel ceiling for ``shards``
    processes, measured now.
``burn_all``
    the same with the consumer spinning through the loop too, alongside the
    ``shards`` actors: every process of a pipeline busy at once.

The probes' actors (``num_cpus=0``, so they never take a CPU a backend's
workers need) are created on first use and kept for the session
(:func:`close`). :data:`SECONDS` is roughly how long one measurement lasts
on a quiet 2-core machine.
"""

from __future__ import annotations

import time

from conformance.bench import workloads as W

NAMES = ("serial", "rtt", "rtt_shards", "burn_shards", "burn_all")
#: measure every yardstick around every round, not only the workload's own
#: (``--bench-yardsticks=all``): how the yardsticks' stability was compared
MEASURE_ALL = False
SECONDS = 0.04  # per measurement, quiet (each is a fixed amount of work)

_SERIAL_ITEMS = 400_000
_RTT_CALLS = 200
_RTT_ROUNDS = 100
_BURN_MS = 20.0

_PROBES: list = []
_PROBE_CLASS = None


def _probe_class():
    global _PROBE_CLASS
    if _PROBE_CLASS is None:
        import ray

        @ray.remote(num_cpus=0)
        class YardstickProbe:
            def ping(self):
                return None

            def burn(self, loops: int):
                W.burn(None, loops)
                return None

        _PROBE_CLASS = YardstickProbe
    return _PROBE_CLASS


def _probes(n: int) -> list:
    """``n`` ready probe actors (the session's first ``n``)."""
    import ray

    while len(_PROBES) < n:
        _PROBES.append(_probe_class().remote())
        ray.get(_PROBES[-1].ping.remote())
    return _PROBES[:n]


def close() -> None:
    import ray

    for probe in _PROBES:
        try:
            ray.kill(probe)
        except Exception:  # the session is ending: a probe already gone is fine
            pass
    _PROBES.clear()


def _serial() -> float:
    start = time.perf_counter()
    for _ in map(W.inc, range(_SERIAL_ITEMS)):
        pass
    return (time.perf_counter() - start) / _SERIAL_ITEMS


def _rtt() -> float:
    import ray

    (probe,) = _probes(1)
    start = time.perf_counter()
    for _ in range(_RTT_CALLS):
        ray.get(probe.ping.remote())
    return (time.perf_counter() - start) / _RTT_CALLS


def _rtt_shards(shards: int) -> float:
    import ray

    probes = _probes(shards)
    start = time.perf_counter()
    for _ in range(_RTT_ROUNDS):
        ray.get([p.ping.remote() for p in probes])
    return (time.perf_counter() - start) / _RTT_ROUNDS


def _burn_shards(shards: int) -> float:
    import ray

    probes = _probes(shards)
    loops = max(1, int(W.loops_per_ms() * _BURN_MS))
    start = time.perf_counter()
    ray.get([p.burn.remote(loops) for p in probes])
    return (time.perf_counter() - start) / loops


def _burn_all(shards: int) -> float:
    import ray

    probes = _probes(shards)
    loops = max(1, int(W.loops_per_ms() * _BURN_MS))
    start = time.perf_counter()
    refs = [p.burn.remote(loops) for p in probes]
    W.burn(None, loops)
    ray.get(refs)
    return (time.perf_counter() - start) / loops


def measure(name: str, shards: int = 1) -> float:
    """One measurement of yardstick ``name``: seconds per unit."""
    if name == "serial":
        return _serial()
    if name == "rtt":
        return _rtt()
    if name == "rtt_shards":
        return _rtt_shards(max(1, shards))
    if name == "burn_shards":
        return _burn_shards(max(1, shards))
    if name == "burn_all":
        return _burn_all(max(1, shards))
    raise ValueError(f"unknown yardstick {name!r}; one of {', '.join(NAMES)}")


def warm(names, shards: int = 1) -> None:
    """Create the probes ``names`` need and run each once (untimed)."""
    for name in names:
        measure(name, shards)


def round_ratios(times: list[float], units: list[int], yard: list[float]) -> list[float]:
    """Per round ``i``, the contender's seconds per unit over the yardstick's
    seconds per unit, the yardstick taken as the mean of its measurements just
    before and just after the round (``yard`` has one more entry than
    ``times``)."""
    out = []
    for i, (seconds, count) in enumerate(zip(times, units, strict=True)):
        around = (yard[i] + yard[i + 1]) / 2
        if count > 0 and around > 0:
            out.append(seconds / count / around)
    return out


def median(values: list[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
