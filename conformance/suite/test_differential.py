"""Differential test: random pipelines on the backend against the model.

Each example draws a :class:`conformance.pipeline.Pipeline` (source, parallel ops,
gather, local ops) from :func:`conformance.strategies.pipelines`, runs it on the
backend, and checks the result against the model's expectation with exactly the
freedom the spec allows: exact order where determined (gather_sync round-robin,
batch_across_shards rounds, seeded shuffles), per-shard order for gather_async and
repartition, multisets for concurrent for_each and unseeded shuffles.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, note, reject
from hypothesis import strategies as st

from conformance import oracle, pipeline, strategies
from conformance.plugin import examples
from conformance.util import cites

CITED = (
    "GATH-1",
    "GATH-2",
    "GATH-3",
    "GATH-5",
    "GATH-6",
    "ORD-1",
    "ORD-3",
    "ORD-4",
    "ORD-5",
    "ORD-6",
    "PAR-1",
    "PAR-2",
    "PAR-4",
    "PAR-5",
    "PAR-6",
    "PAR-7",
    "PAR-8",
    "PAR-9",
    "PAR-10",
    "PAR-11",
    "PAR-13",
    "SHARD-4",
    "SHARD-5",
    "SHARD-8",
    "SHARD-9",
    "SHARD-10",
    "LOC-2",
    "LOC-4",
    "LOC-7",
)


@cites(*CITED)
@examples(1.5)
@given(data=st.data())
def test_random_pipelines_match_the_model(backend: Any, data: st.DataObject) -> None:
    ray = backend.has("ray")
    p = data.draw(
        strategies.pipelines(
            max_items=12 if ray else 16,
            max_shards=4 if ray else 8,
            max_actors=5 if ray else 16,
            max_ops=3 if ray else 5,
            capabilities=backend.capabilities,
        ),
        label="pipeline",
    )
    try:
        expected = pipeline.expectation(p)
    except oracle.Undetermined:
        reject()
    note(f"expected: {expected}")
    try:
        pi = p.plan.build(backend.api)
    except ValueError:
        if p.notes:  # PAR-11: a backend MAY refuse select_shards after union
            reject()
        raise
    actual = p.run(backend.api, pi)
    note(f"actual: {actual!r}")
    pipeline.verify(expected, actual, what=repr(p))
