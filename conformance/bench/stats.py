"""The statistics of ``python -m conformance.bench compare``: a candidate's
speed relative to a base's, from rounds run alternately, with a 95 % confidence
interval, and the verdict drawn from it.

**The samples are pairs.** The two sides run alternately, ABBA (A B, B A, A B,
...): each pair is one round of each side, back to back, so both see the same
machine; alternating the order within pairs cancels an advantage of going
first or second. A pair's ratio is the candidate's seconds per unit over the
base's. A neighbour's burst that lands on a pair moves both of its rounds,
which cancels in the ratio; what is left is noise in the log of the ratio.

**Method: Hodges-Lehmann with the Wilcoxon signed-rank interval, on the log
of the per-pair ratios.** The estimate of the shift is the median of the
Walsh averages ``(d_i + d_j) / 2``, ``i <= j``; the 95 % interval is the
range between the ``C``-th smallest and ``C``-th largest Walsh average, where
``C - 1`` is the largest signed-rank statistic ``T`` with ``P(T <= C - 1) <=
0.025`` under no change (the exact null distribution; it needs 6 pairs at
least). Exponentiated, these are the ratio and its interval. Why this and not
a bootstrap of the per-pair ratios:

* the interval's coverage is exact for any continuous distribution of the
  log-ratios symmetric about the shift, at the small sample sizes a
  time-bounded run gets (6-30 pairs), where a percentile bootstrap
  undercovers;
* it is the paired form of the Hodges-Lehmann / Mann-Whitney pair: the
  unpaired one would throw away the pairing that the interleaving bought;
* a few pairs hit by a burst (outliers) move it little: the estimate is a
  median, its interval a range of ranks.

Plain Python (the exact null distribution is a small convolution), so the
module has no dependency; tests check it against published critical values
and against samples with known shifts.

**Verdict** (:func:`judge`), for a benchmark with tolerance ``tol`` (the
smallest slowdown that must be caught, 0.10 for 10 %):

* *slower*: the interval lies above 1; *faster*: below 1; else *no change
  detected*;
* *resolved* when the interval is narrower than the tolerance
  (``hi / lo - 1 <= tol``) or already settles the decision (entirely above
  ``1 + tol / 2``, where the gate fails, or entirely below 1); a run that
  ends unresolved says so;
* the gate **fails** (*regressed*) on a *slower* verdict whose estimate is
  above ``1 + tol / 2``: half-way between no change and the change to catch.
  A *slower* verdict below that is reported as slower within tolerance (two
  processes are never quite alike: a systematic 1-3 % is not a regression).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

#: two-sided confidence of the interval
CONFIDENCE = 0.95
#: fewest pairs a verdict is drawn from (the 95 % signed-rank interval needs 6)
MIN_PAIRS = 6

SLOWER, FASTER, NO_CHANGE = "slower", "faster", "no change detected"
VERDICTS = (SLOWER, FASTER, NO_CHANGE)


@cache
def _signed_rank_counts(n: int) -> tuple[int, ...]:
    """``counts[t]``: how many of the ``2**n`` sign assignments of ranks
    ``1..n`` give the signed-rank statistic ``T+ = t`` (no ties)."""
    counts = [1]
    for rank in range(1, n + 1):
        grown = counts + [0] * rank
        for t, c in enumerate(counts):
            grown[t + rank] += c
        counts = grown
    return tuple(counts)


def signed_rank_critical(n: int, alpha: float = 1 - CONFIDENCE) -> int | None:
    """The largest ``t`` with ``P(T+ <= t) <= alpha / 2`` for ``n`` pairs under
    no change (two-sided test at level ``alpha``), or None when even ``t = 0``
    is too likely (``n`` too small for an interval at this level)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n!r}")
    return _lower_critical(_signed_rank_counts(n), alpha)


