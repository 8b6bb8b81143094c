"""Fast path: the items of a bare asynchronous gather, handed out by a generator.

A ``LocalIterator`` with no local transforms over ``gather_async()`` or
``get_shard()`` runs no user code in the consumer: its ``next()`` only takes
the next item of the gather's latest answer, and, once per answer, fetches
the next answer. On the plain path (``local.py``) every ``next()`` also makes
the chain's metrics context current and restores the previous one (LOC-9),
which is most of a cheap item's cost in the consumer. Here the context is
current while an answer is fetched (the gather records the answering worker
in it, LOC-8) and the answer's items are handed out by the generator itself:
``LocalIterator.__next__`` resolves to this generator's ``__next__``, so no
Python frame of the iterator runs per item.

Nothing observable changes: no code but the gather's runs in such a chain's
``next()``, and the gather's code runs with the chain's context current, as on
the plain path. ``REFERENCE_FAST_LOCAL=0`` turns this path off (read when a
chain starts); the suite runs the reference both ways.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from . import metrics


def enabled() -> bool:
    return os.environ.get("REFERENCE_FAST_LOCAL", "1") != "0"


def applies(local) -> bool:
    """Whether ``local`` (unstarted) can take this path."""
    return enabled() and not local.local_transforms and hasattr(local.base_iterator, "batches")


def items(answers: Iterator[list], shared: metrics.SharedMetrics) -> Iterator:
    """The items of ``answers`` (lists of items), each answer fetched with the
    chain's context (``shared.metrics``, read anew: a union may replace it)
    current; closing this closes ``answers``. Takes no reference to the
    ``LocalIterator``, which holds this generator: no reference cycle, so an
    abandoned iterator is freed, and its run released, at once (LIFE-1)."""
    state = metrics.THREAD_STATE
    try:
        while True:
            previous = getattr(state, "metrics", None)
            state.metrics = shared.metrics
            try:
                batch = next(answers, None)
            finally:
                state.metrics = previous
            if batch is None:
                return
            yield from batch
    finally:
        answers.close()
