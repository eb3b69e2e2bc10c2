"""A real collector and a real Chromium for the dashboard tests and the screenshot tool.

``seed_demo`` fills a database with ``hymy-collector demo``; ``running_collector``
serves it on a free loopback port; ``CHROMIUM`` and ``CHROMIUM_ARGS`` launch
Debian's Chromium headless through Playwright (no browser download).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from tests.support import stop_process
from tests.support.collector import free_port, wait_healthy

CHROMIUM = os.environ.get("HYMY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    """Poll ``/healthz`` until the collector answers (raises after ``timeout``)."""

    def healthy() -> bool:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:  # noqa: S310
            return answer.status == 200

    wait_healthy(healthy, timeout, 0.2,
                 RuntimeError(f"the collector at {url} did not start within {timeout:.0f} s"))


def collector_command() -> list[str]:
    """``hymy-collector`` from this interpreter's environment."""
    return [sys.executable, "-m", "sync.collector"]


def seed_demo(database: Path, stores: int = 12, days: int = 365) -> dict[str, Any]:
    """Run ``hymy-collector demo`` into ``database``; returns its JSON (tokens included)."""
    output = subprocess.run(
        [*collector_command(), "demo", "--database", str(database), "--stores", str(stores),
         "--days", str(days), "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output)


@contextmanager
def running_collector(database: Path, port: int | None = None) -> Iterator[str]:
    """Start ``hymy-collector serve`` on loopback; yields its base URL, stops it after."""
    port = port or free_port()
    env = {**os.environ, "HYMY_LOG_LEVEL": "warning"}
    process = subprocess.Popen(
        [*collector_command(), "serve", "--database", str(database), "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)
        yield url
    finally:
        stop_process(process)




def login_session(server: dict, token: str) -> requests.Session:
    """A requests session logged in through the dashboard's form (CSRF cookie and field)."""
    session = requests.Session()
    form = session.get(server["url"] + "/login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = session.post(server["url"] + "/login", data={"token": token, "csrf": csrf},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text
    return session


def log_in(page: Any, url: str, token: str) -> None:
    """Log a Playwright ``page`` in through the dashboard's form, as a person would."""
    page.goto(url + "/login")
    submit_token(page, token)
    page.wait_for_load_state("load")


def submit_token(page: Any, token: str) -> None:
    """Sign in with an access token on the login page: open its folded-away form, fill, send."""
    if not page.is_visible("#token"):
        page.click(".token-login > summary")
    page.fill("#token", token)
    page.click("#token-submit")


@contextmanager
def signed_in_page(browser: Any, url: str, token: str | None, width: int = 1440,
                   height: int = 900, lang: str = "fi") -> Iterator[Any]:
    """A page in a fresh browser context of that size and language, logged in with
    ``token`` (None: not signed in); the context is closed after."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale=lang)
    page = context.new_page()
    try:
        if token:
            log_in(page, url, token)
        yield page
    finally:
        context.close()
