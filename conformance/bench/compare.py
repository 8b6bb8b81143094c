"""The regression gate: a candidate against a base, interleaved in one run,
judged with confidence intervals.

    python -m conformance.bench compare BASE CANDIDATE [--base-python PATH] [--candidate-python PATH]
                                        [--base-rev REV] [--candidate-rev REV] [--repo DIR]
                                        [--size compare|tiny|quick] [--budget SECONDS]
                                        [--tolerance FRAC] [--tolerance-file FILE]
                                        [--compiled-rounds off|auto] [--processes K]
                                        [--max-pairs N] [-k SUBSTRING ...]
                                        [--results DIR]

BASE and CANDIDATE are backend specs (a module path or ``module:attribute``,
SPEC §13). Each side runs in its own long-lived benchmark process
(:mod:`conformance.bench.side`, with its own local Ray), started and warmed
once, in the current environment or in its own: ``--base-python PATH`` (an
interpreter whose environment has the backend, Ray and NumPy), or
``--base-rev REV``, which builds revision REV of the git repository ``--repo``
(default: the current directory) into a throwaway virtual environment (the
revision installed with ``pip install --no-deps`` into a venv that sees the
current environment's packages; its checkout root is importable, as the
current directory is for the other side). The harness itself
(``conformance.bench``) is always this one, on both sides, so that both run
the same benchmark code.

**Processes.** Each side is ``--processes K`` benchmark processes (default
3), all started at once. Two processes running the same code differ in speed
by several percent for as long as they live (3-9 % between identical plain
Python processes on a quiet machine here, ``benchmarks/process_spread.py``),
so pairs from a single process per side share an offset that an interval
over pairs takes for signal (an unchanged backend came out 12 % "faster").
Each pair runs on one base and one candidate process, every one of the
``K x K`` combinations in turn (:func:`pair_processes`), and the interval
ranges over the processes as well as the rounds.

**Rounds.** Benchmark by benchmark, every process runs untimed warm-up rounds
(the first decides the round's length: a round shorter than
:data:`MIN_ROUND_S` on the first base process is then made of as many runs
back to back as reach it, the same number everywhere; then more, until one
is no cheaper than the one before it, :data:`WARM_UP_ROUNDS` at most:
:func:`warm_up`), then pairs of rounds alternate ABBA (base then candidate,
candidate then base, ...), so that both sides see the same machine. A pair gives the ratio
CANDIDATE/BASE of their seconds per unit. After every cycle of the ``K x K``
combinations (with one process per side: after 8, 10, 12, 16, 20, ... pairs,
:data:`LOOKS`), :mod:`conformance.bench.stats` computes the ratio and its 95 %
interval (with one process per side, Hodges-Lehmann on the per-pair
log-ratios with the Wilcoxon signed-rank interval; with several, the two-way
analysis of the combinations' median log-ratios with processes as random
effects and Student's interval; see that module), and the benchmark stops once
the interval is narrower than its tolerance, or already decides (entirely
above ``1 + tolerance / 2`` or below 1), or its share of the time budget
(what is left of ``--budget`` over the benchmarks left) is spent. A benchmark that
points slower (found slower beyond its tolerance, or unresolved with an
estimate above ``1 + tolerance / 2``) is measured a second time, in fresh
processes on both sides (started in the opposite order), and judged over both
measurements together (:func:`conformance.bench.stats.pooled_ratio_interval`):
two processes running the same code can differ by several percent for as
long as they live, so what limits the interval is how many processes were
drawn, and the second measurement doubles them; a false alarm of the first
(every look at an interval, over two dozen benchmarks, is a chance of one) is
diluted by a second that has no reason to repeat it, while a slower code path
is slower in both.

**Two measures.** Every round is timed twice: its wall time (the timed part's
elapsed seconds) and its CPU time (what the side's process and its Ray
workers used, :mod:`conformance.bench.cpu_clock`), both per unit of work.
Each gets its own interval. The verdict is on ``--measure``: ``cpu`` (the
default where CPU times can be read: Linux), ``wall``, or ``both`` (slower if
either is, resolved when both are). CPU time does not count the moments
another process held the core, the largest part of a shared machine's noise:
in two A/A runs here its intervals were about 40 % narrower than the wall
time's (median widths 7.7 and 8.9 % against 13.6 and 14.4 %). It does
not see a change that only makes the backend wait longer; ``--measure both``
does.

**Verdicts**, with the interval (over both measurements where there are
two): *slower*, *faster* or *no change detected*; a benchmark whose interval
stayed wider than its tolerance is *unresolved* (never a pass); a *slower*
verdict whose estimate is within half the tolerance is "slower, within
tolerance". Exit status 1 when any benchmark is slower beyond its tolerance
(*SLOWER*), else 2 when any is unresolved or a side failed, else 0. The table
goes to stdout and ``DIR/compare.md``; every round's time, the order and the
verdicts to ``DIR/compare.json``.

CPU-bound items do the same work on both sides: the loop count per
millisecond is measured once, here, and given to both
(``BENCH_LOOPS_PER_MS``).

**Every timed benchmark is compared** (:data:`conformance.bench.workloads.WORKLOADS`
except ``readahead``, a count the conformance suite checks), the
``gather_sync`` families included. The reference's ``gather_sync`` may switch
to a Ray compiled graph when it measures that it pays, and beside other load
it often does not: which path a run takes follows the machine's load. So by
default both sides run with ``REFERENCE_COMPILED_ROUNDS=0`` (plain lock-step
rounds: the same path on both sides; the compare size's runs are too short to
compile anyway) and the table says so; ``--compiled-rounds auto`` leaves the
decision to each side.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import conformance
from conformance.bench import cpu_clock, gate
from conformance.bench import stats as S
from conformance.bench import workloads as W
from conformance.bench.busy import start_busy, stop_busy

DEFAULT_TOLERANCE = 0.10
DEFAULT_BUDGET_S = 480.0
#: most pairs of rounds per benchmark (beyond this the interval narrows slowly)
MAX_PAIRS = 63
#: benchmark processes per side: two processes running the same code differ
#: by several percent for as long as they live, so the interval must range
#: over processes too (conformance.bench.stats); 3 is the fewest that give it
#: 2-4 degrees of freedom
DEFAULT_PROCESSES = 3
#: the benchmark processes' memory layout by default (``--layout``)
DEFAULT_LAYOUT = "random"
#: what the verdict is on by default (``--measure``): CPU time where it can be
#: read, else wall time. Its intervals are about 40 % narrower on a shared
#: machine (benchmarks/README.md, "Regression gate"); it cannot see a change that
#: only waits longer, which ``--measure both`` judges too
DEFAULT_MEASURE = "auto"


class SideError(RuntimeError):
    """A benchmark process failed or answered with an error."""


#: Linux personality(2) flag: map memory at the same addresses in every process
ADDR_NO_RANDOMIZE = 0x0040000


def fixed_layout_available() -> bool:
    return sys.platform.startswith("linux")


def no_aslr() -> None:
    """In a child before it execs: turn address-space layout randomization off
    for it and everything it starts (the flag is inherited across fork and
    exec: its Ray daemons and workers too). Identical processes then lay out
    their memory alike; with randomization they differ in speed by several
    percent for as long as they live (``benchmarks/process_spread.py``)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    current = libc.personality(0xFFFFFFFF)  # 0xffffffff only queries
    if current == -1 or libc.personality(current | ADDR_NO_RANDOMIZE) == -1:
        raise OSError(ctypes.get_errno(), "personality(ADDR_NO_RANDOMIZE) failed")


