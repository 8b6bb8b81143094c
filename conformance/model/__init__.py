"""The model: a pure, in-process, deterministic backend written from SPEC.md.

It is the suite's oracle (see :mod:`conformance.oracle`) and a backend of its own::

    python -m pytest conformance --backend=conformance.model

Every shard runs in the consumer's process, lazily, one item at a time; every run
thaws private copies of the sources and transform functions.  Where the spec leaves a
choice open the model takes the simplest one: ``gather_async`` and ``repartition``
interleave shards round-robin, concurrent ``for_each`` runs its calls one at a time
(at most ``k`` in flight, PAR-3), ``union`` weights of ``"*"`` count as 1.  Bad input
is refused at the call (SPEC §10, :mod:`conformance.model.validation`).

``from_actors`` takes in-process :class:`ParallelIteratorWorker` instances (the model
has no Ray), so the ``from_actors`` and ``ray`` capabilities are not declared.
"""

from __future__ import annotations

from conformance.model.local import LocalIterator
from conformance.model.plan import ParallelIterator
from conformance.model.sources import (
    ParallelIteratorWorker,
    from_actors,
    from_items,
    from_iterators,
    from_range,
)

__all__ = [
    "LocalIterator",
    "ParallelIterator",
    "ParallelIteratorWorker",
    "from_actors",
    "from_items",
    "from_iterators",
    "from_range",
]

__version__ = "1.0.0"

# -- conformance hooks (SPEC §13 BACK-3) ---------------------------------------------

conformance_capabilities = frozenset({"max_concurrency", "metrics", "zip_with_source_actor"})
conformance_async_batch_limit = 1
conformance_deviations: dict[str, str] = {}

