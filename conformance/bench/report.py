"""Turn one pytest-benchmark JSON run into ``results.md`` (a table per
workload: each contender's figure and its ratio to ``ray.util.iter`` and to
serial Python, all from the same run), ``chart.png``, and ``results.html`` (the
same tables with the chart inline, :mod:`conformance.reporting.bench_page`).

    python -m conformance.bench.report RUN.json OUT_DIR [--skipped=OUT_DIR/skipped.json]

Ratios are oriented so that > 1 means better than the other contender
(higher throughput, shorter time to the first item, fewer items held ahead).
A backend is compared with ``ray.util.iter`` in the same gather variant; a peer
with ``ray.util.iter``'s main variant for the workload; both at the same shard
count and, in a run-length sweep, the same run length (serial Python too). A
run made with ``--bench-busy=N`` says so in the header.

Each ratio to ``ray.util.iter`` comes with its 95 % interval when the two
contenders' timed rounds allow one (4 each, or 3 against 5; ``--bench-rounds``): the two-sample
Hodges-Lehmann estimate on the rounds' log-times per unit with the
Mann-Whitney interval (:func:`conformance.bench.stats.ratio_between`; the
contenders run one after the other, not in pairs). ``chart.png`` draws it as
error bars.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import platform
import re

from conformance.bench import stats
from conformance.bench.workloads import WORKLOADS
from conformance.reporting import bench_page

UPSTREAM = "ray.util.iter"


def figure(bench: dict) -> float | None:
    info = bench["extra_info"]
    median = bench["stats"]["median"]
    if info["workload"] == "readahead":
        return float(info.get("max_ahead", 0))
    if info["workload"] == "first_item":
        return median
    units = info["count"] * info.get("scale", 1)
    if info["unit"] == "MB/s":
        units /= 1e6
    return units / median if median > 0 else None


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _ratio(mine: float | None, other: float | None, higher_is_better: bool) -> float | None:
    if mine is None or other is None:
        return None
    if higher_is_better:
        return mine / other if other > 0 else None
    return other / mine if mine > 0 else None


def _per_unit(entry: dict) -> list[float]:
    """The entry's timed rounds, as seconds per counted item."""
    count = max(1, entry.get("count") or 1)
    return [t / count for t in entry.get("times") or [] if t > 0]


def interval(mine: dict, other: dict | None) -> tuple[float, float] | None:
    """95 % interval of ``mine``'s ratio to ``other`` (> 1: ``mine`` is better),
    or None when either has too few rounds for one."""
    if other is None:
        return None
    x, y = _per_unit(mine), _per_unit(other)
    if not x or not y:
        return None
    r = stats.ratio_between(x, y)  # other's cost over mine: > 1 when mine is better
    return None if r.lo is None else (r.lo, r.hi)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "es" if word.endswith("s") else "s")


def rows(benchmarks: list[dict]) -> dict[str, list[dict]]:
    """Per workload, one row per benchmark with its figure and ratios (to
    ``ray.util.iter`` and serial at the same run length, if any)."""
    by_workload: dict[str, list[dict]] = {}
    for bench in benchmarks:
        info = bench["extra_info"]
        by_workload.setdefault(info["workload"], []).append(
            {**info, "figure": figure(bench), "median": bench["stats"]["median"],
             "rounds": bench["stats"]["rounds"], "times": bench["stats"].get("data")}
        )
    for name, entries in by_workload.items():
        workload = WORKLOADS[name]
        index = {(e["label"], e["variant"], e["shards"], e.get("items")): e for e in entries}
        serials = {e.get("items"): e for e in entries if e["label"] == "serial"}
        for e in entries:
            variant = e["variant"] if e["kind"] == "backend" else workload.primary
            upstream = index.get((UPSTREAM, variant, e["shards"], e.get("items")))
            serial = serials.get(e.get("items"))
            e["vs_upstream_ci"] = None
            if name == "readahead":
                e["vs_upstream"] = e["vs_serial"] = None
            else:
                e["vs_upstream_ci"] = interval(e, upstream) if e is not upstream else None
                e["vs_upstream"] = _ratio(e["figure"], upstream and upstream["figure"],
                                          workload.higher_is_better)
                e["vs_serial"] = _ratio(e["figure"], serial and serial["figure"],
                                        workload.higher_is_better)
    return by_workload


