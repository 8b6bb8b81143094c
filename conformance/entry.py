"""The kit's ``pytest11`` entry point: inert until a run selects the suite.

Installing the kit registers this module with every pytest run in the
environment, so it must change nothing there: it adds no option, fixture,
marker or report of its own.  It only looks at the command line, and when the
run names the conformance suite -- ``--pyargs conformance`` (or a module under
``conformance.suite``), or the path of the installed ``conformance`` package or
of a file under its ``suite/`` -- it registers :mod:`conformance.plugin`, which
adds ``--backend`` and the rest (BACK-2).  Anywhere else, ``-p conformance.plugin``
loads the plugin explicitly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent
SUITE_DIR = PACKAGE_DIR / "suite"
#: options whose next argument is a value, never a test path.
_VALUE_OPTIONS = {"-k", "-m", "-p", "-c", "-o", "--rootdir", "--confcutdir", "--basetemp", "--backend"}


def _targets(args: list[str]) -> list[str]:
    targets, skip_next = [], False
    for arg in args:
        if skip_next:
            skip_next = False
        elif arg in _VALUE_OPTIONS:
            skip_next = True
        elif not arg.startswith("-"):
            targets.append(arg.split("::", 1)[0])
    return targets


def _names_suite_path(target: str, invocation_dir: Path) -> bool:
    path = (invocation_dir / target).resolve()
    if not path.exists():
        return False
    return path == PACKAGE_DIR or path == SUITE_DIR or SUITE_DIR in path.parents


def _names_suite_module(target: str) -> bool:
    return target == "conformance" or target == "conformance.suite" or target.startswith("conformance.suite.")


def selects_suite(args: list[str], invocation_dir: Path) -> bool:
    """True when the command line ``args`` name the suite (by path, or by module
    with ``--pyargs``)."""
    pyargs = "--pyargs" in args
    return any(
        _names_suite_path(t, invocation_dir) or (pyargs and _names_suite_module(t)) for t in _targets(args)
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    from conformance import plugin

    manager = early_config.pluginmanager
    if not manager.is_registered(plugin) and selects_suite(args, early_config.invocation_params.dir):
        manager.register(plugin, "conformance")
