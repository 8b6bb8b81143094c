"""Benchmark workloads and contenders, independent of pytest.

A **contender** is one way of running a workload: a backend (any module
exposing the ``ray.util.iter`` names, SPEC §13) read through one gather
*variant*, or a **peer** (Ray Data, ``multiprocessing.Pool.imap``, plain serial
Python). A **workload** turns a contender and a :class:`Sizes` into a
:class:`Job`: ``prepare()`` (untimed: build the pipeline and, for throughput
workloads, take the first item so start-up is not counted), ``run(state)``
(timed; returns how many units it handled) and ``cleanup(state)``.

Figures are ``units / seconds`` (items/s, bytes/s), seconds (time to first
item) or items held ahead of the consumer (read-ahead); the report turns them
into ratios between contenders of the same run.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import itertools
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# -- sizes ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    rounds: int  # timed rounds per benchmark
    cheap_sync: int  # items through gather_sync / get_shard-style one-item calls
    cheap_async: int  # items through gather_async() defaults (one item per call upstream)
    cheap_fast: int  # items through batched modes and peers
    cheap_tasks: int  # items through shards() consumed in Ray tasks
    cpu_items: int  # CPU-bound items (same count for every shard count)
    cpu_ms: float  # pure-Python work per CPU-bound item
    payload_items: int
    payload_bytes: int
    first_rounds: int
    readahead_items: int
    readahead_sleep_s: float
    readahead_item_bytes: int
    scaling_items: int
    cpu_shards: tuple = (1, 2, 4)
    scaling_shards: tuple = (1, 2, 4, 8)
    name: str = ""
    warmup_rounds: int = 0  # untimed rounds first (time to first item: always 1)


_SIZES = {
    # smoke tests: every code path, seconds in total
    "tiny": Sizes(
        rounds=1,
        cheap_sync=20,
        cheap_async=20,
        cheap_fast=200,
        cheap_tasks=20,
        cpu_items=4,
        cpu_ms=0.2,
        payload_items=3,
        payload_bytes=64 * 1024,
        first_rounds=1,
        readahead_items=6,
        readahead_sleep_s=0.001,
        readahead_item_bytes=1024,
        scaling_items=20,
        cpu_shards=(1, 2),
        scaling_shards=(1, 2),
    ),
    "quick": Sizes(
        rounds=1,
        cheap_sync=6_000,
        cheap_async=3_000,
        cheap_fast=400_000,
        cheap_tasks=3_000,
        cpu_items=300,
        cpu_ms=3.0,
        payload_items=60,
        payload_bytes=1 << 20,
        first_rounds=3,
        readahead_items=40,
        readahead_sleep_s=0.02,
        readahead_item_bytes=64 * 1024,
        scaling_items=2_000,
    ),
    "full": Sizes(
        rounds=3,
        cheap_sync=20_000,
        cheap_async=10_000,
        cheap_fast=2_000_000,
        cheap_tasks=10_000,
        cpu_items=400,
        cpu_ms=3.0,
        payload_items=200,
        payload_bytes=1 << 20,
        first_rounds=7,
        readahead_items=120,
        readahead_sleep_s=0.02,
        readahead_item_bytes=64 * 1024,
        scaling_items=6_000,
    ),
}
SIZES = {name: dataclasses.replace(s, name=name) for name, s in _SIZES.items()}
#: the regression gate's runs (conformance.bench.gate): the quick sizes with more
#: rounds and a warm-up round (a figure is the median of per-round ratios to a
#: yardstick, and a benchmark's first round is often the slowest); fewer items where
#: a quick round of the reference is long or carries no timing, more where it is a
#: few milliseconds
SIZES["gate"] = dataclasses.replace(
    SIZES["quick"], name="gate", rounds=7, warmup_rounds=1, first_rounds=9, cheap_async=20_000,
    cheap_fast=100_000, readahead_items=10,
)

#: Tuned ``gather_async`` settings per backend label (measured on this kind of
#: machine, see README.md); other backends get the first entry's settings.
TUNED_ASYNC = {
    "ray.util.iter": {"batch_ms": 50, "num_async": 1},
    "reference": {"batch_ms": 50, "num_async": 1},
}
_DEFAULT_TUNED = {"batch_ms": 50, "num_async": 1}

# -- user functions (module level, so workers import them) ---------------------


def inc(x):
    return x + 1


def inc_row(row):
    return {"item": row["item"] + 1}


def inc_batch(batch):
    return {"item": batch["item"] + 1}


_LOOPS_PER_MS: dict[str, int] = {}


def loops_per_ms() -> int:
    """Iterations of :func:`burn`'s loop per millisecond in this process."""
    if "n" not in _LOOPS_PER_MS:
        n = 20_000
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            _spin(n)
            best = min(best, time.perf_counter() - start)
        _LOOPS_PER_MS["n"] = max(1, int(n / (best * 1000)))
    return _LOOPS_PER_MS["n"]


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def burn(x, loops: int):
    """CPU-bound pure-Python work (``loops`` iterations), then ``x``."""
    _spin(loops)
    return x


