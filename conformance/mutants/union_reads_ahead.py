"""Mutant: a union reads three items ahead of the consumer.

Breaks **LOC-6** (a union takes an item from an input only to deliver it, so each
input keeps its gather's read-ahead bound, LAZY-4 and LAZY-5). To know early
whether the stream has ended, the union keeps a buffer of its next three items
before it delivers the current one; the inputs they came from are read too far
and their gathers ask their shards for more. Items, order and ending are right.
"""

import collections

from conformance.mutants import _wrap


def _ahead(inner, depth=3):
    buffer = collections.deque()
    while True:
        while len(buffer) <= depth:
            item = next(inner, _END)
            if item is _END:
                break
            buffer.append(item)
        if not buffer:
            return
        yield buffer.popleft()


_END = object()


class LocalIterator(_wrap.LocalIterator):
    def union(self, *others, deterministic=False, round_robin_weights=None):
        checked = self._it.union(
            *[_wrap.unwrap(o) for o in others],
            deterministic=deterministic,
            round_robin_weights=round_robin_weights,
        )
        base = _wrap.functools.partial(_wrap._call_ignoring_timeout, _ahead, (checked,))
        return type(self)(base, checked.shared_metrics, name=checked.name)


class ParallelIterator(_wrap.ParallelIterator):
    local_class = LocalIterator


globals().update(_wrap.exports(ParallelIterator))
