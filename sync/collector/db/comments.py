"""The comments table (migration 018): shoppers' comments, tied to a kiosk's rating.

The functions take a :class:`~sync.collector.db.connection.Connection`, so
:class:`~sync.collector.db.storage.Storage` wraps each in one transaction.
A comment is keyed by (kiosk, rating id): :func:`add` inserts it once, which
is what makes a link single use, even with two posts at the same moment.
Its rating may arrive later (the kiosk may be offline), so reads join
``ratings`` on the id and show the face once it is there.
"""

from __future__ import annotations

from typing import Any

from sync.collector.db.connection import Connection

#: The columns of a comments export, in order (docs/export.md).
EXPORT_COLUMNS = ("id", "store_id", "kiosk_id", "rating_id", "created_at", "lang", "flagged",
                  "body", "score", "scale", "rating_created_at")
_JOINED = (
    "SELECT c.id, c.store_id, c.kiosk_id, c.rating_id, c.created_at, c.lang, c.flagged,"
    " c.body, r.score, r.scale, r.created_at AS rating_created_at"
    " FROM comments c LEFT JOIN ratings r ON r.id = c.rating_id AND r.kiosk_id = c.kiosk_id"
)


def kiosk_keys(conn: Connection, kiosk_id: str) -> tuple[str | None, list[str]]:
    """A kiosk's store and the hashes of its live (unrevoked) tokens, which the comment
    links' keys are derived from; ``(None, [])`` for a kiosk that is not there or retired."""
    row = conn.query_one(
        "SELECT k.store_id FROM kiosks k JOIN stores s ON s.id = k.store_id"
        " WHERE k.id = ? AND k.retired_at IS NULL AND s.retired_at IS NULL", (kiosk_id,))
    if row is None:
        return None, []
    hashes = [r[0] for r in conn.rows(
        "SELECT hash FROM tokens WHERE kiosk_id = ? AND role = 'kiosk' AND revoked_at IS NULL",
        (kiosk_id,))]
    return row["store_id"], hashes


def taken(conn: Connection, kiosk_id: str, rating_id: str) -> bool:
    """True when this rating already has its comment."""
    return conn.scalar("SELECT 1 FROM comments WHERE kiosk_id = ? AND rating_id = ?",
                       (kiosk_id, rating_id)) is not None


def add(conn: Connection, row: dict[str, Any]) -> bool:
    """Store one comment (already masked); False when the rating has one already."""
    return bool(conn.execute(
        "INSERT INTO comments (kiosk_id, rating_id, store_id, body, lang, flagged, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (row["kiosk_id"], row["rating_id"], row["store_id"], row["body"], row["lang"],
         int(row["flagged"]), row["created_at"]),
    ))


def recent(conn: Connection, store_id: str, since: str, limit: int) -> list[dict[str, Any]]:
    """A store's comments made at or after ``since``, newest first, with their rating's
    score and scale when it has arrived (None before)."""
    return conn.query(_JOINED + " WHERE c.store_id = ? AND c.created_at >= ?"
                      " ORDER BY c.created_at DESC, c.id DESC LIMIT ?", (store_id, since, limit))


def between(conn: Connection, store_id: str, start: str, end: str,
            limit: int) -> list[dict[str, Any]]:
    """A store's comments made in ``[start, end)`` (UTC text), oldest first."""
    return conn.query(_JOINED + " WHERE c.store_id = ? AND c.created_at >= ? AND c.created_at < ?"
                      " ORDER BY c.created_at, c.id LIMIT ?", (store_id, start, end, limit))


def export(conn: Connection, after: int, limit: int) -> list[tuple]:
    """Up to ``limit`` comments with ``id > after``, in :data:`EXPORT_COLUMNS` order."""
    return conn.rows(_JOINED + " WHERE c.id > ? ORDER BY c.id LIMIT ?", (after, limit))


def delete_before(conn: Connection, before: str) -> int:
    """Delete comments made before ``before`` (UTC text); how many went."""
    return conn.execute("DELETE FROM comments WHERE created_at < ?", (before,))
