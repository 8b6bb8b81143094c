"""Mutant: a user error reaching ``gather_async``/``get_shard`` loses its type.

Breaks **ERR-1** (the consumer gets an instance of the original type, or an
exception with it as ``__cause__``). The asynchronous path catches the remote
error and re-raises ``RuntimeError(f"shard failed: {error}")`` ``from None``:
the message is kept, the type and the cause are lost. ``gather_sync`` and
``batch_across_shards`` keep the type, and errors in local transforms
(ERR-3) are untouched.
"""

from conformance.mutants import _wrap


def _retyped(inner, kind):
    try:
        yield from _wrap.relay(inner, kind)
    except Exception as exc:
        raise RuntimeError(f"shard failed: {exc}") from None


class ParallelIterator(_wrap.ParallelIterator):
    def _gather(self, kind, inner):
        if kind not in _wrap.ASYNC_KINDS:
            return super()._gather(kind, inner)
        return _wrap.wrapped(self, inner, _retyped, kind)


globals().update(_wrap.exports(ParallelIterator))
