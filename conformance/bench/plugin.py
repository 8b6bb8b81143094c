"""The benchmarks' pytest plugin: options, parametrisation and the Ray session.

Load it with ``-p conformance.bench.plugin`` (``python -m conformance.bench``
does). ``--backend=SPEC`` (repeatable; default ``reference`` and
``ray.util.iter``; env ``CONFORMANCE_BACKEND``, comma-separated, also works)
takes a module path or ``module:attribute``, as the conformance suite does
(SPEC §13, BACK-2). ``--bench-size=tiny|quick|full`` (env ``BENCH_SIZE``,
default ``quick``) picks the sizes of :data:`conformance.bench.workloads.SIZES`.
``--no-peers`` leaves out Ray Data, multiprocessing and serial Python.
``--bench-yardsticks=all`` measures every yardstick around every round
(:mod:`conformance.bench.yardstick`), not only the one the gate uses.
``--bench-rounds=N`` sets the timed rounds per benchmark (the report's intervals
need 4 at least; :mod:`conformance.bench.report`).
``--bench-gated-only`` deselects the benchmarks the regression gate does not
judge (no threshold in :data:`conformance.bench.gate.RULES`).
``--bench-results=DIR`` writes ``DIR/skipped.json`` (what was skipped and why,
for the report).

``--bench-busy=N`` (default 0) runs the benchmarks on a busy machine: for the
whole session, N processes (``multiprocessing``, spawn context, at the
session's own priority) spin through pure-Python arithmetic, competing with
the contenders for the cores; they are terminated when the session ends. Each
benchmark records N in ``extra_info["busy"]`` and the report says so.

Test ids are :attr:`conformance.bench.workloads.Case.id`: ``label:variant``,
then ``-{shards}shards`` for a workload with several shard counts and
``-{items}items`` for a run-length sweep (saved gate baselines are keyed by them).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import pathlib

import pytest

from conformance.bench import gate, yardstick
from conformance.bench.busy import start_busy, stop_busy
from conformance.bench.workloads import SIZES, WORKLOADS, backend_label, cases, close_mp_pools

# Ray workers inherit the driver's environment when Ray starts: make a backend
# module in the current directory importable there (its functions are pickled
# by reference). The benchmark functions themselves come from this package.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (os.environ.get("PYTHONPATH", ""), os.getcwd()) if p
)

DEFAULT_BACKENDS = ["reference", "ray.util.iter"]


def pytest_addoption(parser):
    group = parser.getgroup("benchmarks of parallel-iter backends")
    group.addoption("--backend", action="append", default=None,
                    help="backend module path (repeatable); default: reference, ray.util.iter")
    group.addoption("--bench-size", default=os.environ.get("BENCH_SIZE", "quick"),
                    choices=list(SIZES), help="workload sizes")
    group.addoption("--no-peers", action="store_true", help="backends only")
    group.addoption("--bench-results", default=None, help="directory for skipped.json")
    group.addoption("--bench-yardsticks", default="gate", choices=["gate", "all"],
                    help="yardsticks measured around each round: the gate's for the workload "
                         "(default) or all of them")
    group.addoption("--bench-gated-only", action="store_true",
                    help="only the benchmarks the regression gate judges")
    group.addoption("--bench-rounds", type=int, default=None, metavar="N",
                    help="timed rounds per benchmark instead of the size's (the report gives "
                         "ratios to ray.util.iter 95 %% intervals from 4 rounds on)")
    group.addoption("--bench-busy", type=int, default=0, metavar="N",
                    help="run N spinning pure-Python processes for the whole session (a busy "
                         "machine); default 0")


def pytest_configure(config):
    if config.getoption("--bench-yardsticks", default="gate") == "all":
        yardstick.MEASURE_ALL = True


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--bench-gated-only", default=False):
        return
    keep, drop = [], []
    for item in items:
        case = getattr(item, "callspec", None) and item.callspec.params.get("case")
        workload = item.originalname.removeprefix("test_") if case else ""
        judged = case and gate.threshold_for(workload, case.contender.variant, case.shards) is not None
        (keep if judged else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _backends(config) -> list[tuple[str, str]]:
    specs = config.getoption("--backend") or os.environ.get("CONFORMANCE_BACKEND", "").split(",")
    specs = [s for s in specs if s] or DEFAULT_BACKENDS
    return [(backend_label(s), s) for s in dict.fromkeys(specs)]


def _sizes(config):
    sizes = SIZES[config.getoption("--bench-size")]
    rounds = config.getoption("--bench-rounds", default=None)
    if rounds is not None:
        if rounds < 1:
            raise pytest.UsageError(f"--bench-rounds must be at least 1, got {rounds}")
        sizes = dataclasses.replace(sizes, rounds=rounds, first_rounds=max(rounds, sizes.first_rounds))
    return sizes


def pytest_generate_tests(metafunc):
    if "case" not in metafunc.fixturenames:
        return
    workload = WORKLOADS[metafunc.function.__name__.removeprefix("test_")]
    sizes = _sizes(metafunc.config)
    peers_off = metafunc.config.getoption("--no-peers")
    params = [c for c in cases(workload, _backends(metafunc.config), sizes)
              if not (peers_off and c.contender.kind == "peer")]
    metafunc.parametrize("case", params, ids=[c.id for c in params])


@pytest.fixture(scope="session")
def sizes(request):
    return _sizes(request.config)


@pytest.fixture(scope="session")
def ray_session():
    """One local Ray for the whole run (dashboard off, loopback)."""
    import ray

    started = False
    if not ray.is_initialized():
        ray.init(include_dashboard=False, logging_level=logging.ERROR,
                 _node_ip_address="127.0.0.1")
        started = True
    yield ray
    close_mp_pools()
    yardstick.close()
    if started:
        ray.shutdown()


@pytest.fixture(scope="session", autouse=True)
def busy_processes(request):
    """``--bench-busy=N`` spinning processes for the whole session; yields N."""
    n = request.config.getoption("--bench-busy")
    procs = start_busy(n)
    yield n
    stop_busy(procs)


@pytest.fixture(autouse=True)
def _record_busy(request, busy_processes):
    if "benchmark" in request.fixturenames:
        request.getfixturevalue("benchmark").extra_info["busy"] = busy_processes


_SKIPPED: list[dict] = []


def pytest_runtest_logreport(report):
    if report.skipped and report.when in ("setup", "call"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _SKIPPED.append({"test": report.nodeid, "reason": reason.removeprefix("Skipped: ")})


def pytest_sessionfinish(session):
    out = session.config.getoption("--bench-results", default=None)
    if out:
        path = pathlib.Path(out)
        path.mkdir(parents=True, exist_ok=True)
        (path / "skipped.json").write_text(json.dumps(_SKIPPED, indent=2))
