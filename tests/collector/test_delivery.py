"""Delivery: alerts reach e-mail, chat and webhooks through the outbox, retried, never doubled.

Real receivers only: an aiosmtpd server takes the mail, a loopback HTTP server
takes webhooks (checking the HMAC signature as a receiver would) and Apprise's
own ``json://`` service; the database is SQLite or a real PostgreSQL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta

import pytest

from sync.clock import parse_utc, utc_now
from sync.collector.db.connection import Database
from sync.collector.db.storage import Storage
from sync.collector.notify import outbox
from sync.collector.notify.mail import Attachment, Mail
from sync.collector.settings import Settings
from tests.support.collector import free_port
from tests.support.smtp import smtp_server
from tests.support.webhook import webhook_receiver

ALERT = Mail("ignored@example.com", "Kamppi: 5 of 6 unhappy", "Five of the last six taps...",
             "<p>Five of the last six taps...</p>")


@pytest.fixture
def storage(chain_storage) -> Storage:
    return chain_storage({"hki-kamppi": "Europe/Helsinki", "tre-koskikeskus": "Europe/Helsinki"})


def states(storage: Storage) -> list[tuple[str, int, str | None]]:
    """(state, attempts, last error) of every delivery, oldest first."""
    return [(row["state"], row["attempts"], row["last_error"])
            for row in reversed(outbox.recent(storage))]


def channel(storage: Storage, target: str, event: str = "alert",
            store: str | None = "hki-kamppi") -> tuple[int, str | None]:
    made, _kind, secret = outbox.add_channel(storage, "manager@example.com", target)
    assert outbox.subscribe(storage, made, event, store)
    return made, secret


def test_an_alert_reaches_the_subscribed_address_once_however_often_it_is_fanned_out(storage):
    with smtp_server() as box:
        channel(storage, "manager@example.com")
        channel(storage, "office@example.com", store=None)
        channel(storage, "other@example.com", store="tre-koskikeskus")
        channel(storage, "digests@example.com", event="digest")
        assert outbox.fanout(storage, "alert", "hki-kamppi", "alert:1", ALERT) == 2
        assert outbox.fanout(storage, "alert", "hki-kamppi", "alert:1", ALERT) == 0
        settings = Settings(smtp_url=box.url, mail_from="hymy@example.com")
        assert outbox.deliver(storage, settings) == 2
        assert outbox.deliver(storage, settings) == 0
        mails = box.wait(2)
    assert sorted(m["To"] for m in mails) == ["manager@example.com", "office@example.com"]
    assert {m["Subject"] for m in mails} == {ALERT.subject}
    html = mails[0].get_body(("html",)).get_content()
    assert "Five of the last six taps" in html
    assert states(storage) == [("sent", 1, None)] * 2


def test_a_mail_keeps_its_inline_image_and_gets_the_link_through_the_outbox(storage):
    chart = Attachment("chart.png", b"\x89PNG\r\n\x1a\n-not-really", "image/png")
    digest = Mail("-", "Kamppi yesterday", "CSAT 81%", '<img src="cid:chart.png">', (chart,))
    with smtp_server() as box:
        channel(storage, "manager@example.com", event="digest")
        outbox.fanout(storage, "digest", "hki-kamppi", "digest:hki-kamppi:2026-12-02", digest,
                      link="https://hymy.example.com/stores/hki-kamppi")
        assert outbox.deliver(storage, Settings(smtp_url=box.url)) == 1
        (mail,) = box.wait(1)
    images = [part for part in mail.walk() if part.get_content_type() == "image/png"]
    assert [(p["Content-ID"], p.get_content()) for p in images] == [
        ("<chart.png>", chart.content)]
    assert mail.get_body(("plain",)).get_content().splitlines() == [
        "CSAT 81%", "", "https://hymy.example.com/stores/hki-kamppi"]


def test_a_webhook_gets_a_json_body_signed_with_its_own_secret(storage):
    with webhook_receiver() as hook:
        _, secret = channel(storage, hook.url)
        assert secret and secret.startswith("whsec_")
        outbox.fanout(storage, "alert", "hki-kamppi", "alert:7", ALERT,
                      link="https://hymy.example.com/stores/hki-kamppi", extra={"alert_id": 7})
        before = int(utc_now().timestamp())
        assert outbox.deliver(storage, Settings()) == 1
        (got,) = hook.wait(1)
    body = json.loads(got.body)
    assert body == {"event": "alert", "store_id": "hki-kamppi", "subject": ALERT.subject,
                    "text": ALERT.text, "link": "https://hymy.example.com/stores/hki-kamppi",
                    "key": "alert:7", "timestamp": body["timestamp"], "alert_id": 7}
    # What a receiver checks: the HMAC over the raw body, and a fresh timestamp.
    expected = hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-hymy-signature"] == f"sha256={expected}"
    assert int(got.headers["x-hymy-timestamp"]) == body["timestamp"] >= before
    assert got.headers["x-hymy-delivery"] == "alert:7"
    assert got.headers["content-type"] == "application/json"


def test_a_webhook_answering_500_is_retried_later_and_then_recorded_once(storage):
    with webhook_receiver([500, 200]) as hook:
        channel(storage, hook.url)
        outbox.fanout(storage, "alert", "hki-kamppi", "alert:2", ALERT)
        now = utc_now()
        assert outbox.deliver(storage, Settings(), now) == 0
        [(state, attempts, error)] = states(storage)
        assert (state, attempts) == ("retrying", 1)
        assert "answered 500: receiver broken" in error
        due = parse_utc(outbox.recent(storage)[0]["due_at"])
        assert timedelta(seconds=29) <= due - now <= timedelta(seconds=31)
        # Not before its time; then once.
        assert outbox.deliver(storage, Settings(), now + timedelta(seconds=10)) == 0
        assert outbox.deliver(storage, Settings(), now + timedelta(seconds=31)) == 1
        assert outbox.deliver(storage, Settings(), now + timedelta(hours=1)) == 0
        assert len(hook.wait(2)) == 2
    assert states(storage) == [("sent", 2, None)]


def test_an_unreachable_mail_server_is_a_clear_recorded_error_and_nothing_is_lost(storage):
    channel(storage, "manager@example.com")
    outbox.fanout(storage, "alert", "hki-kamppi", "alert:3", ALERT)
    dead = Settings(smtp_url=f"smtp://127.0.0.1:{free_port()}")
    now = utc_now()
    assert outbox.deliver(storage, dead, now) == 0
    [(state, attempts, error)] = states(storage)
    assert (state, attempts) == ("retrying", 1)
    assert error.startswith("cannot reach the mail server smtp://127.0.0.1:")
    # Once the server is back, the same row goes out.
    with smtp_server() as box:
        later = Settings(smtp_url=box.url)
        assert outbox.deliver(storage, later, now + timedelta(minutes=1)) == 1
        assert box.wait(1)[0]["To"] == "manager@example.com"
    assert states(storage) == [("sent", 2, None)]


def test_a_delivery_is_given_up_after_a_day_with_its_last_error(storage):
    with webhook_receiver([503]) as hook:
        channel(storage, hook.url)
        outbox.fanout(storage, "alert", "hki-kamppi", "alert:4", ALERT)
        moment = utc_now()
        for _ in range(30):
            row = outbox.recent(storage)[0]
            if row["state"] == "failed":
                break
            moment = max(moment, parse_utc(row["due_at"]))
            outbox.deliver(storage, Settings(), moment)
    [(state, attempts, error)] = states(storage)
    assert state == "failed" and "answered 503" in error
    assert len(hook.requests) == attempts and 6 <= attempts <= 12
    assert moment - parse_utc(outbox.recent(storage)[0]["created_at"]) <= timedelta(hours=24)


def test_two_senders_racing_send_each_delivery_once(storage, collector_database):
    """Two chores (each with its own database connections, as two processes) run at once."""
    with smtp_server() as box:
        for n in range(12):
            made, _, _ = outbox.add_channel(storage, f"p{n}@example.com", f"p{n}@example.com")
            outbox.subscribe(storage, made, "alert", None)
        outbox.fanout(storage, "alert", "hki-kamppi", "alert:race", ALERT)
        settings = Settings(smtp_url=box.url)
        others = [Database(collector_database) for _ in range(2)]
        start = threading.Barrier(2)
        sent: list[int] = []

        def run(db: Database) -> None:
            start.wait()
            sent.append(outbox.deliver(Storage(db), settings))

        threads = [threading.Thread(target=run, args=(db,)) for db in others]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for db in others:
            db.close()
        mails = box.wait(12)
        assert outbox.deliver(storage, settings) == 0
    assert sum(sent) == 12 and len(mails) == 12
    assert sorted(m["To"] for m in mails) == sorted(f"p{n}@example.com" for n in range(12))
    assert states(storage) == [("sent", 1, None)] * 12


def test_a_removed_channel_gets_nothing_more(storage):
    with webhook_receiver() as hook:
        made, _ = channel(storage, hook.url)
        outbox.fanout(storage, "alert", "hki-kamppi", "alert:5", ALERT)
        outbox.remove_channel(storage, made)
        assert outbox.fanout(storage, "alert", "hki-kamppi", "alert:6", ALERT) == 0
        outbox.deliver(storage, Settings())
        assert hook.requests == []
    assert states(storage) == [("failed", 1, "the channel was removed")]


def test_a_chat_channel_through_apprise_gets_the_subject_and_text(storage):
    with webhook_receiver() as hook:
        channel(storage, hook.url.replace("http://", "json://"))
        outbox.fanout(storage, "alert", "hki-kamppi", "alert:8", ALERT,
                      link="https://hymy.example.com/a/8")
        assert outbox.deliver(storage, Settings()) == 1
        (got,) = hook.wait(1)
    body = json.loads(got.body)
    assert body["title"] == ALERT.subject
    assert body["message"] == ALERT.text + "\n\nhttps://hymy.example.com/a/8"


def test_enqueue_in_the_callers_transaction_and_bad_input(storage):
    made, _ = channel(storage, "manager@example.com")
    with storage.db.transaction(serialize=True) as conn:
        assert outbox.enqueue(conn, "digest:hki-kamppi:2026-12-02", made, ALERT, "digest",
                              "hki-kamppi")
        assert not outbox.enqueue(conn, "digest:hki-kamppi:2026-12-02", made, ALERT, "digest")
    assert [(r["key"], r["event"], r["state"]) for r in outbox.recent(storage)] == [
        ("digest:hki-kamppi:2026-12-02", "digest", "queued")]
    with pytest.raises(ValueError, match="unknown event 'alarm'"):
        outbox.subscribe(storage, made, "alarm", None)
    with pytest.raises(LookupError, match="no store 'nowhere'"):
        outbox.subscribe(storage, made, "alert", "nowhere")
    with pytest.raises(ValueError, match="neither an e-mail address nor a URL"):
        outbox.add_channel(storage, "team", "not an address")
    with pytest.raises(ValueError, match="is not a URL Apprise understands"):
        outbox.add_channel(storage, "team", "nonsense://x")
