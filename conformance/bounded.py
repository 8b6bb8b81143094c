"""Bounded calls into the backend under test (SPEC §13, BACK-5).

A backend judged by the suite may be broken in ways nobody predicted, and one
that blocks forever must not stop the run.  So every call the suite makes into
the backend -- ``next()``, ``take``, ``show``, gathers, ``get_shard``,
``shards``, sources, transforms and ``run_remote`` -- runs on a helper thread
while the test waits for it at most :func:`call_bound` seconds.  A call that
does not return in time raises :class:`BackendHang` in the test, naming the
clauses the test cites and the call; the helper thread is left behind (a daemon
thread, stuck in the backend) and later calls use a new one.

After a hang every later call into the backend *in the same test* raises
``BackendHang`` at once, without calling the backend.  ``BackendHang`` derives
from ``BaseException`` (like ``KeyboardInterrupt``): Hypothesis does not take it
for a failing example to shrink and replay but ends the test with it, and the
``except Exception`` of a test that expects the backend's own errors does not
swallow it.  pytest reports the test as failed and goes on with the next one,
which starts with a clean state.

The tests get the backend through the plugin's ``backend`` and ``api``
fixtures, which are :class:`BoundedBackend` and :class:`BoundedAPI` views of the
selected backend: its ``ParallelIterator`` and ``LocalIterator`` objects come
back wrapped in :class:`Bounded` proxies.  The proxies are transparent:
``isinstance`` against the backend's classes, ``repr``, attribute access and
pickling behave as for the real object (a proxy pickles as the object it
wraps), and whatever is passed back into the backend (``union`` of proxies, say)
is unwrapped first, so the backend only ever sees its own objects.

Calls are bounded only on the thread that runs the tests; a call made from any
other thread (the helper thread itself, when an in-process ``run_remote`` or a
user function calls back into a proxy, or a thread of the backend) goes straight
through, inside the bound of the call that led to it.
"""

from __future__ import annotations

import functools
import math
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

#: seconds per call, by Hypothesis profile, on backends that do not declare ``ray``.
PROFILE_BOUNDS = {"dev": 10.0, "ci": 15.0, "thorough": 25.0}
#: the bound is multiplied by this on backends that declare ``ray`` (a call may
#: start worker processes there).
RAY_FACTOR = 2.0
#: the backend's teardown hook gets this many call bounds when a call hung earlier.
TEARDOWN_BOUNDS = 2
#: the names on a backend API whose calls return backend objects (BACK-1).
SOURCES = frozenset({"from_items", "from_range", "from_iterators", "from_actors"})
#: the API classes replaced by stand-ins, so that direct construction is bounded too.
WRAPPED_CLASSES = ("ParallelIterator", "LocalIterator")


class BackendHang(BaseException):
    """A call into the backend did not return within the call bound (BACK-5).

    A ``BaseException`` on purpose: Hypothesis lets it end the test at once (no
    shrinking, no replay, which would call the blocked backend again) and the
    test's own ``except Exception`` clauses do not catch it.
    """


def call_bound(profile: str, uses_ray: bool, declared: float | None = None) -> float:
    """Seconds a single call into the backend may take: ``declared`` (the backend's
    ``conformance_call_timeout``) if given, else the profile's bound, doubled on Ray."""
    if declared is not None:
        return float(declared)
    return PROFILE_BOUNDS.get(profile, PROFILE_BOUNDS["dev"]) * (RAY_FACTOR if uses_ray else 1.0)


# -- the state of the session ------------------------------------------------------


class _State:
    def __init__(self) -> None:
        self.bound: float | None = None  # None: calls go straight through
        self.owner: threading.Thread | None = None  # the thread whose calls are bounded
        self.clauses: tuple[str, ...] = ()  # of the running test
        self.hang: str | None = None  # the call that hung in the running test
        self.hangs = 0  # in the session


_state = _State()
_runner: _Runner | None = None
_runner_lock = threading.Lock()


def activate(bound: float) -> None:
    """Bound the calls made from this thread to ``bound`` seconds each."""
    _state.bound = float(bound)
    _state.owner = threading.current_thread()


def deactivate() -> None:
    _state.bound = None
    _state.owner = None
    _state.hang = None


def begin_test(clauses: tuple[str, ...] = ()) -> None:
    """A new test starts: forget any earlier hang; ``clauses`` name it in messages."""
    _state.clauses = tuple(clauses)
    _state.hang = None


def end_test() -> None:
    _state.hang = None
    _state.clauses = ()


