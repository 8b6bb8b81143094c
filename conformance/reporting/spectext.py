"""Each clause's own text, from the spec the kit ships (``conformance/spec/SPEC.md``).

A clause's text runs from its ``**ID** (LEVEL) **Title.**`` paragraph up to the next
clause paragraph or heading, so a clause continued by a list or a second paragraph
keeps it.  The ``**ID** (LEVEL) **Title.**`` opening itself is left out: pages show
those fields on their own.  A clause that is a row of a table (its ID in the row's
first cell, as the BAD-n rows of ERR-5) gets that table's header and its own row
after its text.
"""

from __future__ import annotations

import functools
import re

from conformance import clauses

_OPENING = re.compile(r"^\*\*(?P<id>[A-Z]+-\d+)\*\* \((?:MUST|SHOULD|MAY|WITHDRAWN)\) \*\*.+?\*\*\s*")
_HEADING = re.compile(r"^#{1,6} ")
_ROW = re.compile(r"^\|\s*\*\*(?P<id>[A-Z]+-\d+)\*\*\s*\|")
_SEPARATOR = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")


def _table_rows(lines: list[str]) -> dict[str, list[str]]:
    """``{clause id: [table header, separator, the clause's row]}`` for every table row
    whose first cell is a clause ID in bold."""
    rows: dict[str, list[str]] = {}
    header: list[str] = []
    for i, line in enumerate(lines):
        if i > 0 and _SEPARATOR.match(line) and lines[i - 1].startswith("|"):
            header = [lines[i - 1], line]
        elif not line.startswith("|"):
            header = []
        row = _ROW.match(line)
        if row and header:
            rows[row.group("id")] = [*header, line]
    return rows


def parse(text: str) -> dict[str, str]:
    """``{clause id: its text}`` for every clause paragraph in the spec ``text``."""
    texts: dict[str, list[str]] = {}
    current: list[str] | None = None
    previous_blank = True
    for line in text.splitlines():
        opening = _OPENING.match(line) if previous_blank else None
        if opening:
            current = texts[opening.group("id")] = [line[opening.end():]]
        elif _HEADING.match(line):
            current = None
        elif current is not None:
            current.append(line)
        previous_blank = not line.strip()
    rows = _table_rows(text.splitlines())
    out = {cid: "\n".join(lines).strip() for cid, lines in texts.items()}
    for cid, row in rows.items():
        if cid in out:
            out[cid] = f"{out[cid]}\n\n" + "\n".join(row)
    return out


@functools.cache
def texts() -> dict[str, str]:
    """The text of every clause of the shipped spec (cached)."""
    return parse(clauses.SPEC_PATH.read_text(encoding="utf-8"))
