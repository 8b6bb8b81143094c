"""Entry points. ``nox -s conformance`` judges a backend against the spec;
``nox -s tests`` runs everything the project tests."""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"


def _install(session: nox.Session, *extras: str) -> None:
    session.install("-e", f".[{','.join(extras)}]" if extras else ".")


def _conformance_args(session: nox.Session, backend: str, *extra: str) -> list[str]:
    return ["pytest", "conformance", f"--backend={backend}", *extra]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Everything: the reference's unit tests, the benchmark smoke tests, and
    the conformance suite against the reference and the model (ci profile)."""
    _install(session, "test")
    env = {"HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "ci")}
    session.run("pytest", "tests", env=env)
    session.run(*_conformance_args(session, "conformance.model"), env=env)
    session.run(*_conformance_args(session, "reference"), env=env)


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """The suite against one backend: ``nox -s conformance -- BACKEND [pytest args]``
    (default ``reference``; env ``CONFORMANCE_BACKEND`` also works)."""
    _install(session, "test")
    args = list(session.posargs)
    backend = os.environ.get("CONFORMANCE_BACKEND", "reference")
    if args and not args[0].startswith("-"):
        backend = args.pop(0)
    env = {"HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "ci")}
    session.run(*_conformance_args(session, backend, *args), env=env)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session(python=PYTHON)
def cluster(session: nox.Session) -> None:
    """The cluster tests and the conformance suite (reference backend) against a
    two-node Ray cluster on this machine, started and stopped around the run."""
    _install(session, "test")
    env = {"HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "ci")}
    session.run(
        "python", "tools/cluster.py", "tests/test_cluster.py", "conformance",
        "--backend=reference", *session.posargs, env=env,
    )
