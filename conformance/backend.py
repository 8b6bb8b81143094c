"""Selecting a backend and driving it through its optional hooks (SPEC §13).

``--backend=SPEC`` (or ``CONFORMANCE_BACKEND``; one of them is required) names an
importable module, or ``module:attribute`` for an object exposing the BACK-1 names.
The optional hooks (BACK-3) are looked up on that object:

``conformance_setup()`` / ``conformance_teardown()``
    called once per test session.
``conformance_run_remote(fn, *args)``
    call ``fn(*args)`` in another process and return the result (§8 tests).
``conformance_capabilities``
    a set of strings among :data:`CAPABILITIES` (BACK-4).
``conformance_async_batch_limit``
    the ``B`` of GATH-4 (default 1).
``conformance_deviations``
    ``{key: reason}`` -- known deviations, run as strict expected failures.  A key is
    a clause ID (every test citing it) or ``"ID::test_name"`` (only the tests of that
    function that cite it); see :mod:`conformance.known_deviations`.
``conformance_idle_pool_limit``
    (kit extension, LIFE-2) the most idle shard workers the backend keeps; default 0.
``conformance_restart_limit``
    the N of REC-5: restarts of one shard's worker per run (default 3); read by
    :mod:`conformance.suite.test_recovery`.
``conformance_call_timeout``
    seconds a single call into the backend may take before the suite fails it as a
    hang (BACK-5); default: the profile's bound (:func:`conformance.bounded.call_bound`).

A backend without any hook is driven with Ray defaults: Ray is started with
``ray.init(include_dashboard=False, logging_level=logging.ERROR,
ignore_reinit_error=True)`` unless already initialised (``RAY_ADDRESS`` is honoured by
``ray.init``), ``run_remote`` is a Ray task, every capability but ``recovery`` is assumed, ``B = 1``.
Missing hooks of a backend that has some fall back to the same defaults, except that
``run_remote`` is an in-process cloudpickle round trip and Ray is not started when the
backend does not declare the ``ray`` capability.  The kit's own deviation table for
the selected module (if any) is added to the backend's.

Nothing here reads a backend's internals: only the BACK-1 names and the hooks.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cloudpickle

from conformance import known_deviations

ENV_VAR = "CONFORMANCE_BACKEND"
#: what a backend without hooks is assumed to declare (BACK-3): every capability but ``recovery``
ASSUMED_CAPABILITIES = frozenset(
    {"from_actors", "max_concurrency", "metrics", "zip_with_source_actor", "ray"}
)
CAPABILITIES = ASSUMED_CAPABILITIES | {"recovery"}
PUBLIC_NAMES = (
    "from_items",
    "from_range",
    "from_iterators",
    "from_actors",
    "ParallelIterator",
    "LocalIterator",
    "ParallelIteratorWorker",
)
HOOKS = (
    "conformance_setup",
    "conformance_teardown",
    "conformance_run_remote",
    "conformance_capabilities",
    "conformance_async_batch_limit",
    "conformance_deviations",
    "conformance_idle_pool_limit",
    "conformance_call_timeout",
    "conformance_restart_limit",
)


def resolve(spec: str) -> tuple[Any, str]:
    """Import ``spec`` (``module`` or ``module:attr.path``); return (object, module name)."""
    module_name, _, attr = spec.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj, module_name


def _version_of(module_name: str) -> str | None:
    parts = module_name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            mod = importlib.import_module(".".join(parts[:i]))
        except ImportError:  # pragma: no cover
            continue
        version = getattr(mod, "__version__", None)
        if isinstance(version, str):
            return version
    return None


# -- Ray defaults --------------------------------------------------------------------

_started_ray = False


def ray_default_setup() -> None:
    """Start or join Ray once (BACK-3 defaults; ``ray.init`` honours ``RAY_ADDRESS``)."""
    global _started_ray
    import ray

    if not ray.is_initialized():
        ray.init(include_dashboard=False, logging_level=logging.ERROR, ignore_reinit_error=True)
        _started_ray = "RAY_ADDRESS" not in os.environ


def ray_default_teardown() -> None:
    """Shut Ray down only if this session started a local instance."""
    global _started_ray
    if _started_ray:
        import ray

        ray.shutdown()
        _started_ray = False


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return fn(*args)


_remote_call: Any = None


def ray_run_remote(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` in a Ray task and return its result (the default hook)."""
    global _remote_call
    import ray

    if _remote_call is None:
        _remote_call = ray.remote(num_cpus=0)(_call)
    return ray.get(_remote_call.remote(fn, args))


