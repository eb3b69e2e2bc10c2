"""The hourly and reason roll-ups equal a recount of the raw ratings.

``hymy-collector check`` recomputes the roll-ups with the same function ingest
uses, so it cannot notice that function miscounting.  These tests recount
independently: the store-local hour from :mod:`zoneinfo`, the reasons with a
``GROUP BY``, over stores a whole, a half and three quarters of an hour off UTC.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sync.collector import Storage
from sync.collector.db.rollups import ROW, LocalHours, running_totals, tally

STORES = {"s1": ("Europe/Helsinki", 5), "s2": ("Asia/Kolkata", 3), "s3": ("Asia/Kathmandu", 4)}
REASONS = (None, None, "queue", "staff", "prices")
FIRST = datetime(2026, 3, 27, tzinfo=UTC)  # Helsinki moves its clocks on the 29th


@pytest.fixture
def storage(chain_storage):
    return chain_storage({store_id: zone for store_id, (zone, _scale) in STORES.items()})


def ratings(rng: random.Random, store_id: str, count: int) -> list[tuple]:
    """``count`` rating rows in :data:`ROW` order over four days, at any minute."""
    zone, scale = STORES[store_id]
    rows = []
    for seq in range(1, count + 1):
        moment = FIRST + timedelta(minutes=rng.randrange(4 * 24 * 60))
        created = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        local_date = moment.astimezone(ZoneInfo(zone)).date().isoformat()
        rows.append((str(uuid.UUID(int=rng.getrandbits(128), version=4)), seq, store_id,
                     f"{store_id}-k", rng.randint(1, scale), scale, created, local_date,
                     "fi", rng.choice(REASONS), int(rng.random() < 0.2), 1, created, 0))
    return rows


def fill(storage: Storage) -> list[tuple]:
    rng = random.Random(13)
    every = []
    for store_id in STORES:
        rows = ratings(rng, store_id, 400)
        for cut in range(0, len(rows), 70):
            storage.bulk_insert(f"{store_id}-k", rows[cut:cut + 70])
        every += rows
    return every


def test_hourly_counts_are_the_store_local_hours_of_counted_taps(storage: Storage):
    every = fill(storage)
    for store_id, (zone, _scale) in STORES.items():
        expected = Counter()
        for row in every:
            if row[2] == store_id and not row[10]:
                hour = datetime.fromisoformat(row[6]).astimezone(ZoneInfo(zone)).hour
                expected[row[7], hour, row[5], row[4]] += 1
        counted = {(day, hour, scale, score): n for day, hour, scale, score, n
                   in storage.hourly_counts(store_id, "2026-01-01", "2026-12-31")}
        assert counted == dict(expected), store_id
        assert sum(counted.values()) == sum(1 for row in every
                                            if row[2] == store_id and not row[10])


def test_reason_counts_are_the_counted_taps_with_a_reason(storage: Storage):
    every = fill(storage)
    for store_id in STORES:
        expected = Counter((row[9], row[5], row[4]) for row in every
                           if row[2] == store_id and not row[10] and row[9] is not None)
        counted = {(reason, scale, score): n for reason, scale, score, n
                   in storage.reason_counts(store_id, "2026-01-01", "2026-12-31")}
        assert counted == dict(expected), store_id
        assert None not in {reason for reason, _scale, _score in counted}


def test_a_row_of_the_wrong_width_is_refused_not_miscounted():
    row = ("id-1", 1, "s1", "k1", 5, 5, "2026-03-27T10:00:00.000Z", "2026-03-27", "fi",
           None, 0, 1, "2026-03-27T10:00:00.000Z", 0, "csat", None)
    assert len(row) == len(ROW)
    hours = LocalHours(lambda store_id: ZoneInfo("UTC"))
    assert tally([row, row], hours).daily == Counter({("s1", "2026-03-27", "k1", 5, 5, 0): 2})
    with pytest.raises(ValueError, match="zip"):
        tally([row, row[:-1]], hours)


def test_local_hours_refuse_columns_of_different_lengths():
    hours = LocalHours(lambda store_id: ZoneInfo("Asia/Kathmandu"))
    assert hours.of(["s1", "s1"], ["2026-03-27T10:00:00.000Z", "2026-03-27T18:20:00.000Z"]) == [
        15, 0]
    with pytest.raises(ValueError, match="zip"):
        hours.of(["s1", "s1"], ["2026-03-27T10:00:00.000Z"])


def test_local_hours_forget_their_cache_when_it_is_full_and_stay_right():
    looked_up = []

    def zone_of(store_id: str) -> ZoneInfo:
        looked_up.append(store_id)
        return ZoneInfo("Asia/Kolkata")

    hours = LocalHours(zone_of, limit=10)
    first = [f"2026-03-27T10:{minute:02d}:00.000Z" for minute in range(5)]
    second = [f"2026-03-27T11:{minute:02d}:00.000Z" for minute in range(5)]
    third = [f"2026-03-27T12:{minute:02d}:00.000Z" for minute in range(5)]
    assert hours.of(["s2"] * 5, first) == [15] * 5  # 10:00 UTC is 15:30 in Kolkata
    assert hours.of(["s2"] * 5, second) == [16] * 5
    assert len(hours._cache) == 10  # exactly full: kept
    assert hours.of(["s2"] * 5, first) == [15] * 5  # all cached
    assert looked_up == ["s2"] * 3  # one zone lookup per store and call, not per tap
    assert hours.of(["s2"] * 5, third) == [17] * 5  # would be 15: starts again
    assert len(hours._cache) == 5
    assert hours.of(["s2"] * 5, second) == [16] * 5
    assert len(hours._cache) == 10


def test_local_hours_follow_a_store_whose_zone_changes():
    zones = {"s1": ZoneInfo("Europe/Helsinki")}
    hours = LocalHours(zones.__getitem__)
    taps = ["2026-03-27T10:00:00.000Z"]
    assert hours.of(["s1"], taps) == [12]
    zones["s1"] = ZoneInfo("America/New_York")
    assert hours.of(["s1"], taps) == [6]  # not the cached Helsinki hour


def test_running_totals_skip_a_day_without_taps_and_count_on():
    daily = Counter({
        ("s1", "2026-03-01", "k1", 5, 4, 0): 0,
        ("s1", "2026-03-02", "k1", 5, 5, 0): 2,
        ("s1", "2026-03-03", "k2", 5, 1, 1): 1,
        ("s1", "2026-03-03", "k1", 5, 5, 0): 1,
    })
    assert running_totals(daily) == Counter({
        ("s1", 5, "2026-03-02", "counted_5"): 2,
        ("s1", 5, "2026-03-03", "counted_5"): 3,
        ("s1", 5, "2026-03-03", "suppressed_1"): 1,
    })
