"""The benchmarks: one test per workload, parametrised by contender (each
``--backend`` in each gather variant, then the peers) and shard count.

Not named ``test_*.py`` so that the conformance suite never collects it:
``python -m conformance.bench`` runs it with ``-o python_files=cases.py`` and
the plugin :mod:`conformance.bench.plugin`. Nothing here asserts a speed:
figures are reported, as ratios, by :mod:`conformance.bench.report`.
"""

from __future__ import annotations

import pytest

from conformance.bench import workloads as W

pytestmark = pytest.mark.usefixtures("ray_session")


def _bench(benchmark, name: str, case, sizes):
    contender, shards = case
    workload = W.WORKLOADS[name]
    if contender.kind == "peer":
        missing = W.peer_missing(contender.label)
        if missing:
            pytest.skip(missing)
    job = workload.make(contender, sizes, shards)
    counts: list[int] = []
    extremes: list[int] = []

    def target(state):
        counts.append(job.run(state))
        if "result" in job.info and "max_ahead" in job.info["result"]:
            extremes.append(job.info["result"]["max_ahead"])

    multi = len(workload.shard_counts(sizes)) > 1
    benchmark.group = name + (f" ({shards} shards)" if multi else "")
    first = name == "first_item"
    benchmark.pedantic(
        target,
        setup=lambda: ((job.prepare(),), {}),
        teardown=job.cleanup,
        rounds=sizes.first_rounds if first else sizes.rounds,
        warmup_rounds=1 if first else 0,
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
    if extremes:
        info["max_ahead"] = max(extremes)
    benchmark.extra_info.update(info)


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
