"""The pytest plugin of the suite: backend selection, clause markers, capabilities,
known deviations, SHOULD results and Hypothesis profiles.

Registered by :mod:`conformance.entry` when a run names the suite (or with
``-p conformance.plugin``); it registers the clause report
(:mod:`conformance.reporting.collector`) in turn, and hands it what it needs through
``config.stash`` and ``item.stash`` (:mod:`conformance.reporting.keys`), so the
report never imports this module.  Nothing happens until a backend is chosen: with
neither ``--backend`` nor ``CONFORMANCE_BACKEND`` the run stops with a usage error.  Rules it enforces:

* every test cites at least one clause with ``@pytest.mark.clauses("ID", ...)``, and
  only clauses that exist in SPEC.md (otherwise the test errors at setup);
* ``@pytest.mark.needs("capability", ...)`` skips a test, with the reason, when the
  backend does not declare the capability (BACK-4);
* a test matched by a known deviation (BACK-3) becomes ``xfail(strict=True)``;
* a test citing only SHOULD clauses that fails is reported as *xfailed* with reason
  ``SHOULD not met: ...`` and as ``should-fail`` in the clause report: a SHOULD is a
  recommendation, so missing it is worth a visible warning but must not fail a run
  that keeps every MUST;
* ``needs("ray")`` also skips, with that reason, when Ray is not installed: the kit
  judges backends that do not use Ray without it;
* Ray is started at most once per session (the ``backend`` session fixture calls the
  backend's setup hook once), and every test has a pytest-timeout limit
  (:data:`DEFAULT_TIMEOUT` unless the run sets one, or a smaller ``@pytest.mark.timeout``);
* every call into the backend through the ``backend`` and ``api`` fixtures is bounded
  (:mod:`conformance.bounded`, BACK-5): one that does not return in time fails its test
  with ``BackendHang`` and the run goes on, until the backend has hung in
  ``--conformance-max-hangs`` tests (:mod:`conformance.hang_limit`).

Hypothesis profiles (``HYPOTHESIS_PROFILE``): ``dev`` (default, quick), ``ci``
(derandomized, no deadline, modest), ``thorough`` (many examples).  On backends that
declare ``ray`` every example builds Ray actors, so the example counts are smaller;
:func:`examples` scales a test's count from the active profile.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from conformance import backend as backend_mod
from conformance import bounded, clauses, hang_limit
from conformance.reporting import collector
from conformance.reporting.keys import (
    BACKEND_KEY,
    CLAUSES_KEY,
    DEVIATION_KEY,
    PROFILE_KEY,
    SHOULD_PREFIX,
)

PROBLEM_KEY = pytest.StashKey[str]()
SHOULD_KEY = pytest.StashKey[bool]()
#: seconds per test when the run sets no pytest-timeout limit of its own.
DEFAULT_TIMEOUT = 180
MARKERS = (
    "clauses(*ids): the spec clause IDs a test checks",
    "needs(*capabilities): backend capabilities a test requires",
)

#: (examples on in-process backends, examples on Ray backends) per profile.
PROFILE_EXAMPLES = {"dev": (40, 4), "ci": (150, 8), "thorough": (1000, 60)}
_active: dict[str, Any] = {"profile": "dev", "max_examples": 40}


def register_profiles(ray_backend: bool) -> str:
    """Register the three profiles for this backend and load the selected one."""
    common = dict(
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
        print_blob=True,
    )
    for name, (local_n, ray_n) in PROFILE_EXAMPLES.items():
        extra = {"derandomize": True} if name == "ci" else {}
        settings.register_profile(name, max_examples=ray_n if ray_backend else local_n, **common, **extra)
    profile = os.environ.get("HYPOTHESIS_PROFILE", "dev")
    if profile not in PROFILE_EXAMPLES:
        raise pytest.UsageError(f"HYPOTHESIS_PROFILE={profile!r}: use one of {sorted(PROFILE_EXAMPLES)}")
    settings.load_profile(profile)
    _active.update(profile=profile, max_examples=settings().max_examples)
    return profile


def examples(weight: float = 1.0) -> settings:
    """``@settings`` with the active profile's example count times ``weight`` (>= 1).

    Called while a known deviation's test runs (a state machine builds its settings
    then), the settings do not shrink: see :func:`_without_shrinking`."""
    count = max(1, round(_active["max_examples"] * weight))
    if _active.get("deviation"):
        return settings(max_examples=count, phases=_phases_without_shrink(settings()))
    return settings(max_examples=count)


def _phases_without_shrink(base: settings) -> tuple[Phase, ...]:
    return tuple(p for p in base.phases if p is not Phase.shrink)


def _without_shrinking(item: pytest.Item) -> None:
    """A known deviation is a strict expected failure: its failing example is not
    worth minutes of shrinking (the stateful GATH-7 one shrank for ~3 minutes in every
    ``ray.util.iter`` run).  The test's own Hypothesis settings lose the shrink phase."""
    test = getattr(item, "obj", None)
    current = getattr(test, "_hypothesis_internal_use_settings", None)
    if isinstance(current, settings):
        test._hypothesis_internal_use_settings = settings(current, phases=_phases_without_shrink(current))


