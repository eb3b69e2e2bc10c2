"""The chain's per-date counts (migration 014) equal a recount of the raw ratings.

The office page's chain trend reads ``chain_day_counts`` instead of every
store's daily rows; ingest keeps it, ``check`` recomputes it, and an older
database gets it filled from its daily counts when it upgrades.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

import pytest

from sync.collector import Storage
from sync.collector.reports import chain_daily_report, chain_summary_report

FIRST = date(2026, 5, 1)


@pytest.fixture
def storage(chain_storage):
    return chain_storage({"s1": "Europe/Helsinki", "s2": "Europe/Stockholm", "s3": "UTC"},
                         kiosks=("a", "b"))


def ratings(rng: random.Random, kiosk_id: str, count: int) -> list[tuple]:
    """``count`` ratings of one kiosk over ten days, in a shuffled order of days."""
    rows = []
    store_id = kiosk_id.rsplit("-", 1)[0]
    for seq in range(1, count + 1):
        day = FIRST + timedelta(days=rng.randrange(10))
        created = f"{day.isoformat()}T{rng.randrange(7, 21):02d}:15:00.000Z"
        scale = 3 if kiosk_id == "s2-b" else 5
        rows.append((str(uuid.UUID(int=rng.getrandbits(128), version=4)), seq, store_id,
                     kiosk_id, rng.randint(1, scale), scale, created, day.isoformat(), "fi",
                     None, int(rng.random() < 0.1), 1, created, 0))
    return rows


def fill(storage: Storage, seed: int) -> None:
    rng = random.Random(seed)
    for kiosk_id in ("s1-a", "s1-b", "s2-a", "s2-b", "s3-a"):
        rows = ratings(rng, kiosk_id, 120)
        for cut in range(0, len(rows), 25):  # several batches, each adding to the same dates
            storage.bulk_insert(kiosk_id, rows[cut:cut + 25])


def recount(storage: Storage, start: str, end: str) -> list[tuple]:
    with storage.db.connection() as conn:
        return [tuple(row) for row in conn.rows(
            "SELECT local_date, scale, score, suppressed, COUNT(*) FROM ratings"
            " WHERE local_date >= ? AND local_date <= ?"
            " GROUP BY local_date, scale, score, suppressed"
            " ORDER BY local_date, scale, score, suppressed", (start, end))]


def test_the_chain_days_are_every_stores_taps_on_each_date(storage: Storage):
    fill(storage, 1)
    assert sorted(storage.chain_day_counts("2026-05-01", "2026-05-10")) == recount(
        storage, "2026-05-01", "2026-05-10")
    assert sorted(storage.chain_day_counts("2026-05-03", "2026-05-04")) == recount(
        storage, "2026-05-03", "2026-05-04")
    trend = chain_daily_report(storage, "2026-04-30", "2026-05-10")
    assert trend[0] == {**trend[0], "date": "2026-04-30", "responses": 0}
    counted = sum(n for _d, _sc, _s, suppressed, n in recount(storage, "2026-05-01", "2026-05-10")
                  if not suppressed)
    assert sum(day["responses"] for day in trend) == counted
    whole = chain_summary_report(storage, "2026-05-02", "2026-05-06")
    week = recount(storage, "2026-05-02", "2026-05-06")
    assert (whole["responses"], whole["suppressed"]) == (
        sum(n for *_key, suppressed, n in week if not suppressed),
        sum(n for *_key, suppressed, n in week if suppressed))
    assert storage.check() == []


def test_an_older_database_gets_its_chain_days_when_it_upgrades(storage: Storage):
    fill(storage, 2)
    with storage.db.transaction(serialize=True) as conn:  # back to before migration 014
        conn.execute("DROP TABLE chain_day_counts")
        conn.execute("DELETE FROM schema_migrations WHERE name = ?", ("014_chain_days.sql",))
    assert storage.db.migrate() == ["014_chain_days.sql"]
    assert sorted(storage.chain_day_counts("2026-01-01", "2026-12-31")) == recount(
        storage, "2026-01-01", "2026-12-31")
    assert storage.check() == []


def test_check_names_a_wrong_chain_day_and_repair_fixes_it(storage: Storage):
    fill(storage, 3)
    with storage.db.transaction(serialize=True) as conn:
        conn.execute("UPDATE chain_day_counts SET n = n + 3 WHERE local_date = '2026-05-02'"
                     " AND scale = 5 AND score = 4 AND suppressed = 0")
    problems = storage.check()
    assert [line for line in problems if line.startswith("chain_day_counts ('2026-05-02'")]
    assert storage.check(repair=True) == problems
    assert storage.check() == []
    assert sorted(storage.chain_day_counts("2026-05-01", "2026-05-10")) == recount(
        storage, "2026-05-01", "2026-05-10")
