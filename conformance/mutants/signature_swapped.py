"""Mutant: ``gather_async`` takes its two parameters in the wrong order.

Breaks **BACK-1** (the public names have the signatures of ``ray.util.iter``
2.60): here it is ``gather_async(num_async=1, batch_ms=0)``. Keyword calls
work exactly as before; a positional call such as ``gather_async(0, 2)``
(meaning ``batch_ms=0, num_async=2``) silently gets ``num_async=0`` and is
refused, and ``gather_async(5)`` means five requests in flight instead of a
5 ms batch.
"""

from conformance.mutants import _wrap


class ParallelIterator(_wrap.ParallelIterator):
    def gather_async(self, num_async=1, batch_ms=0):
        return super().gather_async(batch_ms=batch_ms, num_async=num_async)


globals().update(_wrap.exports(ParallelIterator))
