"""The benchmarks: one test per workload, parametrised by
:class:`~conformance.bench.workloads.Case`: contender (each ``--backend`` in
each gather variant, then the peers), shard count and, in a run-length sweep,
run length.

Not named ``test_*.py`` so that the conformance suite never collects it:
``python -m conformance.bench`` runs it with ``-o python_files=cases.py`` and
the plugin :mod:`conformance.bench.plugin`. Nothing here asserts a speed:
figures are reported, as ratios, by :mod:`conformance.bench.report`.

Each round is bracketed by measurements of the workload's yardstick
(:mod:`conformance.bench.yardstick`, chosen in :data:`conformance.bench.gate.RULES`):
``extra_info["ratio"]`` is the median over the rounds of the round's seconds
per unit over the yardstick's, which the regression gate compares
(:mod:`conformance.bench.gate`).
"""

from __future__ import annotations

import time

import pytest

from conformance.bench import gate as G
from conformance.bench import workloads as W
from conformance.bench import yardstick as Y

pytestmark = pytest.mark.usefixtures("ray_session")


def _bench(benchmark, name: str, case, sizes):
    contender, shards = case.contender, case.shards
    workload = W.WORKLOADS[name]
    missing = contender.missing()
    if missing:
        pytest.skip(missing)
    job = workload.job(case, sizes)
    counts: list[int] = []
    extremes: list[int] = []
    times: list[float] = []
    yardstick = G.yardstick_for(name, contender.variant, shards)
    names = Y.NAMES if Y.MEASURE_ALL else (yardstick,)
    Y.warm(names, shards)
    yard: list[dict] = []

    def setup():
        yard.append({y: Y.measure(y, shards) for y in names})
        return (job.prepare(),), {}

    def target(state):
        start = time.perf_counter()
        counts.append(job.run(state))
        times.append(time.perf_counter() - start)
        if "result" in job.info and "max_ahead" in job.info["result"]:
            extremes.append(job.info["result"]["max_ahead"])

    multi = len(workload.shard_counts(sizes)) > 1
    benchmark.group = name + (f" ({shards} shards)" if multi else "") + (
        f" ({case.items} items)" if case.items else "")
    first = name == "first_item"
    warmup = 1 if first else getattr(sizes, "warmup_rounds", 0)
    benchmark.pedantic(
        target,
        setup=setup,
        teardown=job.cleanup,
        rounds=sizes.first_rounds if first else sizes.rounds,
        warmup_rounds=warmup,
        iterations=1,
    )
    info = {k: v for k, v in job.info.items() if k != "result"}
    info.update(
        workload=name,
        contender=contender.id,
        kind=contender.kind,
        label=contender.label,
        variant=contender.variant,
        shards=shards,
        unit=workload.unit,
        scale=job.scale,
        count=counts[-1],
        size=sizes.name,
    )
    if case.items:
        info["items"] = case.items
    if extremes:
        info["max_ahead"] = max(extremes)
    yard.append({y: Y.measure(y, shards) for y in names})
    info.update(_ratios(yardstick, names, yard, times, counts, warmup))
    benchmark.extra_info.update(info)


def _ratios(yardstick: str, names, yard: list[dict], times: list[float], counts: list[int],
            warmup: int) -> dict:
    """The rounds' ratios to ``yardstick``, warm-up rounds left out (``times`` and
    ``counts`` have one entry per round, warm-ups first; ``yard`` one more)."""
    times, counts, yard = times[warmup:], counts[warmup:], yard[warmup:]

    def ratios(n: str) -> list[float]:
        return Y.round_ratios(times, counts, [y[n] for y in yard])

    out = {"yardstick": yardstick, "ratio": Y.median(ratios(yardstick)), "ratios": ratios(yardstick),
           "yardstick_s": Y.median([y[yardstick] for y in yard])}
    if len(names) > 1:
        out["ratio_by_yardstick"] = {n: Y.median(ratios(n)) for n in names}
        out["raw"] = {"times": times, "counts": counts, "yard": yard}
    return out


def test_cheap(benchmark, case, sizes):
    _bench(benchmark, "cheap", case, sizes)


def test_cpu(benchmark, case, sizes):
    _bench(benchmark, "cpu", case, sizes)


def test_payload(benchmark, case, sizes):
    _bench(benchmark, "payload", case, sizes)


def test_first_item(benchmark, case, sizes):
    _bench(benchmark, "first_item", case, sizes)


def test_readahead(benchmark, case, sizes):
    _bench(benchmark, "readahead", case, sizes)


def test_scaling(benchmark, case, sizes):
    _bench(benchmark, "scaling", case, sizes)


def test_run_length(benchmark, case, sizes):
    _bench(benchmark, "run_length", case, sizes)
