"""The admin's deliveries page against a running collector whose own chore sends the messages.

Real parts only: the server's background chore delivers to an aiosmtpd server
and to a loopback webhook that answers 500; the page then shows the mail sent,
the webhook retrying with its error and next attempt, and a removed channel's
message failed - in the reader's language.
"""

from __future__ import annotations

import time

import pytest

from sync.collector.app import create_app
from sync.collector.db.connection import Database
from sync.collector.db.storage import Storage
from sync.collector.notify import outbox
from sync.collector.notify.mail import Mail
from sync.collector.settings import Settings
from sync.collector.web.i18n import Translator
from tests.support.asgi import page_text
from tests.support.browser import login_session
from tests.support.collector import Collector
from tests.support.smtp import smtp_server
from tests.support.webhook import webhook_receiver

ALERT = Mail("-", "Kamppi: 5 of 6 unhappy", "Five of the last six taps were unhappy.")


def wait_for(storage: Storage, states: set[str], timeout: float = 30.0) -> list[dict]:
    """The deliveries once their states are ``states`` (the server's chore runs every 5 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = outbox.recent(storage)
        if {row["state"] for row in rows} == states:
            return rows
        time.sleep(0.2)
    raise AssertionError([(row["state"], row["last_error"]) for row in rows])


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    """A collector that has mailed one alert, failed a webhook once and dropped one channel."""
    workdir = tmp_path_factory.mktemp("deliveries")
    collector = Collector(workdir)
    collector.cli("store", "add", "hki-kamppi", "--name", "Kamppi", "--timezone",
                  "Europe/Helsinki")
    db = Database(str(collector.database))
    storage = Storage(db)
    with smtp_server() as box, webhook_receiver([500]) as hook:
        collector.start(env={"HYMY_SMTP_URL": box.url})
        try:
            mail, _, _ = outbox.add_channel(storage, "manager@example.com", "manager@example.com")
            webhook, _, _ = outbox.add_channel(storage, "IT", hook.url + "/s3cr3t")
            gone, _, _ = outbox.add_channel(storage, "Old team", "old@example.com")
            outbox.subscribe(storage, mail, "alert", "hki-kamppi")
            outbox.subscribe(storage, webhook, "alert", None)
            outbox.subscribe(storage, gone, "digest", None)
            outbox.fanout(storage, "alert", "hki-kamppi", "alert:1", ALERT)
            outbox.fanout(storage, "digest", "hki-kamppi", "digest:hki-kamppi:2026-12-02", ALERT)
            outbox.remove_channel(storage, gone)
            rows = wait_for(storage, {"sent", "retrying", "failed"})
            assert box.wait(1)[0]["To"] == "manager@example.com"
            yield collector, rows
        finally:
            collector.stop()
            db.close()


def test_the_admin_sees_each_message_sent_retrying_or_failed_with_why(delivered):
    collector, rows = delivered
    session = login_session({"url": collector.url}, collector.admin_token)
    page = session.get(collector.url + "/admin/deliveries", params={"lang": "en"}, timeout=30)
    assert page.status_code == 200
    html = page.text
    en = Translator("en")
    assert '<a href="/admin/deliveries" aria-current="page">Deliveries</a>' in html
    by_state = {row["state"]: row for row in rows}
    sent, retrying, failed = by_state["sent"], by_state["retrying"], by_state["failed"]
    assert f'data-delivery="{sent["id"]}" data-state="sent"' in html
    assert "answered 500: receiver broken" in retrying["last_error"]
    assert retrying["last_error"].replace("<", "&lt;") in html
    assert en("delivery_next", when="") in html and en("delivery_retrying") in html
    assert failed["last_error"] == "the channel was removed" and "the channel was removed" in html
    assert en("event_digest") in html and en("channel_all_stores") in html
    # The webhook's path (a secret for Slack and Teams URLs) is never shown.
    assert "s3cr3t" not in html and "http://127.0.0.1:" in html


@pytest.mark.parametrize(("lang", "title"), [("fi", "Viestien toimitus"), ("sv", "Utskick"),
                                             ("de", "Zustellungen"), ("en", "Deliveries")])
def test_the_page_reads_in_every_language(delivered, lang, title):
    collector, _ = delivered
    session = login_session({"url": collector.url}, collector.admin_token)
    page = session.get(collector.url + "/admin/deliveries", params={"lang": lang}, timeout=30)
    assert f"<h1>{title}</h1>" in page.text


def test_only_admins_see_it(delivered):
    collector, _ = delivered
    office = login_session({"url": collector.url}, collector.office_token)
    answer = office.get(collector.url + "/admin/deliveries", timeout=30)
    assert answer.status_code == 403 and "manager@example.com" not in answer.text
    assert "/admin/deliveries" not in office.get(collector.url + "/office", timeout=30).text


@pytest.mark.parametrize(("lang", "one"), [("fi", "1 kanava"), ("sv", "1 kanal"),
                                           ("en", "1 channel"), ("de", "1 Kanal")])
def test_one_channel_is_counted_in_the_singular(tmp_path, lang, one):
    """Found in a user trial: the page's heading read "1 channels"."""
    app = create_app(Settings(database=str(tmp_path / "c.db")))
    outbox.add_channel(app.state.storage, "IT", "https://example.com/hymy-hook")
    admin = app.state.storage.add_token("admin").token
    text = page_text(app, admin, f"/admin/deliveries?lang={lang}")
    assert f'<p class="sub">{one} · ' in text


def test_a_channel_that_receives_nothing_says_how_to_subscribe_it(tmp_path):
    """Found in a user trial: a new channel's "Receives" cell was blank."""
    app = create_app(Settings(database=str(tmp_path / "c.db")))
    outbox.add_channel(app.state.storage, "IT", "https://example.com/hymy-hook")
    admin = app.state.storage.add_token("admin").token
    text = page_text(app, admin, "/admin/deliveries?lang=en")
    cell = text[text.index('data-role="receives"'):]
    assert "subscribe it with hymy-collector channel subscribe" in cell[:cell.index("</td>")]
