"""Mutant: stateful callable objects are shared by all shards (and runs).

Breaks **SHARD-6** (each shard applies its own copy of every transform
function). The backend special-cases callable *objects* passed to the parallel
``for_each``/``filter``/``combine``: to "avoid shipping big models to every
shard" it keeps one instance per transform in a server actor, which every
shard calls per item. Plain functions and lambdas are unaffected, and results
are right for any stateless callable; a running-sum object sees the items of
all shards (and the next run continues from the last one's state).
"""

import inspect
import uuid

import ray

from conformance.mutants import _wrap

_SERVER_NAME = "conformance-mutant-shared-fn-server"
_server = None


@ray.remote(num_cpus=0)
class _FnServer:
    def __init__(self):
        self.fns = {}

    def call(self, token, fn, item):
        return self.fns.setdefault(token, fn)(item)


def _get_server():
    global _server
    if _server is None:
        _server = _FnServer.options(name=_SERVER_NAME, get_if_exists=True).remote()
    return _server


class _SharedCall:
    def __init__(self, fn):
        self.fn = fn
        self.token = uuid.uuid4().hex

    def __call__(self, item):
        return ray.get(_get_server().call.remote(self.token, self.fn, item))


def _share(fn):
    if callable(fn) and not inspect.isroutine(fn) and not isinstance(fn, type):
        return _SharedCall(fn)
    return fn


class ParallelIterator(_wrap.ParallelIterator):
    def for_each(self, fn, max_concurrency=1, resources=None):
        checked = self._it.for_each(fn, max_concurrency, resources)
        out = self._it.for_each(_share(fn), max_concurrency, resources)
        return self._replaced(checked, out)

    def filter(self, fn):
        checked = self._it.filter(fn)
        out = self._it.filter(_share(fn))
        return self._replaced(checked, out)

    def combine(self, fn):
        checked = self._it.combine(fn)
        out = self._it.combine(_share(fn))
        return self._replaced(checked, out)


globals().update(_wrap.exports(ParallelIterator))
