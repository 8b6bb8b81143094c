"""What each clause of §4–§9 ranges over, and which of those ranges the tests draw.

A clause's text quantifies over *dimensions*: the number of union inputs and
their kinds, shard counts, gathers, ``num_async``, ``batch_ms``, weights, nesting
depth, and the position in a stream where an event happens.  A test that builds
one fixed shape checks one point of that range; a backend broken only elsewhere
passes it.  So the tests draw from the ranges with Hypothesis, and this table
records, per MUST clause of chapters 4–9:

* :data:`CLAUSE_DIMENSIONS` -- the dimensions its text ranges over;
* :data:`NOT_YET_DRAWN` -- those its tests do not draw yet, each with the reason
  (fixed examples or an enumeration stand there today).

A draw is recognised by its Hypothesis label (``data.draw(..., label=...)``) or
the argument name of ``@given``, mapped to a dimension by :data:`LABELS`.  The
kit's ``tests/test_kit.py`` reads the test functions citing each clause (and the
module's helpers they call) and fails when a listed dimension is neither drawn
nor recorded here as not yet drawn, or when a recorded gap has been closed.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap

#: every dimension a clause may range over.
VOCABULARY = (
    "inputs",  # the number of union inputs
    "input kinds",  # which gathers / copies / nested unions the inputs are
    "shards",
    "gathers",  # gather_sync, gather_async, batch_across_shards, get_shard, shards(), take
    "num_async",
    "batch_ms",
    "weights",
    "nesting",  # depth of transform chains or nested unions
    "positions",  # where in a stream an event (end, error, close, death) happens
)

#: draw labels (or ``@given`` argument names) -> the dimensions they vary.
LABELS: dict[str, frozenset[str]] = {
    "number of inputs": frozenset({"inputs"}),
    "input kinds": frozenset({"input kinds"}),
    "async inputs": frozenset({"input kinds"}),
    "shards": frozenset({"shards"}),
    "num_shards": frozenset({"shards"}),
    "gather": frozenset({"gathers"}),
    "num_async": frozenset({"num_async"}),
    "batch_ms": frozenset({"batch_ms"}),
    "round_robin_weights": frozenset({"weights"}),
    "weights": frozenset({"weights"}),
    "position": frozenset({"positions"}),
    "ending": frozenset({"positions"}),
    "steps before the death": frozenset({"positions"}),
    "item whose process dies": frozenset({"positions"}),
    "number of local ops": frozenset({"nesting"}),
    "local op": frozenset({"nesting"}),
    "local_transforms": frozenset({"nesting"}),
    "number of parallel ops": frozenset({"nesting"}),
    "parallel op": frozenset({"nesting"}),
    "nesting": frozenset({"nesting"}),  # depth of nested unions, or appearances in one plan
    "num_partitions": frozenset({"shards"}),
    # conformance.strategies: a source draws its shard count; a pipeline draws its
    # source, parallel ops (union, repartition: nesting), gather (with num_async and
    # batch_ms), local ops and how far it is read.
    "source": frozenset({"shards"}),
    "pipeline": frozenset({"shards", "gathers", "num_async", "batch_ms", "nesting", "positions"}),
}

_GATHER = frozenset({"shards", "gathers", "positions"})

CLAUSE_DIMENSIONS: dict[str, frozenset[str]] = {
    # §4 local transforms
    "LOC-1": frozenset({"gathers"}),
    "LOC-2": frozenset({"nesting", "gathers"}),
    "LOC-3": frozenset({"nesting"}),
    "LOC-4": frozenset({"positions"}),
    "LOC-5": frozenset({"positions", "gathers"}),
    "LOC-6": frozenset({"inputs", "input kinds", "shards", "weights", "nesting"}),
    "LOC-7": frozenset({"positions"}),
    "LOC-8": frozenset({"shards", "num_async", "batch_ms"}),
    "LOC-9": frozenset({"inputs", "nesting"}),
    "LOC-10": frozenset({"inputs", "input kinds", "num_async"}),
    # §5 gathering
    "GATH-1": frozenset({"shards"}),
    "GATH-2": frozenset({"shards"}),
    "GATH-3": frozenset({"shards", "num_async", "batch_ms"}),
    "GATH-4": frozenset({"batch_ms", "num_async"}),
    "GATH-5": frozenset({"shards", "num_async", "batch_ms"}),
    "GATH-6": frozenset({"shards"}),
    "GATH-7": frozenset({"gathers", "positions"}),
    "GATH-8": _GATHER,
    # §6 ordering
    "ORD-1": frozenset({"shards", "nesting"}),
    "ORD-2": frozenset({"positions"}),
    "ORD-3": frozenset({"shards", "positions"}),
    "ORD-4": frozenset({"shards"}),
    "ORD-5": frozenset({"shards", "num_async", "batch_ms"}),
    "ORD-6": frozenset({"nesting"}),
    "ORD-7": frozenset({"shards", "nesting"}),
    # §7 laziness
    "LAZY-1": frozenset({"nesting"}),
    "LAZY-2": frozenset({"gathers"}),
    "LAZY-3": frozenset({"gathers", "positions"}),
    "LAZY-4": frozenset({"shards", "positions"}),
    "LAZY-5": frozenset({"shards", "num_async", "positions"}),
    "LAZY-6": frozenset({"gathers"}),
    "LAZY-7": frozenset({"gathers", "positions", "num_async"}),
    # §8 serializability
    "SER-1": frozenset({"nesting"}),
    "SER-2": frozenset({"gathers", "nesting"}),
    "SER-3": frozenset({"nesting"}),
    "SER-4": frozenset({"nesting"}),
    "SER-5": frozenset({"positions"}),
    # §9 sharding
    "SHARD-1": frozenset({"shards"}),
    "SHARD-2": frozenset({"shards"}),
    "SHARD-3": frozenset({"shards"}),
    "SHARD-4": frozenset({"shards", "gathers"}),
    "SHARD-5": frozenset({"shards"}),
    "SHARD-6": frozenset({"shards"}),
    "SHARD-7": frozenset({"shards", "nesting"}),
    "SHARD-8": frozenset({"shards", "nesting"}),
    "SHARD-9": frozenset({"shards"}),
    "SHARD-10": frozenset({"shards"}),
    "SHARD-11": frozenset({"shards", "nesting"}),
}

_FIXED = "fixed examples stand here today"
_PARAMETRIZED = "enumerated with pytest.mark.parametrize, not drawn"

NOT_YET_DRAWN: dict[str, dict[str, str]] = {
}


def _labels_in(node: ast.AST) -> set[str]:
    """Draw labels (``label="..."``) and ``@given`` argument names in ``node``."""
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.keyword) and sub.arg == "label" and isinstance(sub.value, ast.Constant):
            found.add(str(sub.value.value))
        if isinstance(sub, ast.Call) and getattr(sub.func, "id", None) == "given":
            found.update(k.arg for k in sub.keywords if k.arg and k.arg != "data")
    return found


def _called_names(node: ast.AST) -> set[str]:
    calls = (sub for sub in ast.walk(node) if isinstance(sub, ast.Call))
    return {call.func.id for call in calls if isinstance(call.func, ast.Name)}


def drawn_dimensions(module_name: str, function: str) -> frozenset[str]:
    """The dimensions test ``function`` of suite module ``module_name`` draws: its
    own draws and those of the module's functions it calls, transitively."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(importlib.import_module(module_name))))
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    seen: set[str] = set()
    todo = [function]
    labels: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        labels |= _labels_in(functions[name])
        todo.extend(_called_names(functions[name]))
    return frozenset().union(*(LABELS.get(label, frozenset()) for label in labels))
