"""Single sign-on: a full browser sign-in through a real OpenID Connect provider.

The provider is ``oidc-provider-mock`` (a real OpenID provider, Authlib's own
server code, on a loopback port in a thread); the collector is a real
``hymy-collector serve``; the browser is headless Chromium.  The provider's
verified e-mail must be an enabled account: nobody else gets in, and no
account is created.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sync.collector.web.i18n import Translator
from tests.support.browser import running_collector

FI = Translator("fi")
SETTINGS = {"HYMY_OIDC_CLIENT_ID": "hymy-test", "HYMY_OIDC_CLIENT_SECRET": "s3cret-for-tests"}


def cli(database: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "sync.collector", *args, "--database",
                           str(database)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    from oidc_provider_mock import User, run_server_in_thread

    database = tmp_path_factory.mktemp("oidc") / "collector.db"
    for store in "ab":
        cli(database, "store", "add", store, "--name", f"Store {store.upper()}",
            "--timezone", "Europe/Helsinki")
    cli(database, "user", "add", "Vera@example.com", "--role", "staff", "--store", "b")
    cli(database, "user", "add", "wilma@example.com", "--role", "office")
    cli(database, "user", "disable", "wilma@example.com")
    people = [User(sub=sub, claims={"email": email, "email_verified": True})
              for sub, email in (("vera", "vera@example.com"), ("wilma", "wilma@example.com"),
                                 ("xena", "xena@example.com"))]
    with run_server_in_thread(user_claims=people) as provider:
        issuer = f"http://localhost:{provider.server_port}"
        saved = {name: os.environ.get(name) for name in (*SETTINGS, "HYMY_OIDC_ISSUER")}
        os.environ.update({**SETTINGS, "HYMY_OIDC_ISSUER": issuer})
        try:
            with running_collector(database) as url:
                yield {"url": url, "database": database}
        finally:
            for name, value in saved.items():
                os.environ.pop(name, None)
                if value is not None:
                    os.environ[name] = value


def sign_in_as(page, sso: dict, sub: str | None = None, typed: str | None = None) -> None:
    """Press "Sign in with ..." on the login page, then choose a person at the provider."""
    page.goto(sso["url"] + "/login")
    page.click("#oidc-start")
    page.wait_for_load_state("load")
    if sub:
        page.click(f"button[name=sub][value={sub}]")
    else:
        page.fill("input[name=sub]", typed)
        page.click("form button[type=submit]:not([name])")
    page.wait_for_load_state("load")


@pytest.mark.browser
def test_an_account_signs_in_with_the_provider_in_the_browser(sso, browser_page):
    page = browser_page
    page.goto(sso["url"] + "/login")
    assert page.locator("#oidc-start").inner_text() == FI("oidc_button", provider="localhost")
    sign_in_as(page, sso, "vera")
    assert urlsplit(page.url).path == "/stores/b"
    assert page.locator("#logout").is_visible()
    assert page.goto(sso["url"] + "/stores/a").status == 403


@pytest.mark.browser
@pytest.mark.parametrize(("sub", "typed", "message"), [
    ("xena", None, FI("oidc_no_account", email="xena@example.com")),
    ("wilma", None, FI("oidc_no_account", email="wilma@example.com")),
    (None, "vera@example.com", FI("oidc_unverified", provider="localhost")),
])
def test_an_unknown_disabled_or_unverified_address_is_refused(sso, browser_page, sub, typed,
                                                              message):
    page = browser_page
    sign_in_as(page, sso, sub, typed)
    assert urlsplit(page.url).path == "/login/oidc/callback"
    assert page.locator(".notice.error").inner_text() == message
    assert not [c for c in page.context.cookies() if c["name"] == "hymy_session"]
    listed = subprocess.run([sys.executable, "-m", "sync.collector", "user", "list",
                             "--database", str(sso["database"])], capture_output=True, text=True,
                            timeout=60).stdout
    assert "xena" not in listed  # no account is made by signing in


def test_without_an_issuer_there_is_no_button_and_no_route(tmp_path, monkeypatch):
    import requests

    monkeypatch.delenv("HYMY_OIDC_ISSUER", raising=False)
    database = tmp_path / "collector.db"
    with running_collector(database) as url:
        assert 'id="oidc-start"' not in requests.get(url + "/login", timeout=10).text
        assert requests.get(url + "/login/oidc", timeout=10,
                            headers={"Accept": "text/html"}).status_code == 404
