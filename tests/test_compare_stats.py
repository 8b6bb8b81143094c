"""The statistics of ``python -m conformance.bench compare``
(conformance/bench/stats.py) on synthetic samples with known answers: the
signed-rank critical values against the published table, the Hodges-Lehmann
estimate and interval on samples whose centre is known by construction, the
interval's coverage on simulated runs with a known shift, and each verdict,
including a benchmark that cannot be resolved. No Ray, no timing."""

from __future__ import annotations

import math
import random

import pytest

from conformance.bench import stats as S

# Two-sided 0.05 critical values of the Wilcoxon signed-rank statistic (reject
# no change when T <= value), as printed in the standard tables (e.g. Hollander
# & Wolfe, Nonparametric Statistical Methods, table A.4; n < 6: no test).
PUBLISHED_CRITICAL = {6: 0, 7: 2, 8: 3, 9: 5, 10: 8, 11: 10, 12: 13, 13: 17, 14: 21, 15: 25,
                      16: 29, 17: 34, 18: 40, 19: 46, 20: 52}


@pytest.mark.parametrize("n, critical", sorted(PUBLISHED_CRITICAL.items()))
def test_signed_rank_critical_values_match_the_published_table(n, critical):
    assert S.signed_rank_critical(n) == critical


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_too_few_pairs_have_no_95_percent_interval(n):
    assert S.signed_rank_critical(n) is None
    interval = S.hodges_lehmann([float(i) for i in range(n)])
    assert interval.lo is None and interval.hi is None


def test_null_distribution_of_three_ranks():
    # T+ over the 8 sign patterns of ranks 1, 2, 3: 0, 1, 2, 3, 3, 4, 5, 6
    assert S._signed_rank_counts(3) == (1, 1, 1, 2, 1, 1, 1)


def test_hodges_lehmann_of_a_symmetric_sample_is_its_centre():
    centre = 0.3
    d = [centre + x for x in (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, -0.25, 0.25, 3.0, -3.0)]
    interval = S.hodges_lehmann(d)
    assert interval.estimate == pytest.approx(centre)
    assert interval.lo < centre < interval.hi


def test_interval_of_six_pairs_is_the_walsh_range():
    # n = 6: C = 1, so the interval runs from the smallest Walsh average (the
    # smallest sample) to the largest (the largest sample)
    d = [0.1, 0.4, -0.2, 0.3, 0.05, 0.2]
    interval = S.hodges_lehmann(d)
    assert (interval.lo, interval.hi) == (min(d), max(d))


def test_interval_of_ten_pairs_by_hand():
    # d = 1..10: Walsh averages (i + j) / 2; C = 8 + 1 = 9, so the 9th smallest
    # and the 9th largest. Sorted Walsh averages start 1, 1.5, 2, 2, 2.5, 2.5,
    # 3, 3, 3 (9th: 3) and end symmetrically (9th largest: 11 - 3 = 8).
    interval = S.hodges_lehmann([float(i) for i in range(1, 11)])
    assert interval.estimate == pytest.approx(5.5)
    assert (interval.lo, interval.hi) == (3.0, 8.0)


def test_an_outlier_barely_moves_the_estimate():
    d = [0.0, 0.01, -0.01, 0.02, -0.02, 0.005, -0.005, 0.015]
    calm = S.hodges_lehmann(d).estimate
    stormy = S.hodges_lehmann([*d[:-1], 5.0]).estimate
    assert abs(stormy - calm) < 0.02
    assert abs(sum([*d[:-1], 5.0]) / len(d) - sum(d) / len(d)) > 0.5  # the mean moves a lot


def _simulate(rng: random.Random, shift: float, pairs: int, sigma: float) -> list[float]:
    """Per-pair ratios candidate/base: the candidate is ``shift`` times slower,
    each round of either side has its own noise, and each pair shares a load
    factor that cancels (as the interleaving intends)."""
    out = []
    for _ in range(pairs):
        load = math.exp(rng.gauss(0, 0.5))
        base = load * math.exp(rng.gauss(0, sigma))
        candidate = load * shift * math.exp(rng.gauss(0, sigma))
        out.append(candidate / base)
    return out


@pytest.mark.parametrize("shift", [1.0, 1.1, 0.8])
def test_interval_covers_a_known_shift_95_percent_of_the_time(shift):
    rng = random.Random(18)
    trials, covered = 400, 0
    for _ in range(trials):
        r = S.ratio_interval(_simulate(rng, shift, pairs=12, sigma=0.05))
        covered += r.lo <= shift <= r.hi
    # exact coverage is at least 95 %; allow for 400 trials (sd ~ 1.1 %)
    assert covered / trials >= 0.92


