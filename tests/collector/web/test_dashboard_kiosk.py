"""The admin's kiosk page: an enrollment code issued in the browser, shown once with a QR code.

A collector in this process on loopback (a real SQLite file), a real headless
Chromium: the admin reaches the kiosk page from the store page, issues a
code, sees it with its expiry, the ``hymy-kiosk enroll`` command and a QR
code, and the code works; staff get the 403 page and cannot issue one.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import requests

from sync.collector.tokens import hash_code
from sync.collector.web.i18n import Translator
from tests.support.browser import login_session, submit_token
from tests.support.inprocess import collector_in_process

EN = Translator("en")
CODE = re.compile(r"^[3-9A-Z]{4}-[3-9A-Z]{4}$")


@pytest.fixture
def served(tmp_path):
    """Store s1 with kiosk k1, an admin token and a staff token of s1."""
    with collector_in_process(tmp_path / "c.db") as running:
        storage = running.storage
        storage.add_store("s1", "Kamppi", "Europe/Helsinki")
        storage.add_kiosk("k1", "s1", "By the door")
        running.admin = storage.add_token("admin").token
        running.staff = storage.add_token("staff", "s1").token
        yield running


def login(page, url: str, token: str) -> None:
    page.goto(url + "/login?lang=en")
    submit_token(page, token)
    page.wait_for_load_state("load")


def stored_hashes(served) -> list[str]:
    with served.storage.db.connection() as conn:
        return [row[0] for row in conn.rows("SELECT hash FROM enrollment_codes ORDER BY id")]


@pytest.mark.browser
def test_an_admin_issues_a_code_and_sees_it_once_with_a_qr_code(browser_page, served):
    page = browser_page
    login(page, served.url, served.admin)
    page.goto(served.url + "/stores/s1")
    page.click("#manage-kiosks a:text('k1')")
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == "/kiosks/k1"
    assert page.locator("#kiosk-label").inner_text() == "By the door"
    assert page.locator("#enroll-none").inner_text() == EN("enroll_none")

    page.click("#enroll-issue")
    page.wait_for_load_state("load")
    code = page.locator("#enroll-code").inner_text()
    assert CODE.match(code)
    assert stored_hashes(served) == [hash_code(code)]  # the page shows what is stored, hashed
    assert page.locator("#enroll-until").inner_text().startswith(EN("enroll_until", time="")[:5])
    command = page.locator("#enroll-command").inner_text()
    assert command == f"hymy-kiosk enroll {served.url} {code} --config /etc/hymy/kiosk.toml"
    qr = page.locator("#enroll-qr svg")
    assert qr.count() == 1 and qr.bounding_box()["width"] >= 100
    assert page.locator("#enroll-qr svg path").count() >= 1

    # Shown once: the page again says a code is live, not which.
    page.goto(served.url + "/kiosks/k1")
    assert page.locator("#enroll-code").count() == 0
    assert page.locator("#enroll-live").count() == 1
    assert code not in page.content()

    # The code from the page enrolls the kiosk.
    answer = requests.post(served.url + "/api/v1/enroll", json={"code": code}, timeout=10)
    assert answer.status_code == 200 and answer.json()["kiosk_id"] == "k1"


@pytest.mark.browser
def test_staff_cannot_see_the_kiosk_page_or_issue_a_code(browser_page, served):
    page = browser_page
    login(page, served.url, served.staff)
    page.goto(served.url + "/stores/s1")
    assert page.locator("a[href='/kiosks/k1']").count() == 0
    answer = page.goto(served.url + "/kiosks/k1")
    assert answer.status == 403
    assert page.locator("#error").count() == 1 and page.locator("#enroll-issue").count() == 0

    # Nor by posting the form with the staff session's own CSRF token.
    session = login_session({"url": served.url}, served.staff)
    store = session.get(served.url + "/stores/s1", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', store)
    posted = session.post(served.url + "/kiosks/k1/enroll-code",
                          data={"csrf": csrf.group(1) if csrf else ""}, timeout=10)
    assert posted.status_code == 403 and 'id="enroll-code"' not in posted.text
    assert stored_hashes(served) == []


def test_an_admin_form_without_the_session_csrf_token_issues_nothing(served):
    session = login_session({"url": served.url}, served.admin)
    assert session.get(served.url + "/kiosks/k1", timeout=10).status_code == 200
    refused = session.post(served.url + "/kiosks/k1/enroll-code", data={"csrf": "x" * 64},
                           timeout=10)
    assert refused.status_code == 403
    missing = session.get(served.url + "/kiosks/nope", timeout=10,
                          headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert stored_hashes(served) == []


def test_the_kiosk_page_tells_times_in_the_stores_own_zone(tmp_path):
    """Registered and the enrollment code's expiry in Helsinki time, named; UTC in the data."""
    from sync.collector.app import create_app
    from sync.collector.settings import Settings
    from tests.support.asgi import call, session_cookie

    app = create_app(Settings(database=str(tmp_path / "c.db")))
    storage = app.state.storage
    storage.add_store("s1", "Kamppi", "Europe/Helsinki")
    storage.add_kiosk("k1", "s1")
    issued = storage.issue_code("k1")
    cookie = session_cookie(app, storage.add_token("admin").token)
    shown = call(app, "GET", "/kiosks/k1?lang=en", cookie).body.decode()
    registered = re.search(r'id="kiosk-registered"><time datetime="([^"]+)">([^<]+)<', shown)
    assert registered.group(1).endswith("Z") and registered.group(2).endswith(" EET")
    live = re.search(r'<p id="enroll-live" data-utc="([^"]+)">([^<]+)</p>', shown)
    assert live.group(1) == issued.expires_at
    assert " EET" in live.group(2) and "UTC" not in live.group(2)


def test_the_kiosk_page_names_its_touchpoint_and_says_never_once(tmp_path):
    from sync.collector.app import create_app
    from sync.collector.settings import Settings
    from tests.support.asgi import call, session_cookie

    app = create_app(Settings(database=str(tmp_path / "c.db")))
    storage = app.state.storage
    storage.add_store("s1", "Kamppi", "Europe/Helsinki")
    storage.add_kiosk("k1", "s1")
    storage.set_touchpoint("k1", "Checkout")
    cookie = session_cookie(app, storage.add_token("admin").token)
    shown = call(app, "GET", "/kiosks/k1?lang=en", cookie).body.decode()
    assert re.search(r'id="kiosk-touchpoint">Checkout<', shown)
    status = re.search(r'id="kiosk-status">(.*?)</td>', shown, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", status).split() == [EN("status_never")]


def test_the_api_docs_lead_back_to_the_dashboard_and_cite_no_repository_paths(tmp_path):
    from sync.collector.app import create_app
    from sync.collector.settings import Settings
    from tests.support.asgi import call

    app = create_app(Settings(database=str(tmp_path / "c.db")))
    page = call(app, "GET", "/docs").body.decode()
    assert '<a href="/" id="back-to-dashboard">' in page
    described = call(app, "GET", "/openapi.json").json()["info"]["description"]
    assert not re.search(r"\b(docs|sync|tests)/\S+\.(md|py)", described)
    assert "](/)" in described
