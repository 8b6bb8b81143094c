"""Gather strategies: how a run's shards are read into the consumer
(GATH-1..GATH-8, ORD-3..ORD-5, LAZY-4, LAZY-5).

Each strategy is a small picklable object; calling it starts a run and returns
a generator. Generators release the run's workers when they end, fail or are
closed or collected (LIFE-1). Every answer a shard gives goes through the
run's :class:`~reference.recovery.Recovery`, which restarts shards whose
workers are lost (REC-2).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import ray

from . import compiled_rounds, metrics
from .lockstep import LockstepRounds
from .readiness import NotReady
from .recovery import Recovery, Restarted
from .run import Run

#: Most items one ``gather_async``/``get_shard`` request returns with
#: ``batch_ms=0`` (the ``B`` of GATH-4). A request also stops early after a few
#: milliseconds of work, so slow or large items are not held back.
ASYNC_BATCH_LIMIT = 1024


class SyncRounds:
    """``batch_across_shards``: lock-step rounds, one item per active shard.

    Each round asks every active shard for exactly one item and waits for all
    answers, so no shard is ever more than one item ahead of the consumer
    (LAZY-4). A shard answering ``ended`` drops out (ORD-3, ORD-4).
    """

    def __init__(self, shards):
        self.shards = tuple(shards)

    def __call__(self, timeout=None) -> Iterator[list]:
        return _sync_rounds(self.shards)


def _sync_rounds(shards):
    # Plain actor calls (lockstep.py), taken over by a Ray compiled graph when
    # that pays (compiled_rounds.py); both ask a shard for its next item only
    # once its last one is delivered (LAZY-4).
    run = Run(shards)
    error = None
    rounds = None
    try:
        run.start()
        recovery = Recovery(run)
        rounds = LockstepRounds(recovery, compiled_rounds.for_run(recovery))
        yield from rounds
    except GeneratorExit:
        raise
    except BaseException as exc:
        error = exc
        raise
    finally:
        # The compiled graph goes first: workers return to the pool only
        # after it is torn down, and are killed if that failed.
        if rounds is not None and not rounds.close() and error is None:
            error = RuntimeError("compiled graph teardown failed")
        run.release(error)


class Flattened:
    """``gather_sync``: the items of ``SyncRounds``, round after round."""

    def __init__(self, rounds: SyncRounds):
        self.rounds = rounds

    def __call__(self, timeout=None) -> Iterator:
        return _flatten(self.rounds())


def _flatten(answers):
    """The items of ``answers`` (lists of items; a :class:`NotReady` passes
    through as it is), closing it when done or closed."""
    try:
        for items in answers:
            if type(items) is NotReady:
                yield items
            else:
                yield from items
    finally:
        answers.close()


class AsyncBatches:
    """``gather_async`` and ``get_shard``: every shard keeps up to
    ``num_async`` requests in flight; each answer is delivered as soon as it
    arrives, a shard's answers in the order it gave them (ORD-5, LAZY-5).
    """

    def __init__(
        self, shards, batch_ms: float, num_async: int, batch_limit: int, labels=None
    ):
        self.shards = tuple(shards)
        self.labels = labels
        self.batch_ms = batch_ms
        self.num_async = num_async
        self.batch_limit = batch_limit

    def __call__(self, timeout=None) -> Iterator:
        return _flatten(self.batches(timeout))

    def batches(self, timeout=None) -> Iterator[list]:
        """The same run, answer by answer: each answer's items as one list
        (fast_local.py hands them out)."""
        return _async_answers(
            self.shards, self.batch_ms, self.num_async, self.batch_limit, self.labels
        )

    def poll(self) -> Iterator:
        """The same run in poll mode, item by item, with a :class:`NotReady`
        instead of waiting whenever no answer has arrived (LOC-10, readiness.py)."""
        return _flatten(_async_answers(
            self.shards, self.batch_ms, self.num_async, self.batch_limit, self.labels, poll=True
        ))


def _async_answers(shards, batch_ms, num_async, batch_limit, labels=None, poll=False):
    """The run's answers as they arrive: a list of items each (in poll mode,
    a :class:`NotReady` whenever none has arrived)."""
    run = Run(shards, labels)
    error = None
    try:
        handles = list(run.start())
        recovery = Recovery(run)
        in_flight = [deque() for _ in handles]

        def request(shard: int) -> None:
            in_flight[shard].append(run.handles[shard]._pi_next.remote(batch_limit, batch_ms))

        for shard in range(len(handles)):
            for _ in range(num_async):
                request(shard)
        # Wait only on each shard's oldest request, so a shard's answers are
        # taken in order even when several arrive together.
        heads = {queue[0]: shard for shard, queue in enumerate(in_flight)}
        while heads:
            ready, _ = ray.wait(list(heads), num_returns=1, timeout=0 if poll else None)
            if not ready:
                yield NotReady(list(heads))
                continue
            shard = heads.pop(ready[0])
            in_flight[shard].popleft()
            try:
                items, ended = recovery.answer(shard, ready[0])
            except Restarted as restart:
                # The requests in flight went with the old workers; the new
                # ones resume where those stopped (REC-2).
                for s in restart.positions:
                    if in_flight[s]:
                        heads.pop(in_flight[s][0], None)
                    in_flight[s].clear()
                    for _ in range(num_async):
                        request(s)
                    heads[in_flight[s][0]] = s
                continue
            if ended:
                continue  # later requests of this shard answer `ended` too
            request(shard)
            heads[in_flight[shard][0]] = shard
            # the worker that produced these items: after a restart, the replacement (LOC-8)
            metrics.set_current_actor(run.handles[shard])
            yield items
    except GeneratorExit:
        raise
    except BaseException as exc:
        error = exc
        raise
    finally:
        # Requests still in flight are left to finish: each is bounded (GATH-4)
        # and the worker is reset after them. (Cancelling queued actor tasks
        # leaves gaps in the worker's task sequence that stall its next run.)
        run.release(error)