def active() -> bool:
    return _state.bound is not None


def hangs() -> int:
    """How many calls hung (or were interrupted) in this session."""
    return _state.hangs


# -- the helper thread ---------------------------------------------------------------


class _Job:
    __slots__ = ("fn", "args", "kwargs", "result", "error", "done")

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.result = self.fn(*self.args, **self.kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting test
            self.error = exc
        finally:
            self.fn = self.args = self.kwargs = None  # keep no backend object alive
            self.done.set()

    def outcome(self) -> Any:
        error, result = self.error, self.result
        self.error = self.result = None
        if error is not None:
            try:
                raise error
            finally:
                error = None
        return result


class _Runner:
    """A daemon thread running one call at a time."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name="conformance-backend-calls", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            job.run()
            job = None

    def submit(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> _Job:
        job = _Job(fn, args, kwargs)
        self.jobs.put(job)
        return job


def _current_runner() -> _Runner:
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = _Runner()
        return _runner


def _abandon(runner: _Runner, why: str) -> None:
    """``runner`` is stuck in the backend: leave it (it ends if the call ever
    returns), remember the hang for the rest of the test."""
    global _runner
    with _runner_lock:
        if _runner is runner:
            _runner = None
    runner.jobs.put(None)
    _state.hang = why
    _state.hangs += 1


def _tested() -> str:
    return f"a test of {', '.join(_state.clauses)}" if _state.clauses else "this test"


def _bound_text(bound: float) -> str:
    return f"{bound:g} s"


def call(
    fn: Callable[..., Any], args: tuple = (), kwargs: dict | None = None, *, what: Callable[[], str]
) -> Any:
    """``fn(*args, **kwargs)``, bounded when called from the tests' thread.

    ``what()`` describes the call for the message of :class:`BackendHang`."""
    __tracebackhide__ = True
    kwargs = kwargs or {}
    bound = _state.bound
    if bound is None or threading.current_thread() is not _state.owner:
        return fn(*args, **kwargs)
    if _state.hang is not None:
        raise BackendHang(
            f"{what()} was not attempted: an earlier call into the backend in {_tested()} "
            f"did not return ({_state.hang})"
        )
    runner = _current_runner()
    started = time.monotonic()
    try:
        job = runner.submit(fn, args, kwargs)
        finished = job.done.wait(None if math.isinf(bound) else bound)
    except BaseException as exc:  # pytest-timeout, KeyboardInterrupt: the call is lost
        _abandon(
            runner,
            f"{what()} was interrupted by {type(exc).__name__} after {time.monotonic() - started:.1f} s",
        )
        raise
    if not finished:
        description = what()
        _abandon(runner, f"{description}: no answer in {_bound_text(bound)}")
        raise BackendHang(
            f"{description} did not return within {_bound_text(bound)} in {_tested()} "
            f"(the call bound of BACK-5; a backend that needs longer per call declares "
            f"conformance_call_timeout)"
        )
    return job.outcome()


def run_bounded(fn: Callable[[], Any], seconds: float, what: str) -> bool:
    """Run ``fn()`` on a fresh daemon thread for at most ``seconds``; False if it
    did not return in time (it is left running).  Errors propagate."""
    job = _Job(fn, (), {})
    threading.Thread(target=job.run, name=f"conformance-{what}", daemon=True).start()
    if not job.done.wait(seconds):
        return False
    job.outcome()
    return True


# -- describing calls ----------------------------------------------------------------


def describe(obj: Any) -> str:
    """``repr(obj)`` if it comes within a second, else its type's name."""
    out: list[str] = []

    def take_repr() -> None:
        out.append(repr(obj))

    try:
        if run_bounded(take_repr, 1.0, "repr") and out:
            text = out[0]
            return text if len(text) <= 200 else text[:197] + "..."
    except Exception:  # noqa: BLE001 - only for a message
        pass
    return f"<{type(obj).__name__} object>"


def _arguments(args: tuple, kwargs: dict) -> str:
    parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _short(value: Any) -> str:
    if isinstance(value, Bounded):
        return describe(value._bounded_target)
    if isinstance(value, (int, float, str, bool, type(None))):
        text = repr(value)
    elif callable(value):
        text = getattr(value, "__qualname__", None) or type(value).__name__
    else:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


# -- wrapping and unwrapping ---------------------------------------------------------


def unwrap(value: Any) -> Any:
    """The backend's own object behind a proxy (lists and tuples element-wise)."""
    if isinstance(value, (Bounded, BoundedAPI)):
        return object.__getattribute__(value, "_bounded_target")
    if type(value) in (list, tuple) and any(isinstance(v, Bounded) for v in value):
        return type(value)(unwrap(v) for v in value)
    return value


def _unwrap_all(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    return tuple(unwrap(a) for a in args), {k: unwrap(v) for k, v in kwargs.items()}


def _is_iterator(value: Any) -> bool:
    return hasattr(type(value), "__next__")


def _wrap(value: Any, classes: tuple[type, ...]) -> Any:
    """Wrap what a backend call returned: its ``ParallelIterator``/``LocalIterator``
    objects (and other iterators), and lists or tuples made only of them."""
    if isinstance(value, Bounded):
        return value
    if classes and isinstance(value, classes):
        return Bounded(value, classes)
    if type(value) in (list, tuple) and value and classes and all(isinstance(v, classes) for v in value):
        return type(value)(Bounded(v, classes) for v in value)
    if _is_iterator(value) and not isinstance(value, (list, tuple, dict, str, bytes)):
        return Bounded(value, classes)
    return value


def _restore(target: Any, classes: tuple[type, ...] = ()) -> Any:
    """Unpickling a proxy: in the tests' process, a proxy again; elsewhere (a Ray
    worker, another driver) the backend's own object."""
    return Bounded(target, classes) if active() else target


def _restore_api(target: Any) -> Any:
    return BoundedAPI(target) if active() else target


def _bounded_method(
    method: Callable[..., Any], name: str, classes: tuple[type, ...], receiver: Any = None
) -> Any:
    """``method`` with its calls bounded, its arguments unwrapped and its result wrapped."""

    def what(args: tuple, kwargs: dict) -> str:
        text = f"{name}({_arguments(args, kwargs)})"
        return text if receiver is None else f"{text} on {describe(receiver)}"

    @functools.wraps(method)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        real_args, real_kwargs = _unwrap_all(args, kwargs)
        result = call(method, real_args, real_kwargs, what=lambda: what(args, kwargs))
        return _wrap(result, classes)

    return bounded


class Bounded:
    """A transparent proxy of a backend object whose calls are bounded.

    ``type()`` shows the proxy; ``isinstance``, ``__class__``, ``repr``, attribute
    access and pickling show the backend's object."""

    __slots__ = ("_bounded_target", "_bounded_classes", "__weakref__")

    def __init__(self, target: Any, classes: tuple[type, ...] = ()) -> None:
        object.__setattr__(self, "_bounded_target", target)
        object.__setattr__(self, "_bounded_classes", classes)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: D105 - isinstance() sees the backend's class
        return type(self._bounded_target)

    def __getattr__(self, name: str) -> Any:
        target = self._bounded_target
        value = getattr(target, name)
        if name.startswith("__") or not callable(value) or isinstance(value, type):
            return value
        return _bounded_method(value, name, self._bounded_classes, target)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._bounded_target, name, unwrap(value))

    def __delattr__(self, name: str) -> None:
        delattr(self._bounded_target, name)

    def __dir__(self) -> list[str]:
        return dir(self._bounded_target)

    def __repr__(self) -> str:
        return repr(self._bounded_target)

    def __str__(self) -> str:
        return str(self._bounded_target)

    def __iter__(self) -> Any:
        __tracebackhide__ = True
        target = self._bounded_target
        result = call(iter, (target,), what=lambda: f"iter() on {describe(target)}")
        return self if result is target else _wrap(result, self._bounded_classes)

    def __next__(self) -> Any:
        __tracebackhide__ = True
        target = self._bounded_target
        return call(next, (target,), what=lambda: f"next() on {describe(target)}")

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_restore, (self._bounded_target, self._bounded_classes))

    def __reduce__(self) -> Any:
        return self.__reduce_ex__(2)


