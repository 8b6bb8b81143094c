"""The reference, logging its runs' CPU per thread (``probe.py``'s base)."""
import threads_log

threads_log.log_runs("base")

import reference  # noqa: E402
from reference import *  # noqa: E402, F403
from reference import conformance_async_batch_limit, conformance_capabilities, fast_local  # noqa: E402, F401

__all__ = reference.__all__
bench_label = "reference"
