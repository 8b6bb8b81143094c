"""Reference backend for sharded lazy parallel iterators.

A drop-in for ``ray.util.iter``: ``import reference as it``. One Ray actor
per shard runs that shard's transforms; nothing runs before the first
``next()``. See ``spec/SPEC.md`` for the guarantees and their clause IDs.
"""

from .factories import from_actors, from_items, from_iterators, from_range
from .gather import ASYNC_BATCH_LIMIT
from .local import LocalIterator
from .metrics import MetricsContext, SharedMetrics
from .plan import ParallelIterator
from .pool import MAX_IDLE_WORKERS
from .worker import ParallelIteratorWorker

__all__ = [
    "LocalIterator",
    "MetricsContext",
    "ParallelIterator",
    "ParallelIteratorWorker",
    "SharedMetrics",
    "from_actors",
    "from_items",
    "from_iterators",
    "from_range",
]

__version__ = "1.0.0"

# Conformance hooks (SPEC §13, BACK-3).
conformance_capabilities = frozenset(
    {"from_actors", "max_concurrency", "metrics", "zip_with_source_actor", "ray"}
)
conformance_async_batch_limit = ASYNC_BATCH_LIMIT
conformance_idle_pool_limit = MAX_IDLE_WORKERS