# -- the API and the backend ---------------------------------------------------------


class _StandInMeta(type):
    """Metaclass of the stand-ins for the API's ``ParallelIterator`` and
    ``LocalIterator``: constructing one is a bounded call returning a proxy;
    ``isinstance``/``issubclass`` and attribute access use the backend's class."""

    _bounded_real: type
    _bounded_classes: tuple[type, ...]

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        real = cls._bounded_real
        real_args, real_kwargs = _unwrap_all(args, kwargs)
        made = call(real, real_args, real_kwargs, what=lambda: f"{real.__name__}({_arguments(args, kwargs)})")
        return _wrap(made, cls._bounded_classes)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls._bounded_real)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls._bounded_real)

    def __getattr__(cls, name: str) -> Any:
        return getattr(cls._bounded_real, name)

    def __repr__(cls) -> str:
        return repr(cls._bounded_real)


#: class attributes a stand-in does not copy from the backend's class.
_NOT_COPIED = frozenset(
    {
        "__dict__",
        "__weakref__",
        "__module__",
        "__qualname__",
        "__slots__",
        "__new__",
        "__init_subclass__",
        "__class_getitem__",
        "__abstractmethods__",
        "_abc_impl",
        "__getattr__",
        "__getattribute__",
        "__setattr__",
        "__delattr__",
        "__class__",
    }
)


