"""The kiosk's local SQLite store: every tap is durable before the shopper is thanked.

One file, WAL journal, ``synchronous=FULL``: a tap acknowledged on screen
survives a power cut.  ``seq`` is the table's rowid (``INTEGER PRIMARY KEY``)
and a tap takes the newest row's ``seq`` + 1 in the same transaction as the
insert, so it is 1, 2, 3... without gaps.  It is never reused, even after old
rows are pruned: a prune that deletes the newest row first leaves a floor
(``next_seq``) in the ``state`` table.  A tap writes nothing but its row.

A file connection is bound to the thread that opened it: the UI thread and the
sync thread each open their own :class:`Store` on the same file.  Every write
is a short ``BEGIN IMMEDIATE`` transaction, so the two never deadlock.

This module imports no Kivy; the uploader sees it only through the
:class:`sync.uploader.Outbox` protocol.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils import Migrations

from sync.clock import format_utc, local_date, utc_now, zone
from sync.metrics import KIND_SCALES, Summary, score_problem, summarize
from sync.wire import new_rating_id

BUSY_TIMEOUT_MS = 10_000
#: State key of what the collector says this kiosk is (``sync.uploader.IDENTITY_KEY``):
#: ``{store_id, store_name, kiosk_id, timezone}``.  Not imported: the store stays
#: free of the uploader.
IDENTITY_KEY = "collector_kiosk"
#: State key of the log of rejected ratings sent again (:meth:`Store.resend_rejected`).
RESENT_KEY = "resent_rejected"
#: Ratings awaiting a follow-up answer are held back from upload this long at most.
FOLLOWUP_HOLD = timedelta(minutes=2)

migrations = Migrations("hymy-kiosk")


@migrations()
def m001_ratings(db: sqlite_utils.Database) -> None:
    """The ratings table (column names shared with the collector's export) and state."""
    db.execute(
        """
        CREATE TABLE ratings (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL UNIQUE,
            store_id TEXT NOT NULL,
            kiosk_id TEXT NOT NULL,
            score INTEGER NOT NULL,
            scale INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            local_date TEXT NOT NULL,
            lang TEXT NOT NULL,
            reason TEXT,
            suppressed INTEGER NOT NULL DEFAULT 0,
            survey_version INTEGER,
            synced_at TEXT,
            awaiting_reason INTEGER NOT NULL DEFAULT 0,
            rejected_reason TEXT
        )
        """
    )
    db.execute(
        "CREATE INDEX ratings_unsynced ON ratings(seq) "
        "WHERE synced_at IS NULL AND rejected_reason IS NULL"
    )
    db.execute("CREATE INDEX ratings_local_date ON ratings(local_date)")
    db.execute("CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migrations()
def m002_rejected_index(db: sqlite_utils.Database) -> None:
    """Count rejected ratings without a table scan (stats() runs on every sync)."""
    db.execute(
        "CREATE INDEX ratings_rejected ON ratings(seq) WHERE rejected_reason IS NOT NULL"
    )


#: The ratings columns m003 copies (the table before m004).
_M003_COLUMNS = ("id", "seq", "store_id", "kiosk_id", "score", "scale", "created_at",
                 "local_date", "lang", "reason", "suppressed", "survey_version", "synced_at",
                 "awaiting_reason", "rejected_reason")


@migrations()
def m003_seq_rowid(db: sqlite_utils.Database) -> None:
    """``seq`` becomes the rowid, and a tap stops writing counters to ``state``.

    Before: ``id TEXT PRIMARY KEY`` (a rowid table plus an ``id`` index), a
    ``seq`` UNIQUE index, and per tap two ``state`` rows (``next_seq``,
    ``last_counted_at``).  After: ``seq INTEGER PRIMARY KEY`` (no index of its
    own), ``id`` UNIQUE, and the next seq and the last counted tap are read
    from the newest rows.  Rows are copied as they are, seq included.

    ``state.next_seq`` is kept as a floor for the next seq (it still matters if
    earlier prunes deleted the newest rows); ``state.last_counted_at`` becomes
    ``last_counted`` = [seq, created_at] only if its row is gone.
    """
    columns = ", ".join(_M003_COLUMNS)
    db.execute(
        """
        CREATE TABLE ratings_m003 (
            id TEXT NOT NULL UNIQUE,
            seq INTEGER PRIMARY KEY,
            store_id TEXT NOT NULL,
            kiosk_id TEXT NOT NULL,
            score INTEGER NOT NULL,
            scale INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            local_date TEXT NOT NULL,
            lang TEXT NOT NULL,
            reason TEXT,
            suppressed INTEGER NOT NULL DEFAULT 0,
            survey_version INTEGER,
            synced_at TEXT,
            awaiting_reason INTEGER NOT NULL DEFAULT 0,
            rejected_reason TEXT
        )
        """
    )
    db.execute(f"INSERT INTO ratings_m003 ({columns}) SELECT {columns} FROM ratings ORDER BY seq")
    db.execute("DROP TABLE ratings")  # and its indexes
    db.execute("ALTER TABLE ratings_m003 RENAME TO ratings")
    db.execute(
        "CREATE INDEX ratings_unsynced ON ratings(seq) "
        "WHERE synced_at IS NULL AND rejected_reason IS NULL"
    )
    db.execute("CREATE INDEX ratings_local_date ON ratings(local_date)")
    db.execute(
        "CREATE INDEX ratings_rejected ON ratings(seq) WHERE rejected_reason IS NOT NULL"
    )
    row = db.execute("SELECT value FROM state WHERE key = 'last_counted_at'").fetchone()
    if row:
        last_counted_at = json.loads(row[0])
        newest = db.execute(
            "SELECT created_at FROM ratings WHERE suppressed = 0 ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if newest is None or newest[0] != last_counted_at:  # its row was pruned
            floor = db.execute("SELECT value FROM state WHERE key = 'next_seq'").fetchone()
            marker = json.loads(floor[0]) - 1 if floor else 0
            db.execute(
                "INSERT OR REPLACE INTO state (key, value) VALUES ('last_counted', ?)",
                [json.dumps([marker, last_counted_at])],
            )
        db.execute("DELETE FROM state WHERE key = 'last_counted_at'")


@migrations()
def m004_kind_followup(db: sqlite_utils.Database) -> None:
    """Each rating says its question kind and an unanswered follow-up (issue 16).

    Two added columns, no copy: every older row is a ``csat`` answer (the only
    kind there was) whose follow-up, if any, was not recorded as skipped.
    """
    db.execute("ALTER TABLE ratings ADD COLUMN kind TEXT NOT NULL DEFAULT 'csat'")
    db.execute("ALTER TABLE ratings ADD COLUMN followup TEXT")


#: The ratings columns, in table order (the order ``SELECT *`` returns them in).
COLUMNS = (*_M003_COLUMNS, "kind", "followup")
#: What :meth:`Store.end_followup` records for a follow-up nobody answered
#: (the wire's ``followup``).
UNANSWERED = ("skipped", "timeout")


#: The next seq: the newest row's + 1, or the floor a prune (or an older
#: version of this file, which kept a counter) left in ``state``, if higher.
#: ``max(seq)`` on the rowid is one b-tree descent.
_NEXT_SEQ_VALUE = (
    "max(coalesce((SELECT max(seq) FROM ratings), 0) + 1, "
    "coalesce((SELECT CAST(value AS INTEGER) FROM state WHERE key = 'next_seq'), 1))"
)
_NEXT_SEQ = f"SELECT {_NEXT_SEQ_VALUE}"
#: The last counted tap's row is the newest row with ``suppressed = 0``, found
#: walking the rowid backwards from the end (past at most the taps of one
#: suppression window), unless a prune deleted it: then ``state.last_counted``
#: = [its seq, its created_at] stands for it until a newer counted tap.
_MARK = (
    "WITH mark AS (SELECT json_extract(value, '$[0]') AS seq, "
    "json_extract(value, '$[1]') AS at FROM state WHERE key = 'last_counted') "
)
_NEWEST_COUNTED = (
    "FROM ratings WHERE suppressed = 0 AND seq > coalesce((SELECT seq FROM mark), 0) "
    "ORDER BY seq DESC LIMIT 1"
)
#: What a tap reads (and it writes nothing else than its row): the next seq
#: and the ``created_at`` of the last counted tap, or NULL.
_TAP_READ = (
    f"{_MARK} SELECT {_NEXT_SEQ_VALUE}, "
    f"coalesce((SELECT created_at {_NEWEST_COUNTED}), (SELECT at FROM mark))"
)

#: A synced rating older than the retention cutoff (``?``): what prune deletes.
_PRUNABLE = "synced_at IS NOT NULL AND created_at < ?"
_TAP_INSERT = (
    "INSERT INTO ratings (id, seq, store_id, kiosk_id, score, scale, created_at, local_date, "
    "lang, suppressed, survey_version, awaiting_reason, kind) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


# The tap path's Python helpers.  A tap blocks in fsync, and the code that runs
# after it runs with cold caches: there, ``format_utc`` (strftime) and ``parse_utc``
# cost some 20 us more than these (measured), ~10% of a commit.


def _utc_text(moment: datetime) -> str:
    """Exactly :func:`sync.clock.format_utc` (``2026-01-15T22:30:00.123Z``), quicker."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    if moment.year < 1000:  # isoformat pads the year, strftime may not
        return format_utc(moment)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"  # "+00:00" -> "Z"


def health(path: str | Path, timezone: str, started: float | None = None) -> dict[str, Any]:
    """The kiosk's health for its sync status: disk, database size, configured zone, uptime.

    ``path`` is the database file: the free and total bytes are those of the
    file system holding it, its size is the file's plus its WAL's (the WAL
    holds what a checkpoint has not moved yet).  ``started`` is the app's
    ``time.monotonic()`` at start; None (a one-off ``hymy-kiosk sync``) sends
    no uptime, as that process's would mean nothing.  Called on the sync
    thread: it opens no connection.
    """
    path = Path(path)
    disk = os.statvfs(path.parent)
    files = (path, path.with_name(path.name + "-wal"))
    return {
        "uptime_s": None if started is None else int(time.monotonic() - started),
        "disk_free_bytes": disk.f_bavail * disk.f_frsize,
        "disk_total_bytes": disk.f_blocks * disk.f_frsize,
        "database_bytes": sum(file.stat().st_size for file in files if file.exists()),
        "timezone": timezone,
    }


class StoreError(RuntimeError):
    """The local database cannot take a write (disk full, read-only, corrupt)."""


@dataclass(frozen=True)
class Tap:
    """What the UI needs back from a recorded tap."""

    id: str
    seq: int
    score: int
    created_at: str
    local_date: str
    suppressed: bool


class Store:
    """The kiosk's ratings on disk, for one store and kiosk."""

    def __init__(self, path: str | Path, store_id: str, kiosk_id: str, timezone: str):
        self.path = Path(path)
        self.store_id = store_id
        self.kiosk_id = kiosk_id
        self.config_timezone = timezone
        self.timezone = timezone
        self.tz = zone(timezone)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        self.db = sqlite_utils.Database(conn)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous = FULL")
        self._migrate()
        self.use_collector_zone()

    def use_collector_zone(self) -> str:
        """Take the store's time zone the collector reported, once known; its name.

        The collector is the source of truth for its stores: a kiosk whose
        config names another zone (the example's) still dates its taps on the
        store's own day.  Until the collector has answered, the config's zone.
        """
        identity = self.get_state(IDENTITY_KEY)
        name = identity.get("timezone") if isinstance(identity, dict) else None
        if isinstance(name, str) and name != self.timezone:
            try:
                self.tz = zone(name)
            except ValueError:
                return self.timezone
            self.timezone = name
        return self.timezone

    def identity_mismatches(self) -> list[tuple[str, str, str]]:
        """``(key, config value, collector value)`` where the config and the collector disagree.

        Keys are ``store_id``, ``kiosk_id`` and ``timezone``; empty when they
        agree or the collector has not answered yet.
        """
        identity = self.get_state(IDENTITY_KEY)
        if not isinstance(identity, dict):
            return []
        ours = {"store_id": self.store_id, "kiosk_id": self.kiosk_id,
                "timezone": self.config_timezone}
        return [(key, ours[key], str(identity[key])) for key in ours
                if identity.get(key) not in (None, ours[key])]

    def _migrate(self) -> None:
        """Apply pending schema migrations (each in its own transaction)."""
        conn = self.db.conn
        pending = migrations.pending(self.db)
        conn.isolation_level = ""  # let sqlite-utils' atomic() manage BEGIN/COMMIT
        try:
            migrations.apply(self.db)
        finally:
            conn.isolation_level = None
        if pending:
            # m003 copies the ratings table: give the WAL's space back (best effort).
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Close this thread's connection."""
        self.db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction, taken IMMEDIATE so readers never deadlock it."""
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StoreError(f"local database is busy or unwritable: {error}") from error
        try:
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(f"local database write failed: {error}") from error
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # -- state ---------------------------------------------------------------

    def get_state(self, key: str, default: Any = None) -> Any:
        """A small JSON value from the ``state`` table (sync status, survey...)."""
        row = self.db.execute("SELECT value FROM state WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else default

    def set_state(self, key: str, value: Any) -> None:
        """Store a small JSON value in the ``state`` table."""
        with self._write() as conn:
            self._put(conn, key, value)

    @staticmethod
    def _put(conn: sqlite3.Connection, key: str, value: Any) -> None:
        conn.execute(
            "INSERT INTO state (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(value)],
        )

    # -- the tap path -------------------------------------------------------

    def record_tap(
        self,
        score: int,
        scale: int,
        lang: str,
        *,
        interval: float = 5.0,
        ask_reason: bool = False,
        survey_version: int | None = None,
        now: datetime | None = None,
        kind: str = "csat",
    ) -> Tap:
        """Durably store one tap and return it; called on the UI thread.

        A tap sooner than ``interval`` seconds after the previous *counted* tap
        is stored with ``suppressed=1`` (misuse protection), never dropped.
        ``ask_reason`` holds the rating back from upload until :meth:`set_reason`
        (or FOLLOWUP_HOLD passes), so its reason travels with it.  ``kind`` is
        the question's (csat, nps, ces); the score must fit it
        (:func:`sync.metrics.score_problem`, the collector's own rule).
        """
        why = score_problem(kind, score, scale)
        if why is not None:
            raise ValueError(why)
        now = now or utc_now()
        created_at = _utc_text(now)
        day = local_date(now, self.tz)
        rating_id = new_rating_id(now)  # time-ordered: appends to the id index
        # The hot path: what _write() does, without a generator-based context
        # manager (measurable against a ~0.25 ms commit), and with everything
        # that needs no database done before the write lock is taken.
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StoreError(f"local database is busy or unwritable: {error}") from error
        try:
            seq, last = conn.execute(_TAP_READ).fetchone()
            # ``last`` is a created_at this class wrote: fromisoformat reads it
            # exactly as parse_utc would (aware, UTC).
            elapsed = (now - datetime.fromisoformat(last)).total_seconds() if last else None
            suppressed = elapsed is not None and 0 <= elapsed < interval
            conn.execute(_TAP_INSERT, (rating_id, seq, self.store_id, self.kiosk_id, score, scale,
                                       created_at, day, lang, int(suppressed), survey_version,
                                       int(ask_reason and not suppressed), kind))
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(f"local database write failed: {error}") from error
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return Tap(rating_id, seq, score, created_at, day, suppressed)

    def set_reason(self, rating_id: str, reason: str | None) -> None:
        """Attach the follow-up answer (None = none, nothing recorded) and release the rating."""
        self._release(rating_id, reason, None)

    def end_followup(self, rating_id: str, why: str) -> None:
        """Record that the follow-up went unanswered (``skipped`` or ``timeout``) and release
        the rating, so the collector can tell a shopper who said no from one who left."""
        if why not in UNANSWERED:
            raise ValueError(f"a follow-up ends {' or '.join(UNANSWERED)}, not {why!r}")
        self._release(rating_id, None, why)

    def _release(self, rating_id: str, reason: str | None, followup: str | None) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE ratings SET reason = coalesce(?, reason), "
                "followup = coalesce(?, followup), awaiting_reason = 0 "
                "WHERE id = ? AND synced_at IS NULL",
                [reason, followup, rating_id],
            )

    # -- the outbox (used by sync.uploader) ----------------------------------

    def pending(self, limit: int, now: datetime | None = None) -> list[dict[str, Any]]:
        """Unsynced ratings in ``seq`` order, skipping ones still awaiting a reason."""
        cutoff = format_utc((now or utc_now()) - FOLLOWUP_HOLD)
        return list(
            self.db.query(
                "SELECT * FROM ratings WHERE synced_at IS NULL AND rejected_reason IS NULL "
                "AND (awaiting_reason = 0 OR created_at < ?) ORDER BY seq LIMIT ?",
                [cutoff, limit],
            )
        )

    def requeue(self, ranges: Iterable[tuple[int, int]]) -> int:
        """Send again the synced ratings in these seq ranges (the collector lacks them).

        Only ratings this kiosk marked synced go back in the queue: pending
        ones are on their way anyway, rejected ones stay out, and pruned ones
        are gone (the collector's seq audit keeps showing those).
        """
        changed = 0
        with self._write() as conn:
            for first, last in ranges:
                changed += conn.execute(
                    "UPDATE ratings SET synced_at = NULL WHERE seq BETWEEN ? AND ?"
                    " AND synced_at IS NOT NULL",
                    [first, last],
                ).rowcount
        return changed

    def mark_synced(self, ids: Iterable[str], at: datetime | None = None) -> int:
        """Mark ratings the collector acknowledged (accepted or duplicate)."""
        stamp = format_utc(at or utc_now())
        ids = list(ids)
        changed = 0
        with self._write() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                changed += conn.execute(
                    f"UPDATE ratings SET synced_at = ?, awaiting_reason = 0 "
                    f"WHERE id IN ({marks}) AND synced_at IS NULL",
                    [stamp, *chunk],
                ).rowcount
        return changed

    def mark_rejected(self, rejected: dict[str, str]) -> None:
        """Keep ratings the collector refused, with its reason; they leave the queue."""
        with self._write() as conn:
            conn.executemany(
                "UPDATE ratings SET rejected_reason = ? WHERE id = ?",
                [(reason, rating_id) for rating_id, reason in rejected.items()],
            )

    def rejected_reasons(self) -> list[tuple[str, int]]:
        """The collector's verdicts on the ratings it rejected: ``(reason, count)``, most first."""
        return [(reason, n) for reason, n in self.db.execute(
            "SELECT rejected_reason, count(*) AS n FROM ratings WHERE rejected_reason IS NOT NULL"
            " GROUP BY rejected_reason ORDER BY n DESC, rejected_reason"
        ).fetchall()]

    def resend_rejected(self, *, moved_only: bool = False, now: datetime | None = None) -> int:
        """Put rejected ratings back in the queue; how many.  Nothing is deleted.

        Each keeps its ``id`` and ``seq`` (so the collector still stores it
        once and its seq audit closes the gap), and takes this kiosk's
        *current* ``store_id`` and ``kiosk_id`` (the collector refuses any
        other than its token's) and its ``local_date`` afresh from
        ``created_at`` in the store's time zone (the collector's, once known).

        ``moved_only`` takes only the ratings not delivered yet (rejected or
        still waiting) that were recorded under another store or kiosk id
        than the current ones: the config was corrected since, so sending
        them under the current ids is safe, and ``hymy-kiosk sync`` and the
        kiosk's start do it on their own.  The reasons ratings were rejected
        for are kept in state ``resent_rejected`` (the last 20 times).
        """
        query = ("SELECT seq, created_at, rejected_reason FROM ratings"
                 " WHERE rejected_reason IS NOT NULL")
        params: list[Any] = []
        if moved_only:
            # Each half walks its partial index (rejected; waiting), not the whole table.
            query += (" AND (store_id != ? OR kiosk_id != ?)"
                      " UNION ALL SELECT seq, created_at, NULL FROM ratings WHERE"
                      " synced_at IS NULL AND rejected_reason IS NULL"
                      " AND (store_id != ? OR kiosk_id != ?)")
            params = [self.store_id, self.kiosk_id] * 2
        with self._write() as conn:
            rows = conn.execute(query, params).fetchall()
            if not rows:
                return 0
            conn.executemany(
                "UPDATE ratings SET rejected_reason = NULL, store_id = ?, kiosk_id = ?,"
                " local_date = ? WHERE seq = ?",
                [(self.store_id, self.kiosk_id,
                  local_date(datetime.fromisoformat(created_at), self.tz), seq)
                 for seq, created_at, _ in rows],
            )
            reasons: dict[str, int] = {}
            for *_, reason in rows:
                if reason is not None:
                    reasons[reason] = reasons.get(reason, 0) + 1
            row = conn.execute("SELECT value FROM state WHERE key = ?", [RESENT_KEY]).fetchone()
            log = json.loads(row[0]) if row else []
            log.append({"at": format_utc(now or utc_now()), "ratings": len(rows),
                        "store_id": self.store_id, "kiosk_id": self.kiosk_id,
                        "reasons": reasons})
            self._put(conn, RESENT_KEY, log[-20:])
        return len(rows)

    def stats(self) -> dict[str, Any]:
        """Queue figures for the staff screen and the kiosk status report."""
        pending, oldest = self.db.execute(
            "SELECT count(*), min(created_at) FROM ratings "
            "WHERE synced_at IS NULL AND rejected_reason IS NULL"
        ).fetchone()
        rejected = self.db.execute(
            "SELECT count(*) FROM ratings WHERE rejected_reason IS NOT NULL"
        ).fetchone()[0]
        return {
            "pending": pending,
            "oldest_pending_at": oldest,
            "rejected": rejected,
            "last_seq": self.db.execute(_NEXT_SEQ).fetchone()[0] - 1,
        }

    def prune(self, retention_days: float, now: datetime | None = None) -> int:
        """Delete synced ratings older than the retention period; returns rows removed.

        The next seq and the last counted tap are read from the newest rows, so
        before deleting the newest row (or the newest counted one) this leaves
        what a tap needs in ``state``: seq is never reused, suppression unchanged.
        """
        cutoff = format_utc((now or utc_now()) - timedelta(days=retention_days))
        with self._write() as conn:
            next_seq = conn.execute(_NEXT_SEQ).fetchone()[0]
            if conn.execute(f"SELECT 1 FROM ratings WHERE seq = ? AND {_PRUNABLE}",
                            [next_seq - 1, cutoff]).fetchone():
                self._put(conn, "next_seq", next_seq)
            counted = conn.execute(
                f"{_MARK} SELECT seq, created_at, {_PRUNABLE} {_NEWEST_COUNTED}", [cutoff]
            ).fetchone()
            if counted and counted[2]:
                self._put(conn, "last_counted", [counted[0], counted[1]])
            return conn.execute(f"DELETE FROM ratings WHERE {_PRUNABLE}", [cutoff]).rowcount

    # -- the staff screen ---------------------------------------------------

    def day_counts(self, day: str | None = None) -> list[tuple[int, int, int]]:
        """``(scale, score, n)`` of one store-local day's counted taps (default today) of
        every question kind: the scale tells CSAT, NPS and CES apart, as
        :func:`sync.metrics.figure` reads them."""
        day = day or local_date(utc_now(), self.tz)
        return [(scale, score, n) for scale, score, n in self.db.execute(
            "SELECT scale, score, count(*) FROM ratings "
            "WHERE local_date = ? AND suppressed = 0 GROUP BY scale, score",
            [day],
        ).fetchall()]

    def day_summary(self, day: str | None = None) -> tuple[Summary, list[tuple[str, int]]]:
        """CSAT for one store-local day (default today) and its reasons, most common first."""
        day = day or local_date(utc_now(), self.tz)
        counts = [row for row in self.day_counts(day) if row[0] in KIND_SCALES["csat"]]
        suppressed = self.db.execute(
            "SELECT count(*) FROM ratings WHERE local_date = ? AND suppressed = 1", [day]
        ).fetchone()[0]
        reasons = self.db.execute(
            "SELECT reason, count(*) AS n FROM ratings WHERE local_date = ? AND suppressed = 0 "
            "AND reason IS NOT NULL GROUP BY reason ORDER BY n DESC, reason",
            [day],
        ).fetchall()
        return summarize(counts, suppressed=suppressed), [(r, n) for r, n in reasons]
