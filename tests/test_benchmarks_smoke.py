"""Every benchmark workload runs, at tiny sizes, for the reference backend in
each of its variants and for the peers (conformance/bench/workloads.py), and the
report renders. Nothing here measures or asserts a speed."""

from __future__ import annotations

import json

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


# -- the regression gate (conformance/bench/gate.py) on synthetic runs ---------------------


def _gate_run(ratios: dict[str, float], yardstick: str = "rtt_shards") -> dict:
    def bench(name, ratio):
        workload, variant = name.split(":")
        return {"name": f"test_{workload}[reference:{variant}]",
                "extra_info": {"workload": workload, "variant": variant, "label": "reference",
                               "yardstick": yardstick, "ratio": ratio},
                "stats": {"median": 1.0, "rounds": 5}}

    return {"benchmarks": [bench(name, ratio) for name, ratio in ratios.items()]}


def test_gate_passes_within_thresholds(tmp_path, capsys):
    from conformance.bench import gate

    thresholds = {"cheap": 0.2, "cpu": 0.3}
    base = _gate_run({"cheap:gather_sync": 2.0, "cpu:gather_async": 10.0})
    new = _gate_run({"cheap:gather_sync": 2.3, "cpu:gather_async": 8.0})  # +15 %, -20 %
    rows = gate.compare(base, new, thresholds)
    assert [r.verdict for r in rows] == ["ok", "ok"]
    assert gate.status(rows) == 0
    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "new.json").write_text(json.dumps(new))
    (tmp_path / "t.json").write_text(json.dumps(thresholds))
    assert gate.main([str(tmp_path / "base.json"), str(tmp_path / "new.json"),
                      f"--threshold-file={tmp_path / 't.json'}"]) == 0
    out = capsys.readouterr().out
    assert "| benchmark | yardstick | baseline ratio | new ratio | change | threshold | verdict |" in out
    assert "| test_cheap[reference:gather_sync] | rtt_shards | 2 | 2.3 | +15.0 % | 20 % | ok |" in out
    assert "gate: passed" in out


def test_gate_fails_on_a_regression(tmp_path, capsys):
    from conformance.bench import gate

    base = _gate_run({"cheap:gather_sync": 2.0, "cheap:gather_async": 1.0})
    new = _gate_run({"cheap:gather_sync": 2.1, "cheap:gather_async": 1.5})  # +5 %, +50 %
    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "new.json").write_text(json.dumps(new))
    (tmp_path / "t.json").write_text(json.dumps({"cheap": 0.2}))
    assert gate.main([str(tmp_path / "base.json"), str(tmp_path / "new.json"),
                      f"--threshold-file={tmp_path / 't.json'}"]) == 1
    out = capsys.readouterr().out
    row = "| test_cheap[reference:gather_async] | rtt_shards | 1 | 1.5 | +50.0 % | 20 % | **REGRESSED** |"
    assert row in out
    assert "gate: FAILED, 1 of 2" in out


def test_gate_does_not_compare_across_yardsticks_or_missing_baselines():
    from conformance.bench import gate

    base = _gate_run({"cheap:gather_sync": 2.0}, yardstick="serial")
    new = _gate_run({"cheap:gather_sync": 2.0, "cheap:gather_async": 1.0})
    rows = gate.compare(base, new, {"cheap": 0.2})
    assert [r.verdict for r in rows] == ["not comparable", "no baseline"]
    assert gate.status(rows) == 2  # nothing compared is not a pass


def test_every_workload_has_a_gate_rule_and_known_yardstick():
    from conformance.bench import gate
    from conformance.bench import yardstick as Y

    for name in W.WORKLOADS:
        assert gate.rule(name).yardstick in Y.NAMES
    for key, rule in gate.RULES.items():
        assert key.split(":")[0] in W.WORKLOADS and rule.yardstick in Y.NAMES


def test_round_ratios_bracket_each_round_with_the_yardstick():
    from conformance.bench import cases
    from conformance.bench import yardstick as Y

    # two rounds of 10 items in 1 s and 2 s; yardstick 0.01, 0.03, 0.01 s per unit
    assert Y.round_ratios([1.0, 2.0], [10, 10], [0.01, 0.03, 0.01]) == pytest.approx([5.0, 10.0])
    yard = [{"serial": 0.5}, {"serial": 0.01}, {"serial": 0.03}, {"serial": 0.01}]  # first: warm-up
    info = cases._ratios("serial", ("serial",), yard, [9.0, 1.0, 2.0], [10, 10, 10], warmup=1)
    assert info["yardstick"] == "serial" and info["ratio"] == pytest.approx(7.5)
    assert info["ratios"] == pytest.approx([5.0, 10.0])


@pytest.mark.parametrize("name", ["serial", "rtt", "rtt_shards", "burn_shards", "burn_all"])
def test_yardsticks_measure(name):
    from conformance.bench import yardstick as Y

    assert Y.measure(name, shards=2) > 0


def test_gate_judges_a_retried_benchmark_on_its_best_run(capsys, tmp_path):
    from conformance.bench import gate

    base = _gate_run({"cheap:gather_sync": 2.0, "cheap:gather_async": 1.0})
    first = _gate_run({"cheap:gather_sync": 2.8, "cheap:gather_async": 1.6})  # +40 %, +60 %
    retry = _gate_run({"cheap:gather_sync": 2.1, "cheap:gather_async": 1.5})  # +5 %, +50 %
    rows = gate.compare(base, [first, retry], {"cheap": 0.2})
    assert [r.verdict for r in rows] == ["ok", "REGRESSED"]
    assert gate.regressed(rows) == ["test_cheap[reference:gather_async]"]
    for name, run in (("base", base), ("first", first), ("retry", retry)):
        (tmp_path / f"{name}.json").write_text(json.dumps(run))
    (tmp_path / "t.json").write_text(json.dumps({"cheap": 0.2}))
    assert gate.main([str(tmp_path / n) for n in ("base.json", "first.json", "retry.json")]
                     + [f"--threshold-file={tmp_path / 't.json'}"]) == 1
    assert "| 2 | 2.1 | +5.0 % | 20 % | ok (runs: +40.0 %, +5.0 %) |" in capsys.readouterr().out
