"""Screenshots of every dashboard page, desktop and phone width, from demo data.

Usage::

    python -m tools.dashboard_screenshots docs/screenshots
    python -m tools.dashboard_screenshots OUTDIR --url http://127.0.0.1:8080 --tokens tokens.json
    python -m tools.dashboard_screenshots docs/screenshots --only fleet --days 30

Without ``--url`` it seeds a fresh demo database (``hymy-collector demo``,
12 stores x a year), starts ``hymy-collector serve`` on a free loopback port,
and stops it afterwards.  Pages are captured by a real headless Chromium
(Debian's ``/usr/bin/chromium`` driven by Playwright; no browser download) at
1440x900 and 390x844 and written as ``OUTDIR/dashboard-<page>-<width>.png``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    log_in,
    running_collector,
    seed_demo,
)

SIZES = {"desktop": (1440, 900), "phone": (390, 844)}


def capture(url: str, tokens: dict[str, Any], outdir: Path,
            only: set[str] | None = None) -> list[Path]:
    """Take every screenshot (or those of the pages named in ``only``); the files written."""
    from playwright.sync_api import sync_playwright

    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    staff = tokens["staff"]
    store = staff["store_id"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for size, (width, height) in SIZES.items():
                scale = 2 if size == "phone" else 1
                shots = [
                    ("login", None, "/login?lang=fi", "fi"),
                    ("store", staff["token"], f"/stores/{store}?lang=fi", "fi"),
                    ("office", tokens["office"], "/office?lang=fi", "fi"),
                    ("office-en", tokens["office"], "/office?lang=en", "en"),
                    ("store-sv", staff["token"], f"/stores/{store}?lang=sv", "sv"),
                    ("store-de", staff["token"], f"/stores/{store}?lang=de", "de"),
                    ("office-sv", tokens["office"], "/office?lang=sv", "sv"),
                    ("office-de", tokens["office"], "/office?lang=de", "de"),
                    ("fleet", tokens["office"], "/fleet?lang=fi", "fi"),
                ]
                for name, token, path, lang in shots:
                    if only and name not in only:
                        continue
                    context = browser.new_context(
                        viewport={"width": width, "height": height},
                        device_scale_factor=scale, locale=lang,
                    )
                    page = context.new_page()
                    if token:
                        log_in(page, url, token)
                    page.goto(url + path)
                    target = outdir / f"dashboard-{name}-{size}.png"
                    page.screenshot(path=str(target), full_page=True)
                    written.append(target)
                    if name == "store":
                        # The day page: follow the newest day link, as a person would.
                        page.click("#days tbody tr:nth-child(2) a")
                        page.wait_for_load_state("load")
                        target = outdir / f"dashboard-day-{size}.png"
                        page.screenshot(path=str(target), full_page=True)
                        written.append(target)
                    context.close()
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.dashboard_screenshots",
        description="Screenshot every dashboard page (desktop 1440x900, phone 390x844).",
    )
    parser.add_argument("outdir", type=Path, help="Directory for dashboard-*.png")
    parser.add_argument("--url", help="A running collector (default: start one with demo data)")
    parser.add_argument("--tokens", type=Path,
                        help="JSON from 'hymy-collector demo --json' (needed with --url)")
    parser.add_argument("--stores", type=int, default=12, help="Demo stores [12]")
    parser.add_argument("--days", type=int, default=365, help="Demo days of history [365]")
    parser.add_argument("--only", action="append",
                        help="Only this page (fleet, office-en, ...); may be repeated")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"screenshots: no Chromium at {CHROMIUM}; install Debian's 'chromium' "
              "or set HYMY_CHROMIUM", file=sys.stderr)
        return 2
    if args.url:
        if not args.tokens:
            parser.error("--url needs --tokens (the JSON 'hymy-collector demo --json' printed)")
        tokens = json.loads(args.tokens.read_text(encoding="utf-8"))
        written = capture(args.url.rstrip("/"), tokens.get("tokens", tokens), args.outdir,
                          set(args.only or ()))
    else:
        workdir = Path(tempfile.mkdtemp(prefix="hymy-screens-"))
        try:
            print("seeding demo data (about half a minute)...", file=sys.stderr)
            demo = seed_demo(workdir / "demo.db", args.stores, args.days)
            with running_collector(workdir / "demo.db") as url:
                written = capture(url, demo["tokens"], args.outdir, set(args.only or ()))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
