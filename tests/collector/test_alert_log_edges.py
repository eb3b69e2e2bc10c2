"""The alert log at its edges: one alert per silent kiosk, the baseline period's
days, the office page's order, the evaluator's turn, a comment's length.

Written against mutants that survived ``test_alert_log.py`` (docs/reliability.md);
each asserts rows in the alerts table or an answer a person reads.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sync.clock import format_utc, utc_now
from sync.collector import alertlog, alerts
from sync.collector.alertlog import AlreadyAcknowledged, acknowledge
from sync.collector.settings import Settings
from sync.collector.tokens import Principal
from tests.support.alerting import plant_taps

NOW = datetime.now(UTC).replace(microsecond=0)


def open_rows(storage) -> list[tuple]:
    return [(r["kind"], r["store_id"], r["kiosk_id"], r["severity"])
            for r in storage.open_alerts()]


def test_each_silent_kiosk_has_its_own_alert_which_stays_open(chain_storage):
    storage = chain_storage({"s1": "UTC"}, kiosks=("a", "b", "c"))
    storage.set_alerting("s1", alerts.settled("mon-sun 0-24"))
    for kiosk, hours_ago in (("s1-a", 5), ("s1-b", 30), ("s1-c", 0.01)):
        storage.record_contact(kiosk, format_utc(NOW - timedelta(hours=hours_ago)), 0.0, None)
    silent = Settings(alert_rules="silent")
    opened = alertlog.evaluate(storage, silent, NOW)
    assert sorted((a["kiosk_id"], a["severity"]) for a in opened) == [("s1-a", 1), ("s1-b", 2)]
    # A minute later both are still silent: the same two alerts, none closed or opened.
    assert alertlog.evaluate(storage, silent, NOW + timedelta(minutes=1)) == []
    assert sorted(open_rows(storage)) == [("silent", "s1", "s1-a", 1), ("silent", "s1", "s1-b", 2)]
    assert [r["id"] for r in storage.open_alerts()] == sorted(a["id"] for a in opened)


def test_the_baseline_rule_compares_the_last_30_days_with_the_28_before(chain_storage):
    storage = chain_storage({"s1": "UTC"})
    now = datetime(2026, 6, 30, 12, tzinfo=UTC)  # the period is June 1-30
    minutes = range(0, 600, 5)  # 120 taps: a baseline needs 100
    plant_taps(storage, "s1", "s1-k", datetime(2026, 5, 31, 12, tzinfo=UTC), minutes, score=5)
    plant_taps(storage, "s1", "s1-k", datetime(2026, 6, 1, 12, tzinfo=UTC), minutes,
               first_seq=100)
    (found,) = alertlog.evaluate(storage, Settings(alert_rules="baseline"), now)
    assert (found["kind"], found["store_id"], found["severity"]) == ("baseline", "s1", 1)
    assert found["data"]["period"]["responses"] == 120 and found["data"]["period"]["csat"] == 0
    assert found["data"]["baseline"]["responses"] == 120
    assert found["data"]["baseline"]["csat"] == 100


def test_the_office_page_lists_open_alerts_most_severe_then_newest_first(chain_storage):
    storage = chain_storage({"s1": "UTC", "s2": "UTC", "s3": "UTC"})
    plant_taps(storage, "s1", "s1-k", NOW - timedelta(hours=3))
    plant_taps(storage, "s2", "s2-k", NOW)
    plant_taps(storage, "s3", "s3-k", NOW - timedelta(hours=1))
    alertlog.evaluate(storage, Settings(alert_rules="burst"), NOW)
    assert [r["store_id"] for r in alertlog.by_priority(storage.open_alerts())] == [
        "s2", "s3", "s1"]
    # A graver alert comes first, however old (four unhappy taps in a row are severity 2).
    with storage.db.transaction() as conn:
        conn.execute("UPDATE alerts SET severity = 1 WHERE store_id <> 's1'")
    assert [r["store_id"] for r in alertlog.by_priority(storage.open_alerts())] == [
        "s1", "s2", "s3"]
    (first, *_rest) = alertlog.by_priority(storage.open_alerts())
    assert alertlog.as_alert(first).at == first["data"]["at"] == first["data"]["end"]
    assert alertlog.as_alert(first).severity == 2


def test_an_alert_keeps_the_instant_it_is_about_and_the_rules_severity(chain_storage):
    storage = chain_storage({"s1": "UTC"})
    plant_taps(storage, "s1", "s1-k", NOW)
    bursts = Settings(alert_rules="burst")
    (row,) = alertlog.evaluate(storage, bursts, NOW)
    assert row["data"]["at"] == row["data"]["end"] == format_utc(NOW - timedelta(minutes=2))
    assert row["severity"] == 2
    # The same numbers but another severity stored (the rules changed): the rules' one wins.
    with storage.db.transaction() as conn:
        conn.execute("UPDATE alerts SET severity = 1")
    assert alertlog.evaluate(storage, bursts, NOW) == []
    assert open_rows(storage) == [("burst", "s1", None, 2)]


def test_numbers_an_alert_cannot_store_are_named():
    alert = alerts.Alert("burst", "s1", 1, None, {"odd": {1, 2}})
    with pytest.raises(TypeError, match="^cannot store set in an alert's numbers$"):
        alertlog.numbers(alert)
    day = alerts.Alert("baseline", "s1", 1, "2026-06-30T12:00:00.000Z",
                       {"z": datetime(2026, 6, 1, 12, tzinfo=UTC),
                        "a": datetime(2026, 6, 1, tzinfo=UTC).date()})
    assert alertlog.numbers(day) == (
        '{"a": "2026-06-01", "at": "2026-06-30T12:00:00.000Z", "z": "2026-06-01T12:00:00.000Z"}')


def test_the_evaluator_takes_a_turn_54_seconds_after_the_last(chain_storage):
    storage = chain_storage({"s1": "UTC"})
    plant_taps(storage, "s1", "s1-k", utc_now())

    def last_turn(seconds_ago: float) -> None:
        with storage.db.transaction() as conn:
            conn.execute("UPDATE alert_runs SET evaluated_at = ? WHERE name = 'alerts'",
                         (format_utc(utc_now() - timedelta(seconds=seconds_ago)),))

    last_turn(50)
    assert alertlog.run(storage, Settings(alert_rules="burst")) == []
    assert open_rows(storage) == []
    last_turn(60)
    assert [a["store_id"] for a in alertlog.run(storage, Settings(alert_rules="burst"))] == ["s1"]


def test_a_comment_of_exactly_the_limit_is_kept_and_the_second_ack_names_the_first(
        chain_storage):
    storage = chain_storage({"s1": "UTC"})
    plant_taps(storage, "s1", "s1-k", NOW)
    (row,) = alertlog.evaluate(storage, Settings(alert_rules="burst"), NOW)
    office = storage.principal(storage.add_token("office", label="Head office").token)
    with pytest.raises(ValueError, match="at most 1000 characters, not 1001"):
        acknowledge(storage, row["id"], office, "x" * 1001)
    done = acknowledge(storage, row["id"], office, " " + "x" * 1000 + " ")
    assert done["ack_comment"] == "x" * 1000
    admin = Principal(token_id=None, role="admin")
    with pytest.raises(AlreadyAcknowledged, match=r"by Head office \(office\); the first"):
        acknowledge(storage, row["id"], admin, "me too")
    assert json.loads(json.dumps(storage.alert(row["id"])["ack_comment"])) == "x" * 1000
