"""A store's own alerting in the database (migrations 010, 021), on SQLite and PostgreSQL:
opening hours and thresholds as stored, and the alerts chain_alerts raises with them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sync.clock import format_utc, local_date, zone
from sync.collector import alerts
from sync.collector.db.storage import NotFound
from sync.collector.web.i18n import Translator
from sync.collector.web.views import alert_views, rule_texts

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, 12:00 in Helsinki
HELSINKI = "Europe/Helsinki"
DAY = ("2026-03-02", "2026-03-02")
#: The funnel rule in place of the default rate rule (these tests are about the funnel).
FUNNEL = alerts.Rules(rules=("funnel", "silent", "baseline"))


def test_hours_and_thresholds_are_stored_per_store_and_go_with_it(chain_storage):
    storage = chain_storage({"s1": HELSINKI, "s2": HELSINKI})
    assert storage.alerting("s1") == dict.fromkeys(
        ("opening_hours", "silent_hours", "funnel_sigmas", "funnel_min_responses",
         "burst_share", "burst_min_responses", "rate_alpha"))
    saved = storage.set_alerting("s1", alerts.settled("mon-fri 9-21, sat 10-18",
                                                      silent_hours=3, funnel_min_responses=8))
    assert saved["opening_hours"] == "mon-fri 9-21; sat 10-18"
    assert (saved["silent_hours"], saved["funnel_min_responses"]) == (3.0, 8)
    assert storage.set_alerting("s1", alerts.settled(reset=True))["silent_hours"] is None
    assert storage.alerting("s1")["opening_hours"] == "mon-fri 9-21; sat 10-18"
    assert set(storage.alerting_all()) == {"s1"}
    with pytest.raises(NotFound):
        storage.set_alerting("nowhere", {"silent_hours": 3})
    storage.delete_store("s1")  # no ratings: its alerting row goes with it
    assert storage.alerting_all() == {}


def silent_kiosk(storage, hours_ago: float) -> None:
    storage.record_contact("s1-k", format_utc(NOW - timedelta(hours=hours_ago)), 0.0, None)


def kinds(found: list[alerts.Alert]) -> list[tuple[str, str]]:
    return [(alert.kind, alert.store_id) for alert in found]


def test_silent_kiosk_alerts_count_the_opening_hours_set(chain_storage):
    storage = chain_storage({"s1": HELSINKI})
    silent_kiosk(storage, 5)  # since 07:00 local
    # No history to infer hours from: never open, so never silent.
    assert kinds(alerts.chain_alerts(storage, *DAY, now=NOW)) == []
    storage.set_alerting("s1", alerts.settled("mon-fri 9-21"))
    found = alerts.chain_alerts(storage, *DAY, now=NOW)
    assert kinds(found) == [("silent", "s1")] and found[0].data["hours"] == 3.0
    storage.set_alerting("s1", alerts.settled(silent_hours=4))  # this store may wait longer
    assert kinds(alerts.chain_alerts(storage, *DAY, now=NOW)) == []
    storage.set_alerting("s1", alerts.settled("mon-fri 11-21", reset=True))
    assert kinds(alerts.chain_alerts(storage, *DAY, now=NOW)) == []  # 1 open hour silent
    storage.set_alerting("s1", alerts.settled("mon-sun 0-24"))
    assert kinds(alerts.chain_alerts(storage, *DAY, now=NOW)) == [("silent", "s1")]
    assert kinds(alerts.chain_alerts(storage, *DAY, alerts.Rules(rules=("funnel",)),
                                     now=NOW)) == []


def rows(storage, taps: list[tuple[datetime, int]]) -> None:
    """Store ``(instant, score)`` taps of kiosk s1-k, 5 faces, through the roll-ups."""
    tz = zone(HELSINKI)
    stored = []
    for seq, (at, score) in enumerate(sorted(taps), start=1):
        created = format_utc(at)
        stored.append((str(uuid.uuid4()), seq, "s1", "s1-k", score, 5, created,
                       local_date(at, tz), "fi", None, 0, 1, created, 0))
    storage.bulk_insert("s1-k", stored)


def test_an_unhappy_half_hour_against_the_stores_own_baseline(chain_storage):
    storage = chain_storage({"s1": HELSINKI})
    silent_kiosk(storage, 0)
    usual = [(NOW - timedelta(days=day, hours=2, minutes=minute), 1 if minute < 2 else 5)
             for day in range(1, 29) for minute in range(20)]  # 10% unhappy, 560 responses
    recent = [(NOW - timedelta(minutes=2 * i + 1), 1 if i < 8 else 4) for i in range(12)]
    rows(storage, usual + recent)
    found = alerts.chain_alerts(storage, *DAY, FUNNEL, now=NOW)
    # Today's CSAT is also below its baseline; the funnel alert is the urgent one.
    assert kinds(found) == [("funnel", "s1"), ("baseline", "s1")]
    assert found[0].severity == 2  # 6.9 standard errors: 2 beyond the alarm line
    data = found[0].data
    assert (data["unhappy"], data["responses"], data["minutes"]) == (8, 12, 30)
    assert data["expected"] == pytest.approx(0.1) and data["limit"] == pytest.approx(
        0.1 + 3 * (0.09 / 12) ** 0.5)
    # HappyOrNot's rule alone sees a burst; with the funnel rule off there is no funnel alert.
    burst_only = alerts.Rules(rules=("burst",))
    assert kinds(alerts.chain_alerts(storage, *DAY, burst_only, now=NOW)) == [("burst", "s1")]
    # A store that asks for more evidence does not alert on 12 responses.
    storage.set_alerting("s1", alerts.settled(funnel_min_responses=20))
    assert kinds(alerts.chain_alerts(storage, *DAY, FUNNEL, now=NOW)) == [("baseline", "s1")]


def test_the_office_page_words_for_a_funnel_alert_and_its_rule(chain_storage):
    storage = chain_storage({"s1": HELSINKI})
    t = Translator("en")
    # As the alert log stores it: the numbers as JSON, instants as UTC text.
    stored = {"id": 7, "kind": "funnel", "store_id": "s1", "store_name": "Kamppi", "severity": 1,
              "state": "open",
              "data": {"at": format_utc(NOW), "start": format_utc(NOW - timedelta(minutes=23)),
                       "end": format_utc(NOW), "responses": 12, "unhappy": 8, "expected": 0.1,
                       "limit": 0.36, "sigmas": 6.9, "minutes": 30}}
    view = alert_views(t, [stored], storage, *DAY, FUNNEL)[0]
    assert view["title"] == "8 of 12 unhappy in the last 30\u00a0min"
    assert view["detail"] == "Usually 10%; the limit for 12 responses is 36%."
    assert view["href"] == "/stores/s1/days/2026-03-02"
    texts = rule_texts(t, FUNNEL)
    assert len(texts) == 3 and "by more than 3 standard errors" in texts[0]
    assert "Where an admin has set a store's opening hours" in texts[1]
    assert not any("within 15 minutes" in text for text in texts)  # no burst rule
    both = rule_texts(t, alerts.Rules(rules=("burst", "funnel")))
    assert len(both) == 2 and "within 15 minutes" in both[1]
