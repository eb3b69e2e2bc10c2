"""The SQL of delivery: channels, subscriptions and the outbox (migration 012).

Functions take a :class:`~sync.collector.db.connection.Connection`, so a caller
can queue a delivery in the same transaction as the event it tells of (an
alert opened, a digest made).  :mod:`sync.collector.notify.outbox` decides
what is sent when; this module only reads and writes rows.

Never doubled: ``(key, channel_id)`` is unique, so :func:`enqueue` twice
queues once (``ON CONFLICT DO NOTHING`` on both backends), and :func:`claim`
takes a due row with a conditional UPDATE that only one process can win
while the row's lease runs.
"""

from __future__ import annotations

from typing import Any

from sync.collector.db.connection import Connection

#: What a delivery row is, as the page and the CLI show it.
DELIVERY_COLUMNS = (
    "d.id, d.key, d.channel_id, d.event, d.store_id, d.created_at, d.due_at, d.attempts,"
    " d.lease_until, d.sent_at, d.failed_at, d.last_error, c.owner, c.kind, c.target"
)
CHANNEL_COLUMNS = "id, owner, kind, target, created_at, disabled_at"


def add_channel(conn: Connection, owner: str, kind: str, target: str, secret: str | None,
                now: str) -> int:
    """Insert a channel; its id."""
    conn.execute(
        "INSERT INTO channels (owner, kind, target, secret, created_at) VALUES (?, ?, ?, ?, ?)",
        (owner, kind, target, secret, now),
    )
    return int(conn.scalar("SELECT MAX(id) FROM channels WHERE owner = ? AND target = ?",
                           (owner, target)))


def channels(conn: Connection, live_only: bool = False) -> list[dict[str, Any]]:
    """Every channel (never its secret), with its subscriptions as ``event:store`` texts."""
    where = " WHERE disabled_at IS NULL" if live_only else ""
    found = conn.query(f"SELECT {CHANNEL_COLUMNS} FROM channels{where} ORDER BY id")
    subs: dict[int, list[str]] = {}
    for row in conn.query("SELECT channel_id, event, store_id FROM subscriptions"
                          " ORDER BY channel_id, event, store_id"):
        subs.setdefault(row["channel_id"], []).append(f"{row['event']}:{row['store_id'] or '*'}")
    return [{**row, "subscriptions": subs.get(row["id"], [])} for row in found]


def channel(conn: Connection, channel_id: int) -> dict[str, Any] | None:
    """One channel with its secret (for sending), or None."""
    return conn.query_one(f"SELECT {CHANNEL_COLUMNS}, secret FROM channels WHERE id = ?",
                          (channel_id,))


def disable_channel(conn: Connection, channel_id: int, now: str) -> int:
    """Mark a channel disabled (its queued rows are then given up); rows changed."""
    return conn.execute(
        "UPDATE channels SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ?",
        (now, channel_id),
    )


def subscribe(conn: Connection, channel_id: int, event: str, store_id: str | None,
              now: str) -> bool:
    """Add a subscription; False when the channel had it already."""
    return bool(conn.execute(
        "INSERT INTO subscriptions (channel_id, event, store_id, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (channel_id, event, COALESCE(store_id, '')) DO NOTHING",
        (channel_id, event, store_id, now),
    ))


def unsubscribe(conn: Connection, channel_id: int, event: str, store_id: str | None) -> int:
    """Drop a subscription; rows removed."""
    return conn.execute(
        "DELETE FROM subscriptions WHERE channel_id = ? AND event = ?"
        " AND COALESCE(store_id, '') = ?",
        (channel_id, event, store_id or ""),
    )


def subscribed(conn: Connection, event: str, store_id: str | None) -> list[dict[str, Any]]:
    """Live channels subscribed to ``event`` for ``store_id`` (or for every store)."""
    return conn.query(
        "SELECT DISTINCT c.id, c.kind, c.target FROM channels c"
        " JOIN subscriptions s ON s.channel_id = c.id"
        " WHERE c.disabled_at IS NULL AND s.event = ?"
        " AND (s.store_id IS NULL OR s.store_id = ?) ORDER BY c.id",
        (event, store_id or ""),
    )


