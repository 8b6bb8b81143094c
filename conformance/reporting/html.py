"""Shared pieces of the HTML pages: the style, the filter script, result badges and
the spec text as HTML.

Pages are self-contained (no network, nothing loaded from elsewhere) and readable
without JavaScript: every clause is in the page, spec texts fold with ``<details>``,
a permalink (``#ID``) scrolls to its clause and ``:target`` highlights it.  Only the
filters need the script; without it they stay hidden.  A result is a symbol and a
word as well as a colour, so it reads in print and without colour.
"""

from __future__ import annotations

import re
from html import escape

from conformance.reporting.model import LABEL

_CODE = re.compile(r"`([^`]+)`")
_STRONG = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_ITEM = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")
_SEPARATOR = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")

STYLE = """
:root { --pass:#1a7f37; --fail:#cf222e; --warn:#9a6700; --dev:#8250df; --skip:#57606a; --hl:#fff8c5; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 1em 1.5em;
  max-width: 1400px; color: #1f2328; background: #fff; }
h1 { font-size: 1.5em; margin: .2em 0; } h2 { font-size: 1.2em; margin: 1.2em 0 .4em;
  border-bottom: 1px solid #d0d7de; } h3 { font-size: 1em; margin: 0; }
code { font: 12px ui-monospace, "SFMono-Regular", Menlo, monospace; background: #f6f8fa; padding: 0 .2em; }
table { border-collapse: collapse; } .num { text-align: right; }
th, td { border: 1px solid #d0d7de; padding: .25em .5em;
  text-align: left; vertical-align: top; }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; margin: .5em 0; }
dl.run dt { font-weight: 600; } dl.run dd { margin: 0; }
.result { font-weight: 600; white-space: nowrap; }
.r-passed { color: var(--pass); } .r-failed, .r-error { color: var(--fail); }
.r-should-fail { color: var(--warn); } .r-xfailed { color: var(--dev); }
.r-skipped, .r-untested, .r-none, .r-not-run { color: var(--skip); font-weight: 400; }
td.r-passed { background: #dafbe1; } td.r-failed, td.r-error { background: #ffebe9; }
td.r-should-fail { background: #fff8c5; } td.r-xfailed { background: #fbefff; }
td.r-skipped, td.r-untested, td.r-none, td.r-not-run { background: #f6f8fa; }
.level { font: 11px ui-monospace, monospace; border: 1px solid currentColor; border-radius: 3px;
  padding: 0 .3em; }
.clause { border: 1px solid #d0d7de; border-radius: 6px; padding: .5em .75em; margin: .5em 0;
  scroll-margin-top: 5em; }
tr[data-clause] { scroll-margin-top: 5em; }
.clause:target, tr[data-clause]:target, tr[data-clause]:target > * { background: var(--hl);
  outline: 3px solid #bf8700; }
.spec { color: #1f2328; } .spec p, .spec ul { margin: .3em 0; }
details > summary { cursor: pointer; color: #0969da; }
ul.tests { margin: .3em 0; padding-left: 1.2em; } ul.tests li { margin: .1em 0; }
th .why { font-weight: 400; }
.why { color: #57606a; font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.filters { position: sticky; top: 0; background: #f6f8fa; border: 1px solid #d0d7de; padding: .5em;
  display: flex; flex-wrap: wrap; gap: .5em 1em; align-items: center; z-index: 1; }
.filters label { white-space: nowrap; }
table.matrix th[scope=col] { position: sticky; top: 3.2em; background: #fff; }
tr.chapter th { background: #eaeef2; }
a.permalink { color: inherit; text-decoration: none; } a.permalink:hover { text-decoration: underline; }
@media print { .filters { display: none; } details > :not(summary) { display: block; } }
"""

