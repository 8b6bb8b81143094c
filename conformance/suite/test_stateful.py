"""Several runs of one plan, read in random interleavings (GATH-7, GATH-8, LIFE-5,
LOC-4, LOC-5, ORD-3, ORD-5, SHARD-6), as a Hypothesis state machine.

The machine starts runs of one plan -- ``gather_sync``, ``gather_async``,
``get_shard`` --, advances them with ``next()`` and ``take``, duplicates unstarted
ones and closes some, in any order, and compares every observation with what the
model says that run must deliver.  The plan carries a running sum in a
``for_each``, so a run that shared transform state or source position with
another would deliver different sums.  Like zarr's stateful store tests, every
rule runs against the backend and is checked against the model, which shares no
code with the backend under test.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from conformance import funcs, model
from conformance.plugin import examples, shard_cap
from conformance.util import cites

#: items of shard ``s`` are ``s * SPREAD + i``, so an item names its shard.
SPREAD = 100
MAX_RUNS = 3


class Run:
    """One run of the backend and what it must deliver: ``expected`` is the whole
    stream (``gather_sync``, ``get_shard``), or per shard (``gather_async``)."""

    def __init__(self, it: Any, kind: str, expected: Any) -> None:
        self.it = it
        self.kind = kind
        self.expected = expected
        self.delivered: list[Any] = []
        self.ended = False

    def check(self) -> None:
        got = self.delivered
        if self.kind == "gather_async":
            for shard, want in self.expected.items():
                mine = [x for x in got if x[1] // SPREAD == shard]
                assert mine == want[: len(mine)], f"shard {shard}: {mine} is not a prefix of {want}"
                if self.ended:
                    assert mine == want, f"shard {shard} ended after {mine}, expected {want}"
            assert len(got) == sum(len(v) for v in self.expected.values()) or not self.ended
        else:
            assert got == self.expected[: len(got)], f"{self.kind}: delivered {got}, expected {self.expected}"
            if self.ended:
                assert got == self.expected, f"{self.kind} ended after {got}, expected {self.expected}"

    def advance(self, n: int) -> None:
        for _ in range(n):
            try:
                self.delivered.append(next(self.it))
            except StopIteration:
                self.ended = True
                break
        self.check()

    def take(self, n: int) -> None:
        got = self.it.take(n)
        assert isinstance(got, list) and len(got) <= n
        self.delivered.extend(got)
        self.ended = self.ended or len(got) < n
        self.check()


def _machine(api: Any, max_shards: int) -> type[RuleBasedStateMachine]:
    class Runs(RuleBasedStateMachine):
        runs = Bundle("runs")

        def __init__(self) -> None:
            super().__init__()
            self.open: list[Run] = []

        @initialize(
            target=runs,
            lengths=st.lists(st.integers(0, 5), min_size=1, max_size=max_shards),
            first=st.sampled_from(["gather_sync", "gather_async"]),
        )
        def plan(self, lengths: list[int], first: str) -> Any:
            """The plan, and two runs of it started at once: the runs' interleaving is
            what GATH-7 is about, so every example has one from its first step."""
            parts = [[s * SPREAD + i for i in range(n)] for s, n in enumerate(lengths)]
            self.pi = api.from_iterators(parts).for_each(funcs.CumulativeSum())
            expected = model.from_iterators(parts).for_each(funcs.CumulativeSum())
            self.sync = list(expected.gather_sync())
            self.shards = {s: list(expected.get_shard(s)) for s in range(len(parts))}
            return multiple(self._begin(first), self._begin("gather_sync"))

        def _begin(self, kind: str) -> Run:
            if kind == "gather_sync":
                return self._start(self.pi.gather_sync(), kind, self.sync)
            return self._start(self.pi.gather_async(), kind, self.shards)

        def _start(self, it: Any, kind: str, expected: Any) -> Run:
            run = Run(it, kind, expected)
            self.open.append(run)
            return run

        @precondition(lambda self: len(self.open) < MAX_RUNS)
        @rule(target=runs, data=st.data())
        def start(self, data: st.DataObject) -> Run:
            kind = data.draw(st.sampled_from(["gather_sync", "gather_async", "get_shard"]), label="gather")
            if kind == "gather_sync":
                return self._start(self.pi.gather_sync(), kind, self.sync)
            if kind == "gather_async":
                return self._start(self.pi.gather_async(), kind, self.shards)
            shard = data.draw(st.integers(0, len(self.shards) - 1), label="shard")
            return self._start(self.pi.get_shard(shard), kind, self.shards[shard])

        # how far one run is read before the next step, which may read another: the
        # positions in each stream at which the runs interleave
        @rule(run=runs, data=st.data())
        def next_items(self, run: Run, data: st.DataObject) -> None:
            run.advance(data.draw(st.integers(1, 4), label="position"))

        @rule(run=runs, data=st.data())
        def take(self, run: Run, data: st.DataObject) -> None:
            run.take(data.draw(st.integers(0, 4), label="position"))

        @rule(target=runs, run=consumes(runs))
        def duplicate(self, run: Run) -> Any:
            """An unstarted run's two copies each deliver the whole stream (LOC-5);
            the original is not read again.  A started run is left as it was."""
            if run.delivered:
                return run
            self.open.remove(run)
            first, second = run.it.duplicate(2)
            copies = [self._start(copy, run.kind, run.expected) for copy in (first, second)]
            return multiple(*copies)

        @rule(run=consumes(runs))
        def close(self, run: Run) -> None:
            self.open.remove(run)
            _close(run.it)

        def teardown(self) -> None:
            for run in self.open:
                _close(run.it)

    return Runs


def _close(it: Any) -> None:
    close = getattr(it, "close", None)
    if close is not None:
        close()


@cites("GATH-7", "GATH-8", "LIFE-5", "LOC-4", "LOC-5", "ORD-3", "ORD-5", "SHARD-6")
def test_interleaved_runs_of_one_plan_match_the_model(backend: Any, api: Any) -> None:
    machine = _machine(api, min(3, shard_cap(backend)))
    settings = examples(2)
    settings = type(settings)(settings, stateful_step_count=12)
    run_state_machine_as_test(machine, settings=settings)
