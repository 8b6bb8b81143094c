"""Every benchmark workload runs, at tiny sizes, for the reference backend in
each of its variants and for the peers (conformance/bench/workloads.py), and the
report renders. Nothing here measures or asserts a speed."""

from __future__ import annotations

import pytest

from conformance.bench import report
from conformance.bench import workloads as W

pytestmark = pytest.mark.usefixtures("ray_session")

TINY = W.SIZES["tiny"]
BACKENDS = [("reference", "reference")]


def _cases(name: str, peers: tuple = ("serial",)):
    workload = W.WORKLOADS[name]
    for contender, shards in W.cases(workload, BACKENDS, TINY):
        if contender.kind == "peer" and contender.label not in peers:
            continue
        yield pytest.param(name, contender, shards, id=f"{name}-{contender.id}-{shards}")


CASES = [
    *_cases("cheap", peers=("serial", "mp_pool", "ray_data")),
    *_cases("cpu"),
    *_cases("payload"),
    *_cases("first_item"),
    *_cases("readahead", peers=("serial", "mp_pool")),
    *_cases("scaling"),
]


@pytest.mark.parametrize("name, contender, shards", CASES)
def test_workload_runs(name, contender, shards):
    if contender.kind == "peer" and W.peer_missing(contender.label):
        pytest.skip(W.peer_missing(contender.label))
    job = W.WORKLOADS[name].make(contender, TINY, shards)
    done, seconds, result = W.run_once(job)
    assert done >= 1 and seconds >= 0
    if name == "readahead":
        assert result["max_ahead"] >= 0


def test_report_renders(tmp_path):
    def bench(workload, label, variant, kind, median, **extra):
        info = {"workload": workload, "contender": f"{label}:{variant}", "kind": kind,
                "label": label, "variant": variant, "shards": 2, "unit": W.WORKLOADS[workload].unit,
                "scale": 1, "count": 100, "size": "tiny", **extra}
        return {"extra_info": info, "stats": {"median": median, "rounds": 1}}

    data = {"benchmarks": [
        bench("cheap", "reference", "gather_sync", "backend", 0.01),
        bench("cheap", "ray.util.iter", "gather_sync", "backend", 0.05),
        bench("cheap", "ray.util.iter", "gather_async_tuned", "backend", 0.02),
        bench("cheap", "serial", "loop", "peer", 0.0001),
        bench("first_item", "reference", "gather_sync", "backend", 0.01),
        bench("first_item", "ray.util.iter", "gather_sync", "backend", 1.0),
        bench("readahead", "reference", "gather_sync", "backend", 1.0, max_ahead=2, bound=2,
              item_bytes=1024),
    ]}
    text = report.markdown(data, [{"test": "x::test_cheap[ray_data:rows]", "reason": "not here"}])
    assert "| reference:gather_sync | 10,000 | 5.00 |" in text
    assert "| reference:gather_sync | 0.01 | 100 |" in text  # 100x faster to first item
    assert "not here" in text
    report.chart(data, tmp_path / "chart.png")
    assert (tmp_path / "chart.png").stat().st_size > 0
