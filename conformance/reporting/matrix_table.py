"""The clause x backend grid, built from run reports, and its markdown form.

A column is one run (one backend, or one version of a backend) or a backend that
could not be judged (not installed, or its run wrote no report).  A row is one
clause, in spec order; its cell in a column is the clause's result in that run
(``untested`` if the run's report does not have it).  A row *differs* when the
columns that have a report do not all give the clause the same result.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from conformance.reporting.model import ClauseRow, RunReport

#: a result in the markdown table
MARKDOWN = {
    "passed": "pass",
    "failed": "**FAIL**",
    "error": "**ERROR**",
    "should-fail": "should-fail",
    "xfailed": "xfail",
    "skipped": "skip",
    "untested": "—",
}


@dataclass
class Column:
    """One column: its label, the run's report, or why there is none."""

    label: str
    report: RunReport | None
    missing: str = ""


@dataclass
class Row:
    """One clause: its index entry and its result per column (None: no report)."""

    clause: ClauseRow
    cells: list[ClauseRow | None]

    @property
    def differs(self) -> bool:
        return len({c.result for c in self.cells if c is not None}) > 1


def labels(reports: list[tuple[str, RunReport | None]]) -> list[str]:
    """Column labels: the backend, with its version when two columns share a backend,
    and the report file's name when that is not enough."""
    names = [name for name, _ in reports]
    out = []
    for name, report in reports:
        label = str(report.run.get("backend")) if report is not None else name
        out.append(label)
    dupes = {lbl for lbl, n in Counter(out).items() if n > 1}
    for i, (_, report) in enumerate(reports):
        if out[i] in dupes and report is not None:
            out[i] = f"{out[i]} {report.run.get('backend_version')}"
    dupes = {lbl for lbl, n in Counter(out).items() if n > 1}
    for i, name in enumerate(names):
        if out[i] in dupes:
            out[i] = f"{out[i]} ({Path(name).name})"
    return out


def rows(columns: list[Column]) -> list[Row]:
    """Every clause any column's report has, in spec order (first report first)."""
    order: dict[str, ClauseRow] = {}
    by_column: list[dict[str, ClauseRow]] = []
    for column in columns:
        found = {c.id: c for c in (column.report.clauses if column.report else [])}
        by_column.append(found)
        for cid, clause in found.items():
            order.setdefault(cid, clause)
    grid = []
    for cid, clause in order.items():
        cells: list[ClauseRow | None] = []
        for column, found in zip(columns, by_column, strict=True):
            if column.report is None:
                cells.append(None)
            else:
                absent = ClauseRow(cid, clause.level, clause.title, clause.chapter, "untested")
                cells.append(found.get(cid) or absent)
        grid.append(Row(clause, cells))
    return grid


def markdown(columns: list[Column]) -> str:
    """The grid as a markdown document: one line per run, then the table."""
    lines = [
        "| clause | level | title | " + " | ".join(f"`{c.label}`" for c in columns) + " |",
        "|---|---|---|" + "---|" * len(columns),
    ]
    for row in rows(columns):
        cells = [
            MARKDOWN.get(c.result, c.result) if c else col.missing
            for c, col in zip(row.cells, columns, strict=True)
        ]
        c = row.clause
        lines.append(f"| {c.id} | {c.level} | {c.title} | " + " | ".join(cells) + " |")
    runs = []
    for c in columns:
        if c.report is None:
            runs.append(f"- `{c.label}`: {c.missing}")
        else:
            info = c.report.run
            runs.append(
                f"- `{c.label}`: exit status {info.get('exitstatus')}, {info.get('duration', 0):.0f} s, "
                f"spec {info.get('spec_version')}, Ray {info.get('ray_version')}, "
                f"Hypothesis profile {info.get('hypothesis_profile')}"
            )
    return "# Conformance matrix\n\n" + "\n".join(runs) + "\n\n" + "\n".join(lines) + "\n"
