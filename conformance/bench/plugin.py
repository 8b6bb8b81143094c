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
``--bench-gated-only`` deselects the benchmarks the regression gate does not
judge (no threshold in :data:`conformance.bench.gate.RULES`).
``--bench-results=DIR`` writes ``DIR/skipped.json`` (what was skipped and why,
for the report).
"""

from __future__ import annotations

import json
import logging
import os
import pathlib

import pytest

from conformance.bench import gate, yardstick
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
        judged = case and gate.threshold_for(workload, case[0].variant, case[1]) is not None
        (keep if judged else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _backends(config) -> list[tuple[str, str]]:
    specs = config.getoption("--backend") or os.environ.get("CONFORMANCE_BACKEND", "").split(",")
    specs = [s for s in specs if s] or DEFAULT_BACKENDS
    return [(backend_label(s), s) for s in dict.fromkeys(specs)]


def _sizes(config):
    return SIZES[config.getoption("--bench-size")]


def pytest_generate_tests(metafunc):
    if "case" not in metafunc.fixturenames:
        return
    workload = WORKLOADS[metafunc.function.__name__.removeprefix("test_")]
    sizes = _sizes(metafunc.config)
    peers_off = metafunc.config.getoption("--no-peers")
    params, ids = [], []
    multi = len(workload.shard_counts(sizes)) > 1
    for contender, shards in cases(workload, _backends(metafunc.config), sizes):
        if peers_off and contender.kind == "peer":
            continue
        params.append((contender, shards))
        ids.append(f"{contender.id}" + (f"-{shards}shards" if multi else ""))
    metafunc.parametrize("case", params, ids=ids)


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
