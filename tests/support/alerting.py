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
    tz = storage.zone(store_id)
    rows = []
    for seq, minutes in enumerate(minutes_ago, start=first_seq):
        at = now - timedelta(minutes=minutes)
        created = format_utc(at)
        rows.append((str(uuid.uuid4()), seq, store_id, kiosk_id, score, 5, created,
                     local_date(at, tz), "fi", None, 0, 1, created, 0))
    storage.bulk_insert(kiosk_id, rows)
