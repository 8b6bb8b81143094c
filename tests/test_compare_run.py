"""``python -m conformance.bench compare`` end to end, at the smallest size:
real benchmark processes (each with its own local Ray) run two benchmarks
interleaved, and the command writes its table and JSON. The first test runs
the default of three processes per side, whose pairs rotate over every
combination. Nothing here asserts
a speed or a particular verdict: on a shared machine any of them can come
out; the test checks the run's structure, that both sides ran the same
number of rounds in ABBA order, and that every verdict is one of the allowed
ones."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from conformance.bench import stats as S

LABELS = {"SLOWER", "slower, within tolerance", S.FASTER, S.NO_CHANGE}
NAMES = ["cheap[gather_async]", "first_item[gather_sync]"]


def test_compare_reference_with_itself_end_to_end(tmp_path):
    env = {**os.environ, "RAY_ADDRESS": "local"}
    run = subprocess.run(
        [sys.executable, "-m", "conformance.bench", "compare", "reference", "reference",
         "--size=tiny", "--budget=12", "--max-pairs=9", "--measure=both", f"--results={tmp_path}",
         *[a for name in NAMES for a in ("-k", name)]],
        capture_output=True, text=True, env=env, timeout=240)
    assert run.returncode in (0, 1, 2), run.stderr[-2000:]
    data = json.loads((tmp_path / "compare.json").read_text())
    assert data["error"] is None, data["error"]
    assert [b["name"] for b in data["benchmarks"]] == NAMES
    assert data["status"] == run.returncode
    assert data["compiled_rounds"] == "off"
    for bench in data["benchmarks"]:
        assert bench["error"] is None
        assert 1 <= bench["pairs"] <= 9
        assert bench["processes"] == 3
        # every combination of a base and a candidate process, one after the other
        combos = list(zip(bench["base_process"], bench["candidate_process"], strict=True))
        assert combos == [(q // 3, q % 3) for q in range(bench["pairs"])]
        assert len(bench["base_s_per_unit"]) == len(bench["candidate_s_per_unit"]) == bench["pairs"]
        assert bench["first"][:2] == ["base", "candidate"][:bench["pairs"]]  # ABBA
        assert all(t > 0 for t in bench["base_s_per_unit"] + bench["candidate_s_per_unit"])
        # the CPU time of every round: the side's process and its Ray workers
        assert len(bench["base_cpu_per_unit"]) == len(bench["candidate_cpu_per_unit"]) == bench["pairs"]
        assert all(t > 0 for t in bench["base_cpu_per_unit"] + bench["candidate_cpu_per_unit"])
        assert bench["judged"] == ["wall", "cpu"]
        measures = bench["measures"]
        assert set(measures) == {"wall", "cpu"}
        for m in measures.values():
            assert m["label"] in LABELS or m["label"].startswith("unresolved"), m
            if m["lo"] is not None:
                assert m["lo"] <= m["ratio"] <= m["hi"]
        # slower if either measure is; resolved only when both are
        assert bench["regressed"] == any(m["regressed"] for m in measures.values())
        assert bench["resolved"] == (all(m["resolved"] for m in measures.values())
                                     and (not any(m["regressed"] for m in measures.values())
                                          or bench["regressed"]))
    table = (tmp_path / "compare.md").read_text()
    assert ("| benchmark | pairs | wall: candidate / base [95 % interval] | "
            "CPU: candidate / base [95 % interval] | tolerance | verdict |") in table
    assert "verdicts on wall time and CPU time per unit" in table
    assert all(f"| {name} |" in table for name in NAMES)
    for role in ("base", "candidate"):
        pids = {re.search(r"benchmark process (\d+) ", (tmp_path / f"compare-{role}-{i}.log").read_text())[1]
                for i in range(3)}
        assert len(pids) == 3, role
    # unresolved or slower is never reported as a pass
    unsettled = [b for b in data["benchmarks"] if not b["resolved"] or b["regressed"]]
    assert (run.returncode == 0) == (not unsettled)


def test_a_revision_is_built_into_its_own_environment_with_this_harness(tmp_path):
    """``--base-rev``: the revision's backend is the one imported, the harness
    is this kit's, and the current environment's packages (Ray) are seen."""
    from pathlib import Path

    from conformance.bench import compare

    root = Path(__file__).resolve().parent.parent
    harness = compare.harness_path(tmp_path)
    python, src = compare.build_revision(str(root), "HEAD", sys.executable, tmp_path / "base")
    assert Path(python).is_relative_to(tmp_path)
    probe = ("import json, reference, ray, conformance.bench.side as side; "
             "print(json.dumps([reference.__file__, side.__file__]))")
    out = subprocess.run([python, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join([harness, src])},
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    backend_file, side_file = json.loads(out.stdout)
    assert Path(backend_file).is_relative_to(src)
    assert Path(side_file).is_relative_to(harness)


def test_a_slower_verdict_is_confirmed_in_fresh_processes(tmp_path):
    """A candidate slowed far beyond tolerance (the repository's stand-in: the
    consumer spinning 300 % of its own CPU time) is found SLOWER, confirmed
    after both sides were restarted, and the gate fails (exit 1)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "RAY_ADDRESS": "local", "SLOWED_REFERENCE_PCT": "300",
           "SLOWED_REFERENCE_SIDE": "consumer"}
    run = subprocess.run(
        [sys.executable, "-m", "conformance.bench", "compare", "reference", "benchmarks.slowed_reference",
         "--size=tiny", "--budget=40", "--max-pairs=8", "--processes=1", f"--results={tmp_path}",
         "-k", "cheap[gather_async_tuned]"],
        capture_output=True, text=True, env=env, timeout=300, cwd=root)
    data = json.loads((tmp_path / "compare.json").read_text())
    assert data["error"] is None, data["error"]
    [bench] = data["benchmarks"]
    assert bench["verdict"] == S.SLOWER and bench["regressed"], bench["label"]
    assert bench["confirmation"] is not None and bench["confirmation"]["regressed"]
    assert run.returncode == 1, run.stdout[-2000:]
    # each side's log holds two processes' output: the first, and the one restarted
    for role in ("base", "candidate"):
        log = (tmp_path / f"compare-{role}.log").read_text()
        started = re.findall(r"benchmark process (\d+) .* started", log)
        assert len(set(started)) == 2, (role, log[-2000:])


