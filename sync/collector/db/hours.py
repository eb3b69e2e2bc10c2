"""Which store-local hours each store got responses in: what the silent-kiosk rule infers a
store's opening hours from when an admin set none (:func:`sync.collector.alerts.open_slots`).

One statement for many stores, so the alert evaluator's turn costs a few
queries at 2 000 stores, not one per store.  It reads only the primary key of
``hourly_counts`` (store, local date, hour, ...): a roll-up row exists only
once a counted tap was added to it (its ``n`` is at least 1), so the key alone
says the hour had responses, and SQLite answers from the index without
touching the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sync.collector.db.connection import Connection

#: The rate rule's day types by weekday (Monday 0): 0 Monday-Thursday, 1 Friday and
#: Saturday (the week's crowded days), 2 Sunday (its own hours).
DAY_TYPES = (0, 0, 0, 0, 1, 1, 2)


def response_hours(conn: Connection, store_ids: Sequence[str], start: str, end: str
                   ) -> list[tuple[str, str, int]]:
    """``(store_id, local_date, hour)`` with counted responses of any kind, each once,
    for the stores given, from ``start`` to ``end`` (ISO dates, inclusive)."""
    if not store_ids:
        return []
    where, params = conn.any_of("store_id", store_ids)
    return conn.rows(
        "SELECT DISTINCT store_id, local_date, hour FROM hourly_counts"  # noqa: S608
        f" WHERE {where} AND local_date >= ? AND local_date <= ?",
        [*params, start, end],
    )


def usual_hours(conn: Connection, store_ids: Sequence[str], start: str, end: str,
                scales: Sequence[int]) -> list[tuple[str, int, int, int, int, int]]:
    """``(store_id, day_type, hour, unhappy, taps, days)``: the counted taps of ``scales`` per
    store and store-local (day type, hour) from ``start`` to ``end`` (ISO dates,
    inclusive), with ``days`` the dates of that type the store had such taps on at all.

    What the rate alert rule's usual rates per open day are made of
    (:func:`sync.collector.alerts.usual_rates`; day types as :data:`DAY_TYPES`).  The Fridays,
    Saturdays and Sundays of the range are passed as dates and groups are by position
    (PostgreSQL would not match two copies of a parametrised expression), so one
    statement serves both backends; a face is unhappy when ``2 * score <= scale``
    (:func:`sync.collector.alerts.is_unhappy`).
    """
    if not store_ids:
        return []
    where, params = conn.any_of("store_id", store_ids)
    first = date.fromisoformat(start)
    days = [first + timedelta(days=offset)
            for offset in range((date.fromisoformat(end) - first).days + 1)]
    sundays = [day.isoformat() for day in days if DAY_TYPES[day.weekday()] == 2] or [""]
    crowded = [day.isoformat() for day in days if DAY_TYPES[day.weekday()] == 1] or [""]
    day_type = (f"CASE WHEN local_date IN ({', '.join('?' * len(sundays))}) THEN 2"
                f" WHEN local_date IN ({', '.join('?' * len(crowded))}) THEN 1 ELSE 0 END")
    kinds = f"scale IN ({', '.join('?' * len(scales))})"
    filters = f"{where} AND local_date >= ? AND local_date <= ? AND {kinds}"
    args = [*params, start, end, *scales]
    return conn.rows(
        f"SELECT c.store_id, c.day_type, c.hour, c.unhappy, c.taps, d.days FROM"  # noqa: S608
        f" (SELECT store_id, {day_type} AS day_type, hour,"
        "   SUM(CASE WHEN 2 * score <= scale THEN n ELSE 0 END) AS unhappy, SUM(n) AS taps"
        f"  FROM hourly_counts WHERE {filters} GROUP BY 1, 2, 3) c"
        f" JOIN (SELECT store_id, {day_type} AS day_type, COUNT(DISTINCT local_date) AS days"
        f"  FROM hourly_counts WHERE {filters} GROUP BY 1, 2) d"
        " ON d.store_id = c.store_id AND d.day_type = c.day_type",
        [*sundays, *crowded, *args, *sundays, *crowded, *args],
    )
