"""The kit's table of known deviations of upstream ``ray.util.iter`` 2.60 from the spec.

Each :class:`Deviation` is one place where upstream behaves differently from SPEC.md on
purpose or by accident.  When the selected backend is ``ray.util.iter`` these entries
are applied automatically as *strict* expected failures (BACK-3): a test that
unexpectedly passes is reported as ``XPASS(strict)``, i.e. a failure, so the table
cannot go stale silently.

A deviation applies to every test citing its clause, or -- when ``test`` is given --
only to the tests of that test function (all its parametrizations) that cite it.

``spec/DEVIATIONS.md`` is generated from this table::

    python -m conformance.known_deviations --write spec/DEVIATIONS.md   # regenerate it
    python -m conformance.known_deviations --check   # exit 1 if it is out of date

and the kit's own ``tests/test_kit.py`` fails when the two disagree.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from conformance.clauses import SPEC_DIR

#: the rendered table as shipped with the spec (package data, like SPEC.md).
DEVIATIONS_PATH = SPEC_DIR / "DEVIATIONS.md"


@dataclass(frozen=True)
class Deviation:
    """One known deviation: the clause, optionally the test function it is scoped to,
    what upstream does, and why the spec asks for something else."""

    clause: str
    upstream: str
    rationale: str
    test: str | None = None

    @property
    def key(self) -> str:
        return self.clause if self.test is None else f"{self.clause}::{self.test}"


RAY_UTIL_ITER: tuple[Deviation, ...] = (
    Deviation(
        "SRC-1",
        "takes len() of and indexes `items`, so a generator or other non-sequence iterable "
        "raises TypeError ('generator' object is not subscriptable).",
        "The signature documents an iterable; materialising it once at the call is cheap "
        "and makes every iterable work.",
        test="test_from_items_accepts_any_iterable",
    ),
    Deviation(
        "SRC-3",
        "calls a callable element once, in the shard actor's constructor, while the "
        "ParallelIterator is being built; later runs reuse the same exhausted generator.",
        "Building must be free (LAZY-1) and every run must start its sources again (SRC-7); "
        "a callable is the user's way to make a source re-iterable.",
        test="test_source_callable_is_called_in_the_run_once_per_pass",
    ),
    Deviation(
        "LAZY-1",
        "creates one actor per shard while building and, for callable sources, calls them; "
        "repartition() initialises the parent shards (calling user iterables' __iter__) at "
        "the call.",
        "A plan is a value: building it must run no user code, so that plans can be built, "
        "passed around and serialized freely.",
        test="test_building_with_user_sources_calls_no_user_code",
    ),
    Deviation(
        "SRC-6",
        "cycles an empty repeating shard forever inside the actor (busy loop), so a gather "
        "that reaches it never returns.",
        "An empty source repeated is still empty; spinning hangs the consumer and burns a CPU.",
        test="test_repeat_with_an_empty_shard_ends_it",
    ),
    Deviation(
        "SRC-7",
        "keeps one source position per actor: a second run of a callable source finds the "
        "generator exhausted and yields nothing.",
        "Each run starts every source from its beginning (runs are independent, GATH-7).",
        test="test_regathering_callable_sources_starts_them_again",
    ),
    Deviation(
        "SRC-7",
        "continues a repeating source where the previous run stopped.",
        "Each run starts every source from its beginning.",
        test="test_regathering_repeating_sources_starts_from_the_beginning",
    ),
    Deviation(
        "SRC-7",
        "initialises the parent shards of a repartition once, when repartition() is called; "
        "the second run of the repartitioned iterator yields nothing.",
        "Each run starts every source from its beginning.",
        test="test_regathering_a_repartition_yields_the_same_items",
    ),
    Deviation(
        "PAR-3",
        "wraps fn with ray.remote when max_concurrency != 1, which refuses callable "
        "objects ('The @ray.remote decorator must be applied to either a function or a "
        "class').",
        "fn is any user callable; concurrency must not restrict which callables work.",
        test="test_concurrent_for_each_accepts_callable_objects",
    ),
    Deviation(
        "PAR-13",
        "take(0) (and show(0)) still pulls and returns one item: the loop checks the count "
        "only after appending.",
        "take(n) returns the first n items; n = 0 is a valid, empty request.",
        test="test_take_zero_returns_nothing",
    ),
    Deviation(
        "LOC-1",
        "LocalIterator.__iter__ returns the internal generator, not the LocalIterator.",
        "The iterator protocol requires iter(it) is it; returning the generator bypasses "
        "the iterator's own next() bookkeeping.",
        test="test_iter_returns_the_iterator_itself",
    ),
    Deviation(
        "LOC-3",
        "LocalIterator(base_iterator) requires shared_metrics positionally and asserts it "
        "is a SharedMetrics instance.",
        "The spec documents shared_metrics=None; constructing a LocalIterator over a plain "
        "base iterator should not need an internal class.",
        test="test_local_iterator_construction",
    ),
    Deviation(
        "LOC-5",
        "a duplicate copy that is ahead of the others yields internal _NextValueNotReady "
        "objects to the user instead of buffering (reading one copy to the end first never "
        "ends).",
        "Copies are independent readers; the receiver's items are buffered for lagging copies.",
        test="test_duplicate_buffers_for_a_lagging_copy",
    ),
    Deviation(
        "GATH-4",
        "gather_async with a positive batch_ms of 0.0001 ms or less never returns (0.0005 ms "
        "and up work).",
        "batch_ms is a hint of how long to gather a batch, any number >= 0; no value may "
        "stop delivery.",
        test="test_a_batch_ms_far_below_a_millisecond_is_still_only_a_hint",
    ),
    Deviation(
        "GATH-7",
        "shares the shard actors between runs: a second gather re-initialises the actors' "
        "iterators, so two interleaved runs steal each other's items.",
        "Every LocalIterator from a gather is its own run.",
        test="test_interleaved_runs_do_not_consume_each_others_items",
    ),
    Deviation(
        "GATH-7",
        "shares the shard actor between two get_shard runs of the same shard: the second "
        "run's start resets the actor's iterator under the first.",
        "Every LocalIterator from a gather is its own run.",
        test="test_interleaved_shard_runs_are_independent",
    ),
    Deviation(
        "GATH-7",
        "shares the shard actors between runs (as in the two entries above), so runs of one "
        "plan started and read in any interleaving deliver each other's items and running sums.",
        "Every LocalIterator from a gather is its own run.",
        test="test_interleaved_runs_of_one_plan_match_the_model",
    ),
    Deviation(
        "LAZY-8",
        "starts one actor (a worker process) per shard while building.",
        "Workers should be acquired when a run starts, so that unused plans cost nothing.",
        test="test_building_starts_no_processes",
    ),
    Deviation(
        "SHARD-6",
        "serializes transform functions when a run starts, so changes to a callable object "
        "made after the transform was added are seen.",
        "A plan is immutable: it captures functions as they were when added.",
        test="test_transform_function_is_captured_when_added",
    ),
    Deviation(
        "SHARD-9",
        "raises AssertionError ('Invalid actor index') for repeated indices.",
        "Indices name shards; naming one twice keeps it once.",
        test="test_select_shards_repeated_indices_count_once",
    ),
    Deviation(
        "ERR-5",
        "accepts most bad arguments at the call (they fail later, or never) and raises "
        "AssertionError for for_each(max_concurrency=-1) and select_shards out of range.",
        "Errors belong at the call that made them, with a standard exception type.",
        test="test_bad_input_is_refused_at_the_call_never_with_assertion_error",
    ),
    Deviation(
        "BAD-1",
        "raises TypeError with Python's message ('int' object is not iterable), which does not name `items`.",
        "Messages name the argument.",
    ),
    Deviation(
        "BAD-2",
        "accepts num_shards=True; other wrong types fail with messages that do not name `num_shards`.",
        "bool is not a shard count; messages name the argument.",
    ),
    Deviation(
        "BAD-3",
        "num_shards=0 raises ZeroDivisionError, num_shards=-1 IndexError.",
        "ValueError naming num_shards.",
    ),
    Deviation(
        "BAD-4",
        "accepts from_range(-1) (empty shards); wrong types fail with messages that do not name `n`.",
        "Bad input is refused at the call, naming the argument.",
    ),
    Deviation(
        "BAD-5",
        "accepts from_iterators([]) (a plan with no shards); wrong types fail "
        "with messages that do not name `generators`.",
        "Refused at the call, naming the argument.",
    ),
    Deviation(
        "BAD-6",
        "accepts elements that are neither iterable nor callable; they fail when the shard runs.",
        "Refused at the call.",
    ),
    Deviation("BAD-7", "accepts a non-callable fn; it fails when the shard runs.", "Refused at the call."),
    Deviation(
        "BAD-8",
        "max_concurrency=-1 raises AssertionError on the parallel side and is "
        "accepted on the local side; wrong types are accepted.",
        "TypeError / ValueError naming the argument.",
    ),
    Deviation(
        "BAD-9", "accepts batch(0) and batch(-1) (every item becomes a batch of one).", "Refused at the call."
    ),
    Deviation("BAD-10", "accepts shuffle_buffer_size 0 or negative (no shuffling).", "Refused at the call."),
    Deviation("BAD-11", "accepts repartition(0) (a plan with no shards).", "Refused at the call."),
    Deviation(
        "BAD-12",
        "out-of-range or repeated indices raise AssertionError; the empty-list "
        "ValueError does not name `shards_to_keep`.",
        "IndexError / ValueError naming the argument.",
    ),
    Deviation(
        "BAD-14",
        "raises ValueError, not TypeError, for a non-LocalIterator argument.",
        "A wrong type is a TypeError.",
    ),
    Deviation(
        "BAD-15",
        "the ValueError for a wrong number of weights does not name "
        "`round_robin_weights`; zero, negative and non-numeric weights are accepted.",
        "Refused at the call, naming the argument.",
    ),
    Deviation(
        "BAD-16",
        "the ValueError does not name `batch_ms`; wrong types raise "
        "TypeError from a comparison; repartition accepts any batch_ms.",
        "Refused at the call, naming the argument.",
    ),
    Deviation(
        "BAD-17",
        "the ValueError ('queue depth must be positive') does not name "
        "`num_async`; wrong types raise TypeError from a comparison.",
        "Messages name the argument.",
    ),
    Deviation(
        "BAD-18",
        "an index past the end raises ValueError; -1 returns the last shard.",
        "IndexError for any index outside range(num_shards()).",
    ),
    Deviation("BAD-19", "take(-1) returns one item; show(-1) prints one.", "Refused at the call."),
    Deviation(
        "BAD-20",
        "the ValueError ('Number of copies must be >= 2') does not name `n`; "
        "wrong types raise TypeError from a comparison.",
        "Messages name the argument.",
    ),
    Deviation(
        "ERR-6",
        "reports a dead shard actor as ray.exceptions.ActorDiedError, whose message names the "
        "actor id and class but not the shard index.",
        "The consumer knows shards, not actors; the error must say which shard died.",
        test="test_a_dead_shard_worker_is_reported",
    ),
    Deviation(
        "LIFE-1",
        "keeps every shard actor alive as long as its ParallelIterator is referenced, after "
        "the run has ended.",
        "Workers belong to runs: an idle plan should hold no processes.",
        test="test_workers_are_released_after_each_run",
    ),
    Deviation(
        "LIFE-5",
        "lets two runs read one from_actors actor at once: the second run's start resets the "
        "actor's iterator under the first run.",
        "A shared source serves one reader at a time; the second run is refused with an error "
        "naming the shard.",
        test="test_one_reader_per_actor_shard",
    ),
    Deviation(
        "LIFE-6",
        "starts Ray (on first use) with the defaults of ray.init, whose node address is the "
        "machine's external one.",
        "A Ray instance started implicitly should not be reachable from the network (Ray "
        "2.60 offers no setting for this).",
        test="test_started_ray_listens_on_loopback",
    ),
    Deviation(
        "NAME-1",
        "names select_shards results `ParallelIterator[ParallelIterator[<name>].select_shards(<k> "
        "total)]` (the parent's repr, not its name, nested).",
        "Transforms append to the name; nesting reprs is an accident of str(self).",
        test="test_select_shards_name",
    ),
    Deviation(
        "LOC-10",
        "polls union inputs with timeout=0, which the base iterator of get_shard() does not "
        "support: a union of get_shard()/shards() iterators fails with IndexError('pop from "
        "an empty deque').",
        "get_shard and shards() are asynchronous gathers like gather_async; a union reads them "
        "as they are ready.",
        test="test_a_non_deterministic_union_reads_a_ready_shard_iterator",
    ),
    Deviation(
        "LOC-6",
        "reads every input of a non-deterministic union with timeout=0, which the base "
        "iterator of get_shard() and shards() does not support: the union fails with "
        "IndexError('pop from an empty deque') instead of delivering every item.",
        "A union loses nothing, whatever its inputs (LOC-6); get_shard and shards() are "
        "asynchronous gathers like gather_async and a union reads them as they are ready.",
        test="test_a_non_deterministic_union_of_any_inputs_keeps_every_item",
    ),
    Deviation(
        "LOC-6",
        "never returns from a union one of whose inputs is a copy made by duplicate(), "
        "deterministic or not: the union reads its inputs through new iterators over their "
        "base iterators, and a copy's base iterator waits for the buffer the copy itself fills.",
        "A union loses nothing and ends, whatever its inputs (LOC-6 names copies made by "
        "duplicate); the copies of LOC-5 are LocalIterators like any other.",
        test="test_a_union_with_a_duplicate_copy_keeps_every_item",
    ),
    Deviation(
        "SHARD-8",
        "starts a plan's shard actors when the plan is built, so p.union(p) lists the same "
        "actors twice: the two appearances share one stream and every item comes once.",
        "A plan is a value and every appearance of a shard is its own pipeline in a run "
        "(SHARD-8, SHARD-4); only a repartition is read once per run (SHARD-11).",
        test="test_a_plan_united_with_itself_yields_every_item_twice",
    ),
)

#: Known-deviation tables by backend module name.
TABLES: dict[str, tuple[Deviation, ...]] = {"ray.util.iter": RAY_UTIL_ITER}


def for_module(module_name: str) -> dict[str, str]:
    """``{key: reason}`` for the backend module ``module_name`` (empty if none)."""
    return {d.key: f"{d.clause}: upstream {d.upstream}" for d in TABLES.get(module_name, ())}


HEADER = """\
# Deviations of `ray.util.iter` 2.60 from the specification

