"""The languages shoppers at a store answer in, as their ratings record them.

A kiosk offers the languages its own config names and never tells the
collector; the ``lang`` of each rating is the collector's evidence of them.
``survey set`` and ``PUT .../survey`` compare a new survey's texts with it
(:func:`sync.survey.language_warnings`).  Functions take a connection, like
``stays.py``; :class:`~sync.collector.db.storage.Storage` wraps them.
"""

from __future__ import annotations

from sync.collector.db.connection import Connection

#: How far back a store's ratings count: long enough for a language a few shoppers
#: choose, short enough that a language a store stopped offering drops out.
RECENT_DAYS = 90


def answered_in(conn: Connection, store_id: str, since: str) -> list[str]:
    """The languages of the store's ratings made since ``since`` (UTC text), sorted.

    ``created_at`` first, so the scan is a range of its index (ratings have none
    on ``store_id``: each index costs every insert)."""
    return [lang for (lang,) in conn.rows(
        "SELECT DISTINCT lang FROM ratings WHERE created_at >= ? AND store_id = ?"
        " ORDER BY lang", (since, store_id))]
