"""Benchmark workloads and contenders, independent of pytest.

A **contender** is one way of running a workload: a backend (any module
exposing the ``ray.util.iter`` names, SPEC §13) read through one gather
*variant*, or a **peer** (Ray Data, ``multiprocessing.Pool.imap``, plain serial
Python). Each kind is one small class (:class:`Backend`, :class:`ShardTasks`,
:class:`RayData`, :class:`MpPool`, :class:`Serial`) filling in the interface
of :class:`Contender`, chiefly ``stream(fn, n, shards)``: build a stream of
``fn(i)`` for ``i`` in ``range(n)`` over ``shards`` workers, read once by
``drain``.

A **workload** is written once against that interface: it turns a contender,
a :class:`Sizes` and a shard count (and, in a sweep, a run length: a
:class:`Case`) into a :class:`Job`: ``prepare()`` (untimed: build the stream
and, for throughput workloads, take its first item so start-up is not
counted; :class:`Timed`), ``run(state)`` (timed; returns how many units it
handled) and ``cleanup(state)``.

Figures are ``units / seconds`` (items/s, bytes/s), seconds (time to first
item) or items held ahead of the consumer (read-ahead); the report turns them
into ratios between contenders of the same run.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import importlib
import itertools
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

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
    run_lengths: tuple = (300, 3_000)  # items per run of the run-length sweep
    name: str = ""
    warmup_rounds: int = 0  # untimed rounds first (time to first item: always 1)
    scaling_async: int = 0  # items through gather_async in the scaling workload (0: scaling_items)


_SIZES = {
    # smoke tests: every code path, seconds in total
    "tiny": Sizes(
        rounds=1, cheap_sync=20, cheap_async=20, cheap_fast=200, cheap_tasks=20, cpu_items=4,
        cpu_ms=0.2, payload_items=3, payload_bytes=64 * 1024, first_rounds=1, readahead_items=6,
        readahead_sleep_s=0.001, readahead_item_bytes=1024, scaling_items=20, cpu_shards=(1, 2),
        scaling_shards=(1, 2), run_lengths=(10, 40),
    ),
    "quick": Sizes(
        rounds=1, cheap_sync=6_000, cheap_async=3_000, cheap_fast=400_000, cheap_tasks=3_000,
        cpu_items=300, cpu_ms=3.0, payload_items=60, payload_bytes=1 << 20, first_rounds=3,
        readahead_items=40, readahead_sleep_s=0.02, readahead_item_bytes=64 * 1024,
        scaling_items=2_000,
    ),
    "full": Sizes(
        rounds=3, cheap_sync=20_000, cheap_async=10_000, cheap_fast=2_000_000, cheap_tasks=10_000,
        cpu_items=400, cpu_ms=3.0, payload_items=200, payload_bytes=1 << 20, first_rounds=7,
        readahead_items=120, readahead_sleep_s=0.02, readahead_item_bytes=64 * 1024,
        scaling_items=6_000, run_lengths=(300, 3_000, 20_000),
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
#: ``python -m conformance.bench compare`` (conformance.bench.compare): rounds of
#: 0.1-0.4 s for the reference on 2 cores, so that a time budget holds many pairs
#: of rounds of each benchmark; gather_sync's lock-step runs are the short ones
#: (plain rounds: about 1,000 items/s), gather_async's the long ones
SIZES["compare"] = dataclasses.replace(
    SIZES["quick"], name="compare", rounds=1, cheap_sync=400, cheap_async=20_000,
    cheap_fast=100_000, cheap_tasks=10_000, cpu_items=40, scaling_items=300,
    scaling_async=20_000, run_lengths=(300,), readahead_items=10,
)

#: Tuned ``gather_async`` settings per backend label (measured on this kind of
#: machine, see README.md); other backends get :data:`_DEFAULT_TUNED`.
TUNED_ASYNC = {
    "ray.util.iter": {"batch_ms": 50, "num_async": 1},
    "reference": {"batch_ms": 50, "num_async": 1},
}
_DEFAULT_TUNED = {"batch_ms": 50, "num_async": 1}

# -- user functions (module level, so workers import them) ---------------------


def inc(x):
    return x + 1


_LOOPS_PER_MS: dict[str, int] = {}


def loops_per_ms() -> int:
    """Iterations of :func:`burn`'s loop per millisecond in this process, or
    ``BENCH_LOOPS_PER_MS`` when set (``compare`` measures it once and gives
    both sides the same figure, so that both do the same work)."""
    if "n" not in _LOOPS_PER_MS and os.environ.get("BENCH_LOOPS_PER_MS"):
        _LOOPS_PER_MS["n"] = int(os.environ["BENCH_LOOPS_PER_MS"])
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


def make_array(i, nbytes: int):
    import numpy as np

    return np.full(nbytes // 8, i, dtype=np.float64)


def record(i, path: str, nbytes: int):
    """Notes that one item was produced (one byte appended to ``path``: the
    file's size counts production across processes), then makes it."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, b"x")
    finally:
        os.close(fd)
    return make_array(i, nbytes)


def consume_shard(local_iterator) -> int:
    """Inside a Ray task: read one shard's LocalIterator to its end."""
    count = 0
    for _ in local_iterator:
        count += 1
    return count


def on_row(row, fn):
    """Ray Data's per-row form of ``fn``."""
    return {"item": fn(row["item"])}


def on_batch(batch, fn):
    """Ray Data's per-batch form of a vectorised ``fn`` (NumPy batches)."""
    return {"item": fn(batch["item"])}


# -- backends, Ray Data and process pools ------------------------------------------


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


@functools.cache
def _consume_shard_remote():
    import ray

    return ray.remote(consume_shard)


# -- contenders -----------------------------------------------------------------


class Timed(enum.IntEnum):
    """Where a throughput run's timed part starts; of the workload's and the
    contender's (:attr:`Contender.timed`), the one timing more applies."""

    AFTER_FIRST = 0  # prepare builds the stream and takes its first element
    FROM_FIRST_NEXT = 1  # prepare builds the stream; run reads all of it
    WHOLE = 2  # prepare only warms the contender up; run builds and reads the stream


@dataclass(frozen=True)
class Contender:
    """One way of running a workload, ``label:variant`` in results and test ids.

    Subclasses fill in :meth:`stream` and, where the defaults do not fit, the
    other hooks. ``hints`` are how a workload would like a peer to lay its
    stream out; a contender ignores those it has no use for:

    * ``blocks``: Ray Data's block count (default: 4 per shard);
    * ``pinned``: Ray Data maps on exactly ``shards`` workers (``concurrency``);
    * ``generated``: Ray Data makes the numbers in its tasks (``ray.data.range``)
      instead of taking a list from the driver (``from_items``);
    * ``chunked``: ``fn`` is trivial, so the pool sends ``n / (16 * shards)``
      items per message instead of one.
    """

    label: str  # backend label, or peer name
    variant: str  # gather variant, or peer flavour
    spec: str = ""  # backend module path (``module`` or ``module:attribute``)

    kind: ClassVar[str] = "peer"

    @property
    def id(self) -> str:
        return f"{self.label}:{self.variant}"

    @property
    def timed(self) -> Timed:
        """The least a throughput run must time for this contender."""
        return Timed.AFTER_FIRST

    def missing(self) -> str | None:
        """Why this contender cannot run here, or None."""
        return None

    def stream(self, fn: Callable, n: int, shards: int, **hints) -> Iterable:
        """A stream of ``fn(i)`` for ``i`` in ``range(n)`` over ``shards`` workers,
        to be read once by :meth:`drain`."""
        raise NotImplementedError

    def drain(self, stream: Iterable, per_item: Callable | None = None) -> int:
        """Read ``stream`` to its end, calling ``per_item`` on each element if
        given: the number of units read."""
        count = 0
        if per_item is None:
            for _ in stream:
                count += 1
        else:
            for item in stream:
                per_item(item)
                count += 1
        return count

    def first(self, fn: Callable, n: int, shards: int, state: dict, **hints) -> None:
        """Build the stream, start it and take its first element (all of it
        timed); what needs closing goes into ``state`` (``it``, ``pool``)."""
        state["it"] = iter(self.stream(fn, n, shards, **hints))
        next(state["it"])

    def warm(self, shards: int) -> None:
        """Untimed, before a run timed :attr:`Timed.WHOLE`."""


class Backend(Contender):
    """A backend's ``from_range(n, shards).for_each(fn)`` read through one gather
    variant: ``gather_sync``, ``gather_async`` (defaults) or
    ``gather_async_tuned`` (:data:`TUNED_ASYNC`)."""

    kind = "backend"

    def stream(self, fn, n, shards, **hints):
        plan = load_backend(self.spec).from_range(n, shards).for_each(fn)
        if self.variant == "gather_sync":
            return plan.gather_sync()
        if self.variant == "gather_async":
            return plan.gather_async()
        if self.variant == "gather_async_tuned":
            return plan.gather_async(**TUNED_ASYNC.get(self.label, _DEFAULT_TUNED))
        raise ValueError(f"unknown variant {self.variant!r}")


class ShardTasks(Backend):
    """The ``shards_tasks`` variant: the stream is the backend's ``shards()``,
    drained by reading each shard to its end in a Ray task
    (:func:`consume_shard`), timed from submitting the tasks."""

    @property
    def timed(self) -> Timed:
        return Timed.FROM_FIRST_NEXT

    def stream(self, fn, n, shards, **hints):
        return load_backend(self.spec).from_range(n, shards).for_each(fn).shards()

    def drain(self, stream, per_item=None):
        import ray

        remote = _consume_shard_remote()
        return sum(ray.get([remote.remote(local) for local in stream]))


class RayData(Contender):
    """The Ray Data peer. ``rows``: ``from_items(range(n)).map(fn).iter_rows()``
    (``ray.data.range`` when ``generated``). ``batches``:
    ``range(n).map_batches(fn).iter_batches()``, ``fn`` applied to each NumPy
    batch whole (so it must be vectorised), the rows counted."""

    def missing(self):
        try:
            import ray.data  # noqa: F401
        except Exception as exc:  # ImportError, or pandas/pyarrow missing
            return f"Ray Data not installed ({type(exc).__name__}: {exc}); pip install 'ray[data]'"
        return None

    def stream(self, fn, n, shards, *, blocks=None, pinned=False, generated=False, **hints):
        rd = _ray_data()
        blocks = blocks or shards * 4
        if generated or self.variant == "batches":
            ds = rd.range(n, override_num_blocks=blocks).rename_columns({"id": "item"})
        else:
            ds = rd.from_items(list(range(n)), override_num_blocks=blocks)
        if self.variant == "batches":
            return ds.map_batches(functools.partial(on_batch, fn=fn), batch_format="numpy").iter_batches(
                batch_size=max(1, min(4096, n // 16)), batch_format="numpy"
            )
        return ds.map(functools.partial(on_row, fn=fn), concurrency=shards if pinned else None).iter_rows()

    def drain(self, stream, per_item=None):
        if self.variant != "batches":
            return super().drain(stream, per_item)
        count = 0
        for batch in stream:
            count += len(batch["item"])
        return count


class MpPool(Contender):
    """The multiprocessing peer: the session's spawn pool of ``shards``
    processes (:func:`mp_pool`). ``imap``: ``imap(fn, range(n))``, one item per
    message (``chunked``: ``n / (16 * shards)``). ``split``: each process gets
    one contiguous share (``chunksize = n / shards``, no communication until it
    ends), the machine's parallel ceiling; it delivers nothing until a share is
    done, so its runs are timed whole after a warm-up."""

    @property
    def timed(self) -> Timed:
        return Timed.WHOLE if self.variant == "split" else Timed.AFTER_FIRST

    def stream(self, fn, n, shards, *, chunked=False, **hints):
        if self.variant == "split":
            chunksize = -(-n // shards)
        else:
            chunksize = max(1, n // (shards * 16)) if chunked else 1
        return mp_pool(shards).imap(fn, range(n), chunksize=chunksize)

    def warm(self, shards):
        mp_pool(shards).map(functools.partial(burn, loops=1), range(shards))

    def first(self, fn, n, shards, state, **hints):
        """With a new pool, created inside the timed part."""
        import multiprocessing

        state["pool"] = multiprocessing.get_context("spawn").Pool(shards)
        state["it"] = state["pool"].imap(fn, range(n))
        next(state["it"])


class Serial(Contender):
    """``map(fn, range(n))`` in the consumer: no workers, so it runs at a
    workload's first shard count only."""

    def stream(self, fn, n, shards, **hints):
        return map(fn, range(n))


#: peer name -> its class (flavours are variants of one class)
PEERS: dict[str, type[Contender]] = {"ray_data": RayData, "mp_pool": MpPool, "serial": Serial}

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
    pool = state.get("pool") if isinstance(state, dict) else None
    if pool is not None:
        # Let the pool finish what it was given, then close it: terminate()
        # while its task thread is still feeding work can deadlock (seen on a
        # loaded machine), and the pools here only get cheap work.
        for _ in it or ():
            pass
        pool.close()
        pool.join()
        return
    close = getattr(it, "close", None)
    if close is not None:
        close()


def throughput(c: Contender, fn: Callable, n: int, shards: int, *, timed: Timed = Timed.AFTER_FIRST,
               per_item: Callable | None = None, unit: str = "items", scale: int = 1, **hints) -> Job:
    """Units per second of reading ``c``'s stream of ``fn(i)``, ``i < n``, timed
    from ``timed`` or, if the contender needs more, from its :attr:`Contender.timed`.
    ``run`` returns the units it read (``n - 1`` items after an untimed first)."""
    timed = max(timed, c.timed)
    make = functools.partial(c.stream, fn, n, shards, **hints)

    if timed is Timed.WHOLE:
        def prepare():
            c.warm(shards)
            return {}

        def run(state):
            return c.drain(make(), per_item)
    else:
        def prepare():
            it = iter(make())
            if timed is Timed.AFTER_FIRST:
                next(it)
            return {"it": it}

        def run(state):
            return c.drain(state["it"], per_item)

    return Job(prepare, run, _close, unit=unit, scale=scale)


# -- the workloads ----------------------------------------------------------------


def cheap_items(c: Contender, sizes: Sizes, shards: int = 2) -> Job:
    """Cheap items (``inc``). Each backend variant runs its own count (each run
    about a second); the batched variant and the peers run ``cheap_fast``."""
    counts = {"gather_sync": sizes.cheap_sync, "gather_async": sizes.cheap_async,
              "shards_tasks": sizes.cheap_tasks}
    n = counts.get(c.variant, sizes.cheap_fast) if c.kind == "backend" else sizes.cheap_fast
    return throughput(c, inc, n, shards, chunked=True)


def cpu_bound(c: Contender, sizes: Sizes, shards: int) -> Job:
    """``cpu_ms`` of pure-Python work per item (:func:`burn`), the same items
    for every shard count."""
    loops = int(loops_per_ms() * sizes.cpu_ms)
    fn = functools.partial(burn, loops=loops)
    job = throughput(c, fn, sizes.cpu_items, shards, blocks=max(shards, 8), pinned=True)
    job.info.update(cpu_ms=sizes.cpu_ms, loops=loops)
    return job


def _touch(item):
    a = item["item"] if isinstance(item, dict) else item
    if a.nbytes < 8 or a[-1] != a[0]:
        raise AssertionError("payload damaged")


def payload(c: Contender, sizes: Sizes, shards: int = 2) -> Job:
    """NumPy arrays of ``payload_bytes``, each touched by the consumer (bytes/s)."""
    size = sizes.payload_bytes
    fn = functools.partial(make_array, nbytes=size)
    return throughput(c, fn, sizes.payload_items, shards, per_item=_touch, unit="bytes", scale=size)


def first_item(c: Contender, sizes: Sizes, shards: int = 2) -> Job:
    """Pipeline construction + start-up + the first ``next()``
    (:meth:`Contender.first`); Ray is running. The multiprocessing peer creates
    its pool inside the timed part."""

    def run(state):
        c.first(inc, 1000, shards, state, blocks=shards)
        return 1

    return Job(dict, run, _close, unit="s")


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


def readahead(c: Contender, sizes: Sizes, shards: int = 2) -> Job:
    """Reads ``readahead_items`` items, sleeping after each; after every sleep
    samples how many items the producer has made beyond those delivered
    (:func:`record` counts production across processes). The run's result
    (``info["max_ahead"]``) is the largest such count."""
    n = sizes.readahead_items
    nbytes = sizes.readahead_item_bytes
    result: dict = {}

    def prepare():
        fd, path = tempfile.mkstemp(prefix="bench-readahead-")
        os.close(fd)
        fn = functools.partial(record, path=path, nbytes=nbytes)
        return {"it": iter(c.stream(fn, n, shards, blocks=n)), "path": path}

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


def scaling(c: Contender, sizes: Sizes, shards: int) -> Job:
    """Cheap items through ``shards`` shards: how per-item costs change as
    shards are added (items/s). ``gather_async`` runs ``scaling_async`` items
    where the sizes set it; peers run ``cheap_fast`` items."""
    if c.kind != "backend":
        n = sizes.cheap_fast
    elif c.variant == "gather_sync":
        n = sizes.scaling_items
    else:
        n = sizes.scaling_async or sizes.scaling_items
    return throughput(c, inc, n, shards, blocks=max(shards, 8), pinned=True, generated=True,
                      chunked=True)


def run_length(c: Contender, sizes: Sizes, shards: int, items: int) -> Job:
    """Cheap items through ``gather_sync``, a run of ``items`` items. As in the
    other throughput workloads the first item is taken untimed, so start-up
    (which differs: the reference takes warm workers from its pool, while
    ``ray.util.iter`` starts new actor processes for every pipeline) is left
    out; everything a backend decides during the run is counted (the
    reference compiles a Ray compiled graph, if at all, after at least
    ``COMPILE_AFTER_ROUNDS`` plain rounds, never within the first item)."""
    return throughput(c, inc, items, shards)


# -- the table of workloads -----------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    #: ``make(contender, sizes, shards)``, plus the run length if ``lengths``
    make: Callable[..., Job]
    variants: tuple  # backend variants
    peers: dict  # peer name -> flavours
    shard_counts: Callable[[Sizes], tuple]
    higher_is_better: bool
    unit: str
    #: ray.util.iter's variant that peers are compared with
    primary: str
    #: the run lengths a sweep runs, or None: the sizes fix them
    lengths: Callable[[Sizes], tuple] | None = None

    def job(self, case: Case, sizes: Sizes) -> Job:
        extra = () if case.items is None else (case.items,)
        return self.make(case.contender, sizes, case.shards, *extra)


_ALL_PEERS = {"ray_data": ("rows",), "mp_pool": ("imap",), "serial": ("loop",)}
_SYNC_ASYNC = ("gather_sync", "gather_async")

WORKLOADS = {
    w.name: w
    for w in [
        Workload("cheap", "Cheap items (small ints, trivial for_each), 2 shards", cheap_items,
                 ("gather_sync", "gather_async", "gather_async_tuned", "shards_tasks"),
                 {"ray_data": ("rows", "batches"), "mp_pool": ("imap",), "serial": ("loop",)},
                 lambda s: (2,), True, "items/s", "gather_async_tuned"),
        # mp_pool:split: each process one contiguous share, the machine's parallel ceiling
        Workload("cpu", "CPU-bound for_each (pure Python per item): speedup over serial",
                 cpu_bound, _SYNC_ASYNC,
                 {"ray_data": ("rows",), "mp_pool": ("imap", "split"), "serial": ("loop",)},
                 lambda s: s.cpu_shards, True, "items/s", "gather_async"),
        Workload("payload", "Large payloads (NumPy arrays), 2 shards", payload, _SYNC_ASYNC,
                 _ALL_PEERS, lambda s: (2,), True, "MB/s", "gather_async"),
        Workload("first_item", "Time to first item on a running Ray, 2 shards", first_item,
                 _SYNC_ASYNC, _ALL_PEERS, lambda s: (2,), False, "s", "gather_sync"),
        Workload("readahead", "Read-ahead of a slow consumer over a fast producer, 2 shards",
                 readahead, _SYNC_ASYNC, _ALL_PEERS, lambda s: (2,), False, "items ahead",
                 "gather_sync"),
        Workload("scaling", "Scaling with shard count (cheap items)", scaling, _SYNC_ASYNC,
                 _ALL_PEERS, lambda s: s.scaling_shards, True, "items/s", "gather_async"),
        Workload("run_length", "Cheap items through gather_sync by run length, 2 shards",
                 run_length, ("gather_sync",), {"serial": ("loop",)}, lambda s: (2,), True,
                 "items/s", "gather_sync", lengths=lambda s: s.run_lengths),
    ]
}


@dataclass(frozen=True)
class Case:
    """One benchmark of a workload: a contender at a shard count and, in a
    run-length sweep, a run length. ``id`` is its pytest id, which saved
    regression-gate baselines are keyed by."""

    contender: Contender
    shards: int
    items: int | None = None
    id: str = ""


def contenders(workload: Workload, backends: list[tuple[str, str]]) -> list[Contender]:
    """Every contender of ``workload``: each backend (``(label, spec)``) in
    each variant, then each peer flavour."""
    out: list[Contender] = [(ShardTasks if v == "shards_tasks" else Backend)(label, v, spec)
                            for label, spec in backends for v in workload.variants]
    out += [PEERS[peer](peer, f) for peer, flavours in workload.peers.items() for f in flavours]
    return out


def cases(workload: Workload, backends, sizes: Sizes) -> list[Case]:
    """Each contender at each shard count (serial at the first only) and run
    length. Ids: ``label:variant``, then ``-{shards}shards`` if the workload
    has several shard counts, then ``-{items}items`` if it sweeps run lengths."""
    counts = workload.shard_counts(sizes)
    lengths = workload.lengths(sizes) if workload.lengths else (None,)
    out = []
    for contender, shards, items in itertools.product(contenders(workload, backends), counts, lengths):
        if isinstance(contender, Serial) and shards != counts[0]:
            continue
        name = contender.id + (f"-{shards}shards" if len(counts) > 1 else "")
        out.append(Case(contender, shards, items, name + (f"-{items}items" if items else "")))
    return out


def run_once(job: Job, cpu_clock=None) -> tuple[int, float, dict]:
    """Prepare, time and clean up one run: ``(units, seconds, info)``. With a
    :class:`conformance.bench.cpu_clock.CpuClock`, ``info["cpu_seconds"]`` is
    the CPU time the run used from before its preparation to its end (a gather
    that reads ahead keeps its workers busy from the untimed first item on)."""
    before = cpu_clock.read() if cpu_clock is not None else None
    state = job.prepare()
    try:
        start = time.perf_counter()
        done = job.run(state)
        seconds = time.perf_counter() - start
        if cpu_clock is not None:
            cpu_seconds = cpu_clock.used(before, cpu_clock.read(since=before))
    finally:
        job.cleanup(state)
    info = dict(job.info.get("result", {}))
    if cpu_clock is not None:
        info["cpu_seconds"] = cpu_seconds
    return done, seconds, info
