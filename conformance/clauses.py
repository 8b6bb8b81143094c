"""The clause index, parsed straight from ``spec/SPEC.md``.

The spec travels with the code: it is package data of :mod:`conformance` (the
repository's ``spec/`` directory, linked into the package) and is read through
:mod:`importlib.resources`, so an installed kit judges against exactly the spec
it was built with.

A clause is a paragraph that starts with ``**ID** (LEVEL) **Title.**`` where LEVEL is
``MUST``, ``SHOULD``, ``MAY`` or ``WITHDRAWN`` (SPEC preamble).  The chapter is the
nearest preceding ``## N. Title`` heading.  A paragraph saying "This clause applies
to backends that declare `CAPABILITY`" makes the clause need that capability
(BACK-4): the report shows it skipped for a backend without it.  The spec file is the only source of truth:
nothing here is hard-coded.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

SPEC_DIR: Traversable = resources.files("conformance") / "spec"
SPEC_PATH: Traversable = SPEC_DIR / "SPEC.md"

_CLAUSE_RE = re.compile(
    r"^\*\*(?P<id>[A-Z]+-\d+)\*\* \((?P<level>MUST|SHOULD|MAY|WITHDRAWN)\) \*\*(?P<title>.+?)\*\*"
)
_CHAPTER_RE = re.compile(r"^## (?P<chapter>\d+\.\s.*\S)\s*$")
_VERSION_RE = re.compile(r"^Spec version: \*\*(?P<version>[^*]+)\*\*", re.MULTILINE)
_NEEDS_RE = re.compile(r"This clause applies to backends that declare (?:the )?`(?P<capability>[a-z_]+)`")

LEVELS = ("MUST", "SHOULD", "MAY", "WITHDRAWN")


@dataclass(frozen=True)
class Clause:
    """One normative clause of the spec."""

    id: str
    level: str
    title: str
    chapter: str
    #: capabilities a backend must declare for the clause to apply (BACK-4)
    needs: frozenset[str] = frozenset()


def parse(text: str) -> dict[str, Clause]:
    """Return ``{clause id: Clause}`` for every clause paragraph in ``text``.

    Raises ``ValueError`` on a duplicated ID (IDs are never reused, SPEC preamble).
    """
    clauses: dict[str, Clause] = {}
    paragraphs: dict[str, list[str]] = {}
    chapter = ""
    current: list[str] | None = None
    previous_blank = True
    for line in text.splitlines():
        heading = _CHAPTER_RE.match(line)
        if heading:
            chapter = heading.group("chapter")
        match = _CLAUSE_RE.match(line) if previous_blank else None
        if match:
            cid = match.group("id")
            if cid in clauses:
                raise ValueError(f"duplicate clause id {cid} in the spec")
            title = match.group("title").strip().rstrip(".")
            clauses[cid] = Clause(cid, match.group("level"), title, chapter)
            current = paragraphs[cid] = []
        if not line.strip():
            current = None
        elif current is not None:
            current.append(line)
        previous_blank = not line.strip()
    for cid, lines in paragraphs.items():
        needs = frozenset(m.group("capability") for m in _NEEDS_RE.finditer(" ".join(lines)))
        if needs:
            clauses[cid] = dataclasses.replace(clauses[cid], needs=needs)
    return clauses


def parse_version(text: str) -> str | None:
    """Return the spec version from the ``Spec version: **x.y.z**`` header line."""
    match = _VERSION_RE.search(text)
    return match.group("version").strip() if match else None


@functools.cache
def index(path: Traversable = SPEC_PATH) -> dict[str, Clause]:
    """The clause index of the spec at ``path`` (cached)."""
    return parse(path.read_text(encoding="utf-8"))


@functools.cache
def spec_version(path: Traversable = SPEC_PATH) -> str | None:
    """The version of the spec at ``path`` (cached)."""
    return parse_version(path.read_text(encoding="utf-8"))


def must_clauses(path: Traversable = SPEC_PATH) -> set[str]:
    """IDs of every MUST clause."""
    return {cid for cid, c in index(path).items() if c.level == "MUST"}

