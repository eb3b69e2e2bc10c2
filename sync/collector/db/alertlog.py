"""The alert log's SQL: open, refresh, close, acknowledge and list stored alerts.

Functions take a :class:`~sync.collector.db.connection.Connection` (as
:mod:`~sync.collector.db.stays` and :mod:`~sync.collector.db.bi` do), so the
evaluator (:mod:`sync.collector.alertlog`) can group its writes in one short
transaction and :class:`~sync.collector.db.storage.Storage` only adds thin
methods.  A row comes out as a dict with ``data`` decoded from its JSON.

Two evaluators running at once stay harmless: the partial unique index
``alerts_one_open`` lets only one INSERT of an open (kind, store, kiosk) win,
and closing or acknowledging is a conditional UPDATE that changes a row once.
"""

from __future__ import annotations

import json
from typing import Any

from sync.collector.db.connection import Connection

#: An alert's columns and its store's name.
_SELECT = ("SELECT a.id, a.kind, a.store_id, a.kiosk_id, a.severity, a.state, a.opened_at,"
           " a.closed_at, a.data, a.acknowledged_by, a.acknowledged_at, a.ack_comment,"
           " s.name AS store_name FROM alerts a JOIN stores s ON s.id = a.store_id")


def decoded(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row with its ``data`` JSON as a dict."""
    return {**row, "data": json.loads(row["data"])}


def claim_turn(conn: Connection, now: str, due_before: str) -> bool:
    """Take this turn of the evaluator: True when no process evaluated since ``due_before``."""
    return conn.execute(
        "UPDATE alert_runs SET evaluated_at = ? WHERE name = 'alerts' AND evaluated_at < ?",
        (now, due_before),
    ) == 1


def open_alerts(conn: Connection) -> list[dict[str, Any]]:
    """Every alert not closed yet (open or acknowledged)."""
    return [decoded(row) for row in conn.query(
        _SELECT + " WHERE a.closed_at IS NULL ORDER BY a.id")]


def insert_open(conn: Connection, key: tuple[str, str, str | None], severity: int,
                data: str, now: str) -> dict[str, Any] | None:
    """Open an alert for ``key`` = (kind, store, kiosk); None when one is open already."""
    kind, store_id, kiosk_id = key
    added = conn.execute(
        "INSERT INTO alerts (kind, store_id, kiosk_id, severity, state, opened_at, data)"
        " VALUES (?, ?, ?, ?, 'open', ?, ?) ON CONFLICT DO NOTHING",
        (kind, store_id, kiosk_id, severity, now, data),
    )
    if added != 1:
        return None
    row = conn.query_one(
        _SELECT + " WHERE a.kind = ? AND a.store_id = ? AND COALESCE(a.kiosk_id, '') = ?"
        " AND a.closed_at IS NULL", (kind, store_id, kiosk_id or ""))
    return decoded(row) if row else None


def refresh(conn: Connection, alert_id: int, severity: int, data: str) -> None:
    """Keep an open alert's numbers (and severity) those of the latest evaluation."""
    conn.execute("UPDATE alerts SET severity = ?, data = ? WHERE id = ? AND closed_at IS NULL",
                 (severity, data, alert_id))


def close(conn: Connection, alert_id: int, now: str) -> bool:
    """Close an alert whose condition cleared; False when it was closed already."""
    return conn.execute(
        "UPDATE alerts SET closed_at = ?, state = 'closed' WHERE id = ? AND closed_at IS NULL",
        (now, alert_id),
    ) == 1


def acknowledge(conn: Connection, alert_id: int, by: str, comment: str, now: str) -> bool:
    """Record who acknowledged an alert, when and why; False when someone already did.

    A closed alert may still be acknowledged (the person read about it late):
    it keeps its state ``closed``.
    """
    return conn.execute(
        "UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ?, ack_comment = ?,"
        " state = CASE WHEN closed_at IS NULL THEN 'acknowledged' ELSE state END"
        " WHERE id = ? AND acknowledged_at IS NULL",
        (by, now, comment, alert_id),
    ) == 1


def alert(conn: Connection, alert_id: int) -> dict[str, Any] | None:
    """One alert by id, or None."""
    row = conn.query_one(_SELECT + " WHERE a.id = ?", (alert_id,))
    return decoded(row) if row else None


def history(conn: Connection, since: str, until: str,
            store_id: str | tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Alerts open at any time in ``[since, until)`` (UTC instants), newest first."""
    sql = _SELECT + " WHERE a.opened_at < ? AND (a.closed_at IS NULL OR a.closed_at >= ?)"
    params: list[Any] = [until, since]
    if isinstance(store_id, str):
        sql += " AND a.store_id = ?"
        params.append(store_id)
    elif store_id:  # a person's stores
        sql += f" AND a.store_id IN ({', '.join('?' * len(store_id))})"
        params += list(store_id)
    return [decoded(row) for row in conn.query(sql + " ORDER BY a.opened_at DESC, a.id DESC",
                                               params)]


def principal_name(conn: Connection, token_id: int | None, role: str,
                   user_id: int | None = None) -> str:
    """Who acknowledges: a person's name (or e-mail) and role, e.g. ``Anna Virtanen (staff)``,
    or a token's label and role, e.g. ``Head office (office)``.  Stored as text, so it
    stays readable after the person or token is gone."""
    if user_id is not None:
        row = conn.query("SELECT name, email FROM users WHERE id = ?", (user_id,))
        if row:
            return f"{row[0]['name'] or row[0]['email']} ({role})"
    label = conn.scalar("SELECT label FROM tokens WHERE id = ?", (token_id,))
    return f"{label} ({role})" if label else f"{role} token {token_id}"
