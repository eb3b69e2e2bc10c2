"""Running totals: a period's per-store counts from two lookups equal a recount.

The ranking and the chain summary read ``running_counts`` (see
migrations/*/003_running_counts.sql).  These tests feed ratings in a
shuffled order - late days after later ones, days that start mid-period -
and compare every period's counts with a ``GROUP BY`` over the raw ratings.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

import pytest

from sync.collector import Storage
from sync.collector.db.connection import migrations, split_sql
from sync.metrics import KIND_SCALES

STORES = {"s1": ("Europe/Helsinki", 5), "s2": ("Europe/Stockholm", 3), "s3": ("UTC", 5)}
FIRST = date(2026, 3, 1)

#: The migration that gave running_counts the scores of NPS and CES.
KINDS_MIGRATION = "017_question_kinds.sql"


@pytest.fixture
def storage(chain_storage):
    return chain_storage({store_id: zone for store_id, (zone, _scale) in STORES.items()},
                         kiosks=("a", "b"))


def random_rows(rng: random.Random, count: int, kinds: bool = True) -> dict[str, list[tuple]]:
    """``count`` ratings per kiosk over 20 days (scale changes once in s3), by kiosk;
    with ``kinds``, s1 asks NPS (0-10) every third day and s2 CES (1-7) every fourth."""
    by_kiosk: dict[str, list[tuple]] = {}
    for store_id, (_zone, scale) in STORES.items():
        for kiosk_id in (f"{store_id}-a", f"{store_id}-b"):
            rows = []
            for seq in range(1, count + 1):
                day = FIRST + timedelta(days=rng.randrange(20))
                face_scale = 3 if store_id == "s3" and day.day > 15 else scale
                if kinds and store_id == "s1" and day.day % 3 == 0:
                    face_scale = 11
                if kinds and store_id == "s2" and day.day % 4 == 0:
                    face_scale = 7
                low = 0 if face_scale == 11 else 1
                created = f"{day.isoformat()}T{rng.randrange(6, 20):02d}:00:00.000Z"
                rows.append((str(uuid.UUID(int=rng.getrandbits(128), version=4)), seq,
                             store_id, kiosk_id, rng.randint(low, low + face_scale - 1), face_scale,
                             created, day.isoformat(), "fi", None,
                             int(rng.random() < 0.1), 1, created, 0))
            by_kiosk[kiosk_id] = rows
    return by_kiosk


def recount(storage: Storage, start: str, end: str) -> list[tuple]:
    with storage.db.connection() as conn:
        return sorted(conn.rows(
            "SELECT store_id, scale, score, suppressed, COUNT(*) FROM ratings"
            " WHERE local_date >= ? AND local_date <= ?"
            " GROUP BY store_id, scale, score, suppressed", (start, end)))


def periods(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Random periods, some reaching before the first day or after the last."""
    out = [("2026-01-01", "2026-12-31"), ("2026-03-05", "2026-03-05"), ("2026-04-01", "2026-04-30")]
    for _ in range(count):
        a = FIRST + timedelta(days=rng.randrange(-3, 23))
        out.append((a.isoformat(), (a + timedelta(days=rng.randrange(0, 12))).isoformat()))
    return out


def test_period_counts_equal_a_recount_whatever_order_days_arrive_in(storage: Storage):
    rng = random.Random(6)
    by_kiosk = random_rows(rng, 150)
    # Batches of 1-40 ratings per kiosk, kiosks interleaved and each kiosk's
    # batches shuffled: late days land after later ones, as after an outage.
    batches = []
    for kiosk_id, rows in by_kiosk.items():
        rows = sorted(rows, key=lambda row: row[7])
        cut = 0
        while cut < len(rows):
            size = rng.randint(1, 40)
            batches.append((kiosk_id, rows[cut:cut + size]))
            cut += size
    rng.shuffle(batches)
    for done, (kiosk_id, rows) in enumerate(batches, start=1):
        storage.bulk_insert(kiosk_id, rows)
        if done % 10 == 0:
            start, end = periods(rng, 1)[-1]
            assert sorted(storage.period_counts(start, end)) == recount(storage, start, end)
    for start, end in periods(rng, 40):
        assert sorted(storage.period_counts(start, end)) == recount(storage, start, end), (
            start, end)
    assert storage.check() == []


def test_ranking_over_a_period_uses_only_that_period(storage: Storage):
    from sync.collector.reports import ranking_report

    rows = random_rows(random.Random(2), 60)
    for kiosk_id, kiosk_rows in rows.items():
        storage.bulk_insert(kiosk_id, kiosk_rows)
    start, end = "2026-03-08", "2026-03-12"
    for kind, scales in KIND_SCALES.items():
        counted = {store: 0 for store in STORES}
        for store, scale, _score, suppressed, n in recount(storage, start, end):
            counted[store] += 0 if suppressed or scale not in scales else n
        ranking = ranking_report(storage, start, end, min_responses=1, kind=kind)
        assert {entry["store_id"]: entry["responses"] for entry in ranking} == counted, kind
        assert all(entry["rank"] for entry in ranking if entry["responses"]), kind
        assert any(counted.values()), kind  # the period holds taps of every kind


def test_upgrading_a_database_fills_the_running_totals_from_the_daily_counts(
    storage: Storage,
):
    rows = random_rows(random.Random(3), 80, kinds=False)  # 003 knew CSAT only
    for kiosk_id, kiosk_rows in rows.items():
        storage.bulk_insert(kiosk_id, kiosk_rows)
    # Put the database back to how version 002 left it, then migrate again.
    with storage.db.transaction(serialize=True) as conn:
        conn.execute("DROP TABLE running_counts")
        conn.execute("DROP TABLE running_keys")
        conn.execute("DELETE FROM schema_migrations WHERE name = ?",
                     ("003_running_counts.sql",))
    assert storage.db.migrate() == ["003_running_counts.sql"]
    # 017 gave running_counts the columns of scores 0 and 6-10 (NPS, CES): again.
    with storage.db.transaction(serialize=True) as conn:
        for statement in split_sql(dict(migrations(storage.db.backend))[KINDS_MIGRATION]):
            if "ALTER TABLE running_counts" in statement:
                conn.execute(statement)
    assert storage.check() == []
    for start, end in periods(random.Random(4), 10):
        assert sorted(storage.period_counts(start, end)) == recount(storage, start, end)


def test_check_names_a_wrong_running_total_and_repair_fixes_it(storage: Storage):
    rows = random_rows(random.Random(5), 30)
    for kiosk_id, kiosk_rows in rows.items():
        storage.bulk_insert(kiosk_id, kiosk_rows)
    with storage.db.transaction(serialize=True) as conn:
        conn.execute("UPDATE running_counts SET counted_2 = counted_2 + 1 WHERE store_id = 's2'"
                     " AND local_date = (SELECT MIN(local_date) FROM running_counts"
                     " WHERE store_id = 's2')")
        conn.execute("DELETE FROM running_keys WHERE store_id = 's1'")
    problems = storage.check()
    assert any(line.startswith("running_counts ('s2'") for line in problems)
    assert any(line.startswith("running_keys ('s1'") for line in problems)
    assert storage.check(repair=True) == problems
    assert storage.check() == []
    assert sorted(storage.period_counts("2026-03-01", "2026-03-31")) == recount(
        storage, "2026-03-01", "2026-03-31")
