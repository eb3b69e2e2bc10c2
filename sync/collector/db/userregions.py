"""The SQL of people's regions (migration 019): which regions a person reads.

A person scoped to a region reads the stores of its whole subtree, worked out
from the tree at each request (:meth:`Storage._scoped`), so a store put in the
region later is theirs at once.  Functions take an open connection, inside the
caller's transaction; the rules are in :mod:`sync.collector.people`.
"""

from __future__ import annotations

from sync.collector.db.connection import Connection


def regions_of(conn: Connection, user_id: int) -> tuple[str, ...]:
    """The regions a person is scoped to, by id (empty: not scoped)."""
    return tuple(row[0] for row in conn.rows(
        "SELECT region_id FROM user_regions WHERE user_id = ? ORDER BY region_id", (user_id,)))


def all_regions(conn: Connection) -> dict[int, tuple[str, ...]]:
    """Every scoped person's regions, by user id."""
    found: dict[int, list[str]] = {}
    for user_id, region_id in conn.rows(
            "SELECT user_id, region_id FROM user_regions ORDER BY region_id"):
        found.setdefault(user_id, []).append(region_id)
    return {user_id: tuple(regions) for user_id, regions in found.items()}


def missing_regions(conn: Connection, regions: tuple[str, ...]) -> list[str]:
    """The ids in ``regions`` that name no region."""
    return [r for r in regions if not conn.scalar("SELECT 1 FROM regions WHERE id = ?", (r,))]


def set_regions(conn: Connection, user_id: int, regions: tuple[str, ...]) -> None:
    """Scope a person to exactly ``regions`` (none: unscoped)."""
    conn.execute("DELETE FROM user_regions WHERE user_id = ?", (user_id,))
    conn.executemany("INSERT INTO user_regions (user_id, region_id) VALUES (?, ?)",
                     [(user_id, region) for region in regions])
