"""``benchmarks.slowed_reference``, logging its runs' CPU per thread and its
worker-side spins (``probe.py``'s candidate)."""
import threads_log

threads_log.log_runs("candidate")
threads_log.log_spins()

import reference  # noqa: E402
from benchmarks.slowed_reference import *  # noqa: E402, F403
from benchmarks.slowed_reference import (  # noqa: E402, F401
    bench_label,
    conformance_async_batch_limit,
    conformance_capabilities,
    fast_local,
)

__all__ = reference.__all__
