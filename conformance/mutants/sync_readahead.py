"""Mutant: ``gather_sync`` prefetches the next round while the consumer reads
the current one.

Breaks **LAZY-4** (at most ``delivered_s + 1`` items produced per shard): a
"throughput" optimisation keeps one whole round in hand, so while the consumer
reads round ``k`` every shard has already produced round ``k + 1``: a shard
whose round-``k`` item is not yet delivered is two items ahead. Order, items
and error position are unchanged (a prefetched error waits until the rounds
before it are delivered). ``batch_across_shards`` is untouched.
"""

from collections import deque

from conformance.mutants import _wrap


def _prefetching_rounds(inner_pi):
    rounds = inner_pi.batch_across_shards()
    ready = deque()
    error = None
    ended = False
    try:
        while True:
            while len(ready) < 2 and not ended and error is None:
                try:
                    ready.append(next(rounds))
                except StopIteration:
                    ended = True
                except Exception as exc:
                    error = exc
            if ready:
                yield from ready.popleft()
            elif error is not None:
                raise error
            else:
                return
    finally:
        rounds.close()


class ParallelIterator(_wrap.ParallelIterator):
    def gather_sync(self):
        return _wrap.local(self, _prefetching_rounds, self._it, name=f"{self}.gather_sync()")

    take = _wrap.take
    show = _wrap.show


globals().update(_wrap.exports(ParallelIterator))
