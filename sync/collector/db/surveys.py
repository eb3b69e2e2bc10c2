"""Surveys per store and per touchpoint (migrations 001 and 020).

A store may have its own survey (``touchpoint`` NULL) and one for each of its
touchpoints (``kiosks.touchpoint``: checkout, service_desk, exit...).  A kiosk
is given the survey of its touchpoint when one is set, else its store's, else
none (version 0: its own config's question).  Versions are one sequence per
store, whatever the touchpoint, so ``(store_id, version)`` names one survey:
a rating's ``survey_version`` says which one it answered, and a kiosk's ETag
(version and digest) changes whenever the survey it is given does.

Rows are never deleted while the store lives (ratings name their versions):
``survey unset`` stamps ``unset_at`` on the touchpoint's latest row instead,
and a newer ``survey set`` supersedes it.  Functions take a connection, like
``regions.py``; :class:`~sync.collector.db.storage.Storage` wraps them.
"""

from __future__ import annotations

from sync.collector.db.connection import Connection
from sync.collector.db.regions import TOUCHPOINTS

#: ``(version, body)`` of a stored survey, body as JSON text.
Stored = tuple[int, str]


def current(conn: Connection, store_id: str, touchpoint: str | None) -> Stored | None:
    """The survey set for the store itself (None) or for one touchpoint, if any is."""
    where = "touchpoint IS NULL" if touchpoint is None else "touchpoint = ?"
    params = (store_id,) if touchpoint is None else (store_id, touchpoint)
    row = conn.query_one(
        f"SELECT version, body, unset_at FROM surveys WHERE store_id = ? AND {where}"  # noqa: S608
        " ORDER BY version DESC LIMIT 1",
        params,
    )
    if row is None or row["unset_at"] is not None:
        return None
    return row["version"], row["body"]


def resolved(conn: Connection, store_id: str, touchpoint: str | None) -> Stored | None:
    """What a kiosk at ``touchpoint`` is given: its touchpoint's survey, else the store's."""
    found = current(conn, store_id, touchpoint) if touchpoint is not None else None
    return found or current(conn, store_id, None)


def kiosk_touchpoint(conn: Connection, kiosk_id: str | None) -> str | None:
    """Where a kiosk stands (None: not named, or no such kiosk)."""
    if kiosk_id is None:
        return None
    return conn.scalar("SELECT touchpoint FROM kiosks WHERE id = ?", (kiosk_id,))


def insert(conn: Connection, store_id: str, touchpoint: str | None, body: str,
           now: str) -> int:
    """Store a new survey version for the store or one touchpoint; its version number."""
    version = 1 + (conn.scalar("SELECT MAX(version) FROM surveys WHERE store_id = ?",
                               (store_id,)) or 0)
    conn.execute(
        "INSERT INTO surveys (store_id, version, body, created_at, touchpoint)"
        " VALUES (?, ?, ?, ?, ?)",
        (store_id, version, body, now, touchpoint),
    )
    return version


def unset(conn: Connection, store_id: str, touchpoint: str, now: str) -> bool:
    """Stop giving a touchpoint its own survey; False when it had none."""
    found = current(conn, store_id, touchpoint)
    if found is None:
        return False
    conn.execute("UPDATE surveys SET unset_at = ? WHERE store_id = ? AND version = ?",
                 (now, store_id, found[0]))
    return True


def set_touchpoints(conn: Connection, store_id: str) -> list[str]:
    """The touchpoints of a store that have a survey of their own now, sorted."""
    names = conn.rows(
        "SELECT DISTINCT touchpoint FROM surveys WHERE store_id = ? AND touchpoint IS NOT NULL",
        (store_id,),
    )
    return sorted(name for (name,) in names if current(conn, store_id, name) is not None)


def known_touchpoints(conn: Connection, store_id: str) -> list[str]:
    """Touchpoints a survey may be set for: the named ones and those of the store's kiosks."""
    standing = conn.rows(
        "SELECT DISTINCT touchpoint FROM kiosks WHERE store_id = ? AND touchpoint IS NOT NULL",
        (store_id,),
    )
    return sorted({*TOUCHPOINTS, *(name for (name,) in standing)})
