"""The HTML reports against the JSON reports they are drawn from.

The matrix of the example reports in docs/examples/ (real runs of the reference,
the model and ray.util.iter) renders every clause once, each cell with the result
the clause has in that column's JSON report, as a word as well as a class; the
page of a run shows every clause with its result and the tests citing it.  Pages
load nothing from elsewhere, and a matrix of five runs stays under 1 MB."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conformance import clauses, matrix
from conformance.reporting import model, run_page

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
REPORTS = sorted(EXAMPLES.glob("*.json"))


class Clauses(HTMLParser):
    """Per element carrying ``data-clause``: its ``id``, the results of its result
    cells (``data-result``, in order) and their text, and its tests (``li`` items)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict] = {}
        self.differs: dict[str, str] = {}
        self.external: list[str] = []
        self._row: dict | None = None
        self._cell: list[str] | None = None
        self._depth = 0
        self._row_tag = ""
        self._row_depth = 0  # open elements named like the clause's own (tables nest rows)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("src", "href"):
            if a.get(key) and not str(a[key]).startswith(("#", "data:")):
                self.external.append(f"{tag} {key}={a[key]}")
        if tag == "link":
            self.external.append("link")
        if self._row is not None and tag == self._row_tag:
            self._row_depth += 1
        if "data-clause" in a:
            self._row = self.rows[str(a["id"])] = {"results": [], "texts": [], "tests": 0}
            self._row_tag, self._row_depth = tag, 1
            self.differs[str(a["id"])] = str(a.get("data-differs"))
        elif self._row is not None and "data-result" in a and self._cell is None:
            self._row["results"].append(a["data-result"])
            self._cell, self._depth = [], 0
        elif self._row is not None and tag == "li":
            self._row["tests"] += 1
        if self._cell is not None:
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._cell is not None:
            self._depth -= 1
            if self._depth == 0:
                self._row["texts"].append("".join(self._cell))
                self._cell = None
        if self._row is not None and tag == self._row_tag:
            self._row_depth -= 1
            if self._row_depth == 0:
                self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _parse(text: str) -> Clauses:
    parser = Clauses()
    parser.feed(text)
    return parser


def _results(path: Path) -> dict[str, str]:
    return {c["id"]: c["result"] for c in json.loads(path.read_text())["clauses"]}


def test_the_examples_are_real_runs_of_three_backends() -> None:
    backends = {json.loads(p.read_text())["run"]["backend"] for p in REPORTS}
    assert backends == {"reference", "conformance.model", "ray.util.iter"}
    for path in REPORTS:
        assert set(_results(path)) == set(clauses.index()), f"{path.name} is of another spec version"


def test_the_matrix_renders_every_clause_with_its_result_in_each_report(tmp_path: Path) -> None:
    out = tmp_path / "matrix.html"
    assert matrix.main(["--html", str(out), *map(str, REPORTS)]) == 0
    page = _parse(out.read_text(encoding="utf-8"))
    expected = [_results(p) for p in REPORTS]
    assert list(page.rows) == list(expected[0]), "one row per clause, in spec order"
    for cid, row in page.rows.items():
        results = [e[cid] for e in expected]
        assert row["results"] == results, cid
        for text, result in zip(row["texts"], results, strict=True):
            assert model.LABEL[result][1] in text, f"{cid}: result {result} not written out in {text!r}"
        assert page.differs[cid] == ("1" if len(set(results)) > 1 else "0"), cid
    assert page.external == []


def test_a_run_page_shows_every_clause_its_result_and_its_tests() -> None:
    for path in REPORTS:
        data = json.loads(path.read_text())
        page = _parse(run_page.render(model.from_dict(data)))
        assert list(page.rows) == [c["id"] for c in data["clauses"]]
        for clause in data["clauses"]:
            citing = [t for t in data["tests"] if clause["id"] in t["clauses"]]
            row = page.rows[clause["id"]]
            # the clause's own result first, then one per test citing it
            assert row["results"] == [clause["result"]] + [t["status"] for t in citing], clause["id"]
            assert row["tests"] == len(citing)
        assert page.external == []