def _lower_critical(counts: Sequence[int], alpha: float) -> int | None:
    """The largest statistic value whose lower tail under ``counts`` (the exact
    null distribution, as counts per value) is at most ``alpha / 2``; None if
    even the smallest value's tail is larger."""
    total = sum(counts)
    cumulative, best = 0, None
    for value, c in enumerate(counts):
        cumulative += c
        if cumulative / total <= alpha / 2:
            best = value
        else:
            break
    return best


def _walsh_averages(d: Sequence[float]) -> list[float]:
    return sorted((d[i] + d[j]) / 2 for i in range(len(d)) for j in range(i, len(d)))


def _median(values: Sequence[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


@dataclass(frozen=True)
class Interval:
    """A shift estimate with its confidence interval (``lo <= estimate <= hi``),
    or ``lo``/``hi`` None when there are too few samples for one."""

    estimate: float
    lo: float | None
    hi: float | None
    n: int


def hodges_lehmann(d: Sequence[float], alpha: float = 1 - CONFIDENCE) -> Interval:
    """The one-sample Hodges-Lehmann estimate of the centre of ``d`` and its
    distribution-free ``1 - alpha`` interval from the Wilcoxon signed-rank test."""
    d = [float(x) for x in d]
    if not d:
        raise ValueError("d must hold at least one sample")
    if any(math.isnan(x) or math.isinf(x) for x in d):
        raise ValueError("d must hold finite numbers")
    walsh = _walsh_averages(d)
    estimate = _median(walsh)
    critical = signed_rank_critical(len(d), alpha)
    if critical is None:
        return Interval(estimate, None, None, len(d))
    c = critical + 1  # the C-th smallest and C-th largest Walsh averages
    return Interval(estimate, walsh[c - 1], walsh[len(walsh) - c], len(d))


@dataclass(frozen=True)
class Ratio:
    """CANDIDATE / BASE (> 1: the candidate is slower) with its interval."""

    estimate: float
    lo: float | None
    hi: float | None
    pairs: int

    @property
    def width(self) -> float | None:
        """``hi / lo - 1``: how wide the interval is, as a relative change."""
        if self.lo is None or self.hi is None:
            return None
        return self.hi / self.lo - 1


def paired_ratios(base: Sequence[float], candidate: Sequence[float]) -> list[float]:
    """Per pair, the candidate's cost over the base's (both in seconds per unit)."""
    if len(base) != len(candidate):
        raise ValueError(f"base and candidate must pair up: {len(base)} and {len(candidate)} rounds")
    if any(x <= 0 for x in (*base, *candidate)):
        raise ValueError("round costs must be positive")
    return [c / b for b, c in zip(base, candidate, strict=True)]


def ratio_interval(ratios: Sequence[float]) -> Ratio:
    """The ratio and its 95 % interval from per-pair ratios (see the module
    docstring: Hodges-Lehmann on their logs)."""
    if any(r <= 0 for r in ratios):
        raise ValueError("ratios must be positive")
    hl = hodges_lehmann([math.log(r) for r in ratios])
    exp = math.exp
    return Ratio(exp(hl.estimate), None if hl.lo is None else exp(hl.lo),
                 None if hl.hi is None else exp(hl.hi), hl.n)


@dataclass(frozen=True)
class Judgement:
    ratio: Ratio
    tolerance: float
    verdict: str  # one of VERDICTS
    resolved: bool
    regressed: bool  # slower beyond tolerance: the gate fails

    @property
    def label(self) -> str:
        """What the gate's table says."""
        if self.regressed:
            return "SLOWER"
        if self.ratio.lo is None:
            return "unresolved (too few rounds)"
        if not self.resolved:
            return f"unresolved ({self.verdict})"
        if self.verdict == SLOWER:
            return "slower, within tolerance"
        return self.verdict


def resolved(ratio: Ratio, tolerance: float) -> bool:
    """Narrow enough to act on: narrower than the tolerance, or already
    entirely above ``1 + tolerance / 2`` (where the gate fails: no further
    rounds can move the estimate back below it) or entirely below 1."""
    if tolerance <= 0:
        raise ValueError(f"tolerance must be positive, got {tolerance!r}")
    if ratio.lo is None or ratio.hi is None:
        return False
    return ratio.width <= tolerance or ratio.lo > 1 + tolerance / 2 or ratio.hi < 1


def judge(ratio: Ratio, tolerance: float) -> Judgement:
    """The verdict on one benchmark (module docstring, "Verdict")."""
    done = resolved(ratio, tolerance)
    if ratio.lo is not None and ratio.lo > 1:
        verdict = SLOWER
    elif ratio.hi is not None and ratio.hi < 1:
        verdict = FASTER
    else:
        verdict = NO_CHANGE
    regressed = done and verdict == SLOWER and ratio.estimate > 1 + tolerance / 2
    return Judgement(ratio, tolerance, verdict, done, regressed)


# -- two independent samples: comparison runs ------------------------------------------
#
# A comparison run (``python -m conformance.bench --backend A --backend B``) times
# each contender's rounds one contender after the other, not in pairs, so the
# ratio between two contenders is judged on two independent samples: the
# two-sample Hodges-Lehmann estimate (the median of all differences of the
# log-times) and its Mann-Whitney interval, the unpaired form of the method above.


@cache
def _rank_sum_counts(m: int, n: int) -> tuple[int, ...]:
    """``counts[u]``: how many of the ``C(m + n, m)`` orderings of two samples
    of sizes ``m`` and ``n`` give the Mann-Whitney statistic ``U = u`` (no ties)."""
    if m == 0 or n == 0:
        return (1,)
    # the largest element is from the first sample (it then beats all n of the
    # second: U grows by n) or from the second
    with_first = _rank_sum_counts(m - 1, n)
    with_second = _rank_sum_counts(m, n - 1)
    out = [0] * (m * n + 1)
    for u, c in enumerate(with_first):
        out[u + n] += c
    for u, c in enumerate(with_second):
        out[u] += c
    return tuple(out)


def mann_whitney_critical(m: int, n: int, alpha: float = 1 - CONFIDENCE) -> int | None:
    """The largest ``u`` with ``P(U <= u) <= alpha / 2`` for samples of sizes
    ``m`` and ``n`` under no difference, or None when the samples are too small
    for an interval at this level."""
    if m < 1 or n < 1:
        raise ValueError(f"both samples need at least one value, got sizes {m!r} and {n!r}")
    return _lower_critical(_rank_sum_counts(m, n), alpha)


def two_sample_shift(x: Sequence[float], y: Sequence[float], alpha: float = 1 - CONFIDENCE) -> Interval:
    """The Hodges-Lehmann estimate of the shift ``y - x`` (the median of the
    ``m * n`` differences) and its distribution-free ``1 - alpha`` interval
    from the Mann-Whitney test (the ``C``-th smallest and largest difference)."""
    if not x or not y:
        raise ValueError("both samples need at least one value")
    diffs = sorted(float(b) - float(a) for a in x for b in y)
    estimate = _median(diffs)
    critical = mann_whitney_critical(len(x), len(y), alpha)
    if critical is None:
        return Interval(estimate, None, None, min(len(x), len(y)))
    c = critical + 1
    return Interval(estimate, diffs[c - 1], diffs[len(diffs) - c], min(len(x), len(y)))


def ratio_between(x: Sequence[float], y: Sequence[float]) -> Ratio:
    """``y / x`` for two independent samples of positive costs, with its 95 %
    interval (:func:`two_sample_shift` on their logs)."""
    if any(v <= 0 for v in (*x, *y)):
        raise ValueError("costs must be positive")
    s = two_sample_shift([math.log(v) for v in x], [math.log(v) for v in y])
    exp = math.exp
    return Ratio(exp(s.estimate), None if s.lo is None else exp(s.lo),
                 None if s.hi is None else exp(s.hi), s.n)


# -- several processes per side: the process as a random effect -------------------
#
# Two processes running the same code on this kind of machine can differ in
# speed by several percent for as long as they live (3-9 % measured here):
# how their memory landed, which neighbour's cache traffic they share
# (``benchmarks/process_spread.py`` measures it). Pairs from one process pair
# then share one offset, and an interval over pairs treats that offset as
# signal. With ``k`` processes per side, each pair of rounds uses one base
# process ``i`` and one candidate process ``j``, every combination ``(i, j)``
# in turn; the log-ratio of a pair is
#
#     d = mu + b_j - a_i + noise
#
# with ``a_i``, ``b_j`` the processes' own offsets, drawn anew with every
# process. The estimate of ``mu`` is the grand mean of the ``k x k`` cells
# (each cell the median of its pairs' log-ratios, so that a burst on one pair
# barely moves it); its variance is ``s_a^2/k + s_b^2/k + s_e^2/k^2``, which
# the two-way analysis of the cells (no replication) estimates from the mean
# squares of the rows, the columns and the residual: ``E[MS_rows] = s_e^2 +
# k s_a^2`` and alike for the columns, so ``(MS_rows + MS_cols) / k^2``
# overestimates it by ``s_e^2 / k^2`` only (kept: it errs toward "unresolved").
# The interval is Student's, with Satterthwaite's degrees of freedom, between
# ``k - 1`` and ``2 (k - 1)``: with few processes it is wide, as it must be,
# since the processes drawn are the sample that decides.


def _regularized_beta(a: float, b: float, x: float) -> float:
    """``I_x(a, b)`` by its continued fraction (Lentz), for the t distribution."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _regularized_beta(b, a, 1.0 - x)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x)) / a
    tiny = 1e-300
    f, c, d = 1.0, 1.0, 0.0
    for i in range(400):
        m = i // 2
        if i == 0:
            num = 1.0
        elif i % 2 == 0:
            num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        else:
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1.0 + num * d
        d = tiny if abs(d) < tiny else d
        d = 1.0 / d
        c = 1.0 + num / c
        c = tiny if abs(c) < tiny else c
        f *= c * d
        if abs(1.0 - c * d) < 1e-14:
            break
    return front * (f - 1.0)


def t_cdf(t: float, df: float) -> float:
    """``P(T <= t)`` for Student's t with ``df > 0`` degrees of freedom."""
    if df <= 0:
        raise ValueError(f"df must be positive, got {df!r}")
    tail = 0.5 * _regularized_beta(df / 2, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (bisection)."""
    if not 0 < p < 1:
        raise ValueError(f"p must be in (0, 1), got {p!r}")
    lo, hi = -1e6, 1e6
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _crossed_parts(ratios: Sequence[float], base_process: Sequence[int],
                   candidate_process: Sequence[int], k: int) -> tuple[float, float, float] | None:
    """``(grand, var, df)`` of one crossed measurement (the analysis above):
    the mean log-ratio, its estimated variance and Satterthwaite's degrees of
    freedom; None until every one of the ``k x k`` combinations has a pair."""
    if not len(ratios) == len(base_process) == len(candidate_process):
        raise ValueError("ratios, base_process and candidate_process must have one entry per pair")
    if k < 2:
        raise ValueError(f"k must be at least 2 for a crossed measurement, got {k!r}")
    if any(r <= 0 for r in ratios):
        raise ValueError("ratios must be positive")
    if any(not 0 <= p < k for p in (*base_process, *candidate_process)):
        raise ValueError(f"process indices must be in 0..{k - 1}")
    cells: dict[tuple[int, int], list[float]] = {}
    for r, i, j in zip(ratios, base_process, candidate_process, strict=True):
        cells.setdefault((i, j), []).append(math.log(r))
    if len(cells) < k * k:
        return None
    y = [[_median(cells[i, j]) for j in range(k)] for i in range(k)]
    grand = sum(map(sum, y)) / (k * k)
    rows = [sum(row) / k for row in y]
    cols = [sum(y[i][j] for i in range(k)) / k for j in range(k)]
    ms_rows = k * sum((r - grand) ** 2 for r in rows) / (k - 1)
    ms_cols = k * sum((c - grand) ** 2 for c in cols) / (k - 1)
    var = (ms_rows + ms_cols) / (k * k)
    if var <= 0:
        return grand, 0.0, float("inf")
    df = (ms_rows + ms_cols) ** 2 / ((ms_rows ** 2 + ms_cols ** 2) / (k - 1))
    return grand, var, df


def _student(grand: float, var: float, df: float, n: int, alpha: float) -> Ratio:
    if var <= 0:  # every cell alike: no spread to build an interval from
        return Ratio(math.exp(grand), math.exp(grand), math.exp(grand), n)
    half = t_quantile(1 - alpha / 2, df) * math.sqrt(var)
    return Ratio(math.exp(grand), math.exp(grand - half), math.exp(grand + half), n)


def crossed_ratio_interval(ratios: Sequence[float], base_process: Sequence[int],
                           candidate_process: Sequence[int], k: int,
                           alpha: float = 1 - CONFIDENCE) -> Ratio:
    """CANDIDATE / BASE and its ``1 - alpha`` interval from pairs run on ``k``
    processes per side, pair ``n`` on base process ``base_process[n]`` and
    candidate process ``candidate_process[n]`` (the analysis above). With
    ``k == 1`` this is :func:`ratio_interval`. Until every one of the ``k x k``
    combinations has a pair, the interval is None (too few rounds)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k!r}")
    if k == 1:
        if not len(ratios) == len(base_process) == len(candidate_process):
            raise ValueError("ratios, base_process and candidate_process must have one entry per pair")
        return ratio_interval(ratios)
    parts = _crossed_parts(ratios, base_process, candidate_process, k)
    if parts is None:
        centre = _median([math.log(r) for r in ratios]) if ratios else 0.0
        return Ratio(math.exp(centre), None, None, len(ratios))
    return _student(*parts, len(ratios), alpha)


# -- measurements in fresh processes, pooled -----------------------------------------
#
# A benchmark that the gate finds slower, or cannot resolve while its estimate
# points at a slowdown, is measured a second time in fresh processes on both
# sides, and judged on both measurements together. With ``m`` independent
# measurements, each with its own ``k x k`` processes (its own draw of the
# offsets ``a_i``, ``b_j``), the estimate is the mean of their grand means and
# its variance the sum of their variances over ``m^2``; the degrees of freedom
# are Satterthwaite's again, ``(sum v)^2 / sum(v^2 / df)``. Twice the processes:
# about half the variance, and at least twice the degrees of freedom of one
# measurement, so the interval narrows where the processes decided its width.


def pooled_ratio_interval(measurements: Sequence[tuple[Sequence[float], Sequence[int], Sequence[int]]],
                          k: int, alpha: float = 1 - CONFIDENCE) -> Ratio:
    """CANDIDATE / BASE and its ``1 - alpha`` interval from several independent
    measurements, each ``(ratios, base_process, candidate_process)`` over its
    own ``k`` processes per side (the analysis above). With ``k == 1`` the
    pairs of all measurements form one sample (:func:`ratio_interval`). The
    interval is None until every measurement has every combination."""
    if not measurements:
        raise ValueError("measurements must hold at least one measurement")
    if k == 1:
        return ratio_interval([r for ratios, _, _ in measurements for r in ratios])
    pairs = sum(len(ratios) for ratios, _, _ in measurements)
    parts = [_crossed_parts(*m, k) for m in measurements]
    if any(p is None for p in parts):
        centre = _median([math.log(r) for ratios, _, _ in measurements for r in ratios])
        return Ratio(math.exp(centre), None, None, pairs)
    m = len(parts)
    grand = sum(g for g, _, _ in parts) / m
    var = sum(v for _, v, _ in parts) / (m * m)
    spread = [(v, df) for _, v, df in parts if v > 0]
    df = (sum(v for v, _ in spread) ** 2 / sum(v * v / df for v, df in spread)) if spread else float("inf")
    return _student(grand, var, df, pairs, alpha)
