"""The dashboard's ratings download: every rating of a period by local date, none else.

``Storage.ratings_in_period`` narrows the search with the ``created_at``
index; these ratings sit at the edges of that window (UTC+14 and UTC-12
kiosks, ties on the same instant) so a window one day too narrow fails.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from sync.clock import format_utc, local_date, zone
from sync.collector import Storage

ZONES = {"kiri": "Pacific/Kiritimati", "baker": "Etc/GMT+12", "hki": "Europe/Helsinki"}


@pytest.fixture
def storage(chain_storage):
    return chain_storage(ZONES)


def test_period_holds_exactly_the_ratings_of_its_local_dates(storage: Storage):
    begin = datetime.fromisoformat("2026-05-01T00:00:00+00:00")
    for store_id, name in ZONES.items():
        rows = []
        for step in range(4 * 24):  # every hour for four days, three taps at the same instant
            at = begin + timedelta(hours=step)
            created = format_utc(at)
            for copy in range(3):
                seq = 3 * step + copy + 1
                rows.append((str(uuid.uuid4()), seq, store_id, f"{store_id}-k", 5, 5, created,
                             local_date(at, zone(name)), "fi", None, 0, 1, created, 0))
        storage.bulk_insert(f"{store_id}-k", rows)
    with storage.db.connection() as conn:
        everything = conn.rows("SELECT id, local_date FROM ratings")
    for start, end in (("2026-05-02", "2026-05-02"), ("2026-05-01", "2026-05-03"),
                       ("2026-04-30", "2026-05-01"), ("2026-05-04", "2026-05-06")):
        expected = sorted(rating_id for rating_id, day in everything if start <= day <= end)
        got, cursor = [], ("", 0)
        while page := storage.ratings_in_period(start, end, cursor, limit=7):
            cursor = (page[-1][7], page[-1][0])
            got += [row[1] for row in page]
        assert len(got) == len(set(got))
        assert sorted(got) == expected, (start, end)
        assert expected, (start, end)
