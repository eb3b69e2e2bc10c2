"""Regions and touchpoints (migration 016): the chain's tree and where each kiosk stands.

A chain is a tree: regions nest (``parent_id`` NULL means directly under the
chain), a store stands in one region or directly under the chain
(``stores.region_id`` NULL), and a kiosk stands at a touchpoint of its store
(``kiosks.touchpoint``: a key such as ``checkout`` or free text).  A chain has
tens or hundreds of regions, not millions, so the tree is read whole and walked
in Python (:class:`Tree`) rather than with recursive SQL that both backends
would have to agree on.

Figures per region are the sums of its stores' roll-ups; figures per
touchpoint are the sums of its kiosks' ``daily_counts`` (the daily roll-up is
already keyed by kiosk), both read here.  Functions take a connection, like
``stays.py``; :class:`~sync.collector.db.storage.Storage` wraps them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync.collector.db.connection import Connection

#: Touchpoint keys the dashboard words in every language; any other text is shown as it is.
TOUCHPOINTS = ("checkout", "fitting_rooms", "service_desk", "exit", "entrance")
#: The longest touchpoint name a kiosk may carry (free text is allowed).
TOUCHPOINT_MAX = 64
_SPACES = re.compile(r"\s+")


class RegionError(ValueError):
    """A region change that would break the tree (a loop, a missing parent)."""


@dataclass
class Tree:
    """Every region by id, with its children and its own stores: the chain's tree."""

    regions: dict[str, dict[str, Any]]
    children: dict[str | None, list[str]] = field(default_factory=dict)
    stores: dict[str | None, list[str]] = field(default_factory=dict)

    def below(self, region_id: str) -> list[str]:
        """``region_id`` and every region under it, parents before children."""
        found, queue = [], [region_id]
        while queue:
            current = queue.pop(0)
            found.append(current)
            queue.extend(self.children.get(current, ()))
        return found

    def stores_in(self, region_id: str) -> list[str]:
        """Every store in the region and its sub-regions, by id."""
        return sorted(s for r in self.below(region_id) for s in self.stores.get(r, ()))

    def path(self, region_id: str) -> list[str]:
        """The regions from the top of the chain down to ``region_id`` (itself last)."""
        path: list[str] = []
        current: str | None = region_id
        while current is not None and current not in path:
            path.insert(0, current)
            current = self.regions[current]["parent_id"]
        return path


def tree(conn: Connection) -> Tree:
    """The whole tree: every region (id order) with its sub-regions and stores."""
    regions = {
        row["id"]: row for row in conn.query(
            "SELECT id, name, parent_id, created_at FROM regions ORDER BY id")
    }
    result = Tree(regions)
    for region in regions.values():
        result.children.setdefault(region["parent_id"], []).append(region["id"])
    for store_id, region_id in conn.rows("SELECT id, region_id FROM stores ORDER BY id"):
        result.stores.setdefault(region_id, []).append(store_id)
    return result


def listing(conn: Connection) -> list[dict[str, Any]]:
    """Every region with its parent, its direct sub-regions and stores, and every store below."""
    whole = tree(conn)
    return [
        {**region, "regions": whole.children.get(region["id"], []),
         "stores": whole.stores.get(region["id"], []),
         "all_stores": len(whole.stores_in(region["id"]))}
        for region in whole.regions.values()
    ]


def add(conn: Connection, region_id: str, name: str, parent_id: str | None, now: str) -> None:
    """Insert a region (the caller checked the id and that it is new)."""
    if parent_id is not None:
        _exists(conn, parent_id, "parent region")
    conn.execute(
        "INSERT INTO regions (id, name, parent_id, created_at) VALUES (?, ?, ?, ?)",
        (region_id, name, parent_id, now),
    )


def move(conn: Connection, region_id: str, parent_id: str | None) -> None:
    """Put a region under another (None: directly under the chain); refuse a loop."""
    if parent_id is not None:
        _exists(conn, parent_id, "parent region")
        if region_id in tree(conn).path(parent_id):
            raise RegionError(f"region {parent_id!r} is inside {region_id!r};"
                              " a region cannot be moved under itself")
    conn.execute("UPDATE regions SET parent_id = ? WHERE id = ?", (parent_id, region_id))


def rename(conn: Connection, region_id: str, name: str) -> None:
    """Give a region another display name."""
    conn.execute("UPDATE regions SET name = ? WHERE id = ?", (name, region_id))