def test_paired_ratios_pair_by_position_and_reject_bad_input():
    assert S.paired_ratios([1.0, 2.0], [1.5, 1.0]) == [1.5, 0.5]
    with pytest.raises(ValueError, match="pair up"):
        S.paired_ratios([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="positive"):
        S.paired_ratios([0.0], [1.0])
    with pytest.raises(ValueError, match="at least one"):
        S.hodges_lehmann([])
    with pytest.raises(ValueError, match="tolerance"):
        S.judge(S.ratio_interval([1.0] * 6), 0)


def test_ten_percent_slower_and_tight_is_a_regression():
    rng = random.Random(1)
    ratio = S.ratio_interval(_simulate(rng, 1.10, pairs=20, sigma=0.02))
    j = S.judge(ratio, tolerance=0.10)
    assert j.verdict == S.SLOWER and j.resolved and j.regressed
    assert j.label == "SLOWER"


def test_unchanged_and_tight_is_no_change():
    j = S.judge(S.ratio_interval([1.0 + x for x in (-0.02, 0.01, 0.0, 0.015, -0.01, 0.005, -0.005,
                                                       0.02)]), tolerance=0.10)
    assert j.verdict == S.NO_CHANGE and j.resolved and not j.regressed
    assert j.label == S.NO_CHANGE


def test_faster_is_reported_and_passes():
    j = S.judge(S.ratio_interval([0.8, 0.82, 0.79, 0.81, 0.8, 0.78, 0.83, 0.8]), tolerance=0.10)
    assert j.verdict == S.FASTER and j.resolved and not j.regressed


def test_a_small_systematic_difference_is_slower_within_tolerance():
    # 2 % slower, tightly measured: statistically slower, but not beyond 10 %
    j = S.judge(S.ratio_interval([1.02 + x for x in (-0.003, 0.002, 0.0, 0.001, -0.001, 0.003,
                                                       -0.002, 0.0015)]), tolerance=0.10)
    assert j.verdict == S.SLOWER and j.resolved and not j.regressed
    assert j.label == "slower, within tolerance"


def test_noisy_samples_are_unresolved_never_a_pass():
    # ratios all over the place: the interval is far wider than 10 %
    noisy = [0.6, 1.7, 0.9, 1.4, 0.7, 1.9, 1.1, 0.5]
    j = S.judge(S.ratio_interval(noisy), tolerance=0.10)
    assert not j.resolved and not j.regressed
    assert j.label.startswith("unresolved")


def test_too_few_pairs_are_unresolved():
    j = S.judge(S.ratio_interval([1.0, 1.01, 0.99]), tolerance=0.10)
    assert not j.resolved and j.verdict == S.NO_CHANGE
    assert j.label == "unresolved (too few rounds)"


def test_a_wide_interval_above_the_tolerance_is_resolved_as_a_regression():
    # 2x slower, noisily: too wide to be "narrow", but all of it above 1.1
    j = S.judge(S.ratio_interval([1.6, 2.4, 1.8, 2.9, 1.5, 2.2, 2.0, 2.6]), tolerance=0.10)
    assert j.ratio.width > 0.10
    assert j.resolved and j.regressed


@pytest.mark.parametrize(("lo", "hi", "resolved"), [
    (1.066, 1.181, True),   # wider than 10 %, all of it beyond 1.05: the gate fails either way
    (1.045, 1.181, False),  # reaches below 1.05: more rounds could move the estimate under it
    (0.880, 0.990, True),   # all of it below 1
])
def test_an_interval_settles_the_decision_once_it_is_beyond_where_the_gate_fails(lo, hi, resolved):
    ratio = S.Ratio(math.sqrt(lo * hi), lo, hi, 18)
    assert ratio.width > 0.10
    assert S.resolved(ratio, 0.10) is resolved
    assert S.judge(ratio, 0.10).regressed is (resolved and lo > 1)


# -- two independent samples (comparison runs' intervals) ---------------------------

# Two-sided 0.05 critical values of the Mann-Whitney U statistic (reject when
# U <= value), from the standard tables; (3, 3): no test at this level.
PUBLISHED_U = {(4, 4): 0, (5, 5): 2, (6, 6): 5, (7, 7): 8, (8, 8): 13, (9, 9): 17, (10, 10): 23,
               (20, 20): 127, (3, 5): 0, (4, 5): 1, (5, 10): 8}


@pytest.mark.parametrize("sizes, critical", sorted(PUBLISHED_U.items()))
def test_mann_whitney_critical_values_match_the_published_table(sizes, critical):
    assert S.mann_whitney_critical(*sizes) == critical


def test_three_rounds_each_cannot_give_a_95_percent_interval():
    # C(6, 3) = 20 orderings: the most extreme has two-sided probability 0.1
    assert S.mann_whitney_critical(3, 3) is None
    r = S.ratio_between([1.0, 1.1, 0.9], [2.0, 2.1, 1.9])
    assert r.lo is None and r.hi is None


def test_two_sample_interval_by_hand():
    # y = x + 3 with x = 0, 10, .., 40: the differences are 3 + 10 k, k = -4..4,
    # k occurring 5 - |k| times; C = 2 + 1 = 3: the 3rd smallest is -27, the 3rd
    # largest 33, the median 3
    x = [0.0, 10.0, 20.0, 30.0, 40.0]
    interval = S.two_sample_shift(x, [v + 3 for v in x])
    assert interval.estimate == pytest.approx(3.0)
    assert (interval.lo, interval.hi) == (pytest.approx(-27.0), pytest.approx(33.0))


def test_two_sample_interval_covers_a_known_ratio():
    rng = random.Random(7)
    trials, covered = 300, 0
    for _ in range(trials):
        x = [math.exp(rng.gauss(0, 0.1)) for _ in range(6)]
        y = [2.0 * math.exp(rng.gauss(0, 0.1)) for _ in range(6)]
        r = S.ratio_between(x, y)
        covered += r.lo <= 2.0 <= r.hi
    assert covered / trials >= 0.92


def test_report_interval_is_oriented_like_the_ratio():
    from conformance.bench import report

    # mine: 100 items in about 1 s a round; upstream: 50 items in about 2 s,
    # so mine is 4x better (cost per item 0.01 s against 0.04 s)
    mine = {"count": 100, "times": [0.97, 0.99, 1.0, 1.01, 1.03]}
    upstream = {"count": 50, "times": [1.96, 1.98, 2.0, 2.02, 2.04]}
    lo, hi = report.interval(mine, upstream)
    assert lo < 4.0 < hi and hi / lo < 1.2
    three = {"count": 50, "times": [1.98, 2.0, 2.02]}
    assert report.interval({**mine, "times": [1.0, 1.0, 1.0]}, three) is None  # 3 rounds each: none


# -- several processes per side ------------------------------------------------------


@pytest.mark.parametrize("df, quantile", [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776),
                                          (6, 2.447), (10, 2.228), (30, 2.042)])
