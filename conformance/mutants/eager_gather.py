"""Mutant: ``gather_sync`` pulls the whole run at the first ``next()``.

Breaks **LAZY-4** (read-ahead of one round; also LAZY-3 and, on an infinite
source, LAZY-6): the first ``next()`` drains every shard into a list and then
serves items from it. Order, items and errors are unchanged: items produced
before a user error are delivered first, then the error is raised (ERR-2).
Building is still free and nothing runs before the first ``next()``.
"""

from conformance.mutants import _wrap


def _drain_first(inner, kind):
    items = []
    error = None
    try:
        for item in _wrap.relay(inner, kind):
            items.append(item)
    except Exception as exc:
        error = exc
    yield from items
    if error is not None:
        raise error


class ParallelIterator(_wrap.ParallelIterator):
    def _gather(self, kind, inner):
        if kind != "sync":
            return super()._gather(kind, inner)
        return _wrap.wrapped(self, inner, _drain_first, kind)

    take = _wrap.take
    show = _wrap.show


globals().update(_wrap.exports(ParallelIterator))
