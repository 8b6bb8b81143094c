"""Lock-step rounds: ``gather_sync`` and ``batch_across_shards`` (GATH-1,
GATH-2, ORD-3, ORD-4, LAZY-4).

:class:`LockstepRounds` yields one list per round: one item from every active
shard, in shard order. A round is one ``_pi_one()`` actor call per active
shard (no arguments, the bare item back: the cheapest call there is) and one
``ray.get`` over them, as ``ray.util.iter`` does. A shard answering
:data:`~reference.worker.END` drops out. A round is asked for only when the
consumer wants its first item, so every item of the round before has been
delivered and no shard is ever more than one item ahead (LAZY-4).

Nothing is asked ahead within a round either. Asking a shard for its next
item as soon as its previous one is delivered (which LAZY-4 allows) was
measured slower here with a consumer that does no work -- 0.91x against
1.01x ``ray.util.iter``'s rate, alternating in one script, 3,000 items -- and
no better than 1.05x against 0.95x with a consumer that sleeps 0.5 ms per
item: on two cores the early call's worker competes with the consumer.
Reading each shard from a Ray streaming generator held back to one item
ahead (LAZY-4 again) was faster quiet but slower beside a busy process, and
an abandoned run's generator holds its worker for a second
(benchmarks/README.md, "Two other ways past the plain round").

This module is complete on its own. A run may also hand its rounds to an
accelerator, :class:`reference.compiled_rounds.CompiledRounds` (a Ray
compiled graph over the run's workers), through four calls: ``before_round``
(does this round go through it?), ``round``, ``plain_answers`` (what a plain
round returned) and ``close``. Every answer goes
through the run's :class:`~reference.recovery.Recovery` (REC-2).
"""

from __future__ import annotations

from collections.abc import Iterator

from .recovery import Recovery
from .worker import as_batch


class LockstepRounds:
    """The rounds of one run over its started workers (``recovery.run``);
    ``fast``: an optional accelerator (see the module doc)."""

    def __init__(self, recovery: Recovery, fast=None):
        self.recovery = recovery
        self.fast = fast
        self.active = list(range(len(recovery.run.handles)))

    def __iter__(self) -> Iterator[list]:
        fast = self.fast
        while self.active:
            answers = None
            if fast is not None and fast.before_round():
                answers = fast.round(self.active)  # None: ask by plain calls after all
            if answers is None:
                answers = self._plain_round()
                if fast is not None:
                    fast.plain_answers(answers)
            items: list = []
            still_active = []
            for shard, (got, ended) in zip(self.active, answers, strict=True):
                if not ended:
                    items.extend(got)
                    still_active.append(shard)
            self.active = still_active
            if items:
                yield items

    def _plain_round(self) -> list:
        asked = {shard: self._ask(shard) for shard in self.active}
        return self.recovery.answers(asked, self._ask, as_batch)

    def _ask(self, shard: int):
        return self.recovery.run.handles[shard]._pi_one.remote()

    def close(self) -> bool:
        """Tear down the accelerator, if any (idempotent). False: the workers
        must not be reused."""
        return self.fast is None or self.fast.close()
