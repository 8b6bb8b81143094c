"""``compare --settle``: a side waits after each round until its processes
are idle (conformance.bench.side.settle), on scripted CPU readings."""

from __future__ import annotations

import pytest

from conformance.bench import side as S


def _script(readings: list[dict]):
    """A ``read`` that returns ``readings`` in turn, and a ``sleep`` that
    records the windows slept."""
    it = iter(readings)
    slept: list[float] = []
    return (lambda: next(it)), slept.append, slept


def _busy(windows: int, per_window: float, then_idle: bool = True) -> list[dict]:
    """Readings of one process using ``per_window`` CPU seconds for
    ``windows`` windows, then (optionally) nothing."""
    out, used = [{1: 0.0}], 0.0
    for _ in range(windows):
        used += per_window
        out.append({1: used})
    if then_idle:
        out.append({1: used})
    return out


def test_settle_waits_until_a_window_is_idle():
    read, sleep, slept = _script(_busy(3, S.SETTLE_WINDOW_S))  # a whole core, 3 windows
    waited = S.settle(10.0, read, sleep)
    assert len(slept) == 4
    assert waited == pytest.approx(4 * S.SETTLE_WINDOW_S)


def test_an_idle_side_waits_one_window():
    read, sleep, slept = _script([{1: 5.0}, {1: 5.0}])
    assert S.settle(10.0, read, sleep) == pytest.approx(S.SETTLE_WINDOW_S)
    assert len(slept) == 1


def test_settle_gives_up_after_a_multiple_of_the_round():
    round_s = 0.5
    windows = int(S.SETTLE_LIMIT * round_s / S.SETTLE_WINDOW_S)
    read, sleep, slept = _script(_busy(windows + 5, S.SETTLE_WINDOW_S, then_idle=False))
    waited = S.settle(round_s, read, sleep)
    assert waited == pytest.approx(S.SETTLE_LIMIT * round_s)
    assert len(slept) == windows


def test_use_at_the_idle_share_counts_as_idle_and_above_it_does_not():
    idle_use = S.IDLE_CORES * S.SETTLE_WINDOW_S
    read, sleep, slept = _script([{1: 0.0}, {1: 2 * idle_use}, {1: 3 * idle_use}])
    S.settle(10.0, read, sleep)
    assert len(slept) == 2


def test_busy_seconds_counts_new_processes_and_never_an_ended_one():
    before = {1: 1.0, 2: 5.0}
    after = {1: 1.25, 3: 0.5}  # 2 ended (its time gone with it), 3 started
    assert S.busy_seconds(before, after) == pytest.approx(0.75)


def test_a_process_that_ended_does_not_make_a_busy_side_look_idle():
    # process 2 ends while process 1 keeps a core busy: still busy
    readings = [{1: 0.0, 2: 9.0}, {1: S.SETTLE_WINDOW_S}, {1: S.SETTLE_WINDOW_S}]
    read, sleep, slept = _script(readings)
    S.settle(10.0, read, sleep)
    assert len(slept) == 2


def test_tree_cpu_reads_this_process():
    import os

    assert os.getpid() in S.tree_cpu()
