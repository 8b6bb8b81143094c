"""The benchmark results as one self-contained HTML page (``results.html``, written
by ``python -m conformance.bench`` beside ``results.md``).

The page is drawn from the markdown report itself (:mod:`conformance.bench.report`),
so the two always hold the same tables; the chart is inlined as a ``data:`` image.
Only the markdown that report writes is understood: headings, paragraphs and
pipe tables with ``---:`` right-aligned columns.
"""

from __future__ import annotations

import base64
import re
from html import escape

from conformance.reporting import html


def from_markdown(text: str) -> str:
    """The HTML body of the markdown report ``text``."""
    out: list[str] = []
    blocks = re.split(r"\n\s*\n", text.strip())
    for block in blocks:
        lines = block.strip().splitlines()
        if not lines:
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", lines[0])
        if heading and len(lines) == 1:
            level = len(heading.group(1))
            out.append(f"<h{level}>{html.inline(heading.group(2))}</h{level}>")
        elif html.is_table(lines):
            out.append(html.table(lines))
        else:
            out.append(f"<p>{html.inline(' '.join(line.strip() for line in lines))}</p>")
    return "".join(out)


def render(markdown_text: str, chart_png: bytes | None = None, chart_after: int = 1) -> str:
    """The page: the markdown report with the chart inlined after its first
    ``chart_after`` paragraphs (after the header)."""
    body = from_markdown(markdown_text)
    if chart_png:
        image = (
            '<figure><img alt="Each contender\'s ratio to ray.util.iter per workload (log scale, '
            '&gt; 1 is better)" src="data:image/png;base64,'
            + base64.b64encode(chart_png).decode("ascii")
            + '" style="max-width:100%"><figcaption>The tables below as ratios to ray.util.iter.'
            "</figcaption></figure>"
        )
        marker = "</p>"
        at = -1
        for _ in range(chart_after + 1):
            at = body.find(marker, at + 1)
            if at < 0:
                break
        body = body[: at + len(marker)] + image + body[at + len(marker):] if at >= 0 else body + image
    title = re.match(r"^#\s+(.*)$", markdown_text.strip().splitlines()[0] if markdown_text.strip() else "")
    return html.page(escape(title.group(1)) if title else "Benchmark results", body)
