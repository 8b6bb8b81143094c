"""What the suite's plugin (:mod:`conformance.plugin`) hands the reporting plugin
(:mod:`conformance.reporting.collector`): keys of ``config.stash`` and ``item.stash``.

Both modules import this one and neither imports the other."""

from __future__ import annotations

import pytest

from conformance import backend as backend_mod

#: the backend under test (config.stash)
BACKEND_KEY = pytest.StashKey[backend_mod.Backend]()
#: the active Hypothesis profile name (config.stash)
PROFILE_KEY = pytest.StashKey[str]()
#: the clause IDs a test cites (item.stash)
CLAUSES_KEY = pytest.StashKey[tuple[str, ...]]()
#: the reason of the known deviation (BACK-3) a test is matched by (item.stash)
DEVIATION_KEY = pytest.StashKey[str]()
#: how a failed test citing only SHOULD/MAY clauses is reported (its xfail reason starts so)
SHOULD_PREFIX = "SHOULD not met: "
