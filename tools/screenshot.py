"""Screenshot of a report page in headless Chromium (Debian's ``chromium`` package),
driven by Playwright: ``python tools/screenshot.py PAGE.html OUT.png [--hash ID]
[--width PX] [--height PX]``.  Used for the screenshots in docs/; needs
``pip install playwright`` and ``/usr/bin/chromium`` (no browser download)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("page", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--hash", default="", help="open the page at #HASH (a clause ID)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    args = parser.parse_args(argv)
    url = args.page.resolve().as_uri() + (f"#{args.hash}" if args.hash else "")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.goto(url)
            page.screenshot(path=str(args.out))
        finally:
            browser.close()
    print(f"screenshot of {url} written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
