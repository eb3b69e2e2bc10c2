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

from sync.collector.db.connection import Connection


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
