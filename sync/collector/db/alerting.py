"""A store's own alerting: opening hours an admin set, and per-store thresholds.

Migration 010 (``store_alerting``) keeps one row per store that has any; a
NULL column means "as the chain" (021 added ``rate_alpha``).  The rules
themselves, and the parsing and checking of these values, live in
:mod:`sync.collector.alerts`; this module only reads and writes the row
(functions taking a connection, like ``stays.py``).  The row goes with its
store (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.collector.db.connection import Connection

#: The columns a caller may set, besides ``store_id`` and ``updated_at``.
COLUMNS = ("opening_hours", "silent_hours", "funnel_sigmas", "funnel_min_responses",
           "burst_share", "burst_min_responses", "rate_alpha")
EMPTY: dict[str, Any] = dict.fromkeys(COLUMNS)


def read(conn: Connection, store_id: str) -> dict[str, Any]:
    """One store's settings; every column None when it has no row."""
    found = read_all(conn, store_id)
    return found.get(store_id, dict(EMPTY))


def read_all(conn: Connection, only: str | None = None) -> dict[str, dict[str, Any]]:
    """Every store's row (or just ``only``'s) by store id; stores without one are absent."""
    sql = f"SELECT store_id, {', '.join(COLUMNS)} FROM store_alerting"
    params: tuple[str, ...] = ()
    if only is not None:
        sql += " WHERE store_id = ?"
        params = (only,)
    return {row[0]: dict(zip(COLUMNS, row[1:], strict=True)) for row in conn.rows(sql, params)}


def write(conn: Connection, store_id: str, values: Mapping[str, Any], now: str) -> None:
    """Set the given columns (None clears one) of a store's row, making the row if needed."""
    conn.execute(
        "INSERT INTO store_alerting (store_id, updated_at) VALUES (?, ?)"
        " ON CONFLICT (store_id) DO NOTHING",
        (store_id, now),
    )
    for column in COLUMNS:
        if column in values:
            conn.execute(f"UPDATE store_alerting SET {column} = ?, updated_at = ?"
                         " WHERE store_id = ?", (values[column], now, store_id))
