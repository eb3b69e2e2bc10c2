"""Issue #15 end to end: a store manager is told, acknowledges from the e-mail, gets the digest.

A real collector (``hymy-collector serve``, running its own chores), a real
SMTP server (aiosmtpd) and headless Chromium at phone size: the manager signs
in with a link e-mailed to them, chooses on "My notifications" to be told of
alerts and to get the daily digest, an incident is planted (unhappy taps on
top of four weeks of ordinary ones), the collector's own turn finds it and
e-mails them, they follow the e-mail's link and acknowledge it with a comment,
and the daily digest arrives.  The mails and pages are screenshotted into
docs/screenshots.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from sync.clock import utc_now
from sync.collector.web.i18n import Translator
from tests.support import ROOT
from tests.support.browser import running_collector
from tests.support.collector import batch, free_port, rating
from tests.support.smtp import smtp_server

pytestmark = [pytest.mark.browser]
EN = Translator("en")
SHOTS = ROOT / "docs" / "screenshots"
MANAGER = "anna@shop.example"
URL = re.compile(r"http://127\.0\.0\.1:\d+/[^\s\"<>]+")


def cli(database: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "sync.collector", *args, "--database",
                           str(database)], capture_output=True, text=True, timeout=120,
                          env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    return done.stdout


def four_weeks_and_an_incident(url: str, token: str) -> None:
    """20 ordinary taps a day for 28 days (15 % unhappy), then 10 unhappy ones in 10 minutes."""
    now, seq, ratings = utc_now(), 0, []
    for day in range(28, 0, -1):
        for i in range(20):
            seq += 1
            at = now - timedelta(days=day, hours=3, minutes=i * 7)
            ratings.append(rating(seq, score=1 if i % 7 == 0 else 5, at=at))
    for i in range(10):
        seq += 1
        ratings.append(rating(seq, score=1, at=now - timedelta(minutes=10 - i)))
    for start in range(0, len(ratings), 500):
        answer = requests.post(url + "/api/v1/batches", json=batch(ratings[start:start + 500]),
                               headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert answer.status_code == 200, answer.text


def test_a_store_manager_is_told_acknowledges_from_the_mail_and_gets_the_digest(
        tmp_path, browser_chromium, monkeypatch):
    database = tmp_path / "collector.db"
    cli(database, "store", "add", "kamppi", "--name", "Kamppi", "--timezone", "Europe/Helsinki")
    token = cli(database, "kiosk", "add", "kamppi-1", "--store", "kamppi").split()[-1]
    cli(database, "user", "add", MANAGER, "--role", "staff", "--store", "kamppi",
        "--name", "Anna Virtanen", "--language", "en")
    cli(database, "store", "digest", "kamppi", "--hour", "0")  # due as soon as it is subscribed
    port = free_port()
    with smtp_server() as box:
        monkeypatch.setenv("HYMY_SMTP_URL", box.url)
        monkeypatch.setenv("HYMY_PUBLIC_URL", f"http://127.0.0.1:{port}")
        with running_collector(database, port) as url:
            phone = browser_chromium.new_context(viewport={"width": 390, "height": 844},
                                                 locale="en-GB", is_mobile=True)
            page = phone.new_page()
            page.set_default_timeout(20_000)
            # Signing in on the phone with a link e-mailed to the manager.
            page.goto(url + "/login?lang=en")
            page.fill("#link-email", MANAGER)
            page.click("#link-submit")
            [link_mail] = box.wait(1)
            page.goto(URL.search(link_mail.get_body(("plain",)).get_content()).group(0))
            page.click("#link-use")
            page.wait_for_load_state("load")
            assert page.url.endswith("/stores/kamppi")
            # Choosing what reaches them.
            page.click("#me-link")
            page.check("#me-alert")
            page.check("#me-digest")
            page.click("#me-save")
            assert EN("me_saved", what=f"{EN('me_alert')}, {EN('me_digest')}") in page.content()
            page.screenshot(path=str(SHOTS / "me-notifications-390x844.png"), full_page=True)
            # An incident; the collector's own alert turn (every minute) e-mails the manager.
            four_weeks_and_an_incident(url, token)
            alert_mail = wait_for(box, MANAGER, "Hymy · Kamppi:")
            text = alert_mail.get_body(("plain",)).get_content()
            found = re.search(r"(\d+) unhappy in the last (\d+)\xa0min", text)
            assert found and int(found.group(1)) >= 5, text
            alert_link = URL.search(text).group(0)
            assert re.search(r"/alerts/\d+$", alert_link)
            shoot_mail(browser_chromium, alert_mail, "mail-alert.png")
            # Acknowledging it from the e-mail's link, on the phone.
            page.goto(alert_link)
            page.fill("#ack-comment", "Till 2 jammed; opened till 3.")
            page.click("#ack-submit")
            page.wait_for_load_state("load")
            acked_by = page.locator("#alert-acked-by").inner_text()
            assert f"Anna Virtanen ({EN('role_staff')})" in acked_by
            assert page.locator("#alert-comment").inner_text() == "Till 2 jammed; opened till 3."
            page.screenshot(path=str(SHOTS / "alert-acknowledged-390x844.png"), full_page=True)
            # And the daily digest.
            digest = wait_for(box, MANAGER, "Hymy · Kamppi ·")
            assert "Daily digest" in digest.get_body(("plain",)).get_content() or \
                digest.get_body(("html",)) is not None
            phone.close()


def wait_for(box, address: str, subject_start: str, timeout: float = 150.0):
    """The first mail to ``address`` whose subject starts so, waiting for it to arrive."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(box.messages):
            if message["To"] == address and str(message["Subject"]).startswith(subject_start):
                return message
        time.sleep(0.5)
    subjects = [str(m["Subject"]) for m in box.messages]
    raise AssertionError(f"no mail {subject_start!r} to {address} within {timeout} s: {subjects}")


def shoot_mail(browser, message, name: str) -> None:
    """The mail's HTML part as a mail client would show it, at phone width."""
    context = browser.new_context(viewport={"width": 390, "height": 600},
                                  java_script_enabled=False)
    page = context.new_page()
    page.set_content(message.get_body(("html",)).get_content())
    page.screenshot(path=str(SHOTS / name), full_page=True)
    context.close()