def _stand_in(real: type, classes: tuple[type, ...]) -> type:
    """A class that looks like ``real`` to ``inspect`` (same attributes, so the same
    signatures and static methods) and whose construction is bounded."""
    namespace: dict[str, Any] = {"__module__": real.__module__, "__qualname__": real.__qualname__}
    for klass in reversed(real.__mro__[:-1]):
        for name, value in vars(klass).items():
            if name not in _NOT_COPIED and not isinstance(value, classmethod):
                namespace[name] = value
    namespace["_bounded_real"] = real
    namespace["_bounded_classes"] = classes
    return _StandInMeta(real.__name__, (), namespace)


class BoundedAPI:
    """A view of a backend's API object (BACK-1) whose calls are bounded.

    Sources return proxies; ``ParallelIterator`` and ``LocalIterator`` are
    stand-ins for the backend's classes; everything else (``ParallelIteratorWorker``,
    the hooks, module attributes) is the backend's own."""

    __slots__ = ("_bounded_target", "_bounded_classes", "_bounded_cache", "__weakref__")

    def __init__(self, api: Any) -> None:
        classes = tuple(c for c in (getattr(api, n, None) for n in WRAPPED_CLASSES) if isinstance(c, type))
        object.__setattr__(self, "_bounded_target", api)
        object.__setattr__(self, "_bounded_classes", classes)
        object.__setattr__(self, "_bounded_cache", {})

    def __getattr__(self, name: str) -> Any:
        cache = self._bounded_cache
        if name in cache:
            return cache[name]
        value = getattr(self._bounded_target, name)
        if name in WRAPPED_CLASSES and isinstance(value, type):
            value = _stand_in(value, self._bounded_classes)
        elif name in SOURCES and callable(value):
            value = _bounded_method(value, name, self._bounded_classes)
        else:
            return value
        cache[name] = value
        return value

    def __dir__(self) -> list[str]:
        return dir(self._bounded_target)

    def __repr__(self) -> str:
        return repr(self._bounded_target)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_restore_api, (self._bounded_target,))

    def __reduce__(self) -> Any:
        return self.__reduce_ex__(2)


class BoundedBackend:
    """A view of a :class:`conformance.backend.Backend`: ``api`` is a
    :class:`BoundedAPI`, ``run_remote`` is bounded, everything else is the backend's."""

    def __init__(self, backend: Any, bound: float) -> None:
        self._backend = backend
        self.api = BoundedAPI(backend.api)
        self.call_bound = float(bound)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def __repr__(self) -> str:
        return f"BoundedBackend({self._backend.spec!r}, call_bound={self.call_bound:g})"

    @property
    def unbounded(self) -> Any:
        """The backend itself."""
        return self._backend

    def run_remote(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``backend.run_remote(fn, *args)``, bounded (proxies are passed unwrapped)."""
        __tracebackhide__ = True
        real_args = tuple(unwrap(a) for a in args)
        name = getattr(fn, "__qualname__", None) or type(fn).__name__
        return call(self._backend.run_remote, (fn, *real_args), what=lambda: f"run_remote({name}, ...)")


def teardown(backend: Any, bound: float) -> None:
    """Call ``backend.teardown()``; after a hang, on a helper thread for at most
    :data:`TEARDOWN_BOUNDS` call bounds (the backend may still be blocked)."""
    if _state.hangs == 0:
        backend.teardown()
        return
    seconds = TEARDOWN_BOUNDS * bound
    if not run_bounded(backend.teardown, seconds, "teardown"):
        import warnings

        warnings.warn(
            f"the backend's teardown did not return within {seconds:g} s after a call into it hung "
            "(BACK-5); the run ends without it",
            RuntimeWarning,
            stacklevel=2,
        )


__all__ = [
    "BackendHang",
    "Bounded",
    "BoundedAPI",
    "BoundedBackend",
    "activate",
    "begin_test",
    "call",
    "call_bound",
    "deactivate",
    "end_test",
    "unwrap",
]
