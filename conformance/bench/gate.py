"""The earlier regression gate, for stored runs: compare each benchmark's
ratio to its yardstick with a baseline run's ratio. The gate is now
:mod:`conformance.bench.compare` (both sides in one run, interleaved); this
module still judges two stored runs, and its :data:`RULES` name the yardstick
every benchmark run measures.

    python -m conformance.bench.gate BASELINE.json NEW.json [RETRY.json ...] [--threshold-file FILE]
    python -m conformance.bench.gate --spread RUN.json RUN.json [RUN.json ...]

Both files are pytest-benchmark JSON written by the benchmarks
(:mod:`conformance.bench.cases`): each benchmark's ``extra_info`` holds
``yardstick`` (which probe, :mod:`conformance.bench.yardstick`) and ``ratio``,
the median over the rounds of the contender's seconds per unit divided by the
yardstick's seconds per unit, the yardstick measured just before and just
after each round. A higher ratio is slower. A benchmark regresses when its
ratio rose by more than its workload's threshold (:data:`RULES`) over the
baseline's. (``python -m conformance.bench --compare`` used to run the
benchmarks and then this.)

Further runs after NEW.json are retries of the same benchmarks: a benchmark's
new ratio is then its lowest over the runs that have it, so it fails only if
it was slower than its threshold allows in every one of them. ``--compare``
reran the benchmarks that regressed once before failing (``--retries``): a
busy neighbour's burst rarely lands on the same benchmark twice, a regression
in the code always does.

Prints one row per benchmark (baseline ratio, new ratio, change, threshold,
verdict); exits 1 if any benchmark regressed, 2 if nothing could be compared,
else 0. ``--threshold-file`` is a JSON object of thresholds (fractions, 0.2 is
20 %) keyed as in :data:`RULES` that replace the table's.

``--spread`` takes runs of the same code and prints, per benchmark and per
yardstick measured in them (all of them in runs made with
``--bench-yardsticks=all``), the largest rise of the ratio from any run to any
other (``max / min - 1``): the change the gate would see with no regression at
all. The ``time`` column is the same for the median absolute time. This is how
the thresholds in :data:`RULES` were chosen.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    yardstick: str  # conformance.bench.yardstick name
    threshold: float | None  # largest allowed rise of the ratio (0.2 = +20 %); None: not gated


#: Per workload (or ``workload:variant``, or ``workload:variant:shards``; the
#: most specific wins): the yardstick its ratio is taken to and the gate's
#: threshold. Chosen from five gate-size runs of the unchanged reference with
#: every yardstick measured, three on a quiet machine and two beside a
#: spinning process (benchmarks/README.md, "Regression gate";
#: benchmarks/results/gate/spread.md): per benchmark, of the yardsticks that
#: run where its work runs (so not ``serial``, which times the consumer
#: alone), the one whose ratio moved least over the five runs, and a
#: threshold of twice that largest move, at least 15 %, rounded up to 5 %
#: (the comment gives the move). A benchmark whose ratio moved by more than
#: 50 % is not gated: ``gather_sync`` over cheap items (its Ray compiled graph
#: is 3-6x faster than plain calls on a quiet machine and often no faster
#: beside a busy process, and the run decides which it uses from what it
#: measures) and over CPU-bound items with 2 or more shards.
RULES: dict[str, Rule] = {
    "cheap": Rule("burn_shards", None),  # gather_sync: moved 225 % at best
    "cpu": Rule("burn_shards", None),  # gather_sync, 2 and 4 shards: 89 % and 73 %
    "readahead": Rule("rtt_shards", None),  # a count of items ahead, checked by the suite (LAZY-4/5)
    "scaling": Rule("burn_all", None),  # gather_sync: 104-195 %
    "cheap:gather_async": Rule("burn_all", 0.15),  # 5 %
    "cheap:gather_async_tuned": Rule("rtt_shards", 0.20),  # 8 %
    "cheap:shards_tasks": Rule("burn_all", 0.40),  # 18 %
    "cpu:gather_sync:1": Rule("burn_shards", 0.25),  # 10 %
    "cpu:gather_async:1": Rule("burn_shards", 0.45),  # 21 %
    "cpu:gather_async:2": Rule("burn_shards", 0.30),  # 13 %
    "cpu:gather_async:4": Rule("burn_all", 0.55),  # 27 %
    "payload:gather_sync": Rule("rtt_shards", 0.35),  # 17 %
    "payload:gather_async": Rule("burn_shards", 0.95),  # 46 %
    "first_item:gather_sync": Rule("rtt_shards", 0.85),  # 41 %
    "first_item:gather_async": Rule("rtt", 0.45),  # 21 %
    "scaling:gather_async:1": Rule("rtt_shards", 0.25),  # 11 %
    "scaling:gather_async:2": Rule("burn_all", 0.75),  # 36 %
    "scaling:gather_async:4": Rule("burn_shards", 0.75),  # 36 %
    "scaling:gather_async:8": Rule("burn_all", 0.55),  # 27 %
}
DEFAULT_RULE = Rule("rtt_shards", None)


def _keys(workload: str, variant: str = "", shards: int | None = None) -> list[str]:
    """Most specific first: ``cpu:gather_sync:2``, ``cpu:gather_sync``, ``cpu``."""
    return [f"{workload}:{variant}:{shards}", f"{workload}:{variant}", workload]


def rule(workload: str, variant: str = "", shards: int | None = None) -> Rule:
    return next((RULES[k] for k in _keys(workload, variant, shards) if k in RULES), DEFAULT_RULE)


def yardstick_for(workload: str, variant: str = "", shards: int | None = None) -> str:
    return rule(workload, variant, shards).yardstick


def threshold_for(workload: str, variant: str = "", shards: int | None = None,
                  overrides: dict | None = None) -> float | None:
    overrides = overrides or {}
    for key in _keys(workload, variant, shards):
        if key in overrides:
            return overrides[key]
    return rule(workload, variant, shards).threshold


@dataclass
class Row:
    name: str
    yardstick: str
    baseline: float | None
    new: float | None
    threshold: float | None
    verdict: str  # "ok", "REGRESSED", "not gated", "no baseline", "not comparable"
    attempts: tuple = ()  # the ratio in each run that has the benchmark, when more than one

    @property
    def change(self) -> float | None:
        if self.baseline and self.new is not None:
            return self.new / self.baseline - 1
        return None


def _by_name(data: dict) -> dict[str, dict]:
    return {b["name"]: b for b in data.get("benchmarks", [])}


def _ratio_to(info: dict, yardstick: str) -> float | None:
    """A benchmark's ratio to ``yardstick``: its own, or one of those measured
    alongside it in a ``--bench-yardsticks=all`` run."""
    if info.get("yardstick") == yardstick:
        return info.get("ratio")
    return (info.get("ratio_by_yardstick") or {}).get(yardstick)


def compare(baseline: dict, new: dict | list[dict], overrides: dict | None = None) -> list[Row]:
    """One row per benchmark of ``new`` (a run, or a run and its retries: then
    each benchmark's lowest ratio over them), in its order."""
    base = _by_name(baseline)
    runs = [_by_name(run) for run in (new if isinstance(new, list) else [new])]
    rows = []
    for name, bench in runs[0].items():
        info = bench.get("extra_info", {})
        yard = info.get("yardstick", "?")
        attempts = tuple(r[name]["extra_info"].get("ratio") for r in runs
                         if name in r and r[name].get("extra_info", {}).get("yardstick") == yard)
        ratio = None if None in attempts else min(attempts)
        threshold = threshold_for(info.get("workload", ""), info.get("variant", ""), info.get("shards"),
                                  overrides)
        old = base.get(name)
        old_ratio = _ratio_to(old.get("extra_info", {}), yard) if old else None
        if old is None:
            verdict = "no baseline"
        elif ratio is None or old_ratio is None:
            verdict = "not comparable"
        elif threshold is None:
            verdict = "not gated"
        elif ratio / old_ratio - 1 > threshold:
            verdict = "REGRESSED"
        else:
            verdict = "ok"
        rows.append(Row(name, yard, old_ratio, ratio, threshold, verdict,
                        attempts if len(attempts) > 1 else ()))
    return rows


def regressed(rows: list[Row]) -> list[str]:
    return [r.name for r in rows if r.verdict == "REGRESSED"]


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 1000 else f"{value:.4g}"


def _pct(value: float | None, sign: bool = True) -> str:
    if value is None:
        return "—"
    return f"{value * 100:+.1f} %" if sign else f"{value * 100:.0f} %"


def table(rows: list[Row]) -> str:
    """The gate's output, a Markdown table."""
    out = ["| benchmark | yardstick | baseline ratio | new ratio | change | threshold | verdict |",
           "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        verdict = f"**{r.verdict}**" if r.verdict == "REGRESSED" else r.verdict
        if r.attempts and r.baseline:
            verdict += " (runs: " + ", ".join(_pct(a / r.baseline - 1) for a in r.attempts) + ")"
        out.append(f"| {r.name} | {r.yardstick} | {_num(r.baseline)} | {_num(r.new)} | "
                   f"{_pct(r.change)} | {_pct(r.threshold, sign=False)} | {verdict} |")
    return "\n".join(out)


def status(rows: list[Row]) -> int:
    if any(r.verdict == "REGRESSED" for r in rows):
        return 1
    if not any(r.verdict == "ok" for r in rows):
        return 2
    return 0


def summary(rows: list[Row]) -> str:
    gated = [r for r in rows if r.verdict in ("ok", "REGRESSED")]
    bad = [r for r in gated if r.verdict == "REGRESSED"]
    if not gated:
        return "gate: nothing to compare (no benchmark with a ratio and a threshold in both runs)"
    if bad:
        return f"gate: FAILED, {len(bad)} of {len(gated)} gated benchmarks regressed: " + \
            ", ".join(r.name for r in bad)
    return f"gate: passed, {len(gated)} gated benchmarks within their thresholds"


def spread(runs: list[dict]) -> dict[str, dict[str, float]]:
    """Per benchmark present in every run: per yardstick (and ``time``), the
    largest rise between two of the runs, ``max / min - 1``."""
    names = [set(_by_name(run)) for run in runs]
    common = [n for n in _by_name(runs[0]) if all(n in s for s in names)]
    out: dict[str, dict[str, float]] = {}
    for name in common:
        benches = [_by_name(run)[name] for run in runs]
        figures: dict[str, list[float]] = {"time": [b["stats"]["median"] for b in benches]}
        for b in benches:
            info = b.get("extra_info", {})
            by = info.get("ratio_by_yardstick") or {info.get("yardstick"): info.get("ratio")}
            for yard, ratio in by.items():
                if yard and ratio:
                    figures.setdefault(yard, []).append(ratio)
        out[name] = {k: max(v) / min(v) - 1 for k, v in figures.items()
                     if len(v) == len(runs) and min(v) > 0}
    return out


def spread_table(spreads: dict[str, dict[str, float]]) -> str:
    columns = sorted({k for v in spreads.values() for k in v if k != "time"}) + ["time"]
    out = ["| benchmark | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for name, by in spreads.items():
        out.append(f"| {name} | " + " | ".join(_pct(by.get(c), sign=False) for c in columns) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.bench.gate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", metavar="RUN.json",
                        help="pytest-benchmark JSON: the baseline, then the run to judge and any "
                             "retries of it")
    parser.add_argument("--spread", action="store_true",
                        help="print the run-to-run spread of the ratios of these runs instead")
    parser.add_argument("--threshold-file", metavar="FILE",
                        help='JSON thresholds replacing the table\'s, e.g. {"cheap": 0.2}')
    parser.add_argument("--markdown", metavar="FILE", help="also write the table and verdict here")
    args = parser.parse_args(argv)
    runs = [json.loads(pathlib.Path(r).read_text()) for r in args.runs]
    if args.spread:
        if len(runs) < 2:
            parser.error("--spread needs at least two runs")
        text = f"{len(runs)} runs: {', '.join(args.runs)}\n\n{spread_table(spread(runs))}\n"
        print(text, end="")
        if args.markdown:
            pathlib.Path(args.markdown).write_text(text)
        return 0
    if len(runs) < 2:
        parser.error("give BASELINE.json and NEW.json")
    overrides = json.loads(pathlib.Path(args.threshold_file).read_text()) if args.threshold_file else None
    rows = compare(runs[0], runs[1:], overrides)
    text = (f"baseline: {args.runs[0]}\nnew: {', '.join(args.runs[1:])}\n\n{table(rows)}\n\n"
            f"{summary(rows)}\n")
    print(text, end="")
    if args.markdown:
        pathlib.Path(args.markdown).write_text(text)
    return status(rows)


if __name__ == "__main__":
    sys.exit(main())
