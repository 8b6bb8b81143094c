"""The clause x backend matrix as one self-contained HTML page
(``python -m conformance.matrix --html PATH``).

One row per clause (ID as a permalink ``#ID``, level, title with its spec text
folded), one column per run, each cell the clause's result as symbol and word, with
the reasons of a skip and the messages of the tests that did not pass folded in the
cell.  Rows group under their spec chapter.  The filters (result, level, chapter,
backend, text) and the *differences only* view -- the clauses whose result is not
the same in every column with a report -- need the script; the table does not.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from conformance.reporting import html, spectext
from conformance.reporting.matrix_table import Column, Row, rows
from conformance.reporting.model import LABEL, RESULTS, ClauseRow, RunReport

#: at most this many failing tests' messages are shown in one cell
MESSAGES_PER_CELL = 5


def _column_head(i: int, column: Column) -> str:
    if column.report is None:
        info = escape(column.missing)
    else:
        run = column.report.run
        when = dt.datetime.fromtimestamp(float(run.get("started") or 0), dt.UTC).strftime("%Y-%m-%d")
        info = escape(
            f"version {run.get('backend_version')}, spec {run.get('spec_version')}, "
            f"{run.get('hypothesis_profile')} profile, {when}, exit {run.get('exitstatus')}"
        )
    return (
        f'<th scope="col" data-col="{i}"><code>{escape(column.label)}</code>'
        f'<br><span class="why">{info}</span></th>'
    )


def _cell(i: int, cell: ClauseRow | None, column: Column, failing: list[str]) -> str:
    if cell is None:
        return f'<td class="r-none" data-col="{i}">{escape(column.missing)}</td>'
    notes = list(cell.reasons) + failing[:MESSAGES_PER_CELL]
    if len(failing) > MESSAGES_PER_CELL:
        notes.append(f"... and {len(failing) - MESSAGES_PER_CELL} more")
    detail = (
        f'<details><summary>why</summary><div class="why">{escape(chr(10).join(notes))}</div></details>'
        if notes else ""
    )
    symbol, word = LABEL.get(cell.result, ("?", cell.result))
    return (
        f'<td class="result r-{escape(cell.result)}" data-col="{i}" data-result="{escape(cell.result)}">'
        f'<span aria-hidden="true">{symbol}</span> {escape(word)}{detail}</td>'
    )


def _failing(report: RunReport | None) -> dict[str, list[str]]:
    """``{clause id: "nodeid: message" of each of its tests that did not pass or skip}``."""
    out: dict[str, list[str]] = {}
    for test in report.tests if report else []:
        if test.status in ("passed", "skipped"):
            continue
        for cid in test.clauses:
            name = test.nodeid.rsplit("::", 1)[-1]
            out.setdefault(cid, []).append(f"{test.status}: {name}: {test.message}")
    return out


def _row(row: Row, columns: list[Column], failing: list[dict[str, list[str]]], text: str) -> str:
    c = row.clause
    cells = "".join(
        _cell(i, cell, col, fails.get(c.id, []))
        for i, (cell, col, fails) in enumerate(zip(row.cells, columns, failing, strict=True))
    )
    spec = f'<details><summary>spec text</summary><div class="spec">{html.spec_html(text)}</div></details>'
    return (
        f'<tr id="{escape(c.id)}" data-clause data-level="{escape(c.level)}" '
        f'data-chapter="{escape(c.chapter)}" data-differs="{1 if row.differs else 0}">'
        f'<th scope="row"><a class="permalink" href="#{escape(c.id)}">'
        f'{escape(c.id)}</a></th><td><span class="level">{escape(c.level)}</span></td>'
        f"<td>{escape(c.title)}{spec}</td>{cells}</tr>"
    )


def render(columns: list[Column], bench_link: str | None = None) -> str:
    """The matrix page of ``columns``; ``bench_link`` adds a link to the benchmark page."""
    texts = spectext.texts()
    grid = rows(columns)
    failing = [_failing(col.report) for col in columns]
    chapters = list(dict.fromkeys(r.clause.chapter for r in grid))
    levels = list(dict.fromkeys(r.clause.level for r in grid))
    form = html.filter_form(
        [
            html.select("result", "result", [(r, r) for r in RESULTS]),
            html.select("level", "level", [(lv, lv) for lv in levels]),
            html.select("chapter", "chapter", [(c, c) for c in chapters]),
            html.select("backend", "backend", [(str(i), col.label) for i, col in enumerate(columns)]),
        ],
        differs=True,
    )
    body_rows = []
    current = None
    span = 3 + len(columns)
    for row in grid:
        if row.clause.chapter != current:
            current = row.clause.chapter
            body_rows.append(
                f'<tr class="chapter" data-chapter-head="{escape(current)}"><th colspan="{span}">'
                f"{escape(current)}</th></tr>"
            )
        body_rows.append(_row(row, columns, failing, texts.get(row.clause.id, "")))
    differing = sum(r.differs for r in grid)
    link = f' <a href="{escape(bench_link)}">Benchmark results</a>.' if bench_link else ""
    head = "".join(_column_head(i, col) for i, col in enumerate(columns))
    body = (
        f"<header><h1>Conformance matrix</h1><p>{len(grid)} clauses, {len(columns)} columns; "
        f"{differing} clauses differ between the columns.{link}</p></header>{form}"
        '<table class="matrix"><thead><tr><th scope="col">clause</th><th scope="col">level</th>'
        f'<th scope="col">title</th>{head}</tr></thead><tbody>{"".join(body_rows)}</tbody></table>'
    )
    return html.page("Conformance matrix", body)