@dataclass
class Side:
    """One side's benchmark process."""

    role: str  # "base" or "candidate"
    spec: str
    python: str
    pythonpath: list[str]
    cwd: str
    env: dict = field(default_factory=dict)
    log: Path | None = None
    proc: subprocess.Popen | None = None
    info: dict = field(default_factory=dict)
    #: start the process (and so its Ray and workers) without address-space
    #: layout randomization (:func:`no_aslr`)
    fixed_layout: bool = False

    def start(self, size: str) -> None:
        env = {**os.environ, **self.env, "RAY_ADDRESS": "local"}
        env["PYTHONPATH"] = os.pathsep.join(self.pythonpath)
        # a restarted side's log goes on after its first process's
        mode = "a" if self.proc is not None else "w"
        stderr = open(self.log, mode) if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen([self.python, "-m", "conformance.bench.side", self.spec, size],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                     text=True, cwd=self.cwd, env=env,
                                     preexec_fn=no_aslr if self.fixed_layout else None)

    def ask(self, request: dict) -> dict:
        assert self.proc and self.proc.stdin and self.proc.stdout
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise SideError(self._died()) from None
        line = self.proc.stdout.readline()
        if not line:
            raise SideError(self._died())
        answer = json.loads(line)
        if "error" in answer:
            raise SideError(f"{self.role} ({self.spec}): {answer['error']}")
        return answer

    def _died(self) -> str:
        code = self.proc.wait(timeout=30) if self.proc else None
        where = f"; its log: {self.log}" if self.log else ""
        return f"the {self.role} process ({self.spec}) ended (exit status {code}){where}"

    def close(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.terminate()
            self.proc.wait(timeout=30)


def harness_path(workdir: Path) -> str:
    """A directory holding only this kit's ``conformance`` package, to put first
    on a side's ``PYTHONPATH``: both sides then run this harness, whatever
    their environment or revision holds."""
    path = workdir / "harness"
    path.mkdir(parents=True, exist_ok=True)
    link = path / "conformance"
    if not link.exists():
        link.symlink_to(Path(conformance.__file__).resolve().parent, target_is_directory=True)
    return str(path)


def _site_packages(python: str) -> list[str]:
    out = subprocess.run([python, "-c", "import site, json; print(json.dumps(site.getsitepackages()))"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def build_revision(repo: str, rev: str, python: str, workdir: Path) -> tuple[str, str]:
    """Revision ``rev`` of the git repository ``repo`` in a throwaway venv under
    ``workdir``: ``(venv's python, checkout root)``. The venv sees ``python``'s
    packages after its own (a ``.pth`` line), so Ray and the rest are not
    reinstalled; the revision is installed into it with ``--no-deps``."""
    src, venv = workdir / "src", workdir / "venv"
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", repo, "archive", "--format=tar", rev], capture_output=True)
    if archive.returncode != 0:
        raise SideError(f"git archive {rev!r} in {repo}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive.stdout, check=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    new_python = str(venv / "bin" / "python")
    own = _site_packages(new_python)[0]
    Path(own, "_bench_parent_env.pth").write_text("\n".join(_site_packages(python)) + "\n")
    print(f"building {rev} of {repo} into {venv}", flush=True)
    subprocess.run([new_python, "-m", "pip", "install", "--quiet", "--no-deps", str(src)], check=True)
    return new_python, str(src)


def _tolerance(case: dict, overrides: dict, default: float) -> float:
    for key in gate._keys(case["workload"], case["variant"], case["shards"]):
        if key in overrides:
            return float(overrides[key])
    return default


#: what a round's time is measured as: ``wall`` (the timed part's elapsed
#: seconds) and ``cpu`` (the CPU seconds the side's process and its Ray workers
#: used, :mod:`conformance.bench.cpu_clock`); both per unit of work
MEASURES = ("wall", "cpu")


@dataclass
class Result:
    name: str
    tolerance: float
    base_s: list = field(default_factory=list)  # seconds per unit, per timed round
    candidate_s: list = field(default_factory=list)
    #: CPU seconds per unit, per timed round (the side's process and its Ray
    #: workers, conformance.bench.cpu_clock); None where it cannot be read
    base_cpu: list = field(default_factory=list)
    candidate_cpu: list = field(default_factory=list)
    first: list = field(default_factory=list)  # per pair: "base" or "candidate"
    #: per pair, which of the side's processes ran it (0 .. processes - 1)
    base_process: list = field(default_factory=list)
    candidate_process: list = field(default_factory=list)
    processes: int = 1
    #: the measures the verdict is on (the others are reported only)
    judged: tuple = ("wall",)
    seconds: float = 0.0
    repeat: int = 1  # runs of the benchmark per round
    error: str | None = None
    #: measure -> its judgement, for every measure the rounds give
    judgements: dict = field(default_factory=dict)
    #: the second measurement, in fresh processes (:func:`run_benchmark`)
    confirmation: Result | None = None
    #: measure -> its judgement over both measurements together (with a confirmation)
    pooled: dict = field(default_factory=dict)

    def samples(self, measure: str) -> tuple[list, list] | None:
        """Base and candidate per-unit values of ``measure``, or None if some
        round could not give it."""
        base, candidate = ((self.base_s, self.candidate_s) if measure == "wall"
                           else (self.base_cpu, self.candidate_cpu))
        if not base or any(v is None for v in (*base, *candidate)):
            return None
        return base, candidate

    def judge(self) -> None:
        """Judge every measure the rounds give (:func:`_interval`)."""
        for measure in MEASURES:
            got = self.samples(measure)
            if got is not None:
                self.judgements[measure] = S.judge(_interval(self, *got), self.tolerance)

    def _judged(self, judgements: dict | None = None) -> list[S.Judgement] | None:
        judgements = self.judgements if judgements is None else judgements
        got = [judgements.get(m) for m in self.judged]
        return None if any(j is None for j in got) else got

    @property
    def regressed(self) -> bool:
        """Slower beyond tolerance on a judged measure, in this measurement."""
        return any(j.regressed for j in self._judged() or []) and not self.error

    @property
    def resolved(self) -> bool:
        """Every judged measure resolved, in this measurement."""
        got = self._judged()
        return bool(got) and all(j.resolved for j in got) and not self.error

    @property
    def points_slower(self) -> bool:
        """Worth a second measurement: slower beyond tolerance, or unresolved
        while a judged measure's estimate is above ``1 + tolerance / 2``."""
        got = self._judged()
        if not got or self.error:
            return False
        return self.regressed or (not self.resolved and any(
            j.ratio.estimate > 1 + self.tolerance / 2 for j in got))

    def pool(self, second: Result) -> None:
        """Take ``second``, a measurement of the same benchmark in fresh
        processes, and judge every measure over both together
        (:func:`conformance.bench.stats.pooled_ratio_interval`)."""
        self.confirmation = second
        self.seconds += second.seconds
        for measure in MEASURES:
            first, again = self.samples(measure), second.samples(measure)
            if first is None or again is None:
                continue
            ratio = S.pooled_ratio_interval(
                [(S.paired_ratios(*first), self.base_process, self.candidate_process),
                 (S.paired_ratios(*again), second.base_process, second.candidate_process)],
                self.processes)
            self.pooled[measure] = S.judge(ratio, self.tolerance)

    @property
    def final(self) -> dict:
        """measure -> the judgement the verdict is on: over both measurements
        where there are two, else this measurement's."""
        return self.pooled if self.confirmation is not None else self.judgements

    @property
    def _error(self) -> str | None:
        return self.error or (self.confirmation.error if self.confirmation else None)

    @property
    def label(self) -> str:
        if self._error:
            return "error"
        final = self.final
        got = self._judged(final)
        if got is None:
            missing = [m for m in self.judged if m not in final]
            if self.base_s and final:
                return f"unresolved (no {missing[0]} time in the rounds)"
            return "unresolved (too few rounds)"
        labels = {m: final[m].label for m in self.judged}
        text = got[0].label if len(set(labels.values())) == 1 else \
            "; ".join(f"{m}: {label}" for m, label in labels.items())
        return text + (" (two measurements)" if self.confirmation is not None else "")

    @property
    def failed(self) -> bool:
        """Slower beyond tolerance: over both measurements where there are two."""
        return any(j.regressed for j in self._judged(self.final) or []) and not self._error

    @property
    def settled(self) -> bool:
        """Resolved: over both measurements where there are two."""
        got = self._judged(self.final)
        return bool(got) and all(j.resolved for j in got) and not self._error

    def as_dict(self) -> dict:
        """The rounds and the verdict; ``ratio``, ``lo``, ``hi`` and ``verdict``
        are those of the first judged measure (``measure``), ``measures`` has
        each: over both measurements where there are two (``pooled``), and
        ``first_measures`` this measurement's alone."""
        def described(judgements: dict) -> dict:
            return {m: {"ratio": j.ratio.estimate, "lo": j.ratio.lo, "hi": j.ratio.hi,
                        "verdict": j.verdict, "label": j.label, "resolved": j.resolved,
                        "regressed": j.regressed}
                    for m, j in judgements.items()}

        primary = self.final.get(self.judged[0])
        ratio = primary.ratio if primary else None
        return {"name": self.name, "tolerance": self.tolerance, "pairs": len(self.base_s),
                "first": self.first, "processes": self.processes,
                "base_process": self.base_process, "candidate_process": self.candidate_process,
                "repeat": self.repeat, "base_s_per_unit": self.base_s,
                "candidate_s_per_unit": self.candidate_s,
                "base_cpu_per_unit": self.base_cpu, "candidate_cpu_per_unit": self.candidate_cpu,
                "judged": list(self.judged), "measure": self.judged[0],
                "ratio": ratio.estimate if ratio else None, "lo": ratio.lo if ratio else None,
                "hi": ratio.hi if ratio else None,
                "verdict": primary.verdict if primary else None,
                "pooled": self.confirmation is not None,
                "measures": described(self.final),
                "first_measures": described(self.judgements),
                "resolved": self.settled, "regressed": self.failed, "label": self.label,
                "error": self._error, "seconds": self.seconds,
                "confirmation": self.confirmation.as_dict() if self.confirmation else None}


#: the numbers of pairs after which the interval is looked at: every look is a
#: chance of a false verdict, so not after every pair
LOOKS = (8, 10, 12, 16, 20, 24, 32, 40, 48, 60, 80, 100)
#: a round shorter than this is made of several runs of the benchmark (the same
#: number on both sides, from the base's warm-up round)
MIN_ROUND_S = 0.15


def runs_per_round(seconds: float) -> int:
    """Runs of a benchmark per round, for a run that took ``seconds``: enough
    for a round of :data:`MIN_ROUND_S`, at most 100."""
    return max(1, min(100, math.ceil(MIN_ROUND_S / max(seconds, 1e-4))))


def _per_unit(answer: dict) -> float:
    return answer["seconds"] / max(1, answer["units"])


def _cpu_per_unit(answer: dict) -> float | None:
    cpu = answer.get("cpu_seconds")
    return None if cpu is None else cpu / max(1, answer["units"])


def pair_processes(n: int, k: int) -> tuple[int, int]:
    """Which base and candidate process run pair ``n`` (from 0) with ``k``
    processes per side: every one of the ``k * k`` combinations once per
    cycle of ``k * k`` pairs."""
    q = n % (k * k)
    return q // k, q % k


def is_look(n: int, k: int) -> bool:
    """Whether the interval is looked at after ``n`` pairs: at :data:`LOOKS`
    with one process per side; with ``k`` per side, after every ``k * k``
    pairs (a whole cycle of the combinations), from the first on."""
    if k == 1:
        return n in LOOKS
    return n % (k * k) == 0


#: most untimed rounds a process runs at the start of a benchmark
WARM_UP_ROUNDS = 4


def _cost(answer: dict, judged: tuple) -> float:
    """A round's cost per unit on the first judged measure that it gives."""
    cpu = _cpu_per_unit(answer)
    return cpu if judged[0] == "cpu" and cpu is not None else _per_unit(answer)


def warm_up(side: Side, request: dict, first: float, judged: tuple = ("wall",),
            rounds: int = WARM_UP_ROUNDS) -> int:
    """Untimed rounds on one process after its first (which cost ``first`` per
    unit), until one is no cheaper than the one before it, ``rounds`` in all
    at most; returns how many ran. A benchmark can take several rounds to
    settle in a process (large payloads: memory the object store, the workers
    and the consumer touch for the first time), and a process still settling
    while the pairs run would pass its trend off as a difference between the
    sides."""
    last, ran = first, 1
    while ran < rounds:
        cost = _cost(side.ask(request), judged)
        ran += 1
        if cost >= last:
            break
        last = cost
    return ran


def _interval(result: Result, base: list, candidate: list) -> S.Ratio:
    return S.crossed_ratio_interval(S.paired_ratios(base, candidate),
                                    result.base_process, result.candidate_process,
                                    result.processes)


def measure(name: str, tolerance: float, bases: list[Side], candidates: list[Side],
            budget_s: float, max_pairs: int = MAX_PAIRS, judged: tuple = ("wall",)) -> Result:
    """Warm-up rounds on every process (:func:`warm_up`), then ABBA pairs, each on one base and
    one candidate process in turn (:func:`pair_processes`), until the interval
    is resolved (looked at as :func:`is_look` says), ``max_pairs`` or
    ``budget_s`` (at the end of a cycle of the combinations)."""
    k = len(bases)
    result = Result(name, tolerance, processes=k, judged=judged)
    start = time.monotonic()
    try:
        warm = [side.ask({"op": "round", "case": name}) for side in (*bases, *candidates)]
        repeat = runs_per_round(warm[0]["seconds"])
        result.repeat = repeat
        request = {"op": "round", "case": name, "repeat": repeat}
        for side, first in zip((*bases, *candidates), warm, strict=True):
            warm_up(side, request, _cost(first, judged), judged)
        for i in range(max_pairs):
            b, c = pair_processes(i, k)
            base, candidate = bases[b], candidates[c]
            order = (base, candidate) if i % 2 == 0 else (candidate, base)
            got = {side.role: side.ask(request) for side in order}
            result.base_s.append(_per_unit(got["base"]))
            result.candidate_s.append(_per_unit(got["candidate"]))
            result.base_cpu.append(_cpu_per_unit(got["base"]))
            result.candidate_cpu.append(_cpu_per_unit(got["candidate"]))
            result.base_process.append(b)
            result.candidate_process.append(c)
            result.first.append(order[0].role)
            n = i + 1
            over = time.monotonic() - start >= budget_s
            cycle_done = n % 2 == 0 if k == 1 else n % (k * k) == 0
            if is_look(n, k) or n == max_pairs or (over and cycle_done):
                if n >= S.MIN_PAIRS:
                    result.judge()
                    if result.resolved:
                        break
                if over:
                    break
    except SideError as exc:
        result.error = str(exc)
    if not result.judgements and len(result.base_s) >= 1 and not result.error:
        result.judge()
    result.seconds = time.monotonic() - start
    return result


def restart(sides: list[Side], size: str, attempts: int = 2) -> None:
    """Replace both sides' processes with fresh ones, started in the opposite
    order to last time. A start that fails (Ray can time out starting on a
    loaded machine) is tried again, up to ``attempts`` times in all."""
    sides.reverse()
    for attempt in range(1, attempts + 1):
        for side in sides:
            side.close()
        try:
            start_all(sides, size)
            return
        except SideError:
            if attempt == attempts:
                raise


def start_all(sides: list[Side], size: str) -> None:
    """Start every process (their Rays start side by side), then wait for each
    to list its benchmarks."""
    for side in sides:
        side.start(size)
    for side in sides:
        side.info = side.ask({"op": "cases"})


def run_benchmark(name: str, tolerance: float, bases: list[Side], candidates: list[Side],
                  budget_s: float, max_pairs: int = MAX_PAIRS, fresh=None,
                  judged: tuple = ("wall",)) -> Result:
    """:func:`measure`; a benchmark that points slower (found slower beyond
    tolerance, or unresolved with an estimate above ``1 + tolerance / 2``,
    :attr:`Result.points_slower`) is measured a second time with the same
    budget, after ``fresh()`` (which restarts both sides' processes), and
    judged over both measurements together (:meth:`Result.pool`).

    Fresh processes, because two processes running the same code can differ
    by several percent for as long as they live (how they were laid out,
    which started first): what decides the interval's width is how many
    processes were drawn, and a second measurement in the same ones would add
    rounds but no processes. Pooled, because a slower code path is slower in
    both measurements and their union has twice the processes, while a false
    alarm of the first (each measurement looks at its interval several times,
    over two dozen benchmarks) is diluted by a second that has no reason to
    repeat it."""
    result = measure(name, tolerance, bases, candidates, budget_s, max_pairs, judged)
    if result.points_slower:
        if fresh is not None:
            try:
                fresh()
            except SideError as exc:
                result.error = f"restarting the sides for a second measurement: {exc}"
                return result
        result.pool(measure(name, tolerance, bases, candidates, budget_s, max_pairs, judged))
    return result


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _ratio_text(j: S.Judgement | None) -> str:
    if j is None:
        return "—"
    ratio = j.ratio
    interval = f" [{_fmt(ratio.lo)}, {_fmt(ratio.hi)}]" if ratio.lo else ""
    return f"{_fmt(ratio.estimate)}{interval}"


def table(results: list[Result]) -> str:
    """One row per benchmark: the candidate / base ratio of each measure with
    its 95 % interval (a measure the verdict is not on is in parentheses) and
    the verdict."""
    out = ["| benchmark | pairs | wall: candidate / base [95 % interval] | "
           "CPU: candidate / base [95 % interval] | tolerance | verdict |",
           "|---|---:|---|---|---:|---|"]
    for r in results:
        cells = []
        for m in MEASURES:
            text = _ratio_text(r.final.get(m))
            cells.append(text if m in r.judged or text == "—" else f"({text})")
        verdict = f"**{r.label}**" if r.failed else r.label
        c = r.confirmation
        pairs = str(len(r.base_s))
        if c is not None:
            pairs += f" + {len(c.base_s)}"
            verdict += " (" + "; ".join(
                f"{m}: first {_ratio_text(r.judgements.get(m))}, fresh processes "
                f"{_ratio_text(c.judgements.get(m))}" for m in r.judged) + ")"
        if r._error:
            verdict += f": {r._error}"
        out.append(f"| {r.name} | {pairs} | {cells[0]} | {cells[1]} | "
                   f"{r.tolerance * 100:.0f} % | {verdict} |")
    return "\n".join(out)


def status(results: list[Result]) -> int:
    if any(r.failed for r in results):
        return 1
    if not results or not all(r.settled for r in results):
        return 2
    return 0


def summary(results: list[Result]) -> str:
    slower = [r.name for r in results if r.failed]
    open_ = [r.name for r in results if not r.settled]
    if slower:
        text = f"compare: FAILED, {len(slower)} of {len(results)} benchmarks slower beyond tolerance: " \
               + ", ".join(slower)
    elif not results:
        return "compare: nothing compared"
    else:
        text = f"compare: no benchmark slower beyond tolerance ({len(results)} compared)"
    if open_:
        text += f"; NOT RESOLVED ({len(open_)}): " + ", ".join(open_)
    return text


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m conformance.bench compare", allow_abbrev=False,
                                description="Interleaved A/B comparison of two backends with 95 % "
                                            "confidence intervals; exit 1 when the candidate is "
                                            "slower beyond tolerance, 2 when a benchmark could not "
                                            "be resolved.")
    p.add_argument("base", metavar="BASE", help="backend spec: module or module:attribute")
    p.add_argument("candidate", metavar="CANDIDATE", help="backend spec: module or module:attribute")
    for role in ("base", "candidate"):
        p.add_argument(f"--{role}-python", metavar="PATH",
                       help=f"interpreter of the {role}'s environment (default: this one)")
        p.add_argument(f"--{role}-rev", metavar="REV",
                       help=f"build git revision REV of --repo into a throwaway venv for the {role}")
    p.add_argument("--repo", default=".", metavar="DIR",
                   help="git repository the --*-rev options build from (default: .)")
    p.add_argument("--size", default="compare", choices=list(W.SIZES),
                   help="workload sizes (default: compare, rounds of 0.1-0.4 s)")
    p.add_argument("--budget", type=float, default=DEFAULT_BUDGET_S, metavar="SECONDS",
                   help=f"time for all benchmarks' rounds (default {DEFAULT_BUDGET_S:.0f}), shared "
                        "out as they go")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE, metavar="FRAC",
                   help=f"slowdown to catch, as a fraction (default {DEFAULT_TOLERANCE})")
    p.add_argument("--tolerance-file", metavar="FILE",
                   help='JSON of per-benchmark tolerances, keyed "workload", "workload:variant" or '
                        '"workload:variant:shards" (most specific wins)')
    p.add_argument("--compiled-rounds", choices=["off", "auto"], default="off",
                   help="the reference's gather_sync compiled graph on both sides: off (default: "
                        "REFERENCE_COMPILED_ROUNDS=0, plain rounds) or auto (each side decides)")
    p.add_argument("-k", dest="only", action="append", default=[], metavar="SUBSTRING",
                   help="only benchmarks whose name contains SUBSTRING (repeatable: any of them)")
    p.add_argument("--processes", type=int, default=DEFAULT_PROCESSES, metavar="K",
                   help=f"benchmark processes per side (default {DEFAULT_PROCESSES}): the pairs "
                        "rotate over every combination, and the interval counts the processes' "
                        "own differences (conformance.bench.stats)")
    p.add_argument("--max-pairs", type=int, default=None, metavar="N",
                   help=f"most pairs of rounds per measurement of a benchmark (default "
                        f"{MAX_PAIRS}, or three cycles of the combinations of processes "
                        f"if more)")
    p.add_argument("--measure", choices=["auto", "both", *MEASURES], default=DEFAULT_MEASURE,
                   help="what the verdict is on: wall time per unit, CPU time per unit (the "
                        "side's process and its Ray workers; Linux), or both (a benchmark is "
                        "slower if either is, resolved when both are); default auto: cpu where it "
                        "can be read, else wall. Both are reported either way")
    p.add_argument("--layout", choices=["fixed", "random"], default=DEFAULT_LAYOUT,
                   help="memory layout of the benchmark processes: fixed (address-space layout "
                        "randomization off, Linux: identical processes run alike) or random; "
                        f"default {DEFAULT_LAYOUT}")
    p.add_argument("--settle", action="store_true",
                   help="after every round, wait until that side's processes (its Ray's "
                        "included) are idle, at most 4 times the round's time, so work a backend "
                        "leaves running after a run (ray.util.iter kills its actors after each) "
                        "is not timed in the other side's round; for backends that differ")
    p.add_argument("--busy", type=int, default=0, metavar="N",
                   help="keep N pure-Python processes spinning for the whole comparison: both "
                        "sides measured beside a busy neighbour; default 0")
    p.add_argument("--results", default="benchmark-results", metavar="DIR",
                   help="where compare.md, compare.json and the sides' logs go")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.budget <= 0:
        parser.error("--budget must be positive")
    if not 0 < args.tolerance < 10:
        parser.error("--tolerance must be a positive fraction, e.g. 0.1 for 10 %")
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    if args.busy < 0:
        parser.error("--busy must not be negative")
    if args.processes == 2:
        parser.error("--processes 2 cannot give a useful interval (1 or 2 degrees of freedom): "
                     "use 1, or 3 and more")
    if args.max_pairs is None:
        args.max_pairs = max(MAX_PAIRS, 3 * args.processes ** 2)
    if args.max_pairs < max(S.MIN_PAIRS, args.processes ** 2):
        parser.error(f"--max-pairs must be at least {max(S.MIN_PAIRS, args.processes ** 2)}"
                     + (f" (every combination of the {args.processes} processes per side)"
                        if args.processes > 1 else ""))
    for role in ("base", "candidate"):
        if getattr(args, f"{role}_python") and getattr(args, f"{role}_rev"):
            parser.error(f"--{role}-python and --{role}-rev are exclusive")
    if args.measure == "auto":
        args.measure = "cpu" if cpu_clock.available() else "wall"
    judged = MEASURES if args.measure == "both" else (args.measure,)
    if "cpu" in judged and not cpu_clock.available():
        parser.error(f"--measure {args.measure} needs per-thread CPU times (Linux /proc); "
                     "use --measure wall here")
    if args.layout == "fixed" and not fixed_layout_available():
        parser.error("--layout fixed needs Linux (personality(2)); use --layout random here")
    overrides = json.loads(Path(args.tolerance_file).read_text()) if args.tolerance_file else {}
    results_dir = Path(args.results).resolve()
    results_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    sides: list[Side] = []
    results: list[Result] = []
    failure: str | None = None
    names: list[str] = []
    missing: list[str] = []
    busy = start_busy(args.busy)
    try:
        harness = harness_path(workdir)
        loops = W.loops_per_ms()  # the CPU-bound work per item, the same on both sides
        for role in ("base", "candidate"):
            spec = getattr(args, role)
            python = getattr(args, f"{role}_python") or sys.executable
            rev = getattr(args, f"{role}_rev")
            cwd, path = os.getcwd(), [os.getcwd(), *filter(None, [os.environ.get("PYTHONPATH")])]
            if rev:
                python, root = build_revision(args.repo, rev, python, workdir / role)
                cwd, path = str(workdir), [root]
            env = {"REFERENCE_COMPILED_ROUNDS": "0"} if args.compiled_rounds == "off" else {}
            env["BENCH_LOOPS_PER_MS"] = str(loops)
            if args.settle:
                env["BENCH_SETTLE"] = "1"
            for index in range(args.processes):
                log = results_dir / (f"compare-{role}.log" if args.processes == 1
                                     else f"compare-{role}-{index}.log")
                sides.append(Side(role, spec, python, [harness, *path], cwd, env, log=log,
                                  fixed_layout=args.layout == "fixed"))
        bases = [side for side in sides if side.role == "base"]
        candidates = [side for side in sides if side.role == "candidate"]
        start_all(sides, args.size)
        base, candidate = bases[0], candidates[0]
        cases = {c["name"]: c for c in base.info["cases"]}
        theirs = {c["name"] for c in candidate.info["cases"]}
        names = [n for n in cases if n in theirs and (not args.only or any(s in n for s in args.only))]
        missing = sorted(set(cases) ^ theirs)
        for side in (base, candidate):
            rev = getattr(args, f"{side.role}_rev")
            print(f"{side.role}: {side.spec}" + (f" at {rev}" if rev else "")
                  + f" ({side.info['python']}; {side.info.get('backend_file')})")
        print(f"{len(names)} benchmarks, size {args.size}, budget {args.budget:.0f} s, "
              f"{args.processes} process(es) per side, "
              f"gather_sync compiled graph: {args.compiled_rounds}"
              + (", each round settled" if args.settle else "")
              + (f", beside {args.busy} spinning process(es)" if args.busy else ""), flush=True)
        deadline = time.monotonic() + args.budget
        for i, name in enumerate(names):
            share = max(0.0, deadline - time.monotonic()) / (len(names) - i)
            tol = _tolerance(cases[name], overrides, args.tolerance)
            r = run_benchmark(name, tol, bases, candidates, share, args.max_pairs,
                              fresh=lambda: restart(sides, args.size), judged=judged)
            results.append(r)
            pairs = f"{len(r.base_s)}" + (f" + {len(r.confirmation.base_s)}" if r.confirmation else "")
            print(f"  {name}: {pairs} pairs in {r.seconds:.0f} s, "
                  + ", ".join(f"{m} {_ratio_text(r.final.get(m))}" for m in MEASURES)
                  + f": {r.label}" + (f" ({r._error})" if r._error else ""), flush=True)
            if r._error:
                break
    except (SideError, subprocess.CalledProcessError) as exc:
        failure = str(exc)
        print(f"compare: {exc}", file=sys.stderr)
    finally:
        for side in sides:
            side.close()
        stop_busy(busy)
        shutil.rmtree(workdir, ignore_errors=True)
    notes = ["gather_sync: both sides with REFERENCE_COMPILED_ROUNDS=0 (plain lock-step rounds; "
             "the compiled-graph path is not compared)" if args.compiled_rounds == "off" else
             "gather_sync: each side decides whether to compile (load-sensitive)"]
    notes.append({"wall": "verdicts on wall time per unit; CPU time (in parentheses) reported only",
                  "cpu": "verdicts on CPU time per unit (each side's process and its Ray workers); "
                         "wall time (in parentheses) reported only",
                  "both": "verdicts on wall time and CPU time per unit: slower if either is, "
                          "resolved when both are"}[args.measure])
    notes.append("memory layout: " + ("fixed (address-space layout randomization off in every "
                                      "benchmark process and its Ray)" if args.layout == "fixed"
                                      else "random (each process laid out anew)"))
    if args.settle:
        notes.append("each round settled: its side's processes idle (or 4 times the round's "
                     "time) before the next round started")
    if args.busy:
        notes.append(f"beside {args.busy} pure-Python process(es) spinning for the whole run")
    if missing:
        notes.append("benchmarks on one side only, not compared: " + ", ".join(missing))
    if failure:
        notes.append(f"STOPPED: {failure}")
    load = os.getloadavg()
    header = (f"base: {args.base}" + (f" at {args.base_rev}" if args.base_rev else "")
              + f"; candidate: {args.candidate}"
              + (f" at {args.candidate_rev}" if args.candidate_rev else "")
              + f"; size {args.size}; budget {args.budget:.0f} s; load average at the end "
              + f"{load[0]:.1f}")
    code = status(results)
    if failure and code == 0:
        code = 2
    text = "\n".join([header, "", table(results), "", *notes, "", summary(results)]) + "\n"
    print("\n" + text, end="")
    (results_dir / "compare.md").write_text(text)
    (results_dir / "compare.json").write_text(json.dumps({
        "argv": sys.argv if argv is None else ["compare", *argv],
        **{side.role: {"spec": side.spec, "rev": getattr(args, f"{side.role}_rev"),
                       "python": side.info.get("python"), "backend_file": side.info.get("backend_file")}
           for side in sides},
        "error": failure,
        "size": args.size, "budget_s": args.budget, "compiled_rounds": args.compiled_rounds,
        "measure": args.measure, "layout": args.layout, "settle": args.settle,
        "busy": args.busy,
        "benchmarks": [r.as_dict() for r in results],
        "status": code,
    }, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main())
