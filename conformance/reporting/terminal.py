"""The clause report as terminal lines: a header, one row per clause, a summary."""

from __future__ import annotations

from collections.abc import Iterator

from conformance.reporting.model import RunReport


def lines(report: RunReport) -> Iterator[str]:
    """``backend ...`` header, ``clause level result title [reasons]`` rows and a
    ``summary:`` line counting clauses by level and result."""
    run = report.run
    yield (
        f"backend {run.get('backend')} (version {run.get('backend_version')}); "
        f"spec {run.get('spec_version')}; hypothesis profile {run.get('hypothesis_profile')}"
    )
    yield f"{'clause':<9} {'level':<7} {'result':<12} title"
    counts: dict[str, int] = {}
    for row in report.clauses:
        why = f"  [{'; '.join(row.reasons)}]" if row.reasons else ""
        yield f"{row.id:<9} {row.level:<7} {row.result:<12} {row.title}{why}"
        key = f"{row.level} {row.result}"
        counts[key] = counts.get(key, 0) + 1
    yield "summary: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
