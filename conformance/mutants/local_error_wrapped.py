"""Mutant: errors raised in local transforms are wrapped in ``RuntimeError``.

Breaks **ERR-3** (an exception raised by user code in a local transform
propagates from ``next()`` unchanged, with the same type). The backend uses
the same wrapping for local transforms as it might for remote ones: the
consumer gets ``RuntimeError("local transform failed: <message>")`` with the
original as ``__cause__`` -- acceptable for shard errors under ERR-1, not for
local ones. Shard-side errors are untouched.
"""

from conformance.mutants import _wrap


class _Reraising:
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args):
        try:
            return self.fn(*args)
        except Exception as exc:
            raise RuntimeError(f"local transform failed: {exc}") from exc


class _ReraisingTransform:
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, it):
        try:
            yield from self.fn(it)
        except Exception as exc:
            raise RuntimeError(f"local transform failed: {exc}") from exc


class LocalIterator(_wrap.LocalIterator):
    def transform(self, fn):
        checked = self._it.transform(fn)  # BAD-7 checks, and the name
        return self._replaced(checked, self._it.transform(_ReraisingTransform(fn)))

    def for_each(self, fn, max_concurrency=1, resources=None):
        checked = self._it.for_each(fn, max_concurrency, resources)
        return self._replaced(checked, self._it.for_each(_Reraising(fn), max_concurrency, resources))

    def filter(self, fn):
        checked = self._it.filter(fn)
        return self._replaced(checked, self._it.filter(_Reraising(fn)))

    def combine(self, fn):
        checked = self._it.combine(fn)
        return self._replaced(checked, self._it.combine(_Reraising(fn)))


class ParallelIterator(_wrap.ParallelIterator):
    local_class = LocalIterator


globals().update(_wrap.exports(ParallelIterator))
