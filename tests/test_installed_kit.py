"""The kit as its users get it: a wheel installed without extras into a fresh
virtual environment, used from a directory outside this repository against a
backend module that is not part of the kit.  Ray must not come with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: an out-of-tree backend: the packaged model under another name, with its hooks.
OUT_OF_TREE_BACKEND = """
    from conformance.model import (
        LocalIterator,
        ParallelIterator,
        ParallelIteratorWorker,
        conformance_async_batch_limit,
        conformance_capabilities,
        from_actors,
        from_items,
        from_iterators,
        from_range,
    )
"""

#: the same backend claiming the ``ray`` capability, which the suite cannot honour without Ray.
CLAIMS_RAY = """
    from my_backend import *  # noqa: F403
    conformance_capabilities = frozenset({"max_concurrency", "metrics", "zip_with_source_actor", "ray"})
"""


def _run(*cmd: str | Path, cwd: Path, timeout: float = 900, **extra_env: str) -> subprocess.CompletedProcess:
    dropped = ("PYTHONPATH", "CONFORMANCE_BACKEND", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(HYPOTHESIS_PROFILE="ci", **extra_env)
    return subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(python of a fresh venv holding only the wheel and its dependencies, a work directory)."""
    base = tmp_path_factory.mktemp("installed")
    dist = base / "dist"
    built = _run(sys.executable, "-m", "build", "--wheel", "--outdir", dist, ROOT, cwd=base)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = dist.glob("parallel_iter_kit-*.whl")
    venv.create(base / "venv", with_pip=True)
    python = base / "venv" / "bin" / "python"
    pip = _run(python, "-m", "pip", "install", "-q", wheel, cwd=base)
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    work = base / "elsewhere"
    work.mkdir()
    (work / "my_backend.py").write_text(textwrap.dedent(OUT_OF_TREE_BACKEND))
    (work / "my_ray_backend.py").write_text(textwrap.dedent(CLAIMS_RAY))
    return python, work


def test_the_wheel_brings_no_ray(installed: tuple[Path, Path]) -> None:
    python, work = installed
    probe = _run(python, "-c", "import importlib.util as u; print(u.find_spec('ray') is None)", cwd=work)
    assert probe.stdout.strip() == "True", probe.stdout + probe.stderr


@pytest.mark.timeout(900)  # the whole suite at the ci profile: over 3 minutes on the model
def test_the_installed_suite_judges_an_out_of_tree_backend(installed: tuple[Path, Path]) -> None:
    python, work = installed
    run = _run(python, "-m", "pytest", "--pyargs", "conformance", "--backend=my_backend", "-q", cwd=work)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-3000:]
    assert "conformance clause report" in run.stdout
    report = json.loads((work / "conformance-report.json").read_text())
    assert report["run"]["backend"] == "my_backend" and report["run"]["spec_version"]
    results = {c["id"]: c["result"] for c in report["clauses"]}
    assert results["BACK-1"] == "passed" and "failed" not in results.values()


def test_without_ray_the_ray_tests_are_skipped_with_that_reason(installed: tuple[Path, Path]) -> None:
    """Selected through the environment variable this time (BACK-2)."""
    python, work = installed
    run = _run(
        python, "-m", "pytest", "--pyargs", "conformance.suite.test_lifecycle", "-rs", "-q",
        "--conformance-report=ray.json", cwd=work, CONFORMANCE_BACKEND="my_ray_backend",
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-3000:]
    assert "Ray is not installed" in run.stdout
