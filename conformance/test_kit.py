"""Self-checks of the kit: clause coverage, and the known-deviation table against
spec/DEVIATIONS.md.  They do not exercise the backend (beyond loading it)."""

from __future__ import annotations

from typing import Any

from conformance import clauses, coverage, known_deviations
from conformance.util import clauses as cites


@cites("BACK-2")
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


@cites("BACK-2", "BACK-3")
def test_known_deviations_match_deviations_md() -> None:
    text = known_deviations.DEVIATIONS_PATH.read_text(encoding="utf-8")
    assert text == known_deviations.render_markdown(), (
        "spec/DEVIATIONS.md is out of date: run python -m conformance.known_deviations --write"
    )


@cites("BACK-2", "BACK-3")
def test_known_deviation_entries_name_real_clauses_and_tests(backend: Any) -> None:
    index = clauses.index()
    cited = coverage.citations()
    by_function: dict[str, set[str]] = {}
    for test, ids in cited.items():
        by_function.setdefault(test.split("::")[1], set()).update(ids)
    problems = []
    tables = dict(known_deviations.TABLES)
    for name, table in tables.items():
        for d in table:
            if d.clause not in index:
                problems.append(f"{name}: unknown clause {d.clause}")
            if d.test is not None and d.clause not in by_function.get(d.test, set()):
                problems.append(f"{name}: no test function {d.test} citing {d.clause}")
    for key in backend.deviations:
        cid, _, test = key.partition("::")
        if cid not in index:
            problems.append(f"backend deviation {key!r}: unknown clause")
        if test and cid not in by_function.get(test, set()):
            problems.append(f"backend deviation {key!r}: no test function {test} citing {cid}")
    assert not problems, "\n".join(problems)
