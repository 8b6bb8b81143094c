"""Mutant: ``gather_async`` drains the shards in a background thread.

Breaks **LAZY-5** (at most ``num_async`` requests outstanding per shard, and a
bounded read-ahead of ``(num_async + 1) * B - 1`` items): a prefetch thread
reads the run as fast as the shards produce, into an unbounded queue, whatever
the consumer does. Items, per-shard order, errors and ``zip_with_source_actor``
are unchanged; the thread stops when the iterator is closed or collected.
``get_shard`` is untouched.
"""

import queue
import threading

from conformance.mutants import _wrap

_END = object()


def _drain(inner, out, stop):
    try:
        for pair in _wrap.relay_pairs(inner):
            if stop.is_set():
                return
            out.put(pair)
        out.put(_END)
    except BaseException as exc:
        out.put(exc)


def _prefetched(inner):
    out = queue.Queue()
    stop = threading.Event()
    threading.Thread(target=_drain, args=(inner, out, stop), daemon=True).start()
    try:
        while True:
            entry = out.get()
            if entry is _END:
                return
            if isinstance(entry, BaseException):
                raise entry
            actor, item = entry
            _wrap.set_current_actor(actor)
            yield item
    finally:
        stop.set()


class ParallelIterator(_wrap.ParallelIterator):
    def _gather(self, kind, inner):
        if kind != "async":
            return super()._gather(kind, inner)
        return _wrap.wrapped(self, inner, _prefetched)


globals().update(_wrap.exports(ParallelIterator))