def _with_interval(e: dict) -> str:
    ci = e.get("vs_upstream_ci")
    text = _fmt(e["vs_upstream"])
    return text + (f" [{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else "")


def _commit(commit_info: dict) -> str:
    """The commit a run was made at, abbreviated, or ``unknown`` outside a git
    checkout (pytest-benchmark then records the id ``unversioned``)."""
    sha = str(commit_info.get("id") or "")
    return f"`{sha[:10]}`" if re.fullmatch(r"[0-9a-f]{7,40}", sha) else "unknown"


def markdown(data: dict, skipped: list[dict]) -> str:
    machine = data.get("machine_info", {})
    commit = data.get("commit_info", {})
    by_workload = rows(data["benchmarks"])
    size = next(iter(by_workload.values()), [{}])[0].get("size", "")
    busy = max((b["extra_info"].get("busy", 0) for b in data["benchmarks"]), default=0)
    out = [
        "# Benchmark results",
        "",
        f"Run {data.get('datetime', '?')} on {machine.get('node', platform.node())} "
        f"({machine.get('cpu', {}).get('count', '?')} CPUs, Python "
        f"{machine.get('python_version', platform.python_version())}), commit "
        f"{_commit(commit)}{' (dirty)' if commit.get('dirty') else ''}."
        + (f" Sizes: `{size}`." if size else "")
        + (f" Made with {_plural(busy, 'busy process')} competing for the cores "
           f"(`--bench-busy={busy}`)." if busy else ""),
        "",
        "All figures come from this one run, side by side; ratios are > 1 when the row is "
        f"better than `{UPSTREAM}` (same gather variant; peers against its main variant) "
        "or than serial Python. Figures are medians over the rounds. Brackets: the 95 % "
        f"interval of the ratio to `{UPSTREAM}` (two-sample Hodges–Lehmann / Mann–Whitney over "
        "the rounds), shown where the rounds allow one (4 timed rounds each, "
        "`--bench-rounds=N`).",
        "",
    ]
    for name, workload in WORKLOADS.items():
        entries = by_workload.get(name)
        if not entries:
            continue
        better = "higher is better" if workload.higher_is_better else "lower is better"
        out += [f"## {workload.title}", "", f"Figure: {workload.unit} ({better}).", ""]
        if name == "readahead":
            out += [
                "| contender | items ahead (max) | bound (spec) | held (MB) | within bound |",
                "|---|---:|---:|---:|---|",
            ]
            for e in entries:
                bound = e.get("bound")
                held = (e["figure"] or 0) * e.get("item_bytes", 0) / 1e6
                within = "—" if bound is None else ("yes" if e["figure"] <= bound else "**no**")
                out.append(f"| {e['contender']} | {_fmt(e['figure'])} | "
                           f"{'—' if bound is None else bound} | {held:.2f} | {within} |")
        else:
            multi = len({e["shards"] for e in entries}) > 1
            swept = any(e.get("items") for e in entries)
            head = "| contender | " + ("shards | " if multi else "") + ("items | " if swept else "") \
                + f"{workload.unit} | × {UPSTREAM} | × serial |"
            out += [head, "|---|" + "---:|" * (multi + swept) + "---:|---:|---:|"]
            for e in sorted(entries, key=lambda e: (e["shards"], e.get("items") or 0,
                                                    e["kind"] != "backend")):
                out.append(
                    f"| {e['contender']} | " + (f"{e['shards']} | " if multi else "")
                    + (f"{e.get('items') or 0:,} | " if swept else "")
                    + f"{_fmt(e['figure'])} | {_with_interval(e)} | {_fmt(e['vs_serial'])} |"
                )
        out.append("")
    if skipped:
        out += ["## Skipped", "", "| benchmark | reason |", "|---|---|"]
        for s in skipped:
            out.append(f"| `{s['test'].split('::')[-1]}` | {s['reason']} |")
        out.append("")
    return "\n".join(out)


def chart(data: dict, path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_workload = rows(data["benchmarks"])
    names = [n for n in WORKLOADS if n in by_workload and n != "readahead"]
    if not names:
        return
    fig, axes = plt.subplots(len(names), 1, figsize=(9, 2.2 + 0.32 * sum(
        len(by_workload[n]) for n in names)), squeeze=False)
    for ax, name in zip(axes[:, 0], names, strict=True):
        entries = [e for e in by_workload[name] if e["vs_upstream"]]
        multi = len({e["shards"] for e in by_workload[name]}) > 1
        labels = [e["contender"] + (f" ×{e['shards']}" if multi else "")
                  + (f" {e['items']:,} items" if e.get("items") else "") for e in entries]
        values = [e["vs_upstream"] for e in entries]
        colors = ["tab:blue" if e["label"] == "reference" else
                  "tab:gray" if e["label"] == UPSTREAM else "tab:orange" for e in entries]
        # error bars: the 95 % interval where the rounds allow one
        err = [[max(0.0, v - e["vs_upstream_ci"][0]) if e.get("vs_upstream_ci") else 0.0
                for v, e in zip(values, entries, strict=True)],
               [max(0.0, e["vs_upstream_ci"][1] - v) if e.get("vs_upstream_ci") else 0.0
                for v, e in zip(values, entries, strict=True)]]
        ax.barh(range(len(values)), values, color=colors, xerr=err, capsize=2,
                error_kw={"elinewidth": 0.8})
        ax.set_yticks(range(len(values)), labels, fontsize=7)
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_xscale("log")
        ax.invert_yaxis()
        ax.set_title(f"{WORKLOADS[name].title} — × {UPSTREAM} (> 1 is better)", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_json")
    parser.add_argument("out_dir")
    parser.add_argument("--skipped", default=None)
    args = parser.parse_args(argv)
    data = json.loads(pathlib.Path(args.run_json).read_text())
    skipped = []
    if args.skipped and pathlib.Path(args.skipped).exists():
        skipped = json.loads(pathlib.Path(args.skipped).read_text())
    out = pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(data, skipped)
    (out / "results.md").write_text(text)
    chart(data, out / "chart.png")
    png = (out / "chart.png").read_bytes() if (out / "chart.png").exists() else None
    (out / "results.html").write_text(bench_page.render(text, png), encoding="utf-8")
    print(f"wrote {out / 'results.md'}, {out / 'chart.png'} and {out / 'results.html'}")


if __name__ == "__main__":
    main()