def local_run_remote(fn: Callable[..., Any], *args: Any) -> Any:
    """In-process stand-in for ``run_remote``: a cloudpickle round trip both ways."""
    fn, args = cloudpickle.loads(cloudpickle.dumps((fn, args)))
    return cloudpickle.loads(cloudpickle.dumps(fn(*args)))


# -- the backend object --------------------------------------------------------------


@dataclass
class Backend:
    """A selected backend: its API object plus resolved hooks and declarations."""

    spec: str
    api: Any
    module_name: str
    version: str | None
    capabilities: frozenset[str]
    async_batch_limit: int
    deviations: dict[str, str]
    idle_pool_limit: int
    hooks_declared: tuple[str, ...]
    _setup: Callable[[], None] | None = None
    _teardown: Callable[[], None] | None = None
    _run_remote: Callable[..., Any] = local_run_remote
    uses_ray: bool = False
    unknown_capabilities: frozenset[str] = field(default_factory=frozenset)
    #: the backend's ``conformance_call_timeout`` (BACK-5), None if it declares none.
    call_timeout: float | None = None

    def setup(self) -> None:
        if self._setup is not None:
            self._setup()

    def teardown(self) -> None:
        if self._teardown is not None:
            self._teardown()

    def run_remote(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call ``fn(*args)`` in another process (the backend's hook or the default)."""
        return self._run_remote(fn, *args)

    @property
    def run_remote_hook(self) -> Callable[..., Any]:
        """The picklable hook function itself (for nested passing, SER-4)."""
        return self._run_remote

    def has(self, capability: str) -> bool:
        return capability in self.capabilities


def _call_timeout(api: Any) -> float | None:
    """The ``conformance_call_timeout`` hook: a positive number of seconds, or None."""
    value = getattr(api, "conformance_call_timeout", None)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"conformance_call_timeout must be a positive number of seconds, got {value!r}")
    return float(value)


def load(spec: str) -> Backend:
    """Load backend ``spec`` and resolve its hooks (BACK-2, BACK-3)."""
    api, module_name = resolve(spec)
    declared = tuple(h for h in HOOKS if hasattr(api, h))
    caps_raw = getattr(api, "conformance_capabilities", None)
    capabilities = frozenset(ASSUMED_CAPABILITIES if caps_raw is None else caps_raw)
    # Without Ray installed nothing can be run on it: the ``needs("ray")`` tests skip
    # (conformance.plugin) and the rest use the in-process defaults.
    uses_ray = "ray" in capabilities and importlib.util.find_spec("ray") is not None
    setup = getattr(api, "conformance_setup", None)
    teardown = getattr(api, "conformance_teardown", None)
    if setup is None and uses_ray:
        setup, teardown = ray_default_setup, teardown or ray_default_teardown
    run_remote = getattr(api, "conformance_run_remote", None)
    if run_remote is None:
        run_remote = ray_run_remote if uses_ray else local_run_remote
    deviations: dict[str, str] = dict(known_deviations.for_module(module_name if ":" not in spec else spec))
    own: Mapping[str, str] = getattr(api, "conformance_deviations", None) or {}
    deviations.update(own)
    return Backend(
        spec=spec,
        api=api,
        module_name=module_name,
        version=_version_of(module_name),
        capabilities=capabilities,
        async_batch_limit=int(getattr(api, "conformance_async_batch_limit", 1)),
        deviations=deviations,
        idle_pool_limit=int(getattr(api, "conformance_idle_pool_limit", 0)),
        hooks_declared=declared,
        _setup=setup,
        _teardown=teardown,
        _run_remote=run_remote,
        uses_ray=uses_ray,
        unknown_capabilities=capabilities - CAPABILITIES,
        call_timeout=_call_timeout(api),
    )


def selected_spec(option: str | None) -> str | None:
    """The backend spec from the option, else the environment; None if neither is set."""
    return option or os.environ.get(ENV_VAR) or None