def test_a_fixed_layout_lays_out_every_start_alike_children_included():
    """``--layout fixed``: a benchmark process started with address-space layout
    randomization off, and the processes it starts (its Ray), place their
    memory at the same addresses every time; started normally, they do not."""
    import pytest

    from conformance.bench import compare

    if not compare.fixed_layout_available():
        pytest.skip("personality(2) is Linux's")
    child = "print(hex(id(object())))"
    probe = (f"import subprocess, sys; print(hex(id(object()))); "
             f"print(subprocess.run([sys.executable, '-c', {child!r}], capture_output=True, "
             f"text=True).stdout.strip())")

    def addresses(preexec):
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             preexec_fn=preexec, timeout=60, check=True)
        return out.stdout.split()

    fixed = [addresses(compare.no_aslr) for _ in range(3)]
    assert fixed[0] == fixed[1] == fixed[2]
    randomized = [addresses(None) for _ in range(3)]
    assert len({tuple(a) for a in randomized}) > 1


def test_busy_neighbours_spin_for_the_whole_comparison_and_are_gone_after(tmp_path):
    """``--busy N``: N processes of the comparison's own spin at full speed while
    it runs (each uses most of a core), the run records them, and none outlives it."""
    import time

    import psutil

    env = {**os.environ, "RAY_ADDRESS": "local"}
    run = subprocess.Popen(
        [sys.executable, "-m", "conformance.bench", "compare", "reference", "reference",
         "--size=tiny", "--budget=10", "--max-pairs=8", "--processes=1", "--busy=1",
         f"--results={tmp_path}", "-k", "first_item[gather_sync]"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    spinners: list[psutil.Process] = []
    deadline = time.monotonic() + 60
    while not spinners and run.poll() is None and time.monotonic() < deadline:
        spinners = [p for p in psutil.Process(run.pid).children()
                    if "--multiprocessing-fork" in p.cmdline()]
        time.sleep(0.1)
    assert len(spinners) == 1, "no spinning process started"
    spinner = spinners[0]
    spinner.cpu_percent()
    time.sleep(1.0)
    assert spinner.cpu_percent() > 50  # it spins (of 100 for a whole core)
    out, err = run.communicate(timeout=240)
    assert run.returncode in (0, 1, 2), err[-2000:]
    assert not spinner.is_running() or spinner.status() == psutil.STATUS_ZOMBIE
    data = json.loads((tmp_path / "compare.json").read_text())
    assert data["error"] is None and data["busy"] == 1
    assert "beside 1 pure-Python process(es) spinning for the whole run" in (
        tmp_path / "compare.md").read_text()


def test_a_negative_busy_count_is_refused():
    run = subprocess.run([sys.executable, "-m", "conformance.bench", "compare", "reference",
                          "reference", "--busy=-1"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "--busy must not be negative" in run.stderr
