"""The worker-side slowdown of ``benchmarks.slowed_reference``: the thread that
runs a shard's per-item path (the user's functions included) does ``fraction``
more CPU work, spun once per answer of the shard worker rather than once per
item.

:class:`SpinEveryAnswer` is a pipeline operator, appended last to every shard's
plan and pickled by value into the shard workers. Called when a run starts (in
the worker, as the worker builds the run's stream), it returns the stream
unchanged, so the items pass through no extra generator; instead it arms a
:class:`benchmarks.cpu_spin.CpuSpin` that the worker calls after each answer it
computes (``_next_batch`` for ``gather_async``, ``_pull`` for ``gather_sync``'s
one item per call). The spin adds ``fraction`` of the thread's CPU time since
its last spin, so the path costs ``1 + fraction`` times the CPU it did however
many items an answer holds. A generator per item cost cheap items a third of
their CPU time by itself (``results/gate-validation/stand-in-overhead-worker.md``).

The worker's methods are wrapped once per worker process and class, at the
first arming; ``_pi_reset`` (every run's start and end) disarms, so a run built
without the operator does not spin. This reaches into the reference's worker
(``reference.worker.ParallelIteratorWorker``): it is a stand-in for that
backend only. It imports nothing from the kit at module level, so that it can be
pickled by value into a worker where the repository is not importable.
"""

from __future__ import annotations

import functools
import pickle

from benchmarks import cpu_spin

#: attribute of the worker class holding the armed spin (None: disarmed)
_ARMED = "_stand_in_answer_spin"
#: attribute marking a class whose methods are wrapped
_WRAPPED = "_stand_in_answer_spin_wrapped"


def _spinning(base: type, method):
    def spinning(self, *args):
        try:
            return method(self, *args)
        finally:
            spin = getattr(base, _ARMED)
            if spin is not None:
                spin()

    return spinning


def _disarming(base: type, method):
    def disarming(self, *args):
        setattr(base, _ARMED, None)
        return method(self, *args)

    return disarming


#: the worker's methods the stand-in wraps: where an answer is computed, and
#: where a run starts and ends
_WRAPPERS = {"_next_batch": _spinning, "_pull": _spinning, "_pi_reset": _disarming}


def _wrap(base: type) -> None:
    """Wrap the methods of ``base`` and of every subclass that defines its own
    (Ray's actor class is a subclass of the user's, with its own copy of each
    method: wrapping the base alone would not reach the actor)."""
    if _ARMED not in base.__dict__:
        setattr(base, _ARMED, None)
    todo = [base]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if _WRAPPED in cls.__dict__:
            continue
        setattr(cls, _WRAPPED, True)
        for name, wrapper in _WRAPPERS.items():
            if name in cls.__dict__:
                setattr(cls, name, wrapper(base, cls.__dict__[name]))


def arm(fraction: float, it):
    """In the shard worker: wrap its methods (once), arm a fresh spin for this
    run, and return the stream unchanged."""
    from reference.worker import ParallelIteratorWorker  # importable where a shard runs

    _wrap(ParallelIteratorWorker)
    setattr(ParallelIteratorWorker, _ARMED, cpu_spin.CpuSpin(fraction))
    return it


@functools.cache
def _shipped(fraction: float) -> bytes:
    import ray.cloudpickle

    return ray.cloudpickle.dumps(functools.partial(arm, fraction))


class SpinEveryAnswer:
    """A pipeline operator (``iterator -> iterator``) that returns its stream
    unchanged and arms a :class:`~benchmarks.cpu_spin.CpuSpin` of ``fraction``
    that the shard worker calls after every answer of this run (module
    docstring). Each run spins afresh, from the moment its stream is built.

    It travels as bytes pickled once per process (:func:`_shipped`): this
    module and :mod:`benchmarks.cpu_spin` pickled by value cost the consumer
    about half a millisecond per shard and run, a few percent of a run of cheap
    items."""

    label = ""

    def __init__(self, fraction: float):
        if not fraction > 0:
            raise ValueError(f"fraction must be positive, got {fraction!r}")
        self.fraction = fraction

    def __call__(self, it):
        return arm(self.fraction, it)

    def __reduce__(self):
        return pickle.loads, (_shipped(self.fraction),)
