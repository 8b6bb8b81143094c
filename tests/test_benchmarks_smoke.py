"""Every benchmark workload runs, at tiny sizes, for the reference backend in
each of its variants and for the peers (conformance/bench/workloads.py); every
contender keeps to the contender interface; the test ids stay those saved
baselines are keyed by; ``--bench-busy`` starts and stops its processes; the
report renders. Nothing here measures or asserts a speed."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from conformance.bench import report
from conformance.bench import workloads as W

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.usefixtures("ray_session")

TINY = W.SIZES["tiny"]
BACKENDS = [("reference", "reference")]


@pytest.fixture(scope="module", autouse=True)
def _close_pools():
    yield
    W.close_mp_pools()


def _cases(name: str, peers: tuple = ("serial",)):
    workload = W.WORKLOADS[name]
    for case in W.cases(workload, BACKENDS, TINY):
        if case.contender.kind == "peer" and case.contender.label not in peers:
            continue
        yield pytest.param(name, case, id=f"{name}-{case.contender.id}-{case.shards}"
                           + (f"-{case.items}" if case.items else ""))


CASES = [
    *_cases("cheap", peers=("serial", "mp_pool", "ray_data")),
    *_cases("cpu"),
    *_cases("payload"),
    *_cases("first_item"),
    *_cases("readahead", peers=("serial", "mp_pool")),
    *_cases("scaling"),
    *_cases("run_length"),
]


@pytest.mark.parametrize("name, case", CASES)
def test_workload_runs(name, case):
    if case.contender.missing():
        pytest.skip(case.contender.missing())
    job = W.WORKLOADS[name].job(case, TINY)
    done, seconds, result = W.run_once(job)
    assert done >= 1 and seconds >= 0
    if name == "readahead":
        assert result["max_ahead"] >= 0
    if name == "run_length":  # the first item untimed, the rest of the run counted
        assert done == case.items - 1


# every contender of every workload, once
CONTENDERS = sorted({c for w in W.WORKLOADS.values() for c in W.contenders(w, BACKENDS)},
                    key=lambda c: c.id)


def test_every_contender_kind_is_one_class():
    assert {type(c) for c in CONTENDERS} == {W.Backend, W.ShardTasks, W.RayData, W.MpPool, W.Serial}
    assert {c.kind for c in CONTENDERS} == {"backend", "peer"}


@pytest.mark.parametrize("contender", CONTENDERS, ids=lambda c: c.id)
def test_contender_interface(contender):
    """stream() gives fn(i) for i < n, read once by drain(), which counts its
    units; first() takes a first element; warm() and timed are defined."""
    if contender.missing():
        pytest.skip(contender.missing())
    assert type(contender).stream is not W.Contender.stream
    assert contender.timed in W.Timed
    contender.warm(2)
    n, hints = 12, {"blocks": 4, "chunked": True}
    if isinstance(contender, W.ShardTasks) or contender.variant == "batches":
        assert contender.drain(contender.stream(W.inc, n, 2, **hints)) == n
    else:
        items = [r["item"] if isinstance(r, dict) else r for r in contender.stream(W.inc, n, 2, **hints)]
        assert sorted(items) == [W.inc(i) for i in range(n)]
        seen: list = []
        assert contender.drain(contender.stream(W.inc, n, 2), per_item=seen.append) == n == len(seen)
    state: dict = {}
    try:
        contender.first(W.inc, n, 2, state)
    finally:
        W._close(state)


def _ids(name: str, size: str, backends=(("reference", "reference"),)) -> list[str]:
    return [c.id for c in W.cases(W.WORKLOADS[name], list(backends), W.SIZES[size])]


def test_case_ids():
    # the ids saved gate baselines are keyed by
    assert _ids("cheap", "gate")[:4] == ["reference:gather_sync", "reference:gather_async",
                                         "reference:gather_async_tuned", "reference:shards_tasks"]
    assert "reference:gather_async-2shards" in _ids("cpu", "quick")
    assert "reference:gather_sync-8shards" in _ids("scaling", "full")
    assert [i for i in _ids("cpu", "full") if i.startswith("serial")] == ["serial:loop-1shards"]
    # the run-length sweep: one id per run length, each compared at its own length
    both = (("reference", "reference"), ("ray.util.iter", "ray.util.iter"))
    assert _ids("run_length", "full", both) == [
        f"{label}:gather_sync-{n}items" for label in ("reference", "ray.util.iter")
        for n in (300, 3000, 20000)
    ] + [f"serial:loop-{n}items" for n in (300, 3000, 20000)]
    assert _ids("run_length", "quick") == ["reference:gather_sync-300items",
                                           "reference:gather_sync-3000items",
                                           "serial:loop-300items", "serial:loop-3000items"]


def test_run_length_is_not_gated():
    from conformance.bench import gate

    assert gate.threshold_for("run_length", "gather_sync", 2) is None


def _busy_children() -> list:
    return [p for p in multiprocessing.active_children() if p.name.startswith("bench-busy")]


def test_busy_processes_start_and_stop():
    from conformance.bench import plugin

    procs = plugin.start_busy(2)
    try:
        assert len(procs) == 2 and all(p.is_alive() for p in procs)
    finally:
        plugin.stop_busy(procs)
    assert not any(p.is_alive() for p in procs) and not _busy_children()


def test_busy_option_runs_and_records(pytester, tmp_path):
    pytester.makepyfile(test_busy="""
        import multiprocessing

        def test_spinning(benchmark):
            busy = [p for p in multiprocessing.active_children() if p.name.startswith("bench-busy")]
            assert len(busy) == 1 and busy[0].is_alive()
            benchmark.pedantic(lambda: None, rounds=1)
    """)
    out = tmp_path / "run.json"
    result = pytester.runpytest_inprocess("-p", "conformance.bench.plugin", "--bench-busy=1",
                                          f"--benchmark-json={out}", "-p", "no:randomly",
                                          "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert json.loads(out.read_text())["benchmarks"][0]["extra_info"]["busy"] == 1
    assert not _busy_children()


def test_report_renders(tmp_path):
    def bench(workload, label, variant, kind, median, **extra):
        info = {"workload": workload, "contender": f"{label}:{variant}", "kind": kind,
                "label": label, "variant": variant, "shards": 2, "unit": W.WORKLOADS[workload].unit,
                "scale": 1, "count": 100, "size": "tiny", "busy": 0, **extra}
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
        bench("run_length", "reference", "gather_sync", "backend", 0.01, items=300),
        bench("run_length", "ray.util.iter", "gather_sync", "backend", 0.04, items=300),
        bench("run_length", "reference", "gather_sync", "backend", 0.02, items=3000),
        bench("run_length", "ray.util.iter", "gather_sync", "backend", 0.02, items=3000),
        bench("run_length", "serial", "loop", "peer", 0.0001, items=300),
    ]}
    text = report.markdown(data, [{"test": "x::test_cheap[ray_data:rows]", "reason": "not here"}])
    assert "| reference:gather_sync | 10,000 | 5.00 |" in text
    assert "| reference:gather_sync | 0.01 | 100 |" in text  # 100x faster to first item
    assert "not here" in text
    # the sweep: compared with ray.util.iter and serial at the same run length
    assert "## Cheap items through gather_sync by run length, 2 shards" in text
    assert "| contender | items | items/s | × ray.util.iter | × serial |" in text
    assert "| reference:gather_sync | 300 | 10,000 | 4.00 | 0.01 |" in text
    assert "| reference:gather_sync | 3,000 | 5,000 | 1.00 | — |" in text
    assert "busy process" not in text
    data["benchmarks"][0]["extra_info"]["busy"] = 1
    assert "Made with 1 busy process competing for the cores" in report.markdown(data, [])
    data["benchmarks"][0]["extra_info"]["busy"] = 2
    assert "Made with 2 busy processes competing" in report.markdown(data, [])
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
    # a baseline that measured every yardstick is compared under the new one
    base["benchmarks"][0]["extra_info"]["ratio_by_yardstick"] = {"serial": 2.0, "rtt_shards": 1.0}
    rows = gate.compare(base, new, {"cheap": 0.2})
    assert [(r.baseline, r.new, r.verdict) for r in rows][0] == (1.0, 2.0, "REGRESSED")


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


def test_report_names_a_missing_commit_unknown():
    """Outside git, pytest-benchmark records the commit id ``unversioned``: the report
    says ``unknown`` rather than a cut-off word; a real id is abbreviated."""
    assert report._commit({"id": "unversioned", "dirty": False}) == "unknown"
    assert report._commit({}) == "unknown"
    assert report._commit({"id": "25e40a9" + "0" * 33}) == "`25e40a9000`"
