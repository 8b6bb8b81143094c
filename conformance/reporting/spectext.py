"""Each clause's own text, from the spec the kit ships (``conformance/spec/SPEC.md``).

A clause's text runs from its ``**ID** (LEVEL) **Title.**`` paragraph up to the next
clause paragraph or heading, so a clause continued by a list or a second paragraph
keeps it.  The ``**ID** (LEVEL) **Title.**`` opening itself is left out: pages show
those fields on their own.
"""

from __future__ import annotations

import functools
import re

from conformance import clauses

_OPENING = re.compile(r"^\*\*(?P<id>[A-Z]+-\d+)\*\* \((?:MUST|SHOULD|MAY|WITHDRAWN)\) \*\*.+?\*\*\s*")
_HEADING = re.compile(r"^#{1,6} ")


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
    return {cid: "\n".join(lines).strip() for cid, lines in texts.items()}


@functools.cache
def texts() -> dict[str, str]:
    """The text of every clause of the shipped spec (cached)."""
    return parse(clauses.SPEC_PATH.read_text(encoding="utf-8"))
