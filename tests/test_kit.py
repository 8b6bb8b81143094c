"""The kit's own checks: clause coverage, the deviation table against
spec/DEVIATIONS.md, backend selection, and the pytest entry point (inert
outside the suite, and the suite's report options).  They judge the kit, not a
backend, so they live here rather than in the backend-facing suite."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conformance import backend as backend_mod
from conformance import clauses, coverage, known_deviations


def _pytest(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )


def test_every_must_clause_is_cited_and_every_citation_exists() -> None:
    """The clause coverage check: every MUST clause of SPEC.md has at least one test,
    and no test cites a clause that SPEC.md does not define."""
    index = clauses.index()
    cited = coverage.citations()
    unknown = {test: sorted(ids - set(index)) for test, ids in cited.items() if ids - set(index)}
    uncited_tests = sorted(test for test, ids in cited.items() if not ids)
    all_cited = set().union(*cited.values())
    untested = sorted(c for c in clauses.must_clauses() if c not in all_cited)
    assert not unknown, f"tests cite clauses missing from SPEC.md: {unknown}"
    assert not uncited_tests, f"tests citing no clause: {uncited_tests}"
    assert not untested, f"MUST clauses without any test: {untested}"


def test_the_packaged_spec_is_the_repositorys_spec() -> None:
    """SPEC.md is read as package data, and that is the one file in spec/."""
    repo_spec = Path(__file__).resolve().parents[1] / "spec" / "SPEC.md"
    assert clauses.SPEC_PATH.read_text(encoding="utf-8") == repo_spec.read_text(encoding="utf-8")
    assert clauses.spec_version()


def test_known_deviations_match_deviations_md() -> None:
    text = known_deviations.DEVIATIONS_PATH.read_text(encoding="utf-8")
    assert text == known_deviations.render_markdown(), (
        "spec/DEVIATIONS.md is out of date: run "
        "python -m conformance.known_deviations --write spec/DEVIATIONS.md"
    )


@pytest.mark.parametrize("spec", ["conformance.model", "reference"])
def test_known_deviation_entries_name_real_clauses_and_tests(spec: str) -> None:
    index = clauses.index()
    by_function: dict[str, set[str]] = {}
    for test, ids in coverage.citations().items():
        by_function.setdefault(test.split("::")[1], set()).update(ids)
    problems = []
    for name, table in known_deviations.TABLES.items():
        for d in table:
            if d.clause not in index:
                problems.append(f"{name}: unknown clause {d.clause}")
            if d.test is not None and d.clause not in by_function.get(d.test, set()):
                problems.append(f"{name}: no test function {d.test} citing {d.clause}")
    for key in backend_mod.load(spec).deviations:
        cid, _, test = key.partition("::")
        if cid not in index:
            problems.append(f"{spec} deviation {key!r}: unknown clause")
        if test and cid not in by_function.get(test, set()):
            problems.append(f"{spec} deviation {key!r}: no test function {test} citing {cid}")
    assert not problems, "\n".join(problems)


def test_the_backend_comes_from_the_option_else_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert backend_mod.resolve("conformance.funcs:Tag")[0].__name__ == "Tag"
    monkeypatch.setenv(backend_mod.ENV_VAR, "some.module")
    assert backend_mod.selected_spec(None) == "some.module"
    assert backend_mod.selected_spec("other:obj") == "other:obj"
    monkeypatch.delenv(backend_mod.ENV_VAR)
    assert backend_mod.selected_spec(None) is None


def test_the_entry_point_leaves_unrelated_runs_alone(tmp_path: Path) -> None:
    """A project with its own ``--backend`` option runs as if the kit were not
    installed: no option clash, no report, no clause table."""
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""
        def pytest_addoption(parser):
            parser.addoption("--backend", default="mine")
    """))
    (tmp_path / "test_own.py").write_text(textwrap.dedent("""
        def test_own(request):
            assert request.config.getoption("--backend") == "theirs"
    """))
    run = _pytest("--backend=theirs", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "clause report" not in run.stdout
    assert not (tmp_path / "conformance-report.json").exists()


def test_the_suite_without_a_backend_is_a_usage_error(tmp_path: Path) -> None:
    env = {k: v for k, v in __import__("os").environ.items() if k != backend_mod.ENV_VAR}
    run = _pytest("--pyargs", "conformance", "--collect-only", "-q", cwd=tmp_path, env=env)
    assert run.returncode == 4, run.stdout + run.stderr
    assert "--backend=MODULE" in run.stderr


def test_collect_only_writes_no_report(tmp_path: Path) -> None:
    run = _pytest(
        "--pyargs", "conformance", "--backend=conformance.model", "--collect-only", "-q", cwd=tmp_path
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "tests collected" in run.stdout
    assert not list(tmp_path.glob("conformance-report*"))


def test_the_report_goes_where_it_is_asked_and_names_the_spec(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "model.json"
    out.parent.mkdir()
    run = _pytest(
        "--pyargs", "conformance.suite.test_names", "--backend=conformance.model",
        f"--conformance-report={out}", "-q", cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(out.read_text())
    assert report["run"]["spec_version"] == clauses.spec_version()
    assert f"spec {clauses.spec_version()}" in run.stdout
    assert not (tmp_path / "conformance-report.json").exists()


def test_a_clause_the_backend_cannot_have_is_skipped_not_passed(tmp_path: Path) -> None:
    """ERR-6 applies only to backends declaring ``ray``: for the model it is skipped
    with that reason, although a lifecycle test that also cites it passes (BACK-4)."""
    out = tmp_path / "model.json"
    run = _pytest(
        "--pyargs", "conformance.suite.test_lifecycle", "conformance.suite.test_errors",
        "--backend=conformance.model", f"--conformance-report={out}", "-q", cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(out.read_text())
    results = {c["id"]: c for c in report["clauses"]}
    assert results["ERR-6"]["result"] == "skipped"
    assert any("capability ray" in reason for reason in results["ERR-6"]["reasons"])
    assert results["ERR-1"]["result"] == "passed" and results["ERR-1"]["reasons"] == []
    cited_and_passed = {
        c for t in report["tests"] if t["status"] == "passed" for c in t["clauses"]
    }
    assert "ERR-6" in cited_and_passed, "the premise: a passing test cites ERR-6"


def test_every_clause_of_chapters_4_to_9_draws_over_its_dimensions() -> None:
    """The method check: every MUST clause of §4–§9 lists the dimensions its text
    ranges over (conformance/suite/dimensions.py), and for each of them some test
    citing the clause draws it with Hypothesis, or the table records it as not yet
    drawn, with the reason; a recorded gap that a test now draws must be removed."""
    from conformance.suite import dimensions

    chapters = ("LOC", "GATH", "ORD", "LAZY", "SER", "SHARD")
    musts = [c for c in clauses.must_clauses() if c.split("-")[0] in chapters]
    missing = sorted(set(musts) - set(dimensions.CLAUSE_DIMENSIONS))
    assert not missing, f"MUST clauses of §4–§9 without a dimensions entry: {missing}"
    drawn: dict[str, set[str]] = {c: set() for c in musts}
    for test, ids in coverage.citations().items():
        module, function = test.split("::")
        dims = dimensions.drawn_dimensions(f"conformance.suite.{module}", function)
        for cid in ids & set(drawn):
            drawn[cid] |= dims
    problems = []
    for cid, dims in dimensions.CLAUSE_DIMENSIONS.items():
        assert dims <= set(dimensions.VOCABULARY), (cid, dims)
        gaps = dimensions.NOT_YET_DRAWN.get(cid, {})
        assert all(reason for reason in gaps.values()), cid
        for dim in sorted(dims):
            if dim in drawn.get(cid, set()) and dim in gaps:
                problems.append(f"{cid}: {dim} is drawn now; remove it from NOT_YET_DRAWN")
            elif dim not in drawn.get(cid, set()) and dim not in gaps:
                problems.append(f"{cid}: no test citing it draws {dim}, nor is it recorded as not yet drawn")
        problems += [f"{cid}: NOT_YET_DRAWN names {d}, not a listed dimension" for d in set(gaps) - dims]
    assert not problems, "\n".join(problems)
