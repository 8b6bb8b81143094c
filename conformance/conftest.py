"""pytest entry point of the conformance suite.

The hooks live in :mod:`conformance.plugin` (re-exported here because
``pytest_plugins`` is only allowed in a rootdir conftest); the clause report
(:mod:`conformance.report`) is registered as a plugin of its own at configure time.
"""

import pytest

from conformance import plugin as _plugin
from conformance import report as _report
from conformance.plugin import (  # noqa: F401 - pytest hooks and fixtures
    api,
    backend,
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_report_header,
    pytest_runtest_makereport,
    pytest_runtest_setup,
)


def pytest_configure(config: pytest.Config) -> None:
    _plugin.pytest_configure(config)
    if not config.pluginmanager.is_registered(_report):
        config.pluginmanager.register(_report, "conformance-report")
