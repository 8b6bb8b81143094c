"""The report pages in a real browser (headless Chromium): they load without
console errors, filtering to *failed* hides every other clause, a permalink
scrolls to and highlights its clause, and *differences only* shows exactly the
clauses whose results differ between two reports.

The pages come from two real runs of the same suite modules (conftest.py): the
model, and the model with a ``from_range`` that drops its last item."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def _results(report: Path) -> dict[str, str]:
    return {c["id"]: c["result"] for c in json.loads(report.read_text())["clauses"]}


def _matrix(tmp_path: Path, *reports: Path) -> Path:
    out = tmp_path / "matrix.html"
    run = subprocess.run(
        [sys.executable, "-m", "conformance.matrix", "--html", str(out), *map(str, reports)],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return out


def _in_viewport(page: Any, clause: str) -> bool:
    return page.evaluate(
        """id => { const r = document.getElementById(id).getBoundingClientRect();
                   return r.top >= 0 && r.bottom <= window.innerHeight; }""",
        clause,
    )


def _highlighted(page: Any, clause: str) -> bool:
    return page.evaluate(
        """id => { const el = document.getElementById(id);
                   return el.matches(':target') && getComputedStyle(el).outlineStyle !== 'none'; }""",
        clause,
    )


def test_the_run_page_loads_without_console_errors(runs, open_page) -> None:
    report, page_path = runs["broken"]
    page = open_page(page_path)
    assert page.errors == []
    assert sorted(page.visible_clauses()) == sorted(_results(report))
    assert page.page.is_visible("#filters"), "the script shows the filter bar"


def test_filtering_the_run_page_to_failed_hides_the_passing_clauses(runs, open_page) -> None:
    report, page_path = runs["broken"]
    results = _results(report)
    failed = sorted(cid for cid, result in results.items() if result == "failed")
    assert failed, "the premise: the broken backend fails a clause"
    page = open_page(page_path)
    page.page.select_option("select[name=result]", "failed")
    assert sorted(page.visible_clauses()) == failed
    assert page.errors == []


def test_filtering_the_matrix_to_failed_hides_the_passing_clauses(runs, open_page, tmp_path) -> None:
    reports = [runs["model"][0], runs["broken"][0]]
    failing_somewhere = sorted(
        cid for cid, result in _results(reports[1]).items()
        if result == "failed" or _results(reports[0])[cid] == "failed"
    )
    page = open_page(_matrix(tmp_path, *reports))
    assert page.errors == []
    page.page.select_option("select[name=result]", "failed")
    assert sorted(page.visible_clauses()) == failing_somewhere


@pytest.mark.parametrize("which", ["run", "matrix"])
def test_a_permalink_scrolls_to_and_highlights_its_clause(runs, open_page, tmp_path, which) -> None:
    report, run_page = runs["model"]
    clause = list(_results(report))[-1]  # the last clause: far below the first screen
    path = run_page if which == "run" else _matrix(tmp_path, report)
    page = open_page(path, clause)
    assert _in_viewport(page.page, clause)
    assert _highlighted(page.page, clause)
    first = list(_results(report))[0]
    assert not _in_viewport(page.page, first) and not _highlighted(page.page, first)
    assert page.errors == []


def test_a_permalink_to_a_filtered_out_clause_clears_the_filters(runs, open_page, tmp_path) -> None:
    report, _ = runs["broken"]
    passed = [cid for cid, result in _results(report).items() if result == "passed"]
    page = open_page(_matrix(tmp_path, report))
    page.page.select_option("select[name=result]", "failed")
    assert passed[-1] not in page.visible_clauses()
    page.page.evaluate("id => { location.hash = id; }", passed[-1])
    page.page.wait_for_function("id => document.getElementById(id).offsetParent !== null", arg=passed[-1])
    assert _in_viewport(page.page, passed[-1]) and _highlighted(page.page, passed[-1])


def test_differences_only_shows_exactly_the_differing_clauses(runs, open_page, tmp_path) -> None:
    model, broken = _results(runs["model"][0]), _results(runs["broken"][0])
    differing = sorted(cid for cid in model if model[cid] != broken.get(cid, "untested"))
    assert differing and len(differing) < len(model), "the premise: some clauses differ, not all"
    page = open_page(_matrix(tmp_path, runs["model"][0], runs["broken"][0]))
    assert len(page.visible_clauses()) == len(model)
    page.page.check("input[name=differs]")
    assert sorted(page.visible_clauses()) == differing
    page.page.uncheck("input[name=differs]")
    assert len(page.visible_clauses()) == len(model)
    assert page.errors == []


def test_without_javascript_every_clause_shows_and_a_permalink_still_works(runs, open_page, tmp_path) -> None:
    report, run_page = runs["broken"]
    results = _results(report)
    clause = list(results)[-1]
    for path in (run_page, _matrix(tmp_path, runs["model"][0], report)):
        page = open_page(path, clause, javascript=False)
        assert sorted(page.visible_clauses()) == sorted(results)
        assert not page.page.is_visible("#filters")
        assert _in_viewport(page.page, clause) and _highlighted(page.page, clause)


def test_the_matrix_filters_by_level_chapter_backend_and_text(runs, open_page, tmp_path) -> None:
    model_report, broken_report = runs["model"][0], runs["broken"][0]
    clauses = json.loads(model_report.read_text())["clauses"]
    page = open_page(_matrix(tmp_path, model_report, broken_report))
    p = page.page
    p.select_option("select[name=level]", "SHOULD")
    assert sorted(page.visible_clauses()) == sorted(c["id"] for c in clauses if c["level"] == "SHOULD")
    p.select_option("select[name=level]", "")
    chapter = clauses[0]["chapter"]
    p.select_option("select[name=chapter]", chapter)
    assert sorted(page.visible_clauses()) == sorted(c["id"] for c in clauses if c["chapter"] == chapter)
    p.select_option("select[name=chapter]", "")
    # one backend: its column alone, and the result filter reads that column only
    broken = _results(broken_report)
    p.select_option("select[name=backend]", "1")
    assert p.eval_on_selector_all("td[data-col='0']", "els => els.every(e => e.offsetParent === null)")
    p.select_option("select[name=result]", "passed")
    assert sorted(page.visible_clauses()) == sorted(c for c, r in broken.items() if r == "passed")
    p.click("button[type=reset]")
    p.wait_for_function("n => document.querySelectorAll('[data-clause]:not([hidden])').length === n",
                        arg=len(clauses))
    p.fill("input[name=q]", "from_range")
    shown = page.visible_clauses()
    assert "SRC-2" in shown and 0 < len(shown) < len(clauses)
    assert page.errors == []
