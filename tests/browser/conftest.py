"""Headless Chromium from the system's packages (``apt-get install chromium``),
driven by Playwright; no browser is downloaded at run time.

Every test here skips, saying why, when Playwright or Chromium is not installed;
``nox -s browser`` installs both when it can."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

#: a broken backend: the model whose ``from_range`` drops its last item (SRC-2)
BROKEN_BACKEND = textwrap.dedent(
    """
    import types

    from conformance import model


    def from_range(n, num_shards=2, repeat=False):
        return model.from_range(max(n - 1, 0), num_shards=num_shards, repeat=repeat)


    api = types.SimpleNamespace(**{name: getattr(model, name) for name in dir(model)
                                   if not name.startswith("_")})
    api.from_range = from_range
    __version__ = "1.0.0-broken"
    """
)
#: the suite modules the two runs share: enough for differences, quick on the model
SUITE_MODULES = ["conformance.suite.test_sources", "conformance.suite.test_names"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed: pip install playwright"
    )
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Page:
    """A browser page that records console errors and uncaught exceptions."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("requestfailed", lambda req: self.errors.append(f"request failed: {req.url}"))

    def visible_clauses(self) -> list[str]:
        return self.page.eval_on_selector_all(
            "[data-clause]", "els => els.filter(e => e.offsetParent !== null).map(e => e.id)"
        )


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    contexts = []

    def _open(path: Path, fragment: str = "", javascript: bool = True) -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=javascript)
        contexts.append(context)
        page = Page(context.new_page())
        page.page.goto(path.resolve().as_uri() + (f"#{fragment}" if fragment else ""))
        page.page.wait_for_load_state("load")
        return page

    yield _open
    for context in contexts:
        context.close()


def _run_suite(work: Path, backend: str, name: str) -> tuple[Path, Path]:
    report, page = work / f"{name}.json", work / f"{name}.html"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", *SUITE_MODULES, f"--backend={backend}",
         f"--conformance-report={report}", f"--conformance-html={page}", "-q"],
        cwd=work, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(work), "HYPOTHESIS_PROFILE": "dev", "RAY_ADDRESS": "local"},
    )
    assert report.exists() and page.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    return report, page


@pytest.fixture(scope="session")
def runs(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """``{name: (JSON report, HTML page)}`` of two real runs of the same suite modules:
    the model, and the model with a broken ``from_range`` (made only when there is a
    browser to look at them)."""
    work = tmp_path_factory.mktemp("runs")
    (work / "broken_model.py").write_text(BROKEN_BACKEND)
    return {
        "model": _run_suite(work, "conformance.model", "model"),
        "broken": _run_suite(work, "broken_model:api", "broken"),
    }
