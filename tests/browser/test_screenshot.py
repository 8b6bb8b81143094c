"""tools/screenshot.py, as docs/examples/README.md runs it for the screenshots in
docs/: a run page, the same page opened at a permalink, and a matrix page, each
written as a PNG of the requested viewport size.

The pages come from the two real runs of conftest.py."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (the first chunk of every PNG)."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def _screenshot(page: Path, out: Path, *options: str) -> None:
    run = subprocess.run(
        [sys.executable, "tools/screenshot.py", str(page), str(out), *options],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert str(out) in run.stdout


def test_the_documented_screenshot_commands_write_pngs_of_the_viewport(browser, runs, tmp_path) -> None:
    report, run_page = runs["broken"]
    failed = [c["id"] for c in json.loads(report.read_text())["clauses"] if c["result"] == "failed"]
    assert failed, "the premise: the broken backend fails a clause to link to"
    matrix = tmp_path / "matrix.html"
    reports = [str(runs["model"][0]), str(report)]
    made = subprocess.run(
        [sys.executable, "-m", "conformance.matrix", "--html", str(matrix), *reports],
        capture_output=True, text=True, timeout=120,
    )
    assert made.returncode == 0, made.stdout + made.stderr

    _screenshot(run_page, tmp_path / "run-page.png", "--height", "900")
    _screenshot(run_page, tmp_path / "run-page-permalink.png", "--hash", failed[0], "--height", "600")
    _screenshot(matrix, tmp_path / "matrix-page.png", "--height", "900")

    assert _png_size(tmp_path / "run-page.png") == (1280, 900)
    assert _png_size(tmp_path / "run-page-permalink.png") == (1280, 600)
    assert _png_size(tmp_path / "matrix-page.png") == (1280, 900)