def burn_row(row, loops: int):
    _spin(loops)
    return row


def make_array(i, nbytes: int):
    import numpy as np

    return np.full(nbytes // 8, i, dtype=np.float64)


def array_row(row, nbytes: int):
    return {"a": make_array(row["item"], nbytes)}


def record(i, path: str, nbytes: int):
    """Notes that one item was produced (one byte appended to ``path``: the
    file's size counts production across processes), then makes it."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, b"x")
    finally:
        os.close(fd)
    return make_array(i, nbytes)


def record_row(row, path: str, nbytes: int):
    return {"a": record(row["item"], path, nbytes)}


def consume_shard(local_iterator) -> int:
    """Inside a Ray task: read one shard's LocalIterator to its end."""
    count = 0
    for _ in local_iterator:
        count += 1
    return count


# -- contenders -----------------------------------------------------------------


@dataclass(frozen=True)
class Contender:
    kind: str  # "backend" or "peer"
    label: str  # backend label, or peer name
    variant: str  # gather variant, or peer flavour
    spec: str = ""  # backend module path (``module`` or ``module:attribute``)

    @property
    def id(self) -> str:
        return f"{self.label}:{self.variant}"


def load_backend(spec: str):
    module, _, attribute = spec.partition(":")
    obj = importlib.import_module(module)
    return getattr(obj, attribute) if attribute else obj


def backend_label(spec: str) -> str:
    """A backend's name in results: its ``bench_label`` if it has one (a
    stand-in posing as another backend, such as the repository's
    ``benchmarks/slowed_reference.py``), else its module path."""
    try:
        return getattr(load_backend(spec), "bench_label", spec)
    except ImportError:
        return spec


def peer_missing(name: str) -> str | None:
    """Why a peer cannot run here, or None."""
    if name == "ray_data":
        try:
            import ray.data  # noqa: F401
        except Exception as exc:  # ImportError, or pandas/pyarrow missing
            return f"Ray Data not installed ({type(exc).__name__}: {exc}); pip install 'ray[data]'"
    return None


def _tuned(label: str) -> dict:
    return TUNED_ASYNC.get(label, _DEFAULT_TUNED)


def gather(contender: Contender, plan):
    """The LocalIterator of ``plan`` for a backend contender's variant."""
    v = contender.variant
    if v == "gather_sync":
        return plan.gather_sync()
    if v == "gather_async":
        return plan.gather_async()
    if v == "gather_async_tuned":
        return plan.gather_async(**_tuned(contender.label))
    raise ValueError(f"unknown variant {v!r}")


def _ray_data():
    import ray.data

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    if hasattr(context, "enable_operator_progress_bars"):
        context.enable_operator_progress_bars = False
    return ray.data


_MP_POOLS: dict[int, Any] = {}


def mp_pool(processes: int):
    """A spawn-context pool per process count, kept for the session (like the
    reference's warm workers; creating one is timed by the first-item
    workload only). Spawn, not fork: the parent runs Ray's threads."""
    import multiprocessing

    if processes not in _MP_POOLS:
        _MP_POOLS[processes] = multiprocessing.get_context("spawn").Pool(processes)
    return _MP_POOLS[processes]


def close_mp_pools() -> None:
    for pool in _MP_POOLS.values():
        pool.terminate()
    _MP_POOLS.clear()


# -- jobs -------------------------------------------------------------------------


@dataclass
class Job:
    prepare: Callable[[], Any]
    run: Callable[[Any], int]
    cleanup: Callable[[Any], None] = lambda state: None
    unit: str = "items"
    scale: int = 1  # units per counted item (bytes per item for payloads)
    info: dict = field(default_factory=dict)


def _close(state) -> None:
    it = state.get("it") if isinstance(state, dict) else None
    close = getattr(it, "close", None)
    if close is not None:
        close()


def _stream_job(make_iter: Callable[[], Any], n: int, unit: str = "items", per_item=None,
                bytes_per_item: int = 0) -> Job:
    """Throughput: ``prepare`` builds the iterator and takes its first item;
    ``run`` reads the remaining ``n - 1``."""

    def prepare():
        it = iter(make_iter())
        next(it)
        return {"it": it}

    def run(state):
        count = 0
        it = state["it"]
        if per_item is None:
            for _ in it:
                count += 1
        else:
            for item in it:
                per_item(item)
                count += 1
        return count

    return Job(prepare, run, _close, unit=unit, scale=bytes_per_item or 1)


def _whole_job(make_iter: Callable[[], Any], warm: Callable[[], Any]) -> Job:
    """Throughput timed from the start of the run, for a contender that
    delivers nothing until a large share of the work is done (taking its
    first item would take most of the run out of the timing). ``prepare``
    only warms the contender up."""

    def prepare():
        warm()
        return {}

    def run(state):
        return sum(1 for _ in make_iter())

    return Job(prepare, run, _close)


def _pool_iter(processes, fn, n, chunksize):
    def make():
        return mp_pool(processes).imap(fn, range(n), chunksize=chunksize)

    return make


# 1. cheap items --------------------------------------------------------------------
CHEAP_VARIANTS = ("gather_sync", "gather_async", "gather_async_tuned", "shards_tasks")
CHEAP_PEERS = {"ray_data": ("rows", "batches"), "mp_pool": ("imap",), "serial": ("loop",)}


def cheap_items(contender: Contender, sizes: Sizes, shards: int = 2) -> Job:
    c = contender
    if c.kind == "backend":
        it = load_backend(c.spec)
        if c.variant == "shards_tasks":
            return _shards_in_tasks(it, sizes.cheap_tasks, shards)
        n = {
            "gather_sync": sizes.cheap_sync,
            "gather_async": sizes.cheap_async,
            "gather_async_tuned": sizes.cheap_fast,
        }[c.variant]
        return _stream_job(lambda: gather(c, it.from_range(n, shards).for_each(inc)), n)
    n = sizes.cheap_fast
    if c.label == "ray_data":
        rd = _ray_data()
        if c.variant == "batches":
            def make():
                ds = rd.range(n, override_num_blocks=shards * 4).rename_columns({"id": "item"})
                return ds.map_batches(inc_batch, batch_format="numpy").iter_batches(
                    batch_size=max(1, min(4096, n // 16)), batch_format="numpy"
                )

            def prepare():
                it = iter(make())
                next(it)
                return {"it": it}

            def run(state):
                count = 0
                for batch in state["it"]:
                    count += len(batch["item"])
                return count

            return Job(prepare, run, _close)
        return _stream_job(
            lambda: rd.from_items(list(range(n)), override_num_blocks=shards * 4)
            .map(inc_row)
            .iter_rows(),
            n,
        )
    if c.label == "mp_pool":
        return _stream_job(_pool_iter(shards, inc, n, chunksize=max(1, n // (shards * 16))), n)
    return _stream_job(lambda: map(inc, range(n)), n)


def _shards_in_tasks(it, n: int, shards: int) -> Job:
    import ray

    remote = ray.remote(consume_shard)

    def prepare():
        return {"locals": it.from_range(n, shards).for_each(inc).shards()}

    def run(state):
        return sum(ray.get([remote.remote(local) for local in state["locals"]]))

    return Job(prepare, run)


# 2. CPU-bound for_each ----------------------------------------------------------
CPU_VARIANTS = ("gather_sync", "gather_async")
#: ``mp_pool:split`` gives each process one contiguous share of the items (no
#: communication until the end): the machine's parallel ceiling for this run.
CPU_PEERS = {"ray_data": ("rows",), "mp_pool": ("imap", "split"), "serial": ("loop",)}


def cpu_bound(contender: Contender, sizes: Sizes, shards: int) -> Job:
    c = contender
    n = sizes.cpu_items
    loops = int(loops_per_ms() * sizes.cpu_ms)
    fn = functools.partial(burn, loops=loops)
    if c.kind == "backend":
        it = load_backend(c.spec)
        job = _stream_job(lambda: gather(c, it.from_range(n, shards).for_each(fn)), n)
    elif c.label == "ray_data":
        rd = _ray_data()
        row_fn = functools.partial(burn_row, loops=loops)
        job = _stream_job(
            lambda: rd.from_items(list(range(n)), override_num_blocks=max(shards, 8))
            .map(row_fn, concurrency=shards)
            .iter_rows(),
            n,
        )
    elif c.label == "mp_pool" and c.variant == "split":
        warm_fn = functools.partial(burn, loops=1)
        job = _whole_job(
            _pool_iter(shards, fn, n, chunksize=-(-n // shards)),
            lambda: mp_pool(shards).map(warm_fn, range(shards)),
        )
    elif c.label == "mp_pool":
        job = _stream_job(_pool_iter(shards, fn, n, chunksize=1), n)
    else:
        job = _stream_job(lambda: map(fn, range(n)), n)
    job.info.update(cpu_ms=sizes.cpu_ms, loops=loops)
    return job


# 3. large payloads -----------------------------------------------------------------
PAYLOAD_VARIANTS = ("gather_sync", "gather_async")
PAYLOAD_PEERS = {"ray_data": ("rows",), "mp_pool": ("imap",), "serial": ("loop",)}


def _touch(item):
    a = item["a"] if isinstance(item, dict) else item
    if a.nbytes < 8 or a[-1] != a[0]:
        raise AssertionError("payload damaged")


def payload(contender: Contender, sizes: Sizes, shards: int = 2) -> Job:
    c = contender
    n = sizes.payload_items
    size = sizes.payload_bytes
    fn = functools.partial(make_array, nbytes=size)
    if c.kind == "backend":
        it = load_backend(c.spec)
        make = lambda: gather(c, it.from_range(n, shards).for_each(fn))  # noqa: E731
    elif c.label == "ray_data":
        rd = _ray_data()
        row_fn = functools.partial(array_row, nbytes=size)
        make = lambda: (  # noqa: E731
            rd.from_items(list(range(n)), override_num_blocks=shards * 4).map(row_fn).iter_rows()
        )
    elif c.label == "mp_pool":
        make = _pool_iter(shards, fn, n, chunksize=1)
    else:
        make = lambda: map(fn, range(n))  # noqa: E731
    return _stream_job(make, n, unit="bytes", per_item=_touch, bytes_per_item=size)


# 4. time to first item ---------------------------------------------------------------
FIRST_VARIANTS = ("gather_sync", "gather_async")
FIRST_PEERS = {"ray_data": ("rows",), "mp_pool": ("imap",), "serial": ("loop",)}


def first_item(contender: Contender, sizes: Sizes, shards: int = 2) -> Job:
    """Pipeline construction + start-up + the first ``next()``; Ray is running.
    The multiprocessing peer creates its pool inside the timed part."""
    c = contender
    n = 1000

    def run_backend(state):
        it = load_backend(c.spec)
        state["it"] = gather(c, it.from_range(n, shards).for_each(inc))
        next(state["it"])
        return 1

    def run_ray_data(state):
        rd = _ray_data()
        state["it"] = iter(
            rd.from_items(list(range(n)), override_num_blocks=shards).map(inc_row).iter_rows()
        )
        next(state["it"])
        return 1

    def run_pool(state):
        import multiprocessing

        pool = multiprocessing.get_context("spawn").Pool(shards)
        state["pool"] = pool
        next(pool.imap(inc, range(n)))
        return 1

    def run_serial(state):
        next(map(inc, range(n)))
        return 1

    def cleanup(state):
        _close(state)
        pool = state.get("pool")
        if pool is not None:
            pool.terminate()

    run = {"backend": run_backend}.get(c.kind) or {
        "ray_data": run_ray_data,
        "mp_pool": run_pool,
        "serial": run_serial,
    }[c.label]
    return Job(dict, run, cleanup, unit="s")


# 5. read-ahead of a slow consumer over a fast producer ----------------------------------
READAHEAD_VARIANTS = ("gather_sync", "gather_async")
READAHEAD_PEERS = {"ray_data": ("rows",), "mp_pool": ("imap",), "serial": ("loop",)}


def readahead_bound(contender: Contender, shards: int) -> int | None:
    """Items a backend may hold ahead of the consumer by the spec: LAZY-4
    (``gather_sync``: one per shard) and LAZY-5 with ``num_async=1``
    (``gather_async``: ``2B - 1`` per shard)."""
    if contender.kind != "backend":
        return None
    if contender.variant == "gather_sync":
        return shards
    b = getattr(load_backend(contender.spec), "conformance_async_batch_limit", 1)
    return shards * (2 * b - 1)


def readahead(contender: Contender, sizes: Sizes, shards: int = 2) -> Job:
    """Reads ``readahead_items`` items, sleeping after each; after every sleep
    samples how many items the producer has made beyond those delivered. The
    run's result (``info["max_ahead"]``) is the largest such count."""
    c = contender
    n = sizes.readahead_items
    nbytes = sizes.readahead_item_bytes
    result: dict = {}

    def prepare():
        fd, path = tempfile.mkstemp(prefix="bench-readahead-")
        os.close(fd)
        fn = functools.partial(record, path=path, nbytes=nbytes)
        if c.kind == "backend":
            it = load_backend(c.spec)
            source = gather(c, it.from_range(n, shards).for_each(fn))
        elif c.label == "ray_data":
            rd = _ray_data()
            row_fn = functools.partial(record_row, path=path, nbytes=nbytes)
            source = rd.from_items(list(range(n)), override_num_blocks=n).map(row_fn).iter_rows()
        elif c.label == "mp_pool":
            source = mp_pool(shards).imap(fn, range(n), chunksize=1)
        else:
            source = map(fn, range(n))
        return {"it": iter(source), "path": path}

    def run(state):
        delivered = 0
        ahead = 0
        for _ in state["it"]:
            delivered += 1
            time.sleep(sizes.readahead_sleep_s)
            ahead = max(ahead, os.path.getsize(state["path"]) - delivered)
        result["max_ahead"] = ahead
        return delivered

    def cleanup(state):
        _close(state)
        try:
            os.unlink(state["path"])
        except OSError:
            pass

    job = Job(prepare, run, cleanup, unit="items ahead")
    job.info.update(item_bytes=nbytes, bound=readahead_bound(c, shards), result=result)
    return job


# 6. scaling with shard count ---------------------------------------------------------------
SCALING_VARIANTS = ("gather_sync", "gather_async")
SCALING_PEERS = {"ray_data": ("rows",), "mp_pool": ("imap",), "serial": ("loop",)}


def scaling(contender: Contender, sizes: Sizes, shards: int) -> Job:
    """Cheap items through ``shards`` shards: how per-item costs change as
    shards are added (items/s)."""
    c = contender
    n = sizes.scaling_items
    if c.kind == "backend":
        it = load_backend(c.spec)
        return _stream_job(lambda: gather(c, it.from_range(n, shards).for_each(inc)), n)
    big = sizes.cheap_fast
    if c.label == "ray_data":
        rd = _ray_data()
        return _stream_job(
            lambda: rd.range(big, override_num_blocks=max(shards, 8))
            .rename_columns({"id": "item"})
            .map(inc_row, concurrency=shards)
            .iter_rows(),
            big,
        )
    if c.label == "mp_pool":
        return _stream_job(_pool_iter(shards, inc, big, chunksize=max(1, big // (shards * 16))), big)
    return _stream_job(lambda: map(inc, range(big)), big)


# -- the table of workloads -----------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    make: Callable[..., Job]
    variants: tuple
    peers: dict
    shard_counts: Callable[[Sizes], tuple]
    higher_is_better: bool
    unit: str
    #: ray.util.iter's variant that peers are compared with
    primary: str


WORKLOADS = {
    w.name: w
    for w in [
        Workload("cheap", "Cheap items (small ints, trivial for_each), 2 shards", cheap_items,
                 CHEAP_VARIANTS, CHEAP_PEERS, lambda s: (2,), True, "items/s",
                 "gather_async_tuned"),
        Workload("cpu", "CPU-bound for_each (pure Python per item): speedup over serial",
                 cpu_bound, CPU_VARIANTS, CPU_PEERS, lambda s: s.cpu_shards, True, "items/s",
                 "gather_async"),
        Workload("payload", "Large payloads (NumPy arrays), 2 shards", payload,
                 PAYLOAD_VARIANTS, PAYLOAD_PEERS, lambda s: (2,), True, "MB/s", "gather_async"),
        Workload("first_item", "Time to first item on a running Ray, 2 shards", first_item,
                 FIRST_VARIANTS, FIRST_PEERS, lambda s: (2,), False, "s", "gather_sync"),
        Workload("readahead", "Read-ahead of a slow consumer over a fast producer, 2 shards",
                 readahead, READAHEAD_VARIANTS, READAHEAD_PEERS, lambda s: (2,), False,
                 "items ahead", "gather_sync"),
        Workload("scaling", "Scaling with shard count (cheap items)", scaling,
                 SCALING_VARIANTS, SCALING_PEERS, lambda s: s.scaling_shards, True, "items/s",
                 "gather_async"),
    ]
}


def contenders(workload: Workload, backends: list[tuple[str, str]]) -> list[Contender]:
    """Every contender of ``workload``: each backend (``(label, spec)``) in
    each variant, then each peer flavour."""
    out = [Contender("backend", label, v, spec) for label, spec in backends for v in workload.variants]
    for peer, flavours in workload.peers.items():
        out.extend(Contender("peer", peer, f) for f in flavours)
    return out


def cases(workload: Workload, backends, sizes: Sizes):
    """``(contender, shards)`` pairs; serial runs once (it has no shards)."""
    for contender, shards in itertools.product(contenders(workload, backends),
                                               workload.shard_counts(sizes)):
        if contender.label == "serial" and shards != workload.shard_counts(sizes)[0]:
            continue
        yield contender, shards


def run_once(job: Job) -> tuple[int, float, dict]:
    """Prepare, time and clean up one run: ``(units, seconds, info)``."""
    state = job.prepare()
    try:
        start = time.perf_counter()
        done = job.run(state)
        seconds = time.perf_counter() - start
    finally:
        job.cleanup(state)
    return done, seconds, dict(job.info.get("result", {}))
