"""The digests' tables (migration 013): when each goes out, to whom, and what went.

A *scope* is a store id, or :data:`CHAIN` for the office's weekly digest.
The functions take a :class:`~sync.collector.db.connection.Connection`, so
:class:`~sync.collector.db.storage.Storage` wraps each in one transaction.

:func:`claim` is what keeps a digest from going out twice when several
collector processes run the chore at once: the row for (kind, scope, day,
address) is inserted before the mail is handed over, and only the process
whose insert took effect sends it.  A failed send may be claimed again
(:data:`MAX_ATTEMPTS` in all, :data:`RETRY_AFTER_S` apart), by one process,
through a conditional UPDATE.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sync.clock import format_utc
from sync.collector.db.connection import Connection

#: The scope of the chain's (the office's) weekly digest.
CHAIN = "*"
#: The local hour a digest goes out when its scope has no setting.
DEFAULT_HOUR = 7
MAX_ATTEMPTS = 3
RETRY_AFTER_S = 600


def check_hour(hour: int) -> int:
    """Raise ValueError unless ``hour`` is a local hour 0..23."""
    if not 0 <= hour <= 23:
        raise ValueError(f"a digest hour is 0-23 (local time), not {hour}")
    return hour


def hour(conn: Connection, scope: str) -> int:
    """The local hour the scope's digest goes out."""
    found = conn.scalar("SELECT hour FROM digest_settings WHERE scope = ?", (scope,))
    return DEFAULT_HOUR if found is None else int(found)


def set_hour(conn: Connection, scope: str, value: int) -> None:
    """Make the scope's digest go out at local hour ``value``."""
    conn.execute(
        "INSERT INTO digest_settings (scope, hour) VALUES (?, ?)"
        " ON CONFLICT (scope) DO UPDATE SET hour = excluded.hour",
        (scope, check_hour(value)),
    )


def recipients(conn: Connection, scope: str | None = None) -> list[dict]:
    """Recipients of one scope (or every scope): scope, address, lang; by scope, address."""
    sql = "SELECT scope, address, lang FROM digest_recipients"
    if scope is None:
        return conn.query(sql + " ORDER BY scope, address")
    return conn.query(sql + " WHERE scope = ? ORDER BY address", (scope,))


def add_recipient(conn: Connection, scope: str, address: str, lang: str, now: datetime) -> None:
    """Add (or change the language of) one recipient of the scope's digest."""
    conn.execute(
        "INSERT INTO digest_recipients (scope, address, lang, added_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (scope, address) DO UPDATE SET lang = excluded.lang",
        (scope, address, lang, format_utc(now)),
    )


def remove_recipient(conn: Connection, scope: str, address: str) -> int:
    """Remove one recipient; the number of rows removed (0 when it was not there)."""
    return conn.execute(
        "DELETE FROM digest_recipients WHERE scope = ? AND address = ?", (scope, address)
    )


def forget(conn: Connection, scope: str) -> None:
    """Drop a scope's settings and recipients (its store is being deleted)."""
    conn.execute("DELETE FROM digest_settings WHERE scope = ?", (scope,))
    conn.execute("DELETE FROM digest_recipients WHERE scope = ?", (scope,))


def claim(conn: Connection, kind: str, scope: str, day: str, address: str,
          now: datetime) -> bool:
    """Take the right to send one digest to one address; False when another has it.

    A new row, or a failed one whose last try is :data:`RETRY_AFTER_S` old and
    which has tries left: exactly one concurrent caller changes the row.
    """
    at = format_utc(now)
    taken = conn.execute(
        "INSERT INTO digests_sent (kind, scope, day, address, status, attempts, claimed_at)"
        " VALUES (?, ?, ?, ?, 'sending', 1, ?) ON CONFLICT DO NOTHING",
        (kind, scope, day, address, at),
    )
    if taken:
        return True
    return bool(conn.execute(
        "UPDATE digests_sent SET status = 'sending', attempts = attempts + 1, claimed_at = ?,"
        " error = NULL WHERE kind = ? AND scope = ? AND day = ? AND address = ?"
        " AND status = 'failed' AND attempts < ? AND claimed_at <= ?",
        (at, kind, scope, day, address, MAX_ATTEMPTS,
         format_utc(now - timedelta(seconds=RETRY_AFTER_S))),
    ))


def finish(conn: Connection, kind: str, scope: str, day: str, address: str,
           error: str | None) -> None:
    """Record how a claimed send ended: ``sent``, or ``failed`` with the reason."""
    conn.execute(
        "UPDATE digests_sent SET status = ?, error = ?"
        " WHERE kind = ? AND scope = ? AND day = ? AND address = ?",
        ("failed" if error else "sent", error, kind, scope, day, address),
    )


def sent(conn: Connection, scope: str | None = None) -> list[dict]:
    """What went out (or failed), newest day first: for the CLI and the tests."""
    sql = ("SELECT kind, scope, day, address, status, attempts, claimed_at, error"
           " FROM digests_sent")
    order = " ORDER BY day DESC, kind, scope, address"
    if scope is None:
        return conn.query(sql + order)
    return conn.query(sql + " WHERE scope = ?" + order, (scope,))