def holds(conn: Connection, region_id: str) -> str | None:
    """What keeps a region from being removed (its stores, sub-regions, tokens, people), or None."""
    checks = (
        ("SELECT COUNT(*) FROM stores WHERE region_id = ?", "store", "stores"),
        ("SELECT COUNT(*) FROM regions WHERE parent_id = ?", "sub-region", "sub-regions"),
        ("SELECT COUNT(*) FROM tokens WHERE region_id = ? AND revoked_at IS NULL",
         "token", "tokens"),
        ("SELECT COUNT(*) FROM user_regions WHERE region_id = ?", "person", "people"),
    )
    for sql, one, many in checks:
        count = conn.scalar(sql, (region_id,))
        if count:
            return f"{count} {one if count == 1 else many}"
    return None


def remove(conn: Connection, region_id: str) -> None:
    """Delete an empty region (the caller checked :func:`holds`); revoked tokens let go of it."""
    conn.execute("UPDATE tokens SET region_id = NULL WHERE region_id = ?", (region_id,))
    conn.execute("DELETE FROM regions WHERE id = ?", (region_id,))


def set_store_region(conn: Connection, store_id: str, region_id: str | None) -> None:
    """Put a store in a region (None: directly under the chain)."""
    if region_id is not None:
        _exists(conn, region_id, "region")
    conn.execute("UPDATE stores SET region_id = ? WHERE id = ?", (region_id, store_id))


def clean_touchpoint(name: str | None) -> str | None:
    """A touchpoint as stored: spaces squeezed, '' meaning none; ValueError when too long."""
    text = _SPACES.sub(" ", name or "").strip()
    if len(text) > TOUCHPOINT_MAX:
        raise ValueError(f"a touchpoint name has at most {TOUCHPOINT_MAX} characters,"
                         " e.g. checkout or service_desk")
    return text or None


def set_touchpoint(conn: Connection, kiosk_id: str, touchpoint: str | None) -> None:
    """Say where in its store a kiosk stands (None: not named)."""
    conn.execute("UPDATE kiosks SET touchpoint = ? WHERE id = ?", (touchpoint, kiosk_id))


def touchpoints(conn: Connection) -> dict[str, str | None]:
    """Every kiosk's touchpoint by kiosk id."""
    return dict(conn.rows("SELECT id, touchpoint FROM kiosks"))


def touchpoint_counts(
    conn: Connection, store_id: str, start: str, end: str
) -> list[tuple[str | None, int, int, int, int]]:
    """``(touchpoint, scale, score, suppressed, n)`` of one store's taps, by its kiosks'
    current touchpoints (a kiosk that changed touchpoint brings its history along)."""
    return conn.rows(
        "SELECT k.touchpoint, d.scale, d.score, d.suppressed, SUM(d.n) FROM daily_counts d"
        " LEFT JOIN kiosks k ON k.id = d.kiosk_id"
        " WHERE d.store_id = ? AND d.local_date >= ? AND d.local_date <= ?"
        " GROUP BY k.touchpoint, d.scale, d.score, d.suppressed",
        (store_id, start, end),
    )


def day_counts(
    conn: Connection, store_ids: Sequence[str], start: str, end: str
) -> list[tuple[str, int, int, int, int]]:
    """``(local_date, scale, score, suppressed, n)`` of a set of stores, summed per day."""
    if not store_ids:
        return []
    where, params = conn.any_of("store_id", store_ids)
    return conn.rows(
        "SELECT local_date, scale, score, suppressed, SUM(n) FROM daily_counts"  # noqa: S608
        f" WHERE {where} AND local_date >= ? AND local_date <= ?"
        " GROUP BY local_date, scale, score, suppressed ORDER BY local_date",
        [*params, start, end],
    )


def region_of_tokens(conn: Connection, token_ids: Iterable[int]) -> dict[int, str | None]:
    """The region each token is scoped to, by token id."""
    ids = list(token_ids)
    if not ids:
        return {}
    where, params = conn.any_of("id", ids)
    return dict(conn.rows(f"SELECT id, region_id FROM tokens WHERE {where}", params))  # noqa: S608


def _exists(conn: Connection, region_id: str, what: str) -> None:
    if not conn.scalar("SELECT 1 FROM regions WHERE id = ?", (region_id,)):
        raise LookupError(f"no {what} {region_id!r}; see 'hymy-collector region list'")
