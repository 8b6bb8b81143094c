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


@nox.session(python=PYTHON)
def mutants(session: nox.Session) -> None:
    """The suite's own test: the suite must pass the control and catch every
    broken backend in conformance/mutants/; prints which clauses caught each one
    and the mutation score (``nox -s mutants -- [NAME ...] [--jobs N] [--timeout S]``)."""
    _install(session, "test")
    env = {"HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "ci")}
    session.run("python", "-m", "conformance.mutants", *session.posargs, env=env)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks (benchmarks/README.md): ``nox -s bench`` runs the full suite
    (under 30 min), ``-- --quick`` the quick one (under 5 min), each saving a
    baseline and writing benchmarks/results/ (results.md, chart.png).
    ``-- --compare [--quick]`` is the regression gate: it reruns the reference's
    benchmarks and fails if any median is more than 100% slower (twice as slow) than in the last
    saved baseline of the same size on this machine (pytest-benchmark's
    --benchmark-compare-fail). Other arguments go to pytest (e.g. ``--backend=...``,
    ``-k cheap``)."""
    import glob

    _install(session, "bench")
    args = list(session.posargs)
    size = "quick" if "--quick" in args else "full"
    compare = "--compare" in args
    args = [a for a in args if a not in ("--quick", "--compare")]
    results = "benchmarks/results"
    run = ["pytest", "benchmarks", f"--bench-size={size}", "-v", "-rs",
           "--benchmark-storage=.benchmarks", "--benchmark-sort=name"]
    if compare:
        saved = sorted(glob.glob(f".benchmarks/*/[0-9][0-9][0-9][0-9]_{size}.json"))
        if not saved:
            hint = "nox -s bench" + (" -- --quick" if size == "quick" else "")
            session.error(f"no saved {size} baseline: run `{hint}` first")
        baseline = os.path.basename(saved[-1]).split("_")[0]
        if not any(a.startswith("--backend") for a in args):
            args += ["--backend=reference", "--no-peers"]
        session.log(f"comparing with baseline {saved[-1]}; fails on a median > 100% slower")
        session.run(*run, f"--benchmark-compare={baseline}",
                    "--benchmark-compare-fail=median:100%", *args)
        return
    session.run(*run, f"--benchmark-save={size}", f"--benchmark-json={results}/latest.json",
                f"--bench-results={results}", *args)
    session.run("python", "-m", "benchmarks.report", f"{results}/latest.json", results,
                f"--skipped={results}/skipped.json")


@nox.session(python=PYTHON)
def matrix(session: nox.Session) -> None:
    """The suite against every available backend (reference, the model,
    ray.util.iter), written as one clause x backend table:
    ``nox -s matrix -- [BACKEND ...] [--out PATH]`` (default conformance-matrix.md)."""
    _install(session, "test")
    env = {"HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "ci")}
    session.run("python", "tools/matrix.py", *session.posargs, env=env)
