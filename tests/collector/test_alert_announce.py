"""Open alerts reach the channels subscribed to their store once, in each person's language;
people's own choices become their e-mail channel; digests go to subscribed people too."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from sync.clock import format_utc, utc_now
from sync.collector.db import alertlog as alert_sql
from sync.collector.db.connection import Database
from sync.collector.db.storage import Storage
from sync.collector.notify import alertmail, mine, outbox
from sync.collector.notify.schedule import digest_recipients
from sync.collector.settings import Settings
from sync.collector.tokens import Principal
from sync.collector.web.i18n import Translator

SETTINGS = Settings(public_url="https://hymy.example.com")


@pytest.fixture
def storage(tmp_path):
    db = Database(str(tmp_path / "c.db"))
    db.migrate()
    store = Storage(db)
    for store_id, name in (("kamppi", "Kamppi"), ("itis", "Itäkeskus")):
        store.add_store(store_id, name, "Europe/Helsinki")
    yield store
    db.close()


def open_alert(storage: Storage, store_id: str, opened_ago: timedelta = timedelta()) -> int:
    now = utc_now() - opened_ago
    data = json.dumps({"at": format_utc(now), "start": format_utc(now - timedelta(minutes=9)),
                       "end": format_utc(now), "responses": 10, "unhappy": 8,
                       "expected": 0.15, "limit": 0.49, "sigmas": 9.1, "minutes": 30})
    with storage.db.transaction(serialize=True) as conn:
        return alert_sql.insert_open(conn, ("funnel", store_id, None), 2, data,
                                     format_utc(now))["id"]


def person(storage: Storage, email: str, role: str, *stores: str, lang: str = "en") -> Principal:
    storage.add_user(email, role, stores, email.split("@")[0].title(), lang)
    return Principal(None, role, stores[0] if stores else None, user_id=1, stores=stores,
                     email=email)


def queued(storage: Storage) -> list[dict]:
    return [row for row in outbox.recent(storage) if row["event"] == "alert"]


def test_an_open_alert_is_queued_once_to_each_subscriber_in_their_language(storage):
    anna = person(storage, "anna@shop.example", "staff", "kamppi", lang="fi")
    olli = person(storage, "olli@shop.example", "office", lang="en")
    mine.choose(storage, anna, {"alert"})
    mine.choose(storage, olli, {"alert", "weekly"})
    alert_id = open_alert(storage, "kamppi")
    assert alertmail.announce(storage, SETTINGS) == 2
    assert alertmail.announce(storage, SETTINGS) == 0  # every turn asks again: nothing doubles
    rows = {row["target"]: row for row in queued(storage)}
    assert set(rows) == {"anna@shop.example", "olli@shop.example"}
    with storage.db.connection() as conn:
        payloads = {row["target"]: outbox.message_of(conn.scalar(
            "SELECT payload FROM deliveries WHERE id = ?", (row["id"],)))
            for row in rows.values()}
    fi, en = Translator("fi"), Translator("en")
    assert payloads["anna@shop.example"].mail.subject.startswith(
        fi("alert_mail_subject", store="Kamppi", title=""))
    assert en("alert_mail_ack") in payloads["olli@shop.example"].mail.text
    assert payloads["olli@shop.example"].link == f"https://hymy.example.com/alerts/{alert_id}"


def test_only_the_store_s_own_subscribers_are_told_and_old_alerts_are_not_replayed(storage):
    anna = person(storage, "anna@shop.example", "staff", "kamppi")
    mine.choose(storage, anna, {"alert"})
    open_alert(storage, "itis")
    open_alert(storage, "kamppi", opened_ago=timedelta(hours=alertmail.ANNOUNCE_HOURS + 1))
    assert alertmail.announce(storage, SETTINGS) == 0
    assert queued(storage) == []


def test_choices_follow_the_role_and_can_be_taken_back(storage):
    anna = person(storage, "anna@shop.example", "staff", "kamppi", "itis")
    assert mine.choose(storage, anna, {"alert", "digest", "weekly"}) == {"alert", "digest"}
    assert mine.chosen(storage, anna) == {"alert", "digest"}
    [channel] = [c for c in outbox.channels(storage) if c["owner"] == "anna@shop.example"]
    assert sorted(channel["subscriptions"]) == [
        "alert:itis", "alert:kamppi", "digest:itis", "digest:kamppi"]
    assert mine.choose(storage, anna, {"digest"}) == {"digest"}
    assert mine.chosen(storage, anna) == {"digest"}
    assert mine.choose(storage, anna, set()) == set()
    assert mine.chosen(storage, anna) == set()


def test_a_token_session_cannot_choose_e_mails(storage):
    with pytest.raises(ValueError, match="own account"):
        mine.choose(storage, Principal(7, "office"), {"alert"})


def test_digests_go_to_people_who_chose_them_in_their_language(storage):
    anna = person(storage, "anna@shop.example", "staff", "kamppi", lang="sv")
    olli = person(storage, "olli@shop.example", "office", lang="de")
    storage.add_digest_recipient("kamppi", "manager@shop.example", "fi")
    mine.choose(storage, anna, {"digest"})
    mine.choose(storage, olli, {"weekly"})
    assert digest_recipients(storage, "kamppi") == [
        ("manager@shop.example", "fi"), ("anna@shop.example", "sv")]
    assert digest_recipients(storage, "itis") == []
    assert digest_recipients(storage, None) == [("olli@shop.example", "de")]