def test_a_matrix_of_five_runs_stays_under_one_megabyte(tmp_path: Path) -> None:
    reports = []
    for i in range(5):
        source = REPORTS[i % len(REPORTS)]
        reports.append(tmp_path / f"run{i}.json")
        shutil.copy(source, reports[-1])
    out = tmp_path / "matrix.html"
    assert matrix.main(["--html", str(out), *map(str, reports)]) == 0
    assert len(_parse(out.read_text(encoding="utf-8")).rows) == len(clauses.index())
    assert out.stat().st_size < 1_000_000


def test_a_run_writes_its_page_beside_its_json_report_and_clauses_into_junit(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.suite.test_names",
         "--backend=conformance.model", "--conformance-report=out/model.json",
         "--conformance-html=out/model.html", "--junitxml=out/junit.xml", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "HYPOTHESIS_PROFILE": "dev", "RAY_ADDRESS": "local"},
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "HTML report written to" in run.stdout
    results = _results(tmp_path / "out" / "model.json")
    page = _parse((tmp_path / "out" / "model.html").read_text(encoding="utf-8"))
    assert {cid: row["results"][0] for cid, row in page.rows.items()} == results
    cited = {
        t["nodeid"].rsplit("::", 1)[-1]: " ".join(t["clauses"])
        for t in json.loads((tmp_path / "out" / "model.json").read_text())["tests"]
    }
    cases = ElementTree.parse(tmp_path / "out" / "junit.xml").getroot().iter("testcase")
    junit = {
        case.get("name"): [p.get("value") for p in case.iter("property") if p.get("name") == "clauses"]
        for case in cases
    }
    assert junit == {name: [ids] for name, ids in cited.items()}


@pytest.mark.parametrize("arg", ["missing.json"])
def test_the_matrix_refuses_a_report_that_does_not_exist(tmp_path: Path, arg: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "conformance.matrix", "--html", "m.html", arg],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 2 and "no such report file: missing.json" in run.stderr
    assert not (tmp_path / "m.html").exists()


def test_the_benchmark_page_holds_every_table_row_and_the_chart(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the bench extra is not installed")
    from conformance.bench import report

    latest = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "latest.json"
    report.main([str(latest), str(tmp_path)])
    markdown = (tmp_path / "results.md").read_text()
    page = (tmp_path / "results.html").read_text(encoding="utf-8")
    table_lines = [
        line for line in markdown.splitlines() if line.startswith("|") and not set(line) <= set("|-: ")
    ]
    assert page.count("<tr>") == len(table_lines) > 0
    for line in table_lines:
        first = line.strip("|").split("|")[0].strip().strip("`")
        assert first in page, first
    assert page.count('src="data:image/png;base64,') == 1
    parser = _parse(page)
    assert parser.external == [] and "<link" not in page


def test_every_clause_has_its_spec_text_and_a_table_row_clause_its_row() -> None:
    from conformance.reporting import spectext

    texts = spectext.texts()
    spec = clauses.SPEC_PATH.read_text(encoding="utf-8")
    assert set(texts) == set(clauses.index())
    for cid, text in texts.items():
        assert text, cid
        assert text.splitlines()[0] in spec, cid
    rows = [line for line in spec.splitlines() if line.startswith("| **") and "** |" in line]
    assert rows, "the premise: the spec has clauses that are table rows"
    for line in rows:
        cid = line.split("**")[1]
        assert line in texts[cid], cid


def test_a_clause_with_a_test_not_run_is_not_passed():
    """A verdict is earned: a clause one of whose tests the run did not reach
    (it stopped after the backend hung) reads not-run with the reason, unless
    another of its tests failed; the message prefix is what marks such a test."""
    from conformance.reporting.model import NOT_RUN_PREFIX, TestRecord, clause_results

    stop = f"{NOT_RUN_PREFIX}the backend hung 3 times"
    records = [
        TestRecord("m::passes", ["SRC-1", "SRC-2"], "passed"),
        TestRecord("m::stopped", ["SRC-1", "SRC-2"], "skipped", stop),
        TestRecord("m::fails", ["SRC-2"], "failed", "AssertionError"),
        TestRecord("m::lacks_a_capability", ["SRC-3"], "skipped", "needs metrics"),
    ]
    results = clause_results(records, frozenset())
    assert (results["SRC-1"].result, results["SRC-1"].reasons) == ("not-run", [stop])
    assert results["SRC-2"].result == "failed"
    assert results["SRC-3"].result == "skipped"
