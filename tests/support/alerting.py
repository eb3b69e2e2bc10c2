"""Planting taps that the alert rules notice, for the alert log's tests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sync.clock import format_utc, local_date
from sync.collector import Storage


def plant_taps(storage: Storage, store_id: str, kiosk_id: str, now: datetime,
               minutes_ago: Sequence[float] = (10, 8, 6, 2), score: int = 1,
               first_seq: int = 1) -> None:
    """Counted 5-face taps of ``score`` (1: unhappy) at ``now`` minus each of ``minutes_ago``:
    by default four unhappy taps within 15 minutes, an unhappy burst."""
    insert_taps(storage, store_id, kiosk_id,
                [(now - timedelta(minutes=minutes), score) for minutes in minutes_ago], first_seq)


def insert_taps(storage: Storage, store_id: str, kiosk_id: str,
                taps: Sequence[tuple[datetime, int]], first_seq: int = 1) -> None:
    """Counted 5-face taps ``(instant, score)`` of one kiosk, sequence numbers from
    ``first_seq``, through the collector's own insert (so the roll-ups follow)."""
    tz = storage.zone(store_id)
    rows = []
    for seq, (at, score) in enumerate(taps, start=first_seq):
        created = format_utc(at)
        rows.append((str(uuid.uuid4()), seq, store_id, kiosk_id, score, 5, created,
                     local_date(at, tz), "fi", None, 0, 1, created, 0))
    storage.bulk_insert(kiosk_id, rows)
