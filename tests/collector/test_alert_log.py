"""The alert log: rows the evaluator chore writes on planted taps, on both backends.

An unhappy burst opens one alert; evaluating again keeps it single (two
evaluators at once too); once the burst leaves the rule's window the alert is
closed, and a new burst opens a new one.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sync.collector import Database, Storage, alertlog
from sync.collector.settings import Settings
from tests.support.alerting import plant_taps

#: The lifecycle is tested on HappyOrNot's burst rule: a few unhappy taps open an alert.
BURSTS = Settings(alert_rules="burst,silent,baseline")

NOW = datetime.now(UTC).replace(microsecond=0)


def rows(storage: Storage) -> list[dict]:
    """Every stored alert, oldest first, as the table holds it."""
    return storage.db.query("SELECT id, kind, store_id, kiosk_id, state, opened_at, closed_at,"
                            " data FROM alerts ORDER BY id")


def test_a_burst_opens_one_alert_that_stays_single_and_closes_when_cleared(chain_storage):
    storage = chain_storage({"s1": "Europe/Helsinki", "s2": "Europe/Stockholm"})
    plant_taps(storage, "s1", "s1-k", NOW)
    opened = alertlog.evaluate(storage, BURSTS, NOW)
    assert [(a["kind"], a["store_id"], a["state"]) for a in opened] == [("burst", "s1", "open")]
    assert opened[0]["data"]["unhappy"] == 4 and opened[0]["data"]["responses"] == 4
    assert alertlog.evaluate(storage, BURSTS, NOW + timedelta(minutes=1)) == []
    stored = rows(storage)
    assert [(r["kind"], r["store_id"], r["kiosk_id"], r["state"], r["closed_at"])
            for r in stored] == [("burst", "s1", None, "open", None)]
    later = NOW + timedelta(hours=25)  # the burst has left the 24-hour window
    assert alertlog.evaluate(storage, BURSTS, later) == []
    closed = rows(storage)[0]
    assert closed["state"] == "closed" and closed["closed_at"] is not None
    assert closed["closed_at"] > closed["opened_at"]
    plant_taps(storage, "s1", "s1-k", later, first_seq=10)
    again = alertlog.evaluate(storage, BURSTS, later)
    assert len(again) == 1 and again[0]["id"] != closed["id"]
    assert [r["state"] for r in rows(storage)] == ["closed", "open"]


def test_an_open_alert_keeps_the_latest_numbers(chain_storage):
    storage = chain_storage({"s1": "Europe/Helsinki"})
    plant_taps(storage, "s1", "s1-k", NOW)
    alertlog.evaluate(storage, BURSTS, NOW)
    plant_taps(storage, "s1", "s1-k", NOW, minutes_ago=(1, 0.5), first_seq=10)
    assert alertlog.evaluate(storage, BURSTS, NOW) == []
    [row] = storage.open_alerts()
    assert row["data"]["responses"] == 6 and row["data"]["unhappy"] == 6


def test_two_evaluators_at_once_open_the_alert_once(chain_storage, collector_database):
    storage = chain_storage({"s1": "Europe/Helsinki"})
    plant_taps(storage, "s1", "s1-k", NOW)
    others = [Storage(Database(collector_database)) for _ in range(3)]
    opened: list[list[dict]] = []
    start = threading.Barrier(len(others))

    def evaluate(mine: Storage) -> None:
        start.wait()
        opened.append(alertlog.evaluate(mine, BURSTS, NOW))

    threads = [threading.Thread(target=evaluate, args=(s,)) for s in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for other in others:
        other.db.close()
    assert sum(len(found) for found in opened) == 1
    assert len(rows(storage)) == 1


def test_the_chore_evaluates_once_per_turn_between_processes(chain_storage):
    storage = chain_storage({"s1": "Europe/Helsinki", "s2": "Europe/Helsinki"})
    now = datetime.now(UTC)
    plant_taps(storage, "s1", "s1-k", now)
    assert len(alertlog.run(storage, BURSTS)) == 1  # this process took the turn
    plant_taps(storage, "s2", "s2-k", now)
    assert alertlog.run(storage, BURSTS) == []  # the turn is taken: nothing evaluated
    assert [r["store_id"] for r in rows(storage)] == ["s1"]
    assert [a["store_id"] for a in alertlog.evaluate(storage, BURSTS)] == ["s2"]


def test_the_database_refuses_a_second_open_alert_for_the_same_kiosk(chain_storage):
    from sync.collector.db import alertlog as sql

    storage = chain_storage({"s1": "Europe/Helsinki"})
    with storage.db.transaction(serialize=True) as conn:
        first = sql.insert_open(conn, ("silent", "s1", "s1-k"), 1, "{}", "2026-01-01T00:00:00Z")
        assert sql.insert_open(conn, ("silent", "s1", "s1-k"), 2, "{}", "2026-01-01T00:01:00Z") \
            is None
        assert sql.insert_open(conn, ("silent", "s1", None), 1, "{}", "2026-01-01T00:00:00Z")
        assert sql.insert_open(conn, ("silent", "s1", None), 1, "{}", "2026-01-01T00:00:00Z") \
            is None
        assert first is not None and sql.close(conn, first["id"], "2026-01-01T00:02:00Z")
        assert sql.insert_open(conn, ("silent", "s1", "s1-k"), 1, "{}", "2026-01-01T00:03:00Z")
    assert [r["state"] for r in rows(storage)] == ["closed", "open", "open"]
