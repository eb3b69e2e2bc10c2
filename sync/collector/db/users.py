"""The SQL of personal accounts (migration 011): users, their stores, one-time links.

Functions take an open :class:`~sync.collector.db.Connection` (inside the
caller's transaction); :class:`~sync.collector.db.storage.Storage` wraps them
in thin methods.  The rules (what an e-mail or a password must be) are in
:mod:`sync.collector.people`.
"""

from __future__ import annotations

from typing import Any

from sync.collector.db import userregions
from sync.collector.db.connection import Connection

USER_COLUMNS = "id, email, name, role, password_hash, language, created_at, disabled_at"
#: What became of a link that was followed.
LINK_OK, LINK_EXPIRED, LINK_USED, LINK_UNKNOWN = "ok", "expired", "used", "unknown"


def user_by_email(conn: Connection, email: str) -> dict[str, Any] | None:
    """The user with this (normalised) e-mail, with their stores and regions, or None."""
    return _with_stores(conn, conn.query_one(
        f"SELECT {USER_COLUMNS} FROM users WHERE email = ?", (email,)))


def user_by_id(conn: Connection, user_id: int) -> dict[str, Any] | None:
    """The user with this id, with their stores and regions, or None."""
    return _with_stores(conn, conn.query_one(
        f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,)))


def _with_stores(conn: Connection, row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    row["stores"] = tuple(r[0] for r in conn.rows(
        "SELECT store_id FROM user_stores WHERE user_id = ? ORDER BY store_id", (row["id"],)))
    row["regions"] = userregions.regions_of(conn, row["id"])
    return row


def all_users(conn: Connection) -> list[dict[str, Any]]:
    """Every user (never a password hash) with their stores and regions, by e-mail."""
    stores: dict[int, list[str]] = {}
    for user_id, store_id in conn.rows(
            "SELECT user_id, store_id FROM user_stores ORDER BY store_id"):
        stores.setdefault(user_id, []).append(store_id)
    users = conn.query("SELECT id, email, name, role, language, created_at, disabled_at,"
                       " password_hash IS NOT NULL AS has_password FROM users ORDER BY email")
    regions = userregions.all_regions(conn)
    for user in users:
        user["stores"] = tuple(stores.get(user["id"], ()))
        user["regions"] = regions.get(user["id"], ())
        user["has_password"] = bool(user["has_password"])
    return users


def missing_stores(conn: Connection, stores: tuple[str, ...]) -> list[str]:
    """The ids in ``stores`` that name no store."""
    return [s for s in stores if not conn.scalar("SELECT 1 FROM stores WHERE id = ?", (s,))]


def insert_user(conn: Connection, email: str, name: str | None, role: str,
                language: str | None, now: str) -> int:
    """A new user row; its id."""
    conn.execute("INSERT INTO users (email, name, role, language, created_at)"
                 " VALUES (?, ?, ?, ?, ?)", (email, name, role, language, now))
    return conn.scalar("SELECT id FROM users WHERE email = ?", (email,))


def set_stores(conn: Connection, user_id: int, role: str, stores: tuple[str, ...]) -> None:
    """Give a user ``role`` and exactly ``stores``."""
    conn.execute("UPDATE users SET role = ? WHERE id = ?", (role, user_id))
    conn.execute("DELETE FROM user_stores WHERE user_id = ?", (user_id,))
    conn.executemany("INSERT INTO user_stores (user_id, store_id) VALUES (?, ?)",
                     [(user_id, store) for store in stores])


def set_disabled(conn: Connection, user_id: int, disabled_at: str | None) -> None:
    """Disable (ending every session and link at once) or enable a user."""
    conn.execute("UPDATE users SET disabled_at = ? WHERE id = ?", (disabled_at, user_id))
    if disabled_at is not None:
        conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
        conn.execute("UPDATE user_links SET used_at = ? WHERE user_id = ? AND used_at IS NULL",
                     (disabled_at, user_id))


def set_password(conn: Connection, user_id: int, password_hash: str) -> None:
    """Store a new password hash."""
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


def insert_link(conn: Connection, link_hash: str, user_id: int, purpose: str, now: str,
                expires_at: str) -> None:
    """Store a one-time link by its hash."""
    conn.execute("INSERT INTO user_links (hash, user_id, purpose, created_at, expires_at)"
                 " VALUES (?, ?, ?, ?, ?)", (link_hash, user_id, purpose, now, expires_at))


def take_link(conn: Connection, link_hash: str, purpose: str, now: str,
              use: bool) -> tuple[str, dict[str, Any] | None]:
    """What a followed link is worth: ``(LINK_*, its user)``; ``use`` marks it used.

    The ``UPDATE ... WHERE used_at IS NULL`` claims the link, so two browsers
    racing with one link get one session between them.
    """
    row = conn.query_one("SELECT id, user_id, expires_at, used_at FROM user_links"
                         " WHERE hash = ? AND purpose = ?", (link_hash, purpose))
    if row is None:
        return LINK_UNKNOWN, None
    user = user_by_id(conn, row["user_id"])
    if row["used_at"] is not None or user is None or user["disabled_at"]:
        return LINK_USED, user
    if row["expires_at"] <= now:
        return LINK_EXPIRED, user
    if use and not conn.execute("UPDATE user_links SET used_at = ? WHERE id = ?"
                                " AND used_at IS NULL", (now, row["id"])):
        return LINK_USED, user
    return LINK_OK, user
