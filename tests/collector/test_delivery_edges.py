"""The outbox at its edges: the retry schedule and the day's limit to the second, a
delivery queued to one channel from outside a transaction, ``notify test``, the
log line of a failure, and the deliveries page's 100 rows.

Written against mutants that survived ``test_delivery.py`` (docs/reliability.md);
each asserts a delivery row, a message a receiver gets, or a log record.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from sync.clock import format_utc, parse_utc
from sync.collector.db.storage import NotFound, Storage
from sync.collector.notify import outbox
from sync.collector.notify.mail import Mail
from sync.collector.settings import Settings
from tests.support.collector import free_port
from tests.support.smtp import smtp_server
from tests.support.webhook import webhook_receiver

ALERT = Mail("ignored@example.com", "Kamppi: 5 of 6 unhappy", "Five of the last six taps...")


@pytest.fixture
def storage(chain_storage) -> Storage:
    return chain_storage({"hki-kamppi": "Europe/Helsinki"})


def dead_channel(storage: Storage) -> int:
    """A webhook channel nobody answers (a closed loopback port), subscribed to alerts."""
    made, _kind, _secret = outbox.add_channel(storage, "ops", f"http://127.0.0.1:{free_port()}/h")
    assert outbox.subscribe(storage, made, "alert", None)
    return made


def test_a_failing_delivery_waits_30_s_2_8_32_min_2_h_then_6_h_and_gives_up_after_a_day(storage):
    dead_channel(storage)
    outbox.fanout(storage, "alert", "hki-kamppi", "alert:9", ALERT)
    moment = parse_utc(outbox.recent(storage)[0]["created_at"])
    waits = []
    while (row := outbox.recent(storage)[0])["state"] != "failed":
        assert outbox.deliver(storage, Settings(), now=moment) == 0
        row = outbox.recent(storage)[0]
        if row["state"] == "retrying":
            waits.append((parse_utc(row["due_at"]) - moment).total_seconds())
            moment = parse_utc(row["due_at"])
    assert waits == [30, 120, 480, 1920, 7680, 21600, 21600, 21600]
    assert row["attempts"] == 9 and row["last_error"]


def test_a_retry_due_exactly_a_day_after_queueing_is_still_made(storage):
    dead_channel(storage)
    moment = datetime.now(UTC).replace(microsecond=0)
    for key, created in (("alert:1", moment + timedelta(seconds=30) - timedelta(days=1)),
                         ("alert:2", moment + timedelta(seconds=29) - timedelta(days=1))):
        outbox.fanout(storage, "alert", "hki-kamppi", key, ALERT)
        with storage.db.transaction() as conn:
            conn.execute("UPDATE deliveries SET created_at = ?, due_at = ? WHERE key = ?",
                         (format_utc(created), format_utc(created), key))
    assert outbox.deliver(storage, Settings(), now=moment) == 0
    assert {row["key"]: row["state"] for row in outbox.recent(storage)} == {
        "alert:1": "retrying", "alert:2": "failed"}


def test_a_failure_is_logged_with_its_delivery_and_error(storage, caplog):
    dead_channel(storage)
    outbox.fanout(storage, "alert", "hki-kamppi", "alert:3", ALERT)
    with caplog.at_level(logging.WARNING, logger="hymy.collector.delivery"):
        outbox.deliver(storage, Settings())
    (row,) = outbox.recent(storage)
    (record,) = [r for r in caplog.records if r.name == "hymy.collector.delivery"]
    assert record.getMessage() == "delivery not taken"
    assert (record.delivery, record.error) == (row["id"], row["last_error"])


def test_one_channel_gets_a_delivery_queued_once_with_its_event_and_store(storage):
    with webhook_receiver() as hook:
        made, _kind, _secret = outbox.add_channel(storage, "ops", hook.url)
        key = "digest:hki-kamppi:2026-12-02"
        assert outbox.enqueue(storage, key, made, ALERT, event="digest", store_id="hki-kamppi")
        assert not outbox.enqueue(storage, key, made, ALERT, event="digest",
                                  store_id="hki-kamppi")
        assert outbox.enqueue(storage, "alert:5", made, ALERT)
        assert outbox.deliver(storage, Settings()) == 2
        got = hook.wait(2)
    bodies = sorted((json.loads(g.body) for g in got), key=lambda body: body["key"])
    assert [(b["event"], b["store_id"], b["key"], b["subject"]) for b in bodies] == [
        ("alert", None, "alert:5", ALERT.subject),
        ("digest", "hki-kamppi", key, ALERT.subject)]
    assert sorted(g.headers["x-hymy-delivery"] for g in got) == ["alert:5", key]
    with pytest.raises(ValueError, match="^a delivery needs a key naming its event instance,"
                                         " e.g. alert:42$"):
        outbox.enqueue(storage, "", made, ALERT)
    with pytest.raises(NotFound, match="^no channel with id 999$"):
        outbox.remove_channel(storage, 999)


def test_the_deliveries_page_shows_the_newest_100(storage):
    made = dead_channel(storage)
    for n in range(101):
        outbox.enqueue(storage, f"alert:{n}", made, ALERT)
    shown = outbox.recent(storage)
    assert len(shown) == 100 and shown[0]["key"] == "alert:100" and shown[-1]["key"] == "alert:1"


def test_notify_test_sends_a_test_message_now(storage):
    with smtp_server() as box:
        kind = outbox.send_test(" ops@example.com ", Settings(smtp_url=box.url,
                                                               mail_from="hymy@example.com"))
        (mail,) = box.wait(1)
    assert kind == "email" and mail["To"] == "ops@example.com"
    assert mail["Subject"] == "Hymy: test message"
    assert mail.get_body(("plain",)).get_content().strip() == (
        "This is a test message from the Hymy collector. If you can read it, alerts and"
        " digests will reach you here.")
    with webhook_receiver() as hook:
        assert outbox.send_test(hook.url, Settings()) == "webhook"
        (got,) = hook.wait(1)
    body = json.loads(got.body)
    assert (body["event"], body["key"], body["subject"]) == ("test", "test", "Hymy: test message")
    assert got.headers["x-hymy-delivery"] == "test"
    with webhook_receiver() as hook:  # a kind that is none: said, and nothing sent
        with pytest.raises(ValueError, match="unknown channel kind 'pigeon'"):
            outbox.send_test(hook.url, Settings(), kind="pigeon")
        assert hook.wait(0) == []
