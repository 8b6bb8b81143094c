"""One self-contained HTML page for one run (``--conformance-html=PATH``, or
``python -m conformance.reporting.run_page REPORT.json PAGE.html`` from a JSON report).

It shows the run (backend, version, capabilities, spec version, Hypothesis profile,
time), the number of clauses per level and result, then one section per spec
chapter with, per clause, its ID (a permalink, ``#ID``), level, title and result,
the reasons of a skip, the clause's own text from SPEC.md (folded), and the tests
citing it with their status and short message (failure, skip, xfail or deviation
reason).  Filters by result, level and chapter and a text search need the script;
the content does not.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from conformance.reporting import html, spectext
from conformance.reporting.model import RESULTS, ClauseRow, RunReport, TestRecord


def _time(seconds: Any) -> str:
    try:
        return dt.datetime.fromtimestamp(float(seconds), dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError, OverflowError):
        return "unknown"


def _run_facts(run: dict[str, Any]) -> str:
    facts = [
        ("backend", f"<code>{escape(str(run.get('backend')))}</code>"),
        ("backend version", escape(str(run.get("backend_version")))),
        ("capabilities", ", ".join(f"<code>{escape(c)}</code>" for c in run.get("capabilities", []))),
        ("known deviations", str(len(run.get("known_deviations") or {}))),
        ("spec version", escape(str(run.get("spec_version")))),
        ("Hypothesis profile", escape(f"{run.get('hypothesis_profile')}, seed {run.get('hypothesis_seed')}")),
        ("started", _time(run.get("started"))),
        ("duration", f"{float(run.get('duration') or 0):.0f} s"),
        ("exit status", escape(str(run.get("exitstatus")))),
        ("Ray, Python", escape(f"{run.get('ray_version')}, {run.get('python')} on {run.get('platform')}")),
    ]
    return '<dl class="run">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"


def _counts(report: RunReport) -> str:
    counts = report.counts()
    present = [r for r in RESULTS if any(r in per for per in counts.values())]
    head = "".join(f"<th scope=\"col\">{html.badge(r)}</th>" for r in present)
    rows = []
    for level, per in counts.items():
        cells = "".join(f"<td>{per.get(r, 0)}</td>" for r in present)
        rows.append(f"<tr><th scope=\"row\">{escape(level)}</th>{cells}<td>{sum(per.values())}</td></tr>")
    return (
        '<table class="counts"><caption>clauses per level and result</caption>'
        f"<tr><th>level</th>{head}<th scope=\"col\">all</th></tr>{''.join(rows)}</table>"
    )


def _test_item(test: TestRecord) -> str:
    why = test.message if test.status != "passed" else ""
    if test.deviation and test.deviation not in why:
        why = f"{why} (deviation: {test.deviation})".strip()
    note = f' <span class="why">{escape(why)}</span>' if why else ""
    return f"<li>{html.badge(test.status)} <code>{escape(test.nodeid)}</code>{note}</li>"


#: results whose tests are listed unfolded: the messages say what went wrong
_OPEN = ("failed", "error", "should-fail", "xfailed")
_COLUMN = ' data-col="0"'  # the run is the page's only column of results


def _clause(row: ClauseRow, tests: list[TestRecord], text: str) -> str:
    reasons = f'<p class="why">{escape("; ".join(row.reasons))}</p>' if row.reasons else ""
    spec = f"<details><summary>spec text</summary><div class=\"spec\">{html.spec_html(text)}</div></details>"
    listed = (
        f"<details{' open' if row.result in _OPEN else ''}><summary>{len(tests)} "
        f"test{'s' if len(tests) != 1 else ''} citing it</summary>"
        f"<ul class=\"tests\">{''.join(_test_item(t) for t in tests)}</ul></details>"
        if tests else '<p class="why">no test of this run cites it</p>'
    )
    return (
        f'<article class="clause" id="{escape(row.id)}" data-clause data-level="{escape(row.level)}" '
        f'data-chapter="{escape(row.chapter)}"><h3><a class="permalink" href="#{escape(row.id)}">'
        f'{escape(row.id)}</a> <span class="level">{escape(row.level)}</span> {escape(row.title)} '
        f'{html.badge(row.result, attrs=_COLUMN)}</h3>{reasons}{spec}{listed}</article>'
    )


def render(report: RunReport) -> str:
    """The page of ``report`` as one HTML document."""
    texts = spectext.texts()
    citing = report.tests_citing()
    chapters: dict[str, list[ClauseRow]] = {}
    for row in report.clauses:
        chapters.setdefault(row.chapter, []).append(row)
    levels = list(dict.fromkeys(row.level for row in report.clauses))
    form = html.filter_form([
        html.select("result", "result", [(r, r) for r in RESULTS]),
        html.select("level", "level", [(lv, lv) for lv in levels]),
        html.select("chapter", "chapter", [(c, c) for c in chapters]),
    ])
    sections = []
    for chapter, rows in chapters.items():
        body = "".join(_clause(r, citing.get(r.id, []), texts.get(r.id, "")) for r in rows)
        sections.append(
            f'<section><h2 data-chapter-head="{escape(chapter)}">{escape(chapter)}</h2>{body}</section>'
        )
    backend = str(report.run.get("backend"))
    body = (
        f"<header><h1>Conformance report: <code>{escape(backend)}</code></h1>"
        f"{_run_facts(report.run)}{_counts(report)}</header>{form}<main>{''.join(sections)}</main>"
    )
    return html.page(f"Conformance report: {backend}", body)


def main(argv: list[str] | None = None) -> int:
    """``python -m conformance.reporting.run_page REPORT.json PAGE.html``: the page of
    a run from its JSON report, as ``--conformance-html`` would have written it."""
    import argparse
    from pathlib import Path

    from conformance.reporting.model import load

    parser = argparse.ArgumentParser(
        prog="python -m conformance.reporting.run_page", description=main.__doc__
    )
    parser.add_argument("report", type=Path)
    parser.add_argument("page", type=Path)
    args = parser.parse_args(argv)
    if not args.report.is_file():
        parser.error(f"no such report file: {args.report}")
    args.page.write_text(render(load(args.report)), encoding="utf-8")
    print(f"HTML report written to {args.page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