SCRIPT = r"""
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.hidden = false;
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-clause]"));
  var heads = Array.prototype.slice.call(document.querySelectorAll("[data-chapter-head]"));
  var status = document.getElementById("shown");
  function value(name) { var el = form.elements[name]; return el ? el.value : ""; }
  function apply() {
    var result = value("result"), level = value("level"), chapter = value("chapter");
    var backend = value("backend"), text = value("q").trim().toLowerCase();
    var diff = form.elements.differs ? form.elements.differs.checked : false;
    document.querySelectorAll("[data-col]").forEach(function (cell) {
      cell.hidden = backend !== "" && cell.getAttribute("data-col") !== backend;
    });
    var shown = 0, chapters = {};
    items.forEach(function (item) {
      var cells = Array.prototype.slice.call(item.querySelectorAll("[data-result]"));
      if (backend !== "") {
        cells = cells.filter(function (c) { return c.getAttribute("data-col") === backend; });
      }
      var ok = (level === "" || item.getAttribute("data-level") === level)
        && (chapter === "" || item.getAttribute("data-chapter") === chapter)
        && (result === "" || cells.some(function (c) { return c.getAttribute("data-result") === result; }))
        && (!diff || item.getAttribute("data-differs") === "1")
        && (text === "" || item.textContent.toLowerCase().indexOf(text) !== -1);
      item.hidden = !ok;
      if (ok) { shown += 1; chapters[item.getAttribute("data-chapter")] = true; }
    });
    heads.forEach(function (h) { h.hidden = !chapters[h.getAttribute("data-chapter-head")]; });
    if (status) { status.textContent = shown + " of " + items.length + " clauses shown"; }
  }
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (target && target.hidden) { form.reset(); apply(); }
    if (target) { target.scrollIntoView({block: "center"}); }
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  window.addEventListener("hashchange", reveal);
  apply();
  if (location.hash) { reveal(); }
}());
"""


def badge(result: str, tag: str = "span", attrs: str = "") -> str:
    """A result as symbol and word, coloured by class (``r-RESULT``)."""
    symbol, word = LABEL.get(result, ("?", result))
    return (
        f'<{tag} class="result r-{escape(result)}" data-result="{escape(result)}"{attrs}>'
        f'<span aria-hidden="true">{symbol}</span> {escape(word)}</{tag}>'
    )


def inline(text: str) -> str:
    """Markdown inline code, bold and italics of a spec line, escaped."""
    parts = _CODE.split(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"<code>{escape(part)}</code>")
        else:
            part = _STRONG.sub(r"<strong>\1</strong>", escape(part, quote=False))
            out.append(_EM.sub(r"<em>\1</em>", part))
    return "".join(out)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def is_table(lines: list[str]) -> bool:
    """True when ``lines`` are a markdown pipe table (header, separator, rows)."""
    return len(lines) >= 2 and lines[0].lstrip().startswith("|") and bool(_SEPARATOR.match(lines[1]))


def table(lines: list[str]) -> str:
    """A markdown pipe table as HTML; ``---:`` columns are right-aligned (class ``num``)."""
    head, aligns, body = _cells(lines[0]), _cells(lines[1]), [_cells(line) for line in lines[2:]]
    right = [a.endswith(":") for a in aligns]

    def row(cells: list[str], tag: str) -> str:
        return "<tr>" + "".join(
            f'<{tag}{" class=num" if i < len(right) and right[i] else ""}>{inline(c)}</{tag}>'
            for i, c in enumerate(cells)
        ) + "</tr>"

    return (
        f"<table><thead>{row(head, 'th')}</thead><tbody>"
        + "".join(row(cells, "td") for cells in body)
        + "</tbody></table>"
    )


def spec_html(text: str) -> str:
    """A clause's spec text (markdown paragraphs, lists and tables) as HTML."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        if is_table(lines):
            blocks.append(table(lines))
            continue
        listed = all(_ITEM.match(line) or line.startswith("  ") for line in lines)
        if lines and listed and _ITEM.match(lines[0]):
            items: list[str] = []
            for line in lines:
                if _ITEM.match(line):
                    items.append(_ITEM.sub("", line))
                else:
                    items[-1] += " " + line.strip()
            blocks.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
        elif block.strip():
            blocks.append(f"<p>{inline(' '.join(line.strip() for line in lines))}</p>")
    return "".join(blocks)


def page(title: str, body: str) -> str:
    """A whole self-contained page: inline style and script, nothing fetched."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n"
        f"<script>{SCRIPT}</script>\n</body></html>\n"
    )


def select(name: str, label: str, options: list[tuple[str, str]]) -> str:
    """A filter ``<select>`` whose first option (empty value) means *any*."""
    opts = "".join(f'<option value="{escape(v)}">{escape(t)}</option>' for v, t in options)
    return (
        f'<label>{escape(label)} <select name="{name}"><option value="">any</option>{opts}</select></label>'
    )


def filter_form(selects: list[str], differs: bool = False) -> str:
    """The filter bar (hidden until the script shows it) and a note for no-script readers."""
    extra = '<label><input type="checkbox" name="differs"> differences only</label>' if differs else ""
    return (
        '<form id="filters" class="filters" hidden role="search">'
        + "".join(selects)
        + '<label>search <input type="search" name="q" placeholder="ID, title, text, message"></label>'
        + extra
        + '<button type="reset">clear</button><span id="shown" aria-live="polite"></span></form>'
        + "<noscript><p>Filters need JavaScript; every clause is shown below.</p></noscript>"
    )