def test_t_quantiles_match_the_published_table(df, quantile):
    assert S.t_quantile(0.975, df) == pytest.approx(quantile, abs=5e-4)
    assert S.t_quantile(0.025, df) == pytest.approx(-quantile, abs=5e-4)


def test_one_process_per_side_is_the_signed_rank_interval():
    ratios = [1.01, 0.99, 1.04, 1.02, 0.97, 1.03, 1.00, 1.05]
    zeros = [0] * len(ratios)
    assert S.crossed_ratio_interval(ratios, zeros, zeros, 1) == S.ratio_interval(ratios)


def test_no_interval_until_every_combination_of_processes_has_a_pair():
    # 8 pairs over 3 x 3 combinations: (2, 2) has none yet
    base = [q // 3 for q in range(8)]
    cand = [q % 3 for q in range(8)]
    r = S.crossed_ratio_interval([1.0] * 8, base, cand, 3)
    assert r.lo is None and r.hi is None
    assert not S.judge(r, 0.1).resolved


def _by_hand(offsets, mu):
    """One pair per combination of 3 x 3 processes, no noise: log-ratio ``mu``
    less the base process's offset."""
    ratios, base, cand = [], [], []
    for i in range(3):
        for j in range(3):
            ratios.append(math.exp(mu - offsets[i]))
            base.append(i)
            cand.append(j)
    return ratios, base, cand


def test_crossed_interval_by_hand():
    """No noise, base processes offset by 0, +3 %, -3 % in the log, candidate
    processes alike: rows' mean square 3 * 0.0018 / 2 = 0.0027, columns' 0, so
    the variance of the mean is 0.0027 / 9 with 2 degrees of freedom (t 4.303)."""
    mu = math.log(1.1)
    r = S.crossed_ratio_interval(*_by_hand((0.0, 0.03, -0.03), mu), 3)
    half = S.t_quantile(0.975, 2) * math.sqrt(0.0027 / 9)
    assert r.estimate == pytest.approx(1.1)
    assert r.lo == pytest.approx(math.exp(mu - half))
    assert r.hi == pytest.approx(math.exp(mu + half))


def _simulated_run(rng, mu, process_sd, noise_sd, k=3, cycles=4):
    a = [rng.gauss(0, process_sd) for _ in range(k)]
    b = [rng.gauss(0, process_sd) for _ in range(k)]
    ratios, base, cand = [], [], []
    for n in range(cycles * k * k):
        i, j = (n % (k * k)) // k, n % k
        ratios.append(math.exp(mu + b[j] - a[i] + rng.gauss(0, noise_sd)))
        base.append(i)
        cand.append(j)
    return ratios, base, cand


def test_the_crossed_interval_covers_a_known_ratio_when_processes_differ():
    """Processes that differ by 4 % (sd) for their lifetime, rounds by 2 %: the
    interval over the processes covers the true ratio at least 95 % of the time
    (it errs wide); the signed-rank interval over the pairs, which takes the
    processes' offsets for signal, covers it far less often."""
    rng = random.Random(7)
    true, runs = 1.1, 300
    crossed = plain = 0
    for _ in range(runs):
        ratios, base, cand = _simulated_run(rng, math.log(true), 0.04, 0.02)
        x = S.crossed_ratio_interval(ratios, base, cand, 3)
        w = S.ratio_interval(ratios)
        crossed += x.lo <= true <= x.hi
        plain += w.lo <= true <= w.hi
    assert crossed / runs >= 0.95
    assert plain / runs <= 0.6


def test_processes_that_differ_widely_leave_a_benchmark_unresolved():
    """Unchanged code, but processes 8 % apart: no verdict either way, and not
    a pass (the gate's table says unresolved)."""
    ratios, base, cand = _simulated_run(random.Random(3), 0.0, 0.08, 0.01)
    j = S.judge(S.crossed_ratio_interval(ratios, base, cand, 3), 0.10)
    assert not j.resolved and not j.regressed
    assert j.label.startswith("unresolved")


def test_a_ten_percent_slowdown_with_alike_processes_is_caught():
    ratios, base, cand = _simulated_run(random.Random(5), math.log(1.10), 0.005, 0.01)
    j = S.judge(S.crossed_ratio_interval(ratios, base, cand, 3), 0.10)
    assert j.regressed and j.label == "SLOWER"


# -- judging wall time and CPU time together (compare.Result) -------------------------


def _result(judged, wall_ratio, wall_noise, cpu_ratio, cpu_noise, pairs=18, seed=7):
    """A compare.Result of ``pairs`` pairs on 3 x 3 alike processes, whose wall
    and CPU candidate/base ratios are ``*_ratio`` with log-normal noise."""
    from conformance.bench import compare

    rng = random.Random(seed)
    r = compare.Result("bench", 0.10, processes=3, judged=judged)
    for n in range(pairs):
        b, c = compare.pair_processes(n, 3)
        r.base_process.append(b)
        r.candidate_process.append(c)
        r.base_s.append(1.0)
        r.candidate_s.append(wall_ratio * math.exp(rng.gauss(0, wall_noise)))
        r.base_cpu.append(2.0)
        r.candidate_cpu.append(2.0 * cpu_ratio * math.exp(rng.gauss(0, cpu_noise)))
    r.judge()
    return r


def test_both_measures_are_judged_and_each_is_reported():
    r = _result(("wall", "cpu"), 1.0, 0.005, 1.0, 0.005)
    assert set(r.judgements) == {"wall", "cpu"}
    assert r.resolved and not r.regressed and r.settled
    assert r.label == S.NO_CHANGE


def test_slower_on_cpu_alone_fails_a_gate_on_both():
    r = _result(("wall", "cpu"), 1.0, 0.3, 1.25, 0.005)
    assert r.judgements["cpu"].regressed and not r.judgements["wall"].resolved
    assert r.regressed and r.failed
    assert not r.resolved  # the wall time stayed open: said so, beside the failure
    assert r.label.startswith("wall: unresolved") and "cpu: SLOWER" in r.label


def test_a_measure_not_judged_is_reported_but_decides_nothing():
    wall_only = _result(("wall",), 1.0, 0.005, 1.25, 0.005)
    assert wall_only.judgements["cpu"].regressed  # measured and reported
    assert not wall_only.regressed and wall_only.settled and wall_only.label == S.NO_CHANGE
    cpu_only = _result(("cpu",), 1.0, 0.3, 1.0, 0.005)
    assert not cpu_only.judgements["wall"].resolved
    assert cpu_only.settled and cpu_only.label == S.NO_CHANGE


def test_a_gate_on_both_is_unresolved_while_either_measure_is():
    r = _result(("wall", "cpu"), 1.0, 0.3, 1.0, 0.005)
    assert r.judgements["cpu"].resolved and not r.judgements["wall"].resolved
    assert not r.settled and not r.regressed
    assert "wall: unresolved" in r.label


def test_rounds_without_cpu_time_give_no_cpu_judgement():
    from conformance.bench import compare

    r = compare.Result("bench", 0.10, processes=1, judged=("wall", "cpu"))
    r.base_s, r.candidate_s = [1.0] * 8, [1.0] * 8
    r.base_cpu, r.candidate_cpu = [None] * 8, [None] * 8
    r.base_process, r.candidate_process = [0] * 8, [0] * 8
    r.judge()
    assert set(r.judgements) == {"wall"}
    assert not r.resolved and r.label == "unresolved (no cpu time in the rounds)"


# -- two measurements in fresh processes, pooled ------------------------------------




def test_pooled_interval_by_hand():
    """Two measurements like the one of test_crossed_interval_by_hand, the
    second with base offsets twice as large (rows' mean square 0.0108): the
    estimate is the mean of the two grand means, the variance (0.0027 / 9 +
    0.0108 / 9) / 4, and the degrees of freedom Satterthwaite's, (v1 + v2)^2 /
    (v1^2 / 2 + v2^2 / 2)."""
    first = _by_hand((0.0, 0.03, -0.03), math.log(1.1))
    second = _by_hand((0.0, 0.06, -0.06), math.log(1.2))
    r = S.pooled_ratio_interval([first, second], 3)
    v1, v2 = 0.0027 / 9, 0.0108 / 9
    var, df = (v1 + v2) / 4, (v1 + v2) ** 2 / (v1 ** 2 / 2 + v2 ** 2 / 2)
    centre = (math.log(1.1) + math.log(1.2)) / 2
    half = S.t_quantile(0.975, df) * math.sqrt(var)
    assert r.estimate == pytest.approx(math.exp(centre))
    assert r.lo == pytest.approx(math.exp(centre - half))
    assert r.hi == pytest.approx(math.exp(centre + half))
    assert r.pairs == 18


def test_pooling_a_measurement_with_its_like_narrows_the_interval():
    """The same measurement twice: the same estimate, half the variance and
    twice the degrees of freedom, so the interval is more than sqrt(2) narrower."""
    one = _by_hand((0.0, 0.03, -0.03), math.log(1.1))
    single = S.crossed_ratio_interval(*one, 3)
    pooled = S.pooled_ratio_interval([one, one], 3)
    assert pooled.estimate == pytest.approx(single.estimate)
    assert math.log(single.hi / single.lo) / math.log(pooled.hi / pooled.lo) > math.sqrt(2)


def test_pooled_interval_needs_every_combination_of_every_measurement():
    whole = _by_hand((0.0, 0.01, -0.01), 0.0)
    part = (whole[0][:8], whole[1][:8], whole[2][:8])
    r = S.pooled_ratio_interval([whole, part], 3)
    assert r.lo is None and r.hi is None and r.pairs == 17


def test_with_one_process_per_side_pooled_pairs_form_one_sample():
    rng = random.Random(1)
    a = [math.exp(rng.gauss(0.05, 0.02)) for _ in range(10)]
    b = [math.exp(rng.gauss(0.05, 0.02)) for _ in range(12)]
    assert S.pooled_ratio_interval([(a, [0] * 10, [0] * 10), (b, [0] * 12, [0] * 12)], 1) \
        == S.ratio_interval(a + b)


def test_pooled_interval_covers_a_known_ratio_and_catches_more():
    """Processes 4 % apart (sd), rounds 2 %, a true ratio of 1.08: pooled over
    two measurements in fresh processes, the interval covers the truth at
    least 95 % of the time, and it finds the candidate slower beyond a 10 %
    tolerance more often than one measurement does."""
    rng = random.Random(11)
    true, runs = 1.08, 300
    covered = caught_one = caught_two = 0
    for _ in range(runs):
        first = _simulated_run(rng, math.log(true), 0.04, 0.02)
        second = _simulated_run(rng, math.log(true), 0.04, 0.02)
        pooled = S.pooled_ratio_interval([first, second], 3)
        covered += pooled.lo <= true <= pooled.hi
        caught_one += S.judge(S.crossed_ratio_interval(*first, 3), 0.10).regressed
        caught_two += S.judge(pooled, 0.10).regressed
    assert covered / runs >= 0.95
    assert caught_two > caught_one * 1.5


def _result_of(ratios, base, cand):
    """A compare.Result judged on CPU time whose pairs have these ratios."""
    from conformance.bench import compare

    r = compare.Result("bench", 0.10, processes=3, judged=("cpu",))
    r.base_process, r.candidate_process = base, cand
    r.base_s = r.base_cpu = [1.0] * len(ratios)
    r.candidate_s = r.candidate_cpu = ratios
    r.judge()
    return r


def _pooled_result(first_ratio, second_ratio, process_sd, seed=3):
    rng = random.Random(seed)
    return tuple(_result_of(*_simulated_run(rng, math.log(ratio), process_sd, 0.01, cycles=2))
                 for ratio in (first_ratio, second_ratio))


def test_a_benchmark_that_points_slower_is_measured_again_and_judged_over_both():
    """Slower beyond tolerance, or unresolved with an estimate above 1 + tol / 2,
    asks for a second measurement; the verdict is then the pooled one."""
    first, second = _pooled_result(1.12, 1.12, 0.005)
    assert first.regressed and first.points_slower
    first.pool(second)
    assert first.failed and first.settled
    assert first.label == "SLOWER (two measurements)"
    assert first.as_dict()["pooled"] and first.as_dict()["first_measures"]["cpu"]["regressed"]
    # unresolved, pointing slower: measured again
    wide = _result_of(*_by_hand((0.0, 0.08, -0.08), math.log(1.09)))
    assert not wide.resolved and wide.judgements["cpu"].ratio.estimate == pytest.approx(1.09)
    assert wide.points_slower
    # unresolved, pointing nowhere in particular: not measured again
    assert not _result_of(*_by_hand((0.0, 0.08, -0.08), math.log(1.03))).points_slower
    # unchanged: not measured again
    same, _ = _pooled_result(1.0, 1.0, 0.005)
    assert not same.points_slower and same.settled and not same.failed


def test_a_first_slower_verdict_the_second_measurement_contradicts_does_not_fail():
    first, second = _pooled_result(1.12, 0.95, 0.005)
    assert first.regressed
    first.pool(second)
    assert not first.failed
    assert first.label.endswith("(two measurements)") and "SLOWER" not in first.label


# -- warming up ------------------------------------------------------------------------


class _ScriptedSide:
    """Answers rounds with the per-unit costs given, in order."""

    def __init__(self, costs):
        self.costs = list(costs)
        self.asked = 0

    def ask(self, request):
        self.asked += 1
        cost = self.costs.pop(0)
        return {"seconds": cost * 10, "units": 10, "cpu_seconds": cost * 20}


@pytest.mark.parametrize(("after_first", "expected"), [
    ([1.0], 2),                 # no cheaper than the first: settled
    ([0.8, 0.9], 3),            # cheaper, then not
    ([0.8, 0.6, 0.5, 0.4], 4),  # still settling: at most WARM_UP_ROUNDS in all
])
def test_a_process_warms_up_until_a_round_is_no_cheaper(after_first, expected):
    from conformance.bench import compare

    side = _ScriptedSide(after_first)
    ran = compare.warm_up(side, {"op": "round"}, 1.0, ("wall",))
    assert ran == expected == side.asked + 1
    assert compare.WARM_UP_ROUNDS == 4


def test_warming_up_follows_the_judged_measure():
    """The scripted rounds cost twice as much CPU per unit as wall time: after
    a first round of 1.0, a round of 0.9 wall (1.8 CPU) is cheaper on wall
    time and dearer on CPU time."""
    from conformance.bench import compare

    assert compare.warm_up(_ScriptedSide([0.9, 0.95]), {"op": "round"}, 1.0, ("cpu",)) == 2
    assert compare.warm_up(_ScriptedSide([0.9, 0.95]), {"op": "round"}, 1.0, ("wall",)) == 3
