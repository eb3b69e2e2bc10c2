"""The evaluator reads the whole chain at once (a few queries at 2 000 stores) and must
raise exactly the silent-kiosk alerts that reading one store at a time raised.

A mixed chain: stores whose opening hours are inferred from four weeks of
taps (every day 9-20, or weekdays 10-18), one with hours set, one with no
history, a retired store; kiosks heard from a minute, five hours and twenty
days ago, never, and a retired one.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sync.clock import format_utc, local_date
from sync.collector import alerts, reports

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday: 12:00 in Helsinki, 11:00 in Stockholm
STORES = {"hki": "Europe/Helsinki", "sto": "Europe/Stockholm", "set": "Europe/Helsinki",
          "nyc": "America/New_York", "old": "Europe/Helsinki", "two": "Europe/Helsinki"}
#: Hours ago each kiosk was last heard from (None: never).
SEEN = {"a": 1 / 60, "b": 5.0, "c": 24 * 20.0, "d": 24 * 20.0, "e": None}


def plant_history(storage, store_id: str, hours: range, weekdays: range,
                  days_ago: range = range(1, 29), first_seq: int = 1) -> None:
    """A tap an hour in ``hours`` (store-local) on ``weekdays`` of the four weeks before
    today, from kiosk ``<store>-a``: the history opening hours are inferred from."""
    tz = storage.zone(store_id)
    rows = []
    for back in days_ago:
        day = (NOW.astimezone(tz) - timedelta(days=back)).date()
        if day.weekday() not in weekdays:
            continue
        for hour in hours:
            at = datetime(day.year, day.month, day.day, hour, 30, tzinfo=tz).astimezone(UTC)
            created = format_utc(at)
            rows.append((str(uuid.uuid4()), len(rows) + first_seq, store_id, f"{store_id}-a", 4, 5,
                         created, local_date(at, tz), "fi", None, 0, 1, created, 0))
    storage.bulk_insert(f"{store_id}-a", rows)


def mixed_chain(chain_storage):
    storage = chain_storage(STORES, kiosks=tuple(SEEN))
    plant_history(storage, "hki", range(9, 20), range(7))
    plant_history(storage, "sto", range(10, 18), range(5))
    plant_history(storage, "old", range(0, 24), range(7))
    plant_history(storage, "two", range(9, 20), range(7))
    # One Monday's early tap at 8:30 is no opening hour (two dates are needed).
    plant_history(storage, "two", range(8, 9), range(7), days_ago=range(7, 8), first_seq=500)
    storage.set_alerting("set", alerts.settled("mon-sun 0-24"))
    for store_id in STORES:
        for suffix, hours_ago in SEEN.items():
            if hours_ago is not None:
                storage.record_contact(f"{store_id}-{suffix}",
                                       format_utc(NOW - timedelta(hours=hours_ago)), 0.0, None)
        storage.retire_kiosk(f"{store_id}-d")
    storage.retire_store("old")
    for suffix in "cd":  # a store whose only quiet kiosk is five hours quiet
        storage.delete_kiosk(f"two-{suffix}")
    return storage


def silent_as_before(storage, rules: alerts.Rules) -> list[alerts.Alert]:
    """The silent-kiosk rule one store at a time, as the evaluator did before it batched:
    each store's hourly counts, kiosks and zone read on their own."""
    found = []
    own = storage.alerting_all()
    for store in storage.stores(active=True):
        mine = own.get(store["id"], {})
        store_rules = alerts.for_store(rules, mine)
        if mine.get("opening_hours"):
            opening = set(alerts.parse_opening_hours(mine["opening_hours"]))
        else:
            first = (NOW - timedelta(weeks=rules.open_weeks)).date().isoformat()
            last = (NOW - timedelta(days=1)).date().isoformat()
            opening = alerts.open_hours(storage.hourly_counts(store["id"], first, last),
                                        rules.open_min_days)
        found += alerts.silent_kiosks(store["id"], reports.kiosks_report(storage, store["id"],
                                                                        now=NOW),
                                      storage.zone(store["id"]), opening, store_rules, NOW)
    return found


def facts(found: list[alerts.Alert]) -> list[tuple]:
    return [(a.kind, a.store_id, a.data.get("kiosk_id"), a.severity, a.at, a.data)
            for a in found]


def test_the_chain_at_once_raises_the_silent_alerts_one_store_at_a_time_did(chain_storage):
    storage = mixed_chain(chain_storage)
    rules = alerts.Rules(rules=("silent",))
    found = alerts.chain_alerts(storage, "2026-03-02", "2026-03-02", rules, now=NOW)
    before = silent_as_before(storage, rules)
    assert facts(found) == facts(sorted(before, key=alerts._priority))
    # What an office sees: the kiosks quiet for more than two of their store's open hours.
    assert sorted((a.data["kiosk_id"], a.severity, round(a.data["hours"], 2)) for a in found) == [
        ("hki-b", 1, 3.0),  # quiet since 07:00; open from 9: 9-12
        ("hki-c", 2, 154.0),  # 14 days (the cap) of 11 open hours a day
        ("set-b", 1, 5.0),  # open round the clock
        ("set-c", 2, 336.0),
        ("sto-c", 2, 80.0),  # weekdays 10-18: 10 of the last 14 days
        ("two-b", 1, 3.0),
    ]
    # The daily digest asks one store at a time and gets the same answer.
    own = storage.alerting("hki")
    one = alerts.silent_alerts(storage, "hki", own, alerts.for_store(rules, own), NOW)
    assert facts(one) == facts([a for a in before if a.store_id == "hki"])
