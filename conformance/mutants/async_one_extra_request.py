"""Mutant: ``gather_async``/``get_shard`` keep one request too many in flight.

Breaks **LAZY-5** (each shard has at most ``num_async`` requests outstanding,
so at most ``delivered_s + (num_async + 1) * B - 1`` items produced). An
off-by-one in the request loop keeps ``num_async + 1`` requests in flight per
shard. Items, order and errors are unchanged; only the read-ahead is one
batch (``B`` items) larger than allowed.
"""

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    def gather_async(self, batch_ms=0, num_async=1):
        self._it.gather_async(batch_ms, num_async)  # BAD-16/17 checks
        return self._local(self._it.gather_async(batch_ms, num_async + 1))

    def get_shard(self, shard_index, batch_ms=0, num_async=1):
        self._it.get_shard(shard_index, batch_ms, num_async)  # BAD-16/17/18 checks
        return self._local(self._it.get_shard(shard_index, batch_ms, num_async + 1))


globals().update(_wrap.exports(ParallelIterator))