def shard_cap(b: backend_mod.Backend) -> int:
    """Largest shard count for generated examples: 8, or 4 on Ray backends (every
    shard costs a worker process there)."""
    return 4 if b.uses_ray else 8


def active_profile() -> str:
    return str(_active["profile"])


# -- options and configuration -------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance")
    group.addoption(
        "--backend",
        default=None,
        help=f"backend under test: module or module:attr (or env {backend_mod.ENV_VAR})",
    )
    group.addoption(
        "--conformance-report",
        default="conformance-report.json",
        help="path of the JSON clause report, relative to the invocation directory "
        "(default: conformance-report.json; not written by --collect-only)",
    )
    group.addoption(
        "--conformance-html",
        default=None,
        help="also write the run as one self-contained HTML page at this path, relative to the "
        "invocation directory (not written by --collect-only)",
    )
    hang_limit.add_option(group)


def ray_installed() -> bool:
    return importlib.util.find_spec("ray") is not None


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    # ray.util.iter warns on import that it is deprecated; that is not the backend's failure.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning")
    if config.pluginmanager.get_plugin("conformance-report") is None:
        config.pluginmanager.register(collector.ClauseReport(config), "conformance-report")
    spec = backend_mod.selected_spec(config.getoption("--backend"))
    if spec is None:
        raise pytest.UsageError(
            f"choose the backend to judge: --backend=MODULE[:OBJECT] or {backend_mod.ENV_VAR}=MODULE[:OBJECT]"
        )
    try:
        selected = backend_mod.load(spec)
    except Exception as exc:  # noqa: BLE001 - report any import problem clearly
        raise pytest.UsageError(f"cannot load backend {spec!r}: {type(exc).__name__}: {exc}") from exc
    config.stash[BACKEND_KEY] = selected
    config.stash[PROFILE_KEY] = register_profiles(selected.uses_ray)
    hang_limit.register(config, CLAUSES_KEY, DEVIATION_KEY)


def pytest_report_header(config: pytest.Config) -> list[str]:
    b = config.stash[BACKEND_KEY]
    return [
        f"conformance backend: {b.spec} (version {b.version}), capabilities: {sorted(b.capabilities)}, "
        f"B={b.async_batch_limit}, known deviations: {len(b.deviations)}",
        f"spec version {clauses.spec_version()}, hypothesis profile {active_profile()} "
        f"(max_examples={_active['max_examples']})",
    ]


def selected_backend(config: pytest.Config) -> backend_mod.Backend:
    return config.stash[BACKEND_KEY]


# -- collection: clauses, capabilities, deviations -----------------------------------


def cited_clauses(item: pytest.Item) -> tuple[str, ...]:
    ids: list[str] = []
    for mark in item.iter_markers("clauses"):
        ids.extend(str(a) for a in mark.args)
    return tuple(dict.fromkeys(ids))


