"""Every SQL statement of the collector, behind one class: :class:`Storage`.

The HTTP routes, the CLI and the dashboard call these methods and never write
SQL themselves.  The SQL here sticks to what SQLite and PostgreSQL share: ``?``
placeholders, ``ON CONFLICT ... DO UPDATE``, ``COALESCE``, ``CASE``, ISO date
strings compared as text; the few spots where the fastest form differs (``IN``
lists, bulk inserts) go through :class:`~sync.collector.db.Connection` helpers
(``any_of``, ``insert_many``).  Every write runs in a serialised transaction,
so several collector processes (or hosts) on one database give the same result
as one.

Read methods return raw counts; :mod:`sync.collector.reports` turns them into
CSAT figures with :func:`sync.metrics.summarize`.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from msgspec.structs import astuple

from sync.clock import format_utc, utc_now, zone
from sync.collector import people
from sync.collector.db import (
    alerting,
    alertlog,
    comments,
    digests,
    hours,
    languages,
    lines,
    regions,
    surveys,
    userregions,
)
from sync.collector.db import users as people_db
from sync.collector.db.chain import (
    add_chain_days,
    chain_day_counts,
    chain_period_counts,
)
from sync.collector.db.connection import Connection, Database, Duplicate
from sync.collector.db.recount import (
    STEPS,
    KioskSeqs,
    Recount,
    daily_recount,
    rebuild_counts,
    recount,
)
from sync.collector.db.rollups import (
    DAILY_KEYS,
    HOURLY_KEYS,
    REASON_KEYS,
    ROW,
    RUNNING,
    SCORES,
    LocalHours,
    Tallies,
    store_days,
    tally,
)
from sync.collector.db.seqs import Gap, update_gaps
from sync.collector.db.stays import Stays
from sync.collector.tokens import (
    Principal,
    check_role,
    hash_code,
    hash_token,
    new_code,
    new_token,
    same_hash,
)
from sync.metrics import KIND_SCALES, kind_of
from sync.survey import BUILT_IN_REASONS, DEFAULT_SURVEY, Survey, language_warnings
from sync.wire import KioskStatus, Rating

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: Fields compared to decide "duplicate" (same content) or "conflict" (same id, new content):
#: the kiosk's own fields (not where or when the collector filed it).
CONTENT = (*ROW[1:12], "kind", "followup")
_CONTENT = itemgetter(*(ROW.index(name) for name in CONTENT))
#: Columns of an exported rating: the kiosk's names plus the collector's own.
EXPORT_COLUMNS = ("ingest_seq", *ROW)
#: ``running_counts`` SQL pieces, built once from the column names in rollups.RUNNING.
RUNNING_COLUMNS = ", ".join(RUNNING)
RUNNING_BEFORE = ", ".join(f"COALESCE(MAX({column}), 0)" for column in RUNNING)
RUNNING_ADD = ", ".join(f"{column} = {column} + ?" for column in RUNNING)
RUNNING_DIFFERENCE = ", ".join(f"COALESCE(e.{column}, 0) - COALESCE(b.{column}, 0)"
                               for column in RUNNING)
#: ``(score, suppressed)`` of each ``running_counts`` column, by position.
RUNNING_KEY = tuple(divmod(index, len(SCORES))[::-1] for index in range(len(RUNNING)))
#: A period for every store and scale: the row of the last day with taps up to
#: its end (e) minus the one before its start (b), column by column (the server
#: subtracts: half the numbers cross into Python).
RUNNING_PERIOD = (
    f"SELECT k.store_id, k.scale, {RUNNING_DIFFERENCE}"
    " FROM running_keys k"
    " LEFT JOIN running_counts e ON e.store_id = k.store_id AND e.scale = k.scale"
    " AND e.local_date = (SELECT MAX(local_date) FROM running_counts"
    " WHERE store_id = k.store_id AND scale = k.scale AND local_date <= ?)"
    " LEFT JOIN running_counts b ON b.store_id = k.store_id AND b.scale = k.scale"
    " AND b.local_date = (SELECT MAX(local_date) FROM running_counts"
    " WHERE store_id = k.store_id AND scale = k.scale AND local_date < ?)"
)
#: A live (not revoked) token by the hash of its secret, with its kiosk's and
#: store's retirement (a retired kiosk or store takes no uploads).
PRINCIPAL = (
    "SELECT t.id, t.hash, t.role, t.store_id, t.kiosk_id, t.region_id,"
    " k.retired_at AS kiosk_retired, s.retired_at AS store_retired,"
    " (SELECT MAX(m.until) FROM kiosk_moves m WHERE m.kiosk_id = t.kiosk_id) AS moved_at"
    " FROM tokens t LEFT JOIN kiosks k ON k.id = t.kiosk_id"
    " LEFT JOIN stores s ON s.id = t.store_id"
    " WHERE t.hash = ? AND t.revoked_at IS NULL"
)
#: A kiosk's reported health (migration 006): its ``KioskStatus`` fields, and the
#: ``kiosks`` columns they are kept in.
HEALTH_FIELDS = ("rejected", "uptime_s", "disk_free_bytes", "disk_total_bytes",
                 "database_bytes", "timezone")
HEALTH_COLUMNS = (*HEALTH_FIELDS[:-1], "config_timezone")
HEALTH_SET = ", ".join(f"{name} = ?" for name in HEALTH_COLUMNS)
#: Seconds a process trusts its cached copy of a store's time zone before
#: reading it again (another process may have changed it).
ZONE_MAX_AGE_S = 60.0
_CHUNK = 500


class NotFound(LookupError):
    """A store, kiosk or token that does not exist."""


class AlreadyExists(ValueError):
    """An id that is already taken."""


class InUse(ValueError):
    """A store or kiosk that holds ratings, so it cannot be deleted."""


class CodeGone(ValueError):
    """An enrollment code that existed but works no more: used, expired or replaced."""


#: Hours an enrollment code works unless told otherwise, and the most it may.
CODE_VALID_HOURS = 24.0
CODE_MAX_HOURS = 24.0 * 30


@dataclass(frozen=True)
class NewCode:
    """An enrollment code just issued: the only moment the code itself is known."""

    kiosk_id: str
    code: str
    expires_at: str


@dataclass(frozen=True)
class NewToken:
    """A token just created: the only moment its secret value is known."""

    id: int
    token: str
    role: str
    store_id: str | None = None
    kiosk_id: str | None = None


@dataclass
class IngestOutcome:
    """What became of each valid rating of a batch, in the order given."""

    statuses: list[tuple[str, str | None]] = field(default_factory=list)
    clock_offset_s: float | None = None
    clock_suspect: bool = False
    missing: list[tuple[int, int]] = field(default_factory=list)


def check_id(kind: str, value: str) -> str:
    """Raise ValueError unless ``value`` is a usable store or kiosk id."""
    if not _ID.match(value or ""):
        raise ValueError(
            f"{kind} id {value!r}: use 1-64 letters, digits, '.', '_' or '-' (e.g. 'hki-01')"
        )
    return value


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    """Consecutive slices of at most ``size`` items (keeps IN lists short)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Storage:
    """The collector's data: stores, kiosks, tokens, surveys, ratings and roll-ups."""

    def __init__(self, db: Database, clock_tolerance_s: float = 300.0) -> None:
        self.db = db
        self.clock_tolerance_s = clock_tolerance_s
        self._zones: dict[str, tuple[ZoneInfo, float]] = {}
        self._reasons: dict[str, tuple[int, frozenset[str]]] = {}
        self.hours = LocalHours(self.cached_zone)

    # -- stores -----------------------------------------------------------

    def add_store(self, store_id: str, name: str, timezone: str,
                  region_id: str | None = None) -> dict[str, Any]:
        """Create a store (in a region, or directly under the chain); its IANA zone
        decides which local day each tap belongs to."""
        check_id("store", store_id)
        zone(timezone)
        if not name.strip():
            raise ValueError("a store needs a name, e.g. --name 'Kamppi'")
        with self.db.transaction(serialize=True) as conn:
            if conn.scalar("SELECT 1 FROM stores WHERE id = ?", (store_id,)):
                raise AlreadyExists(f"store {store_id!r} already exists")
            conn.execute(
                "INSERT INTO stores (id, name, timezone, created_at) VALUES (?, ?, ?, ?)",
                (store_id, name.strip(), timezone, format_utc(utc_now())),
            )
            if region_id is not None:
                _tree_call(regions.set_store_region, conn, store_id, region_id)
        return {"id": store_id, "name": name.strip(), "timezone": timezone,
                "region_id": region_id}

    def stores(self, only: str | None = None, active: bool = False) -> list[dict[str, Any]]:
        """All stores (or just ``only``) with their number of kiosks, ordered by id.

        ``retired_at`` is None for a store in use; ``active=True`` leaves
        retired stores out (rankings, alerts, the office page).
        """
        sql = (
            "SELECT s.id, s.name, s.timezone, s.retired_at, s.region_id,"
            " (SELECT COUNT(*) FROM kiosks k WHERE k.store_id = s.id) AS kiosks"
            " FROM stores s"
        )
        if only is not None:
            return self.db.query(sql + " WHERE s.id = ?", (only,))
        if active:
            return self.db.query(sql + " WHERE s.retired_at IS NULL ORDER BY s.id")
        return self.db.query(sql + " ORDER BY s.id")

    def store(self, store_id: str) -> dict[str, Any] | None:
        """One store, or None."""
        found = self.stores(only=store_id)
        return found[0] if found else None

    def zone(self, store_id: str, max_age_s: float = ZONE_MAX_AGE_S) -> ZoneInfo:
        """A store's time zone, read again when the cached copy is older than ``max_age_s``."""
        cached = self._zones.get(store_id)
        if cached is not None and time.monotonic() - cached[1] < max_age_s:
            return cached[0]
        with self.db.connection() as conn:  # the one column needed: any schema since 001
            timezone = conn.scalar("SELECT timezone FROM stores WHERE id = ?", (store_id,))
        if timezone is None:
            raise NotFound(f"no store {store_id!r}")
        tz = zone(timezone)
        self._zones[store_id] = (tz, time.monotonic())
        return tz

    def cached_zone(self, store_id: str) -> ZoneInfo:
        """A store's zone as cached, however old: for use inside a transaction, which
        must not borrow a second connection (callers look the zone up before)."""
        return self.zone(store_id, max_age_s=math.inf)

    def _store_row(self, conn: Connection, store_id: str) -> dict[str, Any]:
        return _row(conn, "store", "id, name, timezone, retired_at", store_id)

    def _store_ratings(self, conn: Connection, store_id: str) -> int:
        """Ratings filed under a store (suppressed taps too), from its daily roll-up."""
        return conn.scalar(
            "SELECT COALESCE(SUM(n), 0) FROM daily_counts WHERE store_id = ?", (store_id,)
        ) or 0

    def rename_store(self, store_id: str, name: str) -> dict[str, Any]:
        """Give a store another display name; its id, ratings and tokens stay."""
        if not name.strip():
            raise ValueError("a store needs a name, e.g. 'Hymy Kamppi'")
        with self.db.transaction(serialize=True) as conn:
            self._store_row(conn, store_id)
            conn.execute("UPDATE stores SET name = ? WHERE id = ?", (name.strip(), store_id))
        return self.store(store_id)

    def set_timezone(self, store_id: str, timezone: str) -> dict[str, Any]:
        """Move a store to another IANA zone.

        Past ratings keep the local date they were filed under (the kiosk's
        ``local_date``): daily figures, reasons and running totals do not
        change.  Only the heat map's hours, which the collector derives from
        each tap's UTC time, are recounted in the new zone, so they stay what
        ``hymy-collector check`` recomputes.  New ratings use the new zone.
        """
        tz = zone(timezone)
        with self.db.transaction(serialize=True) as conn:
            self._store_row(conn, store_id)
            conn.execute("UPDATE stores SET timezone = ? WHERE id = ?", (timezone, store_id))
            conn.execute("DELETE FROM hourly_counts WHERE store_id = ?", (store_id,))
            recount = tally(
                conn.stream(f"SELECT {', '.join(ROW)} FROM ratings WHERE store_id = ?",
                            (store_id,)),
                LocalHours(lambda _: tz),
            )
            conn.add_counts("hourly_counts", HOURLY_KEYS,
                            [(*key, n) for key, n in recount.hourly.items()])
        self._zones[store_id] = (tz, time.monotonic())
        return self.store(store_id)

    def retire_store(self, store_id: str, retired: bool = True) -> dict[str, Any]:
        """Retire a store (no more uploads from its kiosks; out of rankings and alerts;
        history kept) or, with ``retired=False``, restore it."""
        self._retire("store", store_id, retired)
        return self.store(store_id)

    def delete_store(self, store_id: str) -> None:
        """Delete a store that holds no ratings, with its kiosks, tokens and surveys.

        Raises :class:`InUse` naming the number of ratings otherwise (retire it
        instead), or when one of its kiosks holds ratings of another store.
        """
        with self.db.transaction(serialize=True) as conn:
            self._store_row(conn, store_id)
            held = self._store_ratings(conn, store_id)
            if held:
                raise InUse(f"store {store_id!r} holds {held} ratings and cannot be deleted;"
                            f" retire it instead ('hymy-collector store retire {store_id}')")
            for kiosk_id, received in conn.rows(
                "SELECT id, received FROM kiosks WHERE store_id = ? ORDER BY id", (store_id,)
            ):
                if received:
                    raise InUse(f"store {store_id!r} has kiosk {kiosk_id!r}, which holds"
                                f" {received} ratings filed under another store; move or"
                                " retire that kiosk first")
            conn.execute(
                "DELETE FROM sessions WHERE token_id IN (SELECT id FROM tokens"
                " WHERE store_id = ? OR kiosk_id IN (SELECT id FROM kiosks WHERE store_id = ?))",
                (store_id, store_id),
            )
            conn.execute("DELETE FROM user_stores WHERE store_id = ?", (store_id,))
            conn.execute(
                "DELETE FROM enrollment_codes"
                " WHERE kiosk_id IN (SELECT id FROM kiosks WHERE store_id = ?)",
                (store_id,),
            )
            conn.execute(
                "DELETE FROM tokens WHERE store_id = ?"
                " OR kiosk_id IN (SELECT id FROM kiosks WHERE store_id = ?)",
                (store_id, store_id),
            )
            conn.execute(
                "DELETE FROM seq_gaps WHERE kiosk_id IN (SELECT id FROM kiosks WHERE store_id = ?)",
                (store_id,),
            )
            # Its kiosks' records go; a kiosk that stood here and moved on (none of
            # its ratings are filed here) counts that time for the store it went to.
            conn.execute(
                "DELETE FROM kiosk_moves WHERE store_id = ?"
                " OR kiosk_id IN (SELECT id FROM kiosks WHERE store_id = ?)",
                (store_id, store_id),
            )
            digests.forget(conn, store_id)
            for table in ("alerts", "kiosks", "surveys", "running_keys", "running_counts",
                          "hourly_counts", "reason_counts", "daily_counts"):
                conn.execute(f"DELETE FROM {table} WHERE store_id = ?", (store_id,))
            conn.execute("DELETE FROM stores WHERE id = ?", (store_id,))
        self._zones.pop(store_id, None)
        self._reasons.pop(store_id, None)

    # -- a store's own alerting (db/alerting.py) ---------------------------

    def alerting(self, store_id: str) -> dict[str, Any]:
        """A store's opening hours and threshold overrides (None: as the chain)."""
        with self.db.connection() as conn:
            self._store_row(conn, store_id)
            return alerting.read(conn, store_id)

    def alerting_all(self) -> dict[str, dict[str, Any]]:
        """Every store's alerting row by store id (stores without one are absent)."""
        with self.db.connection() as conn:
            return alerting.read_all(conn)

    def set_alerting(self, store_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """Set some of a store's alerting columns (checked by the caller: ``alerts.settled``)."""
        with self.db.transaction(serialize=True) as conn:
            self._store_row(conn, store_id)
            alerting.write(conn, store_id, values, format_utc(utc_now()))
            return alerting.read(conn, store_id)

    # -- regions and touchpoints (db/regions.py) ----------------------------

    def region_tree(self) -> regions.Tree:
        """The chain's regions, their sub-regions and stores."""
        with self.db.connection() as conn:
            return regions.tree(conn)

    def regions(self) -> list[dict[str, Any]]:
        """Every region with its parent, sub-regions and stores."""
        with self.db.connection() as conn:
            return regions.listing(conn)

    def region(self, region_id: str) -> dict[str, Any]:
        """One region as :meth:`regions` lists it; NotFound if none."""
        for found in self.regions():
            if found["id"] == region_id:
                return found
        raise _unknown("region", region_id)

    def _region_row(self, conn: Connection, region_id: str) -> dict[str, Any]:
        return _row(conn, "region", "id, name, parent_id", region_id)

    def add_region(self, region_id: str, name: str, parent_id: str | None = None
                   ) -> dict[str, Any]:
        """Create a region, directly under the chain or under ``parent_id``."""
        check_id("region", region_id)
        if not name.strip():
            raise ValueError("a region needs a name, e.g. 'Uusimaa'")
        with self.db.transaction(serialize=True) as conn:
            if conn.scalar("SELECT 1 FROM regions WHERE id = ?", (region_id,)):
                raise AlreadyExists(f"region {region_id!r} already exists")
            _tree_call(regions.add, conn, region_id, name.strip(), parent_id,
                       format_utc(utc_now()))
        return self.region(region_id)

    def change_region(self, region_id: str, name: str | None = None,
                      parent_id: str | None = None, to_top: bool = False) -> dict[str, Any]:
        """Rename a region and/or move it under ``parent_id`` (``to_top``: under the chain)."""
        if name is not None and not name.strip():
            raise ValueError("a region needs a name, e.g. 'Uusimaa'")
        with self.db.transaction(serialize=True) as conn:
            self._region_row(conn, region_id)
            if parent_id is not None or to_top:
                _tree_call(regions.move, conn, region_id, parent_id)
            if name is not None:
                regions.rename(conn, region_id, name.strip())
        return self.region(region_id)

    def remove_region(self, region_id: str) -> None:
        """Delete a region holding no stores, sub-regions or live tokens (else :class:`InUse`)."""
        with self.db.transaction(serialize=True) as conn:
            self._region_row(conn, region_id)
            held = regions.holds(conn, region_id)
            if held:
                raise InUse(f"region {region_id!r} holds {held}; move them out first"
                            " ('hymy-collector store region STORE REGION', 'region move')")
            regions.remove(conn, region_id)

    def set_store_region(self, store_id: str, region_id: str | None) -> dict[str, Any]:
        """Put a store in a region (None or '': directly under the chain)."""
        with self.db.transaction(serialize=True) as conn:
            self._store_row(conn, store_id)
            _tree_call(regions.set_store_region, conn, store_id, region_id or None)
        return self.store(store_id)

    def set_touchpoint(self, kiosk_id: str, touchpoint: str | None) -> dict[str, Any]:
        """Name the touchpoint a kiosk stands at (None or '': none)."""
        touchpoint = regions.clean_touchpoint(touchpoint)
        with self.db.transaction(serialize=True) as conn:
            self._kiosk_row(conn, kiosk_id)
            regions.set_touchpoint(conn, kiosk_id, touchpoint)
        return self.kiosk(kiosk_id)

    def stores_day_counts(self, store_ids: Sequence[str], start: str, end: str
                          ) -> list[tuple[str, int, int, int, int]]:
        """``(local_date, scale, score, suppressed, n)`` of a set of stores together, by day."""
        with self.db.connection() as conn:
            return [row for part in chunks(list(store_ids))
                    for row in regions.day_counts(conn, part, start, end)]

    def touchpoint_counts(self, store_id: str, start: str, end: str
                          ) -> list[tuple[str | None, int, int, int, int]]:
        """``(touchpoint, scale, score, suppressed, n)`` of one store over a period."""
        with self.db.connection() as conn:
            return regions.touchpoint_counts(conn, store_id, start, end)

    # -- kiosks and tokens ------------------------------------------------

    def add_kiosk(self, kiosk_id: str, store_id: str, label: str | None = None,
                  touchpoint: str | None = None) -> NewToken:
        """Register a kiosk in a store (at a touchpoint, if named) and return its first token."""
        check_id("kiosk", kiosk_id)
        touchpoint = regions.clean_touchpoint(touchpoint)
        with self.db.transaction(serialize=True) as conn:
            if not conn.scalar("SELECT 1 FROM stores WHERE id = ?", (store_id,)):
                raise NotFound(f"no store {store_id!r}; add it with 'hymy-collector store add'")
            if conn.scalar("SELECT 1 FROM kiosks WHERE id = ?", (kiosk_id,)):
                raise AlreadyExists(f"kiosk {kiosk_id!r} already exists")
            conn.execute(
                "INSERT INTO kiosks (id, store_id, label, touchpoint, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (kiosk_id, store_id, label, touchpoint, format_utc(utc_now())),
            )
            return self._insert_token(conn, "kiosk", store_id, kiosk_id, label)

    def kiosk(self, kiosk_id: str) -> dict[str, Any]:
        """One kiosk's id, store, label, retirement and number of ratings; NotFound if none."""
        found = self.db.query(
            "SELECT id, store_id, label, touchpoint, created_at, retired_at, received"
            " FROM kiosks WHERE id = ?", (kiosk_id,),
        )
        if not found:
            raise _unknown("kiosk", kiosk_id)
        return found[0]

    def _kiosk_row(self, conn: Connection, kiosk_id: str) -> dict[str, Any]:
        return _row(conn, "kiosk", "id, store_id, received, retired_at", kiosk_id)

    def rename_kiosk(self, kiosk_id: str, label: str | None) -> dict[str, Any]:
        """Give a kiosk another label (None or blank: none); its id and token stay."""
        with self.db.transaction(serialize=True) as conn:
            self._kiosk_row(conn, kiosk_id)
            conn.execute("UPDATE kiosks SET label = ? WHERE id = ?",
                         ((label or "").strip() or None, kiosk_id))
        return self.kiosk(kiosk_id)

    def move_kiosk(self, kiosk_id: str, store_id: str) -> dict[str, Any]:
        """Move a kiosk to another store; the kiosk's row plus ``moved_from`` and ``moved_at``.

        Its tokens keep working (they now name the new store) and its seq
        tracking carries on.  The move is recorded (``kiosk_moves``), so the
        ratings it delivered stay filed under the old store and ratings made
        before ``moved_at`` that arrive later join them, whichever of its
        stores they name; later ones count for the new store
        (:mod:`sync.collector.db.stays`).  Moving a kiosk to its own store
        changes nothing (``moved_from`` None).
        """
        with self.db.transaction(serialize=True) as conn:
            before = self._kiosk_row(conn, kiosk_id)
            target = self._store_row(conn, store_id)
            if target["retired_at"]:
                raise ValueError(f"store {store_id!r} is retired; restore it before moving"
                                 " a kiosk there")
            moved_from = moved_at = None
            if before["store_id"] != store_id:
                moved_from = before["store_id"]
                last = conn.scalar("SELECT MAX(until) FROM kiosk_moves WHERE kiosk_id = ?",
                                   (kiosk_id,))
                moved_at = max(format_utc(utc_now()), last or "")  # stays stay in order
                conn.execute("INSERT INTO kiosk_moves (kiosk_id, store_id, until)"
                             " VALUES (?, ?, ?)", (kiosk_id, moved_from, moved_at))
            conn.execute("UPDATE kiosks SET store_id = ? WHERE id = ?", (store_id, kiosk_id))
            conn.execute("UPDATE tokens SET store_id = ? WHERE kiosk_id = ?",
                         (store_id, kiosk_id))
        return {**self.kiosk(kiosk_id), "moved_from": moved_from, "moved_at": moved_at}

    def stays(self, kiosk_id: str, store_id: str) -> Stays:
        """Where a kiosk stood, ``store_id`` being where it stands now (its token's store)."""
        rows = self.db.query(
            "SELECT store_id, until FROM kiosk_moves WHERE kiosk_id = ? ORDER BY until",
            (kiosk_id,),
        )
        return Stays((*(row["store_id"] for row in rows), store_id),
                     tuple(row["until"] for row in rows))

    def retire_kiosk(self, kiosk_id: str, retired: bool = True) -> dict[str, Any]:
        """Retire a kiosk (its uploads get 403; its ratings stay) or restore it."""
        self._retire("kiosk", kiosk_id, retired)
        return self.kiosk(kiosk_id)

    def _retire(self, kind: str, row_id: str, retired: bool) -> None:
        """Stamp a store or kiosk (``kind``) retired now, keeping an earlier stamp, or
        clear the stamp; NotFound when there is none."""
        table = f"{kind}s"
        with self.db.transaction(serialize=True) as conn:
            _row(conn, kind, "id", row_id)
            if retired:
                conn.execute(f"UPDATE {table} SET retired_at = COALESCE(retired_at, ?)"
                             " WHERE id = ?", (format_utc(utc_now()), row_id))
            else:
                conn.execute(f"UPDATE {table} SET retired_at = NULL WHERE id = ?", (row_id,))

    def delete_kiosk(self, kiosk_id: str) -> None:
        """Delete a kiosk that holds no ratings, with its tokens; InUse otherwise."""
        with self.db.transaction(serialize=True) as conn:
            kiosk = self._kiosk_row(conn, kiosk_id)
            if kiosk["received"]:
                raise InUse(f"kiosk {kiosk_id!r} holds {kiosk['received']} ratings and cannot"
                            f" be deleted; retire it instead"
                            f" ('hymy-collector kiosk retire {kiosk_id}')")
            conn.execute(
                "DELETE FROM sessions WHERE token_id IN (SELECT id FROM tokens WHERE kiosk_id = ?)",
                (kiosk_id,),
            )
            conn.execute("DELETE FROM enrollment_codes WHERE kiosk_id = ?", (kiosk_id,))
            conn.execute("DELETE FROM tokens WHERE kiosk_id = ?", (kiosk_id,))
            conn.execute("DELETE FROM seq_gaps WHERE kiosk_id = ?", (kiosk_id,))
            conn.execute("DELETE FROM kiosk_moves WHERE kiosk_id = ?", (kiosk_id,))
            conn.execute("DELETE FROM kiosks WHERE id = ?", (kiosk_id,))

    def kiosks(self, store_id: str | None = None) -> list[dict[str, Any]]:
        """Kiosk rows with their status, plus missing seq ranges (``gaps``)."""
        sql = (
            "SELECT id, store_id, label, touchpoint, retired_at, created_at, last_seen, last_sync,"
            " last_rating_at, app_version, pending, oldest_pending_at, reported_last_seq,"
            f" clock_offset_s, received, max_seq, {', '.join(HEALTH_COLUMNS)} FROM kiosks"
        )
        gaps_sql = "SELECT kiosk_id, gap_start, gap_end FROM seq_gaps"
        with self.db.transaction() as conn:  # one query for the gaps, whatever the kiosks
            if store_id is None:
                kiosks = conn.query(sql + " ORDER BY store_id, id")
                gap_rows = conn.rows(gaps_sql + " ORDER BY kiosk_id, gap_start")
            else:
                kiosks = conn.query(sql + " WHERE store_id = ? ORDER BY id", (store_id,))
                gap_rows = conn.rows(gaps_sql + " WHERE kiosk_id IN (SELECT id FROM kiosks"
                                     " WHERE store_id = ?) ORDER BY kiosk_id, gap_start",
                                     (store_id,))
        gaps: dict[str, list[tuple[int, int]]] = {}
        for kiosk_id, start, end in gap_rows:
            gaps.setdefault(kiosk_id, []).append((start, end))
        for kiosk in kiosks:
            kiosk["gaps"] = gaps.get(kiosk["id"], [])
        return kiosks

    def add_token(
        self,
        role: str,
        store_id: str | None = None,
        kiosk_id: str | None = None,
        label: str | None = None,
        region_id: str | None = None,
    ) -> NewToken:
        """Create a token for ``role``; the secret is in the result and nowhere else.

        A staff or office token with ``region_id`` reads that region's stores only.
        """
        check_role(role, store_id, kiosk_id, region_id)
        with self.db.transaction(serialize=True) as conn:
            if region_id is not None:
                self._region_row(conn, region_id)
                made = self._insert_token(conn, role, None, None, label)
                conn.execute("UPDATE tokens SET region_id = ? WHERE id = ?", (region_id, made.id))
                return made
            if kiosk_id is not None:
                owner = conn.scalar("SELECT store_id FROM kiosks WHERE id = ?", (kiosk_id,))
                if owner is None:
                    raise NotFound(f"no kiosk {kiosk_id!r}")
                if store_id is not None and store_id != owner:
                    raise ValueError(f"kiosk {kiosk_id!r} belongs to store {owner!r}")
                store_id = owner
            elif store_id is not None and not conn.scalar(
                "SELECT 1 FROM stores WHERE id = ?", (store_id,)
            ):
                raise NotFound(f"no store {store_id!r}")
            return self._insert_token(conn, role, store_id, kiosk_id, label)

    def _insert_token(
        self,
        conn: Connection,
        role: str,
        store_id: str | None,
        kiosk_id: str | None,
        label: str | None,
    ) -> NewToken:
        token = new_token()
        conn.execute(
            "INSERT INTO tokens (hash, role, store_id, kiosk_id, label, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (hash_token(token), role, store_id, kiosk_id, label, format_utc(utc_now())),
        )
        token_id = conn.scalar("SELECT id FROM tokens WHERE hash = ?", (hash_token(token),))
        return NewToken(token_id, token, role, store_id, kiosk_id)

    def tokens(self) -> list[dict[str, Any]]:
        """Every token's metadata (never the secret, which is not stored)."""
        return self.db.query(
            "SELECT id, role, store_id, kiosk_id, region_id, label, created_at, revoked_at"
            " FROM tokens ORDER BY id"
        )

    def revoke_token(self, token_id: int) -> None:
        """Revoke a token at once; its next request gets 401."""
        with self.db.transaction(serialize=True) as conn:
            changed = conn.execute(
                "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                (format_utc(utc_now()), token_id),
            )
        if not changed:
            raise NotFound(f"no token with id {token_id}")

    def principal(self, token: str) -> Principal | None:
        """The caller a token belongs to, or None when it is unknown or revoked."""
        digest = hash_token(token)
        with self.db.connection() as conn:
            return self._scoped(_principal(conn.query_one(PRINCIPAL, (digest,)), digest))

    async def principal_async(self, token: str) -> Principal | None:
        """:meth:`principal` for the event loop (see ``Database.query_one_async``);
        a region-scoped token's stores are read in a worker thread."""
        digest = hash_token(token)
        found = _principal(await self.db.query_one_async(PRINCIPAL, (digest,)), digest)
        if found is not None and found.region_id is not None:
            return await asyncio.to_thread(self._scoped, found)
        return found

    def _scoped(self, principal: Principal | None) -> Principal | None:
        """A region-scoped principal with the stores and regions it may read filled in:
        each of its regions' subtrees (a person may have several, and stores of their own),
        read from the tree now, so a store moved in or out counts at the next request."""
        if principal is None or principal.region_id is None:
            return principal
        whole = self.region_tree()
        mine = [region for region in principal.scope_regions if region in whole.regions]
        return replace(principal,
                       region_stores=frozenset(principal.stores).union(
                           *(whole.stores_in(region) for region in mine)),
                       regions=frozenset().union(*(whole.below(region) for region in mine)))

    # -- enrollment codes ---------------------------------------------------

    def issue_code(self, kiosk_id: str, valid_hours: float = CODE_VALID_HOURS) -> NewCode:
        """A fresh one-time enrollment code for a kiosk; its earlier codes stop working.

        Only the code's hash is stored.  A retired kiosk gets none (restore it first).
        """
        if not 0 < valid_hours <= CODE_MAX_HOURS:
            raise ValueError(f"a code is valid for more than 0 and at most {CODE_MAX_HOURS:g}"
                             f" hours, not {valid_hours:g}")
        now = utc_now()
        code = new_code()
        expires_at = format_utc(now + timedelta(hours=valid_hours))
        with self.db.transaction(serialize=True) as conn:
            kiosk = self._kiosk_row(conn, kiosk_id)
            if kiosk["retired_at"]:
                raise ValueError(f"kiosk {kiosk_id!r} is retired; restore it first"
                                 f" ('hymy-collector kiosk restore {kiosk_id}')")
            conn.execute(
                "UPDATE enrollment_codes SET replaced_at = ?"
                " WHERE kiosk_id = ? AND used_at IS NULL AND replaced_at IS NULL",
                (format_utc(now), kiosk_id),
            )
            conn.execute(
                "INSERT INTO enrollment_codes (hash, kiosk_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (hash_code(code), kiosk_id, format_utc(now), expires_at),
            )
        return NewCode(kiosk_id, code, expires_at)

    def live_code(self, kiosk_id: str) -> dict[str, Any] | None:
        """``{created_at, expires_at}`` of the kiosk's code that still works, or None."""
        with self.db.connection() as conn:
            return conn.query_one(
                "SELECT created_at, expires_at FROM enrollment_codes WHERE kiosk_id = ?"
                " AND used_at IS NULL AND replaced_at IS NULL AND expires_at > ?"
                " ORDER BY id DESC LIMIT 1",
                (kiosk_id, format_utc(utc_now())),
            )

    def enroll(self, code: str) -> dict[str, Any]:
        """Exchange an enrollment code for a new kiosk token, once.

        In one transaction the code is marked used and the token minted, so a
        code raced by two kiosks enrolls one of them.  Returns the kiosk's
        store (``store_id``, ``store_name``, ``timezone``), ``kiosk_id`` and
        the new ``token``.  Raises :class:`NotFound` for a code that never
        existed and :class:`CodeGone` for one used, expired or replaced; then
        nothing changes.
        """
        digest = hash_code(code)
        now = format_utc(utc_now())
        with self.db.transaction(serialize=True) as conn:
            row = conn.query_one(
                "SELECT c.id, c.hash, c.kiosk_id, c.expires_at, c.used_at, c.replaced_at,"
                " k.store_id, k.label, k.retired_at, s.name, s.timezone,"
                " s.retired_at AS store_retired"
                " FROM enrollment_codes c JOIN kiosks k ON k.id = c.kiosk_id"
                " JOIN stores s ON s.id = k.store_id WHERE c.hash = ?",
                (digest,),
            )
            if row is None or not same_hash(row["hash"], digest):
                raise NotFound("unknown enrollment code; check it, or issue a new one with"
                               " 'hymy-collector kiosk enroll-code KIOSK'")
            gone = _code_gone(row, now)
            if gone:
                raise CodeGone(f"this enrollment code {gone}; issue a new one with"
                               f" 'hymy-collector kiosk enroll-code {row['kiosk_id']}'")
            made = self._insert_token(conn, "kiosk", row["store_id"], row["kiosk_id"],
                                      row["label"])
            conn.execute("UPDATE enrollment_codes SET used_at = ?, token_id = ? WHERE id = ?",
                         (now, made.id, row["id"]))
        return {"store_id": row["store_id"], "store_name": row["name"],
                "timezone": row["timezone"], "kiosk_id": row["kiosk_id"], "token": made.token}

    # -- surveys ----------------------------------------------------------

    def survey(self, store_id: str, touchpoint: str | None = None) -> Survey:
        """What a kiosk at ``touchpoint`` of the store shows (None: the store's own survey):
        the touchpoint's survey, else the store's, else the default one (version 0)."""
        with self.db.connection() as conn:
            found = surveys.resolved(conn, store_id, touchpoint)
        return DEFAULT_SURVEY if found is None else _stored_survey(*found)

    def kiosk_survey(self, store_id: str, kiosk_id: str | None) -> Survey:
        """The survey a kiosk is given: its touchpoint's, else its store's (one connection)."""
        with self.db.connection() as conn:
            found = surveys.resolved(conn, store_id, surveys.kiosk_touchpoint(conn, kiosk_id))
        return DEFAULT_SURVEY if found is None else _stored_survey(*found)

    def store_surveys(self, store_id: str) -> dict[str, Any]:
        """The store's own survey (None if unset) and each touchpoint's that has one."""
        with self.db.connection() as conn:
            self._store_row(conn, store_id)
            own = surveys.current(conn, store_id, None)
            named = {name: surveys.current(conn, store_id, name)
                     for name in surveys.set_touchpoints(conn, store_id)}
        return {"store": None if own is None else _stored_survey(*own),
                "touchpoints": {name: _stored_survey(*found)
                                for name, found in named.items() if found is not None}}

    def touchpoint_survey(self, store_id: str, touchpoint: str) -> Survey:
        """What kiosks at a touchpoint of the store show; NotFound for an unknown one."""
        with self.db.connection() as conn:
            found = surveys.resolved(conn, store_id,
                                     self._survey_touchpoint(conn, store_id, touchpoint))
        return DEFAULT_SURVEY if found is None else _stored_survey(*found)

    def unset_survey(self, store_id: str, touchpoint: str) -> bool:
        """Let a touchpoint's kiosks show the store's survey again; False if it had none."""
        with self.db.transaction(serialize=True) as conn:
            touchpoint = self._survey_touchpoint(conn, store_id, touchpoint)
            return surveys.unset(conn, store_id, touchpoint, format_utc(utc_now()))

    def _survey_touchpoint(self, conn: Connection, store_id: str, name: str) -> str:
        """A touchpoint of the store a survey may be set for, cleaned; NotFound otherwise."""
        self._store_row(conn, store_id)
        touchpoint = regions.clean_touchpoint(name)
        if touchpoint is None:
            raise ValueError("--touchpoint: give a touchpoint name, e.g. service_desk")
        known = surveys.known_touchpoints(conn, store_id)
        if touchpoint not in known and touchpoint not in surveys.set_touchpoints(conn, store_id):
            raise NotFound(f"no touchpoint {touchpoint!r} in store {store_id!r}: use one of"
                           f" {', '.join(known)}, or stand a kiosk there first"
                           " ('hymy-collector kiosk touchpoint')")
        return touchpoint

    def survey_scales(self) -> dict[str, int]:
        """Faces of each store's current survey, for stores that set one (one query)."""
        with self.db.connection() as conn:
            rows = conn.rows(
                "SELECT store_id, version, body FROM surveys s WHERE version ="
                " (SELECT MAX(version) FROM surveys WHERE store_id = s.store_id"
                " AND touchpoint IS NULL)"
            )
        return {
            store_id: _stored_survey(version, body).scale for store_id, version, body in rows
        }

    def reason_keys(self, store_id: str) -> frozenset[str]:
        """Every reason key the store's kiosks may send: built in, or in any survey version.

        Not only the current survey's: a kiosk that showed an older version
        (offline, or between two syncs) sends the reasons that version
        offered, and those must not be lost.  Versions only ever get added, so
        the keys seen are kept and only newer versions are read (one query).
        """
        version, keys = self._reasons.get(store_id, (0, BUILT_IN_REASONS))
        with self.db.connection() as conn:
            rows = conn.rows(
                "SELECT version, body FROM surveys WHERE store_id = ? AND version > ?"
                " ORDER BY version",
                (store_id, version),
            )
        for version, body in rows:
            keys = keys | set(_stored_survey(version, body).reason_keys())
        self._reasons[store_id] = (version, keys)
        return keys

    def set_survey(self, store_id: str, survey: Survey,
                   touchpoint: str | None = None) -> Survey:
        """Store a new survey version for a store, or for one of its touchpoints (the
        version number is assigned here, one sequence per store)."""
        with self.db.transaction(serialize=True) as conn:
            if touchpoint is None:
                self._store_row(conn, store_id)
            else:
                touchpoint = self._survey_touchpoint(conn, store_id, touchpoint)
            body = json.dumps(survey.model_dump(exclude={"version"}), ensure_ascii=False)
            version = surveys.insert(conn, store_id, touchpoint, body, format_utc(utc_now()))
        return survey.model_copy(update={"version": version})

    def survey_warnings(self, store_id: str, survey: Survey) -> list[str]:
        """What a survey leaves its store's shoppers to stock words (missing languages);
        ``survey set`` and the API's PUT both tell the admin, and store the survey anyway."""
        since = format_utc(utc_now() - timedelta(days=languages.RECENT_DAYS))
        with self.db.connection() as conn:
            answered = languages.answered_in(conn, store_id, since)
        return language_warnings(survey, answered)

    # -- ingest -----------------------------------------------------------

    def ingest(
        self,
        kiosk: Principal,
        ratings: Sequence[Rating],
        sent_at: datetime,
        status: KioskStatus | None = None,
        now: datetime | None = None,
        stores: Sequence[str] | None = None,
    ) -> IngestOutcome:
        """Store a kiosk's validated ratings exactly once, with roll-ups, in one transaction.

        A rating whose ``id`` is already stored is a ``duplicate`` when its
        content is the same and a ``conflict`` when it differs (the first
        version stays).  A batch without ratings is a heartbeat: it only
        updates the kiosk's last-seen time, status and clock offset.  Each
        rating is filed under the token's store, or under ``stores[i]`` when
        given (a moved kiosk's ratings made in an earlier store).
        """
        now = now or utc_now()
        offset = round((now - sent_at).total_seconds(), 3)
        suspect = int(abs(offset) > self.clock_tolerance_s)
        received_at = format_utc(now)
        store_id, kiosk_id = kiosk.store_id, kiosk.kiosk_id
        rows = _table_rows(ratings, stores or store_id, kiosk_id, received_at, suspect)
        # Zones cached now: the transaction must not borrow a second connection.
        for filed in set(stores or ()) | {store_id}:
            self.zone(filed)
        try:
            outcome = self._ingest(kiosk_id, rows, received_at, offset, status, look_up=False)
        except Duplicate:
            # An id already stored under a seq above this kiosk's highest: another
            # kiosk's, or re-sent with a new seq.  Again, looking up every id.
            outcome = self._ingest(kiosk_id, rows, received_at, offset, status, look_up=True)
        outcome.clock_offset_s, outcome.clock_suspect = offset, bool(suspect)
        return outcome

    def _ingest(
        self, kiosk_id: str, rows: list[tuple], received_at: str, offset: float,
        status: KioskStatus | None, look_up: bool,
    ) -> IngestOutcome:
        """One ingest transaction: the verdicts, the inserts, the kiosk's contact.

        Ratings with seqs above the highest one stored for this kiosk, none
        twice, are new unless an id clashes with another rating, which the
        ``id`` column's UNIQUE constraint catches (:class:`Duplicate`): so the
        usual batch costs no lookup.  Otherwise (or with ``look_up``) the
        stored ratings among the batch's ids are read first.
        """
        outcome = IngestOutcome()
        with self.db.transaction(serialize=True) as conn:
            max_seq = conn.scalar("SELECT max_seq FROM kiosks WHERE id = ?", (kiosk_id,)) or 0
            ids = [row[0] for row in rows]
            unique = len(set(ids)) == len(ids)
            new_seqs = rows and not look_up and unique and min(row[1] for row in rows) > max_seq
            stored = {} if new_seqs else self._stored_content(conn, ids)
            if not stored and unique:
                # The usual batch: every rating new, none twice.
                fresh = rows
                outcome.statuses = [("accepted", None)] * len(rows)
            else:
                fresh = []
                for row in rows:
                    content = _CONTENT(row)
                    before = stored.get(row[0])
                    if before is None:
                        stored[row[0]] = content
                        fresh.append(row)
                        outcome.statuses.append(("accepted", None))
                    elif before == content:
                        outcome.statuses.append(("duplicate", None))
                    else:
                        outcome.statuses.append(("conflict", _difference(before, content)))
            if fresh:
                max_seq = self.insert_rows(conn, kiosk_id, fresh, max_seq)
            self._record_contact(conn, kiosk_id, received_at, bool(rows), offset, status)
            outcome.missing = self._missing(conn, kiosk_id, status, max_seq)
        return outcome

    @staticmethod
    def _missing(
        conn: Connection, kiosk_id: str, status: KioskStatus | None, max_seq: int,
        limit: int = 100,
    ) -> list[tuple[int, int]]:
        """Seq ranges of a kiosk this collector lacks: its gaps, then any beyond its max_seq.

        The kiosk's own ``last_seq`` tells of ratings above the highest one
        stored here - what a collector restored from an older backup lacks.
        """
        missing = [
            (start, end) for start, end in conn.rows(
                "SELECT gap_start, gap_end FROM seq_gaps WHERE kiosk_id = ?"
                " ORDER BY gap_start LIMIT ?",
                (kiosk_id, limit),
            )
        ]
        last = status.last_seq if status is not None else None
        if last is not None and len(missing) < limit and last > max_seq:
            missing.append((max_seq + 1, last))
        return missing

    def bulk_insert(self, kiosk_id: str, rows: Sequence[tuple]) -> None:
        """Insert many new rows of one kiosk in one transaction (demo data, imports).

        A row may stop before ``kind`` and ``followup`` (the columns before
        question kinds): its kind then follows its scale, with no follow-up.
        """
        rows = [row if len(row) == len(ROW) else (*row, kind_of(row[5]), None) for row in rows]
        if rows:
            for store_id in {row[2] for row in rows}:
                self.zone(store_id)
            with self.db.transaction(serialize=True) as conn:
                self.insert_rows(conn, kiosk_id, rows)

    def record_contact(
        self, kiosk_id: str, when: str, offset: float, status: KioskStatus | None
    ) -> None:
        """Set a kiosk's last contact, clock offset and self-report outside a batch."""
        with self.db.transaction(serialize=True) as conn:
            self._record_contact(conn, kiosk_id, when, True, offset, status)

    def _stored_content(self, conn: Connection, ids: Sequence[str]) -> dict[str, tuple]:
        """Content of the ratings among ``ids`` that are already stored."""
        found: dict[str, tuple] = {}
        unique = list(dict.fromkeys(ids))
        for part in chunks(unique):
            where, params = conn.any_of("id", part)
            for row in conn.rows(
                f"SELECT id, {', '.join(CONTENT)} FROM ratings WHERE {where}", params
            ):
                found[row[0]] = tuple(row[1:])
        return found

    def insert_rows(
        self, conn: Connection, kiosk_id: str, rows: Sequence[tuple], max_seq: int | None = None
    ) -> int:
        """Insert new rating rows of one kiosk and update every roll-up and seq counter.

        Rows are tuples in :data:`~sync.collector.db.rollups.ROW` order and must
        not be stored yet (an ``id`` that is raises :class:`Duplicate`);
        callers hold a serialised transaction and may pass the kiosk's
        ``max_seq`` they just read.  Returns the new ``max_seq``.  Ingest and
        ``hymy-collector demo`` both go through here.
        """
        conn.insert_many("ratings", ROW, rows)
        self._add_tallies(conn, tally(rows, self.hours))
        seqs = [row[1] for row in rows]
        if max_seq is None:
            max_seq = conn.scalar("SELECT max_seq FROM kiosks WHERE id = ?", (kiosk_id,)) or 0
        low = min(seqs)
        touched: list[Gap] = []
        if low <= max_seq:
            touched = [
                (start, end)
                for start, end in conn.rows(
                    "SELECT gap_start, gap_end FROM seq_gaps"
                    " WHERE kiosk_id = ? AND gap_end >= ? AND gap_start <= ?",
                    (kiosk_id, low, max_seq),
                )
            ]
        gaps, new_max = update_gaps(touched, max_seq, seqs)
        for part in chunks(touched):
            where, params = conn.any_of("gap_start", [start for start, _ in part])
            conn.write(
                f"DELETE FROM seq_gaps WHERE kiosk_id = ? AND {where}", (kiosk_id, *params)
            )
        conn.executemany(
            "INSERT INTO seq_gaps (kiosk_id, gap_start, gap_end) VALUES (?, ?, ?)",
            [(kiosk_id, start, end) for start, end in gaps],
        )
        newest = max(row[6] for row in rows)
        conn.write(
            "UPDATE kiosks SET max_seq = ?, received = received + ?,"
            " last_rating_at = CASE WHEN last_rating_at IS NULL OR last_rating_at < ?"
            " THEN ? ELSE last_rating_at END WHERE id = ?",
            (new_max, len(rows), newest, newest, kiosk_id),
        )
        return new_max

    def _add_tallies(self, conn: Connection, tallies: Tallies) -> None:
        for table, keys, counts in (
            ("daily_counts", DAILY_KEYS, tallies.daily),
            ("hourly_counts", HOURLY_KEYS, tallies.hourly),
            ("reason_counts", REASON_KEYS, tallies.reasons),
        ):
            conn.add_counts(table, keys, [(*key, n) for key, n in counts.items()])
        add_chain_days(conn, tallies.daily)
        self._add_running(conn, store_days(tallies.daily))

    @staticmethod
    def _add_running(conn: Connection, days: dict[tuple[str, int, str], list[int]]) -> None:
        """Add per-day counts to the running totals of their day and every later day.

        A day's row starts from the row before it (all inserts first, so
        that starting value is the one before this batch), then each day's
        counts are added to its row and the later ones: a live tap touches
        one row, a late one as many as its store has days of taps after it.
        """
        keys = [key for key, counts in days.items() if any(counts)]
        if not keys:
            return
        conn.executemany(
            "INSERT INTO running_keys (store_id, scale) VALUES (?, ?)"
            " ON CONFLICT (store_id, scale) DO NOTHING",
            list(dict.fromkeys(key[:2] for key in keys)),
        )
        conn.executemany(
            f"INSERT INTO running_counts (store_id, scale, local_date, {RUNNING_COLUMNS})"
            f" SELECT ?, ?, ?, {RUNNING_BEFORE}"
            f" FROM (SELECT {RUNNING_COLUMNS} FROM running_counts"
            " WHERE store_id = ? AND scale = ? AND local_date < ?"
            " ORDER BY local_date DESC LIMIT 1) AS previous WHERE TRUE"
            " ON CONFLICT (store_id, scale, local_date) DO NOTHING",
            [(*key, *key) for key in keys],
        )
        conn.executemany(
            f"UPDATE running_counts SET {RUNNING_ADD}"
            " WHERE store_id = ? AND scale = ? AND local_date >= ?",
            [(*days[key], *key) for key in keys],
        )

    def _record_contact(
        self,
        conn: Connection,
        kiosk_id: str,
        when: str,
        carried_ratings: bool,
        offset: float,
        status: KioskStatus | None,
    ) -> None:
        """Remember when a kiosk was last heard from, its clock offset and its own report."""
        conn.write(
            "UPDATE kiosks SET last_seen = ?, clock_offset_s = ?,"
            " last_sync = CASE WHEN ? = 1 THEN ? ELSE last_sync END WHERE id = ?",
            (when, offset, int(carried_ratings), when, kiosk_id),
        )
        if status is not None:
            # Health figures are as reported: a kiosk that stops sending one (an
            # older release, a failed probe) shows it unknown, not stale.
            conn.write(
                "UPDATE kiosks SET app_version = COALESCE(?, app_version), pending = ?,"
                " oldest_pending_at = ?, reported_last_seq = COALESCE(?, reported_last_seq),"
                f" {HEALTH_SET}"
                " WHERE id = ?",
                (
                    status.app_version, status.pending, status.oldest_pending_at,
                    status.last_seq, *(getattr(status, field) for field in HEALTH_FIELDS),
                    kiosk_id,
                ),
            )

    # -- reads: raw counts for reports ------------------------------------

    def daily_counts(
        self, store_id: str, start: str, end: str, kiosk_id: str | None = None
    ) -> list[tuple[str, int, int, int, int]]:
        """``(local_date, scale, score, suppressed, n)`` of one store (or kiosk), by day."""
        sql = (
            "SELECT local_date, scale, score, suppressed, SUM(n) FROM daily_counts"
            " WHERE store_id = ? AND local_date >= ? AND local_date <= ?"
        )
        params: list[Any] = [store_id, start, end]
        if kiosk_id is not None:
            sql += " AND kiosk_id = ?"
            params.append(kiosk_id)
        sql += " GROUP BY local_date, scale, score, suppressed ORDER BY local_date"
        with self.db.connection() as conn:
            return conn.rows(sql, params)

    def store_day_counts(
        self, start: str, end: str, store_id: str | None = None
    ) -> list[tuple[str, str, int, int, int, int]]:
        """``(store_id, local_date, scale, score, suppressed, n)`` for every store, by day."""
        sql = (
            "SELECT store_id, local_date, scale, score, suppressed, SUM(n) FROM daily_counts"
            " WHERE local_date >= ? AND local_date <= ?"
        )
        params: list[Any] = [start, end]
        if store_id is not None:
            sql += " AND store_id = ?"
            params.append(store_id)
        sql += " GROUP BY store_id, local_date, scale, score, suppressed"
        sql += " ORDER BY store_id, local_date"
        with self.db.connection() as conn:
            return conn.rows(sql, params)

    def chain_day_counts(self, start: str, end: str) -> list[tuple[str, int, int, int, int]]:
        """``(local_date, scale, score, suppressed, n)`` of the whole chain, by day."""
        with self.db.connection() as conn:
            return chain_day_counts(conn, start, end)

    def chain_counts(self, start: str, end: str) -> list[tuple[int, int, int, int]]:
        """``(scale, score, suppressed, n)`` of the whole chain over a period."""
        with self.db.connection() as conn:
            return chain_period_counts(conn, start, end)

    def period_counts(self, start: str, end: str) -> list[tuple[str, int, int, int, int]]:
        """``(store_id, scale, score, suppressed, n)`` per store over a period.

        From two running-total rows per store and scale: the one of the last
        day with taps up to ``end`` minus the one before ``start``.  So a
        year costs what a day does.
        """
        with self.db.connection() as conn:
            rows = conn.rows(RUNNING_PERIOD, (end, start))
        return [(store_id, scale, *RUNNING_KEY[index], n)
                for store_id, scale, *totals in rows
                for index, n in enumerate(totals) if n]

    def hourly_counts(
        self, store_id: str, start: str, end: str
    ) -> list[tuple[str, int, int, int, int]]:
        """``(local_date, hour, scale, score, n)`` of counted taps of one store."""
        return self._period_counts("hourly_counts", "local_date, hour", store_id, start, end)

    def response_hours(self, store_ids: Sequence[str], start: str, end: str
                       ) -> list[tuple[str, str, int]]:
        """``(store_id, local_date, hour)`` with counted responses, each once, of the
        stores given (one query per 500 stores): what opening hours are inferred from."""
        with self.db.connection() as conn:
            return [row for part in chunks(list(store_ids))
                    for row in hours.response_hours(conn, part, start, end)]

    def usual_hours(self, store_ids: Sequence[str], start: str, end: str
                    ) -> list[tuple[str, int, int, int, int, int]]:
        """``(store_id, day_type, hour, unhappy, taps, days)`` of counted faces from the
        hourly roll-ups (one query per 500 stores): the rate alert rule's usual rates."""
        with self.db.connection() as conn:
            return [row for part in chunks(list(store_ids))
                    for row in hours.usual_hours(conn, part, start, end, KIND_SCALES["csat"])]

    def reason_counts(
        self, store_id: str, start: str, end: str
    ) -> list[tuple[str, int, int, int]]:
        """``(reason, scale, score, n)`` of counted taps with a reason in one store."""
        return self._period_counts("reason_counts", "reason", store_id, start, end)

    def _period_counts(
        self, table: str, keys: str, store_id: str, start: str, end: str
    ) -> list[tuple]:
        """One roll-up table's counts of a store's local dates, summed per ``keys``,
        scale and score (``table`` and ``keys`` are this module's constants)."""
        with self.db.connection() as conn:
            return conn.rows(
                f"SELECT {keys}, scale, score, SUM(n) FROM {table}"  # noqa: S608
                " WHERE store_id = ? AND local_date >= ? AND local_date <= ?"
                f" GROUP BY {keys}, scale, score",
                (store_id, start, end),
            )

    # -- export -----------------------------------------------------------

    def export_ratings(self, after: int, limit: int) -> list[tuple]:
        """Up to ``limit`` ratings with ``ingest_seq > after``, oldest first.

        Writers are serialised, so ``ingest_seq`` values become visible in
        order: a reader that saw N will never later find a new row below N.
        """
        with self.db.connection() as conn:
            return conn.rows(
                f"SELECT {', '.join(EXPORT_COLUMNS)} FROM ratings"
                " WHERE ingest_seq > ? ORDER BY ingest_seq LIMIT ?",
                (after, limit),
            )

    def export_end(self, window: lines.Window, limit: int) -> tuple | None:
        """The key of the last rating of the next page of up to ``limit`` ratings of
        ``window``; None when it has none (:func:`~sync.collector.db.lines.page_end`)."""
        with self.db.connection() as conn:
            return lines.page_end(conn, window, limit)

    def export_text(self, window: lines.Window, end: Sequence[Any], fmt: str, delimiter: str,
                    clock: lines.Clock, stores: Sequence[lines.StoreCell],
                    ) -> tuple[int, bytes | None]:
        """The ratings of ``window`` up to the key ``end`` as CSV or JSON Lines text joined
        by the database (:mod:`sync.collector.db.lines`): ``(rows, text)``, the text None
        when a row needs the row-by-row writers.  ``clock`` gives the entries of the
        page's zones and UTC hours, ``stores`` the cells of the store names."""
        with self.db.connection() as conn:
            return lines.page_text(conn, window, end, fmt, delimiter, clock, stores)

    def export_lines(self, window: lines.Window, end: Sequence[Any], fmt: str, delimiter: str,
                     clock: lines.Clock, stores: Sequence[lines.StoreCell],
                     ) -> list[tuple[int, str | None]]:
        """The ratings of ``window`` up to the key ``end`` as ``(ingest_seq, line)``, in
        order: a page :meth:`export_text` left to Python, line by line (None: a row for
        the row-by-row writers)."""
        with self.db.connection() as conn:
            return lines.page_lines(conn, window, end, fmt, delimiter, clock, stores)

    def export_ratings_at(self, ingest_seqs: Sequence[int]) -> list[tuple]:
        """The stored export rows (:data:`EXPORT_COLUMNS`) of these ``ingest_seq`` values."""
        found: list[tuple] = []
        with self.db.connection() as conn:
            for part in chunks(list(ingest_seqs)):
                where, params = conn.any_of("ingest_seq", part)
                found += conn.rows(f"SELECT {', '.join(EXPORT_COLUMNS)} FROM ratings"
                                   f" WHERE {where} ORDER BY ingest_seq", params)
        return found

    def export_window(self, after: int, limit: int) -> tuple[int, int, bool]:
        """The export page after ``after``: its row count, its last ``ingest_seq``
        (``after`` when empty) and whether rows follow it.

        Decided before a streamed file sends its first byte, so the cursor
        headers are known up front; the rows up to that last ``ingest_seq``
        never change after (writers are serialised), so the pages read next
        are exactly these rows.
        """
        with self.db.connection() as conn:
            count, last = conn.rows(
                "SELECT COUNT(*), MAX(ingest_seq) FROM (SELECT ingest_seq FROM ratings"
                " WHERE ingest_seq > ? ORDER BY ingest_seq LIMIT ?) page",
                (after, limit),
            )[0]
            last = after if last is None else last
            more = conn.scalar("SELECT 1 FROM ratings WHERE ingest_seq > ? LIMIT 1", (last,))
        return count, last, bool(more)

    def ratings_in_period(
        self, start: str, end: str, after: tuple[str, int] = ("", 0), limit: int = 20_000
    ) -> list[tuple]:
        """Up to ``limit`` ratings with a local date in ``start..end``, by time, after a cursor.

        ``after`` is the ``(created_at, ingest_seq)`` of the last row of the
        previous page (the window: :func:`sync.collector.db.lines.in_period`).
        """
        window = lines.in_period(start, end, after)
        where, keys = window.where, window.order()
        with self.db.connection() as conn:
            return conn.rows(
                f"SELECT {', '.join(EXPORT_COLUMNS)} FROM ratings r WHERE {where}"
                f" ORDER BY {keys} LIMIT ?", (*window.params, limit))

    def count_after(self, after: int) -> int:
        """How many ratings an export starting after ``after`` would return."""
        with self.db.connection() as conn:
            return conn.scalar("SELECT COUNT(*) FROM ratings WHERE ingest_seq > ?", (after,))

    # -- dashboard: browser sessions and alert reads ------------------------

    def add_session(self, session_hash: str, token_id: int | None, expires_at: str,
                    user_id: int | None = None) -> None:
        """Store a browser session (only the hash of its id) tied to a login token or a user."""
        now = format_utc(utc_now())
        with self.db.transaction(serialize=True) as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT INTO sessions (hash, token_id, user_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (session_hash, token_id, user_id, now, expires_at),
            )

    def session_principal(self, session_hash: str) -> Principal | None:
        """The caller behind a live session: not expired, its token not revoked or its
        user not disabled."""
        with self.db.connection() as conn:
            row = conn.query_one(
                "SELECT s.hash, s.user_id, t.id, t.role, t.store_id, t.kiosk_id, t.region_id"
                " FROM sessions s LEFT JOIN tokens t ON t.id = s.token_id"
                " WHERE s.hash = ? AND s.expires_at > ?"
                " AND (s.user_id IS NOT NULL OR t.revoked_at IS NULL)",
                (session_hash, format_utc(utc_now())),
            )
            if row is None or not same_hash(row["hash"], session_hash):
                return None
            user = None if row["user_id"] is None else people_db.user_by_id(conn, row["user_id"])
        if row["user_id"] is not None:
            if user is None or user["disabled_at"]:
                return None
            return self._scoped(people.principal_of(user))
        return self._scoped(Principal(row["id"], row["role"], row["store_id"], row["kiosk_id"],
                                      region_id=row["region_id"]))

    # -- people (migration 011; SQL in db/users.py, rules in people.py) --------

    def add_user(self, email: str, role: str, stores: Sequence[str] = (),
                 name: str | None = None, language: str | None = None,
                 regions: Sequence[str] = ()) -> dict[str, Any]:
        """Create a person's account (no password yet: they set one from their invitation),
        reading ``stores`` and every store of ``regions`` (their sub-regions included)."""
        email, wanted = people.normal_email(email), tuple(dict.fromkeys(stores))
        areas = tuple(dict.fromkeys(regions))
        people.check_access(role, wanted, areas)
        language = people.check_language(language)
        with self.db.transaction(serialize=True) as conn:
            if people_db.user_by_email(conn, email):
                raise AlreadyExists(f"a user {email} already exists")
            self._check_scope(conn, wanted, areas)
            user_id = people_db.insert_user(conn, email, (name or "").strip() or None, role,
                                            language, format_utc(utc_now()))
            people_db.set_stores(conn, user_id, role, wanted)
            userregions.set_regions(conn, user_id, areas)
            return people_db.user_by_id(conn, user_id)

    @staticmethod
    def _check_scope(conn: Connection, stores: tuple[str, ...],
                     regions: tuple[str, ...]) -> None:
        missing = people_db.missing_stores(conn, stores)
        if missing:
            raise NotFound(f"no store {missing[0]!r} (see 'hymy-collector store list')")
        missing = userregions.missing_regions(conn, regions)
        if missing:
            raise NotFound(f"no region {missing[0]!r} (see 'hymy-collector region list')")

    def users(self) -> list[dict[str, Any]]:
        """Every person's account, by e-mail (never a password hash)."""
        with self.db.connection() as conn:
            return people_db.all_users(conn)

    def user(self, email: str) -> dict[str, Any] | None:
        """A person's account by e-mail (any case), or None."""
        try:
            email = people.normal_email(email)
        except ValueError:
            return None
        with self.db.connection() as conn:
            return people_db.user_by_email(conn, email)

    def user_with_id(self, user_id: int) -> dict[str, Any] | None:
        """A person's account by id, or None."""
        with self.db.connection() as conn:
            return people_db.user_by_id(conn, user_id)

    def _user_row(self, conn: Connection, email: str) -> dict[str, Any]:
        user = people_db.user_by_email(conn, people.normal_email(email))
        if user is None:
            raise NotFound(f"no user {email.strip()} (see 'hymy-collector user list')")
        return user

    def set_user_disabled(self, email: str, disabled: bool = True) -> dict[str, Any]:
        """Disable a person (their sessions and links end at once) or enable them again."""
        with self.db.transaction(serialize=True) as conn:
            user = self._user_row(conn, email)
            people_db.set_disabled(conn, user["id"], format_utc(utc_now()) if disabled else None)
            return people_db.user_by_id(conn, user["id"])

    def set_user_access(self, email: str, role: str, stores: Sequence[str],
                        regions: Sequence[str] = ()) -> dict[str, Any]:
        """Change a person's role, stores and regions (their open sessions see it on the
        next page)."""
        wanted, areas = tuple(dict.fromkeys(stores)), tuple(dict.fromkeys(regions))
        people.check_access(role, wanted, areas)
        with self.db.transaction(serialize=True) as conn:
            user = self._user_row(conn, email)
            self._check_scope(conn, wanted, areas)
            people_db.set_stores(conn, user["id"], role, wanted)
            userregions.set_regions(conn, user["id"], areas)
            return people_db.user_by_id(conn, user["id"])

    def set_user_password(self, email: str, password: str) -> None:
        """Give a person a new password (hashed with Argon2id)."""
        digest = people.hash_password(password)
        with self.db.transaction(serialize=True) as conn:
            people_db.set_password(conn, self._user_row(conn, email)["id"], digest)

    def issue_link(self, email: str, purpose: str) -> tuple[str, dict[str, Any]]:
        """A fresh one-time link secret (``signin`` or ``invite``) for an enabled person."""
        secret = people.new_link()
        ttl = people.SIGNIN_TTL if purpose == "signin" else people.INVITE_TTL
        now = utc_now()
        with self.db.transaction(serialize=True) as conn:
            user = self._user_row(conn, email)
            if user["disabled_at"]:
                raise ValueError(f"user {user['email']} is disabled; enable them first")
            people_db.insert_link(conn, hash_token(secret), user["id"], purpose,
                                  format_utc(now), format_utc(now + ttl))
        return secret, user

    def follow_link(self, secret: str, purpose: str,
                    use: bool = False) -> tuple[str, dict[str, Any] | None]:
        """What a followed link is worth (``people_db.LINK_*``) and whose it is; ``use``
        spends it (once: a second use answers ``used``)."""
        with self.db.transaction(serialize=use) as conn:
            return people_db.take_link(conn, hash_token(secret), purpose,
                                       format_utc(utc_now()), use)

    def delete_session(self, session_hash: str) -> None:
        """End a session at once (logout)."""
        with self.db.transaction(serialize=True) as conn:
            conn.execute("DELETE FROM sessions WHERE hash = ?", (session_hash,))

    def counted_ratings_since(self, since: str) -> list[tuple[str, str, int, int]]:
        """``(store_id, created_at, scale, score)`` of counted CSAT taps since an instant.

        In time order (so each store's taps are too), for windowed alert rules
        (unhappy bursts): unhappy faces are CSAT's, so NPS and CES taps are left
        out.  The order is the ``created_at`` index's: no sort, which at 2 000
        stores' day of taps cost a second.
        """
        with self.db.connection() as conn:
            return conn.rows(
                "SELECT store_id, created_at, scale, score FROM ratings"
                " WHERE created_at >= ? AND suppressed = 0 AND kind = 'csat'"
                " ORDER BY created_at",
                (since,),
            )

    # -- the alert log (SQL in db/alertlog.py) ----------------------------

    def alert(self, alert_id: int) -> dict[str, Any] | None:
        """One stored alert with its store's name, or None."""
        with self.db.connection() as conn:
            return alertlog.alert(conn, alert_id)

    def open_alerts(self) -> list[dict[str, Any]]:
        """Alerts not closed yet: what the office page shows."""
        with self.db.connection() as conn:
            return alertlog.open_alerts(conn)

    def alert_history(self, since: str, until: str,
                      store_id: str | tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """Alerts open at some time between two UTC instants, newest first."""
        with self.db.connection() as conn:
            return alertlog.history(conn, since, until, store_id)

    def acknowledge_alert(self, alert_id: int, principal: Principal, comment: str) -> bool:
        """Acknowledge an alert now in ``principal``'s name; False when someone already had."""
        with self.db.transaction(serialize=True) as conn:
            by = alertlog.principal_name(conn, principal.token_id, principal.role,
                                          principal.user_id)
            return alertlog.acknowledge(conn, alert_id, by, comment, format_utc(utc_now()))
    # -- digests (the SQL is in db/digests.py) -----------------------------

    def _digests(self, scope: str | None, call: Callable[[Connection], Any],
                 write: bool = False) -> Any:
        """Run one db/digests.py call in a transaction, after checking a store scope exists."""
        with self.db.transaction(serialize=write) as conn:
            if scope not in (None, digests.CHAIN):
                self._store_row(conn, scope)
            return call(conn)

    def digest_hour(self, scope: str) -> int:
        """The local hour a store's daily (or, for ``CHAIN``, the weekly) digest goes out."""
        return self._digests(scope, lambda conn: digests.hour(conn, scope))

    def set_digest_hour(self, scope: str, hour: int) -> None:
        """Send the scope's digest at local hour ``hour`` from now on."""
        self._digests(scope, lambda conn: digests.set_hour(conn, scope, hour), write=True)

    def digest_recipients(self, scope: str | None = None) -> list[dict[str, Any]]:
        """Who gets the scope's digest (every scope's when None), with their language."""
        return self._digests(scope, lambda conn: digests.recipients(conn, scope))

    def add_digest_recipient(self, scope: str, address: str, lang: str) -> None:
        """Send the scope's digest to ``address`` in ``lang`` too (or change its language)."""
        self._digests(scope, lambda conn: digests.add_recipient(
            conn, scope, address, lang, utc_now()), write=True)

    def remove_digest_recipient(self, scope: str, address: str) -> bool:
        """Stop sending the scope's digest to ``address``; False when it was not a recipient."""
        return bool(self._digests(scope, lambda conn: digests.remove_recipient(
            conn, scope, address), write=True))

    def claim_digest(self, kind: str, scope: str, day: str, address: str,
                     now: datetime) -> bool:
        """Take the one right to send this digest to this address (see db/digests.py)."""
        return self._digests(None, lambda conn: digests.claim(
            conn, kind, scope, day, address, now), write=True)

    def finish_digest(self, kind: str, scope: str, day: str, address: str,
                      error: str | None) -> None:
        """Record a claimed digest as sent, or as failed with why."""
        self._digests(None, lambda conn: digests.finish(
            conn, kind, scope, day, address, error), write=True)

    def digests_sent(self, scope: str | None = None) -> list[dict[str, Any]]:
        """Digests sent or tried, newest day first."""
        return self._digests(None, lambda conn: digests.sent(conn, scope))

    # -- comments from shoppers' phones (the SQL is in db/comments.py) -------

    def comment_keys(self, kiosk_id: str) -> tuple[str | None, list[str]]:
        """The kiosk's store and its live token hashes (the links' keys come from them)."""
        with self.db.connection() as conn:
            return comments.kiosk_keys(conn, kiosk_id)

    def comment_taken(self, kiosk_id: str, rating_id: str) -> bool:
        """True when the rating already has its comment (the link is used)."""
        with self.db.connection() as conn:
            return comments.taken(conn, kiosk_id, rating_id)

    def add_comment(self, row: dict[str, Any]) -> bool:
        """Store a masked comment once; False when its rating has one already.
        Serialised like ingest, so the ``id`` export cursor only grows."""
        with self.db.transaction(serialize=True) as conn:
            return comments.add(conn, row)

    def recent_comments(self, store_id: str, since: str, limit: int = 20) -> list[dict[str, Any]]:
        """A store's comments since ``since``, newest first, with their rating's face."""
        with self.db.connection() as conn:
            return comments.recent(conn, store_id, since, limit)

    def comments_between(self, store_id: str, start: str, end: str,
                         limit: int = 5) -> list[dict[str, Any]]:
        """A store's first ``limit`` comments in ``[start, end)``, oldest first."""
        with self.db.connection() as conn:
            return comments.between(conn, store_id, start, end, limit)

    def export_comments(self, after: int, limit: int) -> list[tuple]:
        """Comments after the ``id`` cursor, oldest first (db/comments.py EXPORT_COLUMNS)."""
        with self.db.connection() as conn:
            return comments.export(conn, after, limit)

    def delete_comments_before(self, before: str) -> int:
        """Delete comments made before ``before``; how many went."""
        with self.db.transaction(serialize=True) as conn:
            return comments.delete_before(conn, before)

    # -- maintenance ------------------------------------------------------

    def check(self, repair: bool = False,
              step: Callable[[str], None] = lambda _: None) -> list[str]:
        """Recount roll-ups and seq tracking from raw ratings; list every difference.

        The database does the counting (:mod:`~sync.collector.db.recount`);
        ``step`` is told each step's name (``recount.STEPS``) as it ends, for a
        progress bar.  With ``repair=True`` the stored roll-ups are replaced by
        the recounted ones (in one transaction).  An empty list means everything agrees.
        """
        for store in self.stores():
            self.zone(store["id"])  # cached now: counting borrows no other connection
        with self.db.transaction(serialize=repair) as conn:
            found = recount(conn, self.db.transaction, self.hours, self.cached_zone, step)
            problems = found.problems + self._check_seqs(conn, found.seqs)
            step(STEPS[-1])
            if repair and problems:
                self._rebuild(conn, found)
        return problems

    def _check_seqs(self, conn: Connection, seqs: dict[str, KioskSeqs]) -> list[str]:
        """Compare each kiosk's max_seq, received and gaps with what its ratings say."""
        problems = []
        stored_gaps: dict[str, list[Gap]] = {}
        for kiosk_id, start, end in conn.rows(
                "SELECT kiosk_id, gap_start, gap_end FROM seq_gaps ORDER BY kiosk_id, gap_start"):
            stored_gaps.setdefault(kiosk_id, []).append((start, end))
        for kiosk in conn.query("SELECT id, max_seq, received FROM kiosks"):
            said = seqs.get(kiosk["id"], KioskSeqs())
            found = (kiosk["max_seq"], kiosk["received"], stored_gaps.get(kiosk["id"], []))
            if found != (said.max_seq, said.received, said.gaps):
                problems.append(
                    f"kiosk {kiosk['id']}: stored max_seq/received/gaps {found[0]}/{found[1]}/"
                    f"{len(found[2])} ranges, ratings say {said.max_seq}/{said.received}/"
                    f"{len(said.gaps)} ranges"
                )
        return problems

    def _rebuild(self, conn: Connection, found: Recount) -> None:
        """Replace every roll-up and seq counter with values recounted from ratings."""
        for table in ("daily_counts", "hourly_counts", "reason_counts", "running_keys",
                      "running_counts", "chain_day_counts", "seq_gaps"):
            conn.execute(f"DELETE FROM {table}")
        self._add_tallies(conn, Tallies(daily=daily_recount(conn)))
        rebuild_counts(conn, self.hours, self.cached_zone)
        for kiosk_id in [row[0] for row in conn.rows("SELECT id FROM kiosks")]:
            said = found.seqs.get(kiosk_id, KioskSeqs())
            conn.executemany(
                "INSERT INTO seq_gaps (kiosk_id, gap_start, gap_end) VALUES (?, ?, ?)",
                [(kiosk_id, a, b) for a, b in said.gaps],
            )
            conn.execute("UPDATE kiosks SET max_seq = ?, received = ? WHERE id = ?",
                         (said.max_seq, said.received, kiosk_id))

    def backup(self, destination: str | Path) -> None:
        """Write a consistent copy of the live SQLite database to ``destination``.

        On PostgreSQL this raises :class:`~sync.collector.db.DatabaseError`
        pointing to ``pg_dump``.
        """
        path = Path(destination)
        if self.db.backend != "sqlite":
            self.db.backup(path)
        if path.exists():
            raise AlreadyExists(f"{path} already exists; choose a new file name")
        try:
            self.db.backup(path)
        except sqlite3.Error as error:
            path.unlink(missing_ok=True)
            raise ValueError(f"backup to {path} failed: {error}") from None


def _tree_call(call: Callable[..., None], conn: Connection, *args: Any) -> None:
    """Run a db/regions.py change, its missing-region LookupError as :class:`NotFound`."""
    try:
        call(conn, *args)
    except NotFound:
        raise
    except LookupError as error:
        raise NotFound(str(error)) from None


def _unknown(kind: str, row_id: str) -> NotFound:
    """No store or kiosk (``kind``) with this id: the error names the command that lists them."""
    return NotFound(f"no {kind} {row_id!r}; 'hymy-collector {kind} list' shows them")


def _row(conn: Connection, kind: str, columns: str, row_id: str) -> dict[str, Any]:
    """``columns`` of one store's or kiosk's row (``kind``), read inside a change's
    transaction; :func:`_unknown` when there is none."""
    table = f"{kind}s"
    row = conn.query_one(f"SELECT {columns} FROM {table} WHERE id = ?", (row_id,))
    if row is None:
        raise _unknown(kind, row_id)
    return row


def _table_rows(
    ratings: Sequence[Rating | tuple], store_id: str | Sequence[str], kiosk_id: str,
    received_at: str, suspect: int,
) -> list[tuple]:
    """Rows of the ``ratings`` table (:data:`ROW` order), built column by column.

    Store (one for all, or one per rating) and kiosk come from the collector,
    never from the rating.
    """
    if not ratings:
        return []
    tuples = [r if isinstance(r, tuple) else astuple(r) for r in ratings]
    (ids, seqs, _, _, scores, scales, created, dates, langs, reasons, suppressed,
     versions, kinds, followups) = zip(*tuples, strict=True)
    n = len(tuples)
    store_ids = repeat(store_id, n) if isinstance(store_id, str) else store_id
    return list(zip(
        ids, seqs, store_ids, repeat(kiosk_id, n), scores, scales, created, dates,
        langs, reasons, map(int, suppressed), versions, repeat(received_at, n),
        repeat(suspect, n), kinds, followups, strict=True,
    ))


def _principal(row: dict[str, Any] | None, digest: str) -> Principal | None:
    """The principal of a live token's row (None for no row), compared in constant time."""
    if row is None or not same_hash(row["hash"], digest):
        return None
    retired = None
    if row["role"] == "kiosk" and row["kiosk_retired"]:
        retired = (f"kiosk {row['kiosk_id']!r} was retired at {row['kiosk_retired']} and takes"
                   f" no more ratings; an admin can restore it with"
                   f" 'hymy-collector kiosk restore {row['kiosk_id']}'")
    elif row["role"] == "kiosk" and row["store_retired"]:
        retired = (f"store {row['store_id']!r} was retired at {row['store_retired']} and takes"
                   f" no more ratings; an admin can restore it with"
                   f" 'hymy-collector store restore {row['store_id']}' or move this kiosk")
    return Principal(row["id"], row["role"], row["store_id"], row["kiosk_id"], retired,
                     row["moved_at"], region_id=row["region_id"])


def _code_gone(row: dict[str, Any], now: str) -> str | None:
    """Why an enrollment code's row works no more (words after "this code"), or None."""
    if row["used_at"]:
        return f"was already used at {row['used_at']}"
    if row["replaced_at"]:
        return f"was replaced by a newer one at {row['replaced_at']}"
    if row["expires_at"] <= now:
        return f"expired at {row['expires_at']}"
    if row["retired_at"]:
        return f"is for kiosk {row['kiosk_id']!r}, which is retired"
    if row["store_retired"]:
        return f"is for a kiosk of store {row['store_id']!r}, which is retired"
    return None


def _stored_survey(version: int, body: str) -> Survey:
    """A survey as the ``surveys`` table keeps it: JSON body, version beside it."""
    return Survey.model_validate({**json.loads(body), "version": version})


def _difference(before: tuple, after: tuple) -> str:
    """Name the fields where a re-sent rating differs from the stored one."""
    names = [name for name, a, b in zip(CONTENT, before, after, strict=True) if a != b]
    return f"id already stored with a different {', '.join(names)}; the first version stays"