def enqueue(conn: Connection, key: str, channel_id: int, event: str, store_id: str | None,
            payload: str, now: str) -> bool:
    """Queue one delivery, due now; False when ``(key, channel_id)`` was queued before."""
    return bool(conn.execute(
        "INSERT INTO deliveries (key, channel_id, event, store_id, payload, created_at, due_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key, channel_id) DO NOTHING",
        (key, channel_id, event, store_id, payload, now, now),
    ))


def due(conn: Connection, now: str, limit: int) -> list[int]:
    """Ids of rows waiting to be sent whose time has come and whose lease (if any) ran out."""
    return [row[0] for row in conn.rows(
        "SELECT id FROM deliveries WHERE sent_at IS NULL AND failed_at IS NULL AND due_at <= ?"
        " AND (lease_until IS NULL OR lease_until < ?) ORDER BY due_at, id LIMIT ?",
        (now, now, limit),
    )]


def claim(conn: Connection, delivery_id: int, now: str, lease_until: str) -> bool:
    """Take one due row for this sender until ``lease_until``; False when another took it.

    One conditional UPDATE: both backends let exactly one of several racing
    statements see the row still unleased (PostgreSQL re-checks the WHERE
    after waiting for the winner's row lock; SQLite runs writers one at a time).
    The attempt is counted here, so a sender that dies mid-send still used one.
    """
    return conn.execute(
        "UPDATE deliveries SET lease_until = ?, attempts = attempts + 1"
        " WHERE id = ? AND sent_at IS NULL AND failed_at IS NULL AND due_at <= ?"
        " AND (lease_until IS NULL OR lease_until < ?)",
        (lease_until, delivery_id, now, now),
    ) == 1


def claimed(conn: Connection, delivery_id: int) -> dict[str, Any]:
    """A claimed row with its channel (kind, target, secret, disabled_at) for sending."""
    row = conn.query_one(
        "SELECT d.id, d.key, d.event, d.store_id, d.payload, d.created_at, d.attempts,"
        " c.id AS channel_id, c.kind, c.target, c.secret, c.disabled_at"
        " FROM deliveries d JOIN channels c ON c.id = d.channel_id WHERE d.id = ?",
        (delivery_id,),
    )
    assert row is not None, delivery_id
    return row


def mark_sent(conn: Connection, delivery_id: int, now: str) -> None:
    """The receiver took it: done for good."""
    conn.execute("UPDATE deliveries SET sent_at = ?, lease_until = NULL, last_error = NULL"
                 " WHERE id = ?", (now, delivery_id))


def mark_retry(conn: Connection, delivery_id: int, error: str, due_at: str) -> None:
    """Not taken: keep the row queued, with why, until ``due_at``."""
    conn.execute("UPDATE deliveries SET last_error = ?, due_at = ?, lease_until = NULL"
                 " WHERE id = ?", (error, due_at, delivery_id))


def mark_failed(conn: Connection, delivery_id: int, error: str, now: str) -> None:
    """Given up (too old, or its channel removed): kept with its last error."""
    conn.execute("UPDATE deliveries SET last_error = ?, failed_at = ?, lease_until = NULL"
                 " WHERE id = ?", (error, now, delivery_id))


def recent(conn: Connection, limit: int = 100,
           queued: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    """The newest deliveries with their channel, newest first; with ``queued``
    (``[since, until)``, UTC instants) only those queued in that time."""
    where, params = ("", [limit]) if queued is None else (
        " WHERE d.created_at >= ? AND d.created_at < ?", [*queued, limit])
    return conn.query(
        f"SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN channels c ON c.id = d.channel_id"
        f"{where} ORDER BY d.id DESC LIMIT ?",
        params,
    )
