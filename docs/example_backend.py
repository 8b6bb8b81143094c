"""A small in-process backend for the conformance suite.

It re-exports the kit's model (``conformance.model``), which keeps the whole
spec in one process, and declares the optional hooks of SPEC §13 (BACK-3).
Copy it into your own repository, check that the suite passes on it, then
replace the re-exported names with your own implementation.

    python -m pytest --pyargs conformance --backend=my_backend
"""

from __future__ import annotations

# BACK-1: the seven public names (the model's __all__).  Replace this import
# with your own code, one name at a time, re-running the suite as you go.
from conformance.model import *  # noqa: F403
from conformance.model import __all__  # noqa: F401

# Shown in the report's header and JSON (run.backend_version).
__version__ = "0.1.0"

# -- conformance hooks (SPEC §13, BACK-3); all optional ------------------------------

# BACK-4: what this backend supports.  Tests that need an undeclared capability
# are skipped with the reason.  Not declared here: "from_actors" (the model's
# from_actors takes in-process workers, not Ray actors) and "ray" (user code
# does not run in Ray workers).
conformance_capabilities = frozenset({"max_concurrency", "metrics", "zip_with_source_actor"})

# GATH-4: the B of the read-ahead bound; items fetched per shard request.
conformance_async_batch_limit = 1

# Known deviations, run as strict expected failures: the test must fail, and
# the run fails if it passes.  Key: a clause ID (every test citing it) or
# "CLAUSE-ID::test_function" (that test function only); value: the reason.
conformance_deviations: dict[str, str] = {
    # "PAR-13::test_take_zero_returns_nothing": "take(0) returns one item; fix planned",
}


def conformance_setup() -> None:
    """Called once, before the first test that uses the backend.

    A real backend starts or connects to what it runs on here: a cluster
    client, a process pool, a scheduler.  This one runs in-process: nothing to do.
    """


def conformance_teardown() -> None:
    """Called once, at the end of the test session.

    A real backend stops what ``conformance_setup`` started (and only that:
    leave running a cluster the session merely joined).
    """
