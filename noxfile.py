"""Entry points for contributors. ``nox -s conformance`` judges a backend against the
spec; ``nox -s tests`` runs everything the project tests.  Each session installs the
kit into its own environment and calls what an installed kit offers its users
(``python -m pytest --pyargs conformance``, ``python -m conformance.matrix``,
``python -m conformance.mutants``, ``python -m conformance.bench``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"
#: Debian's Chromium, which the browser tests drive (no browser is downloaded)
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


def _install(session: nox.Session, *extras: str) -> None:
    session.install("-e", f".[{','.join(extras)}]" if extras else ".")


def _conformance_args(session: nox.Session, backend: str, *extra: str) -> list[str]:
    return ["python", "-m", "pytest", "--pyargs", "conformance", f"--backend={backend}", *extra]


def _profile_env() -> dict[str, str]:
    return {"HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "ci")}


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Everything: the kit's own tests (tests/: the reference, the installed wheel,
    the benchmark smoke tests, clause coverage), then the conformance suite against
    the model and the reference (ci profile), the reference twice: as it runs by
    default, and on its plain path alone (its fast paths, reference/fast_local.py
    and reference/compiled_rounds.py, turned off)."""
    _install(session, "test")
    env = _profile_env()
    session.run("pytest", "tests", env=env)
    session.run(*_conformance_args(session, "conformance.model"), env=env)
    session.run(*_conformance_args(session, "reference"), env=env)
    plain = {**env, "REFERENCE_FAST_LOCAL": "0", "REFERENCE_COMPILED_ROUNDS": "0"}
    session.run(*_conformance_args(session, "reference"), env=plain)


def _install_chromium(session: nox.Session) -> str | None:
    """Install Debian's ``chromium`` package when it is missing and this is a root
    shell with apt-get; return why the browser tests cannot run, or None."""
    if CHROMIUM.exists():
        return None
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return f"Chromium is not installed at {CHROMIUM} and cannot be installed here (needs root, apt-get)"
    install = ["apt-get", "install", "-y", "chromium"]
    for step in (install, ["apt-get", "update"], install):
        if CHROMIUM.exists():
            break
        session.run(*step, external=True, success_codes=range(256))
    return None if CHROMIUM.exists() else "Chromium could not be installed (apt-get install chromium failed)"


@nox.session(python=PYTHON)
def browser(session: nox.Session) -> None:
    """The report pages in headless Chromium (tests/browser): no console errors,
    filters, permalinks, the differences-only view. Uses Debian's ``chromium``
    package (installed here when missing and possible) through Playwright; when
    Chromium cannot be had, says so and skips."""
    why_not = _install_chromium(session)
    if why_not:
        session.skip(why_not)
    _install(session)
    session.install("playwright")
    session.run("pytest", "tests/browser", *session.posargs, env={"CHROMIUM": str(CHROMIUM)})


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """The suite against one backend: ``nox -s conformance -- BACKEND [pytest args]``
    (default ``reference``; env ``CONFORMANCE_BACKEND`` also works)."""
    _install(session, "test")
    args = list(session.posargs)
    backend = os.environ.get("CONFORMANCE_BACKEND", "reference")
    if args and not args[0].startswith("-"):
        backend = args.pop(0)
    session.run(*_conformance_args(session, backend, *args), env=_profile_env())


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session(python=PYTHON)
def cluster(session: nox.Session) -> None:
    """The kit's cluster tests (tests/test_cluster.py, tests/test_node_loss.py), then
    the conformance suite (reference backend), as two pytest runs against one
    two-node Ray cluster on this machine, started and stopped around them
    (tools/cluster.py). Arguments go to the suite's run."""
    _install(session, "test")
    session.run(
        "python", "tools/cluster.py", "tests/test_cluster.py", "tests/test_node_loss.py",
        "--then", "--pyargs", "conformance", "--backend=reference", *session.posargs,
        env=_profile_env(),
    )


@nox.session(python=PYTHON)
def mutants(session: nox.Session) -> None:
    """The suite's own test: the suite must pass the control and catch every
    broken backend in conformance/mutants/; prints which clauses caught each one
    and the mutation score (``nox -s mutants -- [NAME ...] [--jobs N] [--timeout S]``)."""
    _install(session, "test")
    session.run("python", "-m", "conformance.mutants", *session.posargs, env=_profile_env())


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks (benchmarks/README.md), via ``python -m conformance.bench``:
    ``nox -s bench`` runs the full suite (under 30 min), ``-- --quick`` the quick one
    (under 5 min), each saving a pytest-benchmark baseline in .benchmarks/ and writing
    benchmarks/results/ (results.md, chart.png, results.html). The regression gate:
    ``-- compare BASE CANDIDATE [--base-rev REV] ...`` runs both sides interleaved in one
    run and fails when the candidate is slower beyond tolerance, with a 95 % interval per
    benchmark (conformance/bench/compare.py; ``-- --compare --base-rev main`` is the
    shorthand for the reference against main). ``--backend=SPEC`` (repeatable) and
    ``--no-peers`` pick the contenders; other arguments go to pytest (e.g. ``-k cheap``);
    ``-- --help`` and ``-- compare --help`` list the options."""
    _install(session, "bench")
    args = list(session.posargs)
    if args[:1] == ["compare"]:
        args.insert(1, "--results=benchmarks/results/compare")
    else:
        args.insert(0, "--results=benchmarks/results")
    session.run("python", "-m", "conformance.bench", *args)


@nox.session(python=PYTHON)
def matrix(session: nox.Session) -> None:
    """The suite against every available backend (reference, the model,
    ray.util.iter), written as one clause x backend table:
    ``nox -s matrix -- [BACKEND | REPORT.json ...] [--out PATH] [--html PATH]``
    (default conformance-matrix.md; ``--html`` a page with filters)."""
    _install(session, "test")
    session.run("python", "-m", "conformance.matrix", *session.posargs, env=_profile_env())


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Every command the README and docs/ show, each run in a fresh environment
    made from the wheel of this checkout, in reduced form where
    tests/documented_commands.py says so (``nox -s docs -- -k NAME`` for some)."""
    _install(session, "test")
    session.run(
        "pytest", "tests/test_documented_commands.py", "-v", *session.posargs,
        env={"KIT_CHECK_DOCUMENTED_COMMANDS": "1"},
    )