<!-- Generated from conformance/known_deviations.py by
     `python -m conformance.known_deviations --write spec/DEVIATIONS.md`; do not edit by hand. -->

This file lists every place where `ray.util.iter` as shipped in Ray 2.60 behaves
differently from [SPEC.md](SPEC.md). The conformance suite applies this list
automatically when run with `--backend=ray.util.iter`: each entry turns the tests
named in its *Scope* into strict expected failures, so an entry that stops being
true fails the run (`XPASS(strict)`).

*Scope* is either the clause (every test citing it) or one test function of the
suite (only that test's cases).
"""


def render_markdown(table: tuple[Deviation, ...] = RAY_UTIL_ITER) -> str:
    """The text of ``spec/DEVIATIONS.md`` for ``table``."""
    lines = [HEADER]
    lines.append(f"{len(table)} deviations.\n")
    lines.append("| # | clause | scope | upstream 2.60 | why the spec differs |")
    lines.append("|---|---|---|---|---|")
    for i, d in enumerate(table, 1):
        scope = "whole clause" if d.test is None else f"`{d.test}`"
        lines.append(f"| {i} | **{d.clause}** | {scope} | {_cell(d.upstream)} | {_cell(d.rationale)} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="PATH", type=Path, help="write the table to PATH")
    group.add_argument("--check", action="store_true", help="fail if the shipped DEVIATIONS.md is stale")
    args = parser.parse_args(argv)
    text = render_markdown()
    if args.write:
        args.write.write_text(text, encoding="utf-8")
        return 0
    if args.check:
        current = DEVIATIONS_PATH.read_text(encoding="utf-8") if DEVIATIONS_PATH.is_file() else ""
        if current != text:
            print("spec/DEVIATIONS.md is out of date: run "
                  "python -m conformance.known_deviations --write spec/DEVIATIONS.md")
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