def deviation_for(b: backend_mod.Backend, item: pytest.Item, cited: tuple[str, ...]) -> str | None:
    name = getattr(item, "originalname", None) or item.name
    for cid in cited:
        reason = b.deviations.get(f"{cid}::{name}") or b.deviations.get(cid)
        if reason is not None:
            return reason
    return None


def _run_sets_timeout(config: pytest.Config) -> bool:
    if not config.pluginmanager.hasplugin("timeout"):
        return True  # pytest-timeout is not active: nothing to set
    return bool(
        config.getoption("timeout", None) or os.environ.get("PYTEST_TIMEOUT") or config.getini("timeout")
    )


def _missing_capabilities(b: backend_mod.Backend, item: pytest.Item) -> list[str]:
    needed = [c for mark in item.iter_markers("needs") for c in mark.args]
    missing = [c for c in needed if c not in b.capabilities]
    if "ray" in needed and "ray" not in missing and not ray_installed():
        missing.append("ray (Ray is not installed)")
    return missing


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    b = config.stash[BACKEND_KEY]
    index = clauses.index()
    default_timeout = not _run_sets_timeout(config)
    for item in items:
        if default_timeout and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TIMEOUT))
        cited = cited_clauses(item)
        item.stash[CLAUSES_KEY] = cited
        unknown = [c for c in cited if c not in index]
        if not cited:
            item.stash[PROBLEM_KEY] = "test cites no clause: add @pytest.mark.clauses(...)"
        elif unknown:
            item.stash[PROBLEM_KEY] = f"test cites unknown clause(s) {unknown}: not in spec/SPEC.md"
        levels = {index[c].level for c in cited if c in index}
        item.stash[SHOULD_KEY] = bool(levels) and levels <= {"SHOULD", "MAY"}
        missing = _missing_capabilities(b, item)
        if missing:
            item.add_marker(
                pytest.mark.skip(reason=f"backend does not declare capability {', '.join(missing)} (BACK-4)")
            )
            continue
        reason = deviation_for(b, item, cited)
        if reason is not None:
            item.stash[DEVIATION_KEY] = reason
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"known deviation {reason}"))
            _without_shrinking(item)


def pytest_runtest_setup(item: pytest.Item) -> None:
    _active["deviation"] = DEVIATION_KEY in item.stash
    problem = item.stash.get(PROBLEM_KEY, None)
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    rep = yield
    if (
        rep.when == "call"
        and rep.failed
        and item.stash.get(SHOULD_KEY, False)
        and DEVIATION_KEY not in item.stash
        and not hasattr(rep, "wasxfail")
        and not (call.excinfo and call.excinfo.errisinstance(bounded.BackendHang))  # BACK-5 is a MUST
    ):
        message = call.excinfo.exconly() if call.excinfo else str(rep.longrepr)
        rep.outcome = "skipped"
        rep.wasxfail = SHOULD_PREFIX + message.splitlines()[0][:300]
    return rep


# -- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> Iterator[bounded.BoundedBackend]:
    """The backend under test, set up once per session (Ray started at most once).

    A :class:`conformance.bounded.BoundedBackend` view of it: every call into the
    backend through it (its ``api``, the objects made from that, ``run_remote``)
    must return within the call bound of BACK-5, or the test fails with
    :class:`conformance.bounded.BackendHang`."""
    b = request.config.stash[BACKEND_KEY]
    bound = bounded.call_bound(active_profile(), b.uses_ray, b.call_timeout)
    b.setup()
    bounded.activate(bound)
    try:
        yield bounded.BoundedBackend(b, bound)
    finally:
        try:
            bounded.teardown(b, bound)
        finally:
            bounded.deactivate()


@pytest.fixture(scope="session")
def api(backend: bounded.BoundedBackend) -> Any:
    """The backend's public API object (module or object with the BACK-1 names),
    as a :class:`conformance.bounded.BoundedAPI` view whose calls are bounded."""
    return backend.api


# -- hangs (BACK-5) ------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[Any]:
    """Each test starts with no hang on record; a hang's message names its clauses."""
    bounded.begin_test(item.stash.get(CLAUSES_KEY, ()))
    try:
        return (yield)
    finally:
        bounded.end_test()
