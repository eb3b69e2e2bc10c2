"""A thin database wrapper: connections, placeholders, transactions and migrations.

All SQL lives in :mod:`sync.collector.storage`, written in the dialect SQLite
and PostgreSQL share (``?`` placeholders, ``INSERT ... ON CONFLICT ... DO
UPDATE``).  This module is the only one that knows which backend is in use:

- ``Database(url)`` accepts a file path or ``sqlite:///PATH`` today; a
  ``postgresql://`` URL is recognised and refused until that backend lands
  (psycopg 3: placeholders via :func:`to_format_style`, serialised ingest via
  ``pg_advisory_xact_lock``).
- ``Database.transaction(serialize=True)`` runs writers one at a time (SQLite:
  ``BEGIN IMMEDIATE``), so ``ingest_seq`` values become visible in order and
  the export cursor never skips a row.
- Migrations are numbered ``.sql`` files per backend in ``migrations/<backend>/``.
"""

from __future__ import annotations

import queue
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sync.clock import format_utc, utc_now

BUSY_TIMEOUT_S = 10.0
_PLACEHOLDER = re.compile(r"'[^']*'|\?")


class DatabaseError(Exception):
    """A problem the operator can fix: a bad URL, a missing file."""


class Busy(Exception):
    """The database stayed locked longer than the busy timeout; try again shortly."""


def to_format_style(sql: str) -> str:
    """Rewrite ``?`` placeholders as ``%s`` for psycopg, leaving quoted strings alone."""
    return _PLACEHOLDER.sub(lambda m: "%s" if m.group(0) == "?" else m.group(0), sql)


def parse_url(url: str) -> tuple[str, str]:
    """``(backend, target)`` for a database setting: a path, sqlite:/// or postgresql://."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql", url
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
    elif "://" in url:
        raise DatabaseError(f"unsupported database URL {url!r}: use a file path or sqlite:///PATH")
    else:
        path = url
    if not path or path == ":memory:":
        raise DatabaseError("the collector needs a database file, not an in-memory database")
    return "sqlite", path


class Connection:
    """One backend connection with rows as dicts and ``?`` placeholders everywhere."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a SELECT as dicts keyed by column name."""
        cursor = self._run(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Rows of a SELECT as plain tuples: the fast path for aggregates."""
        return self._run(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row as a dict, or None."""
        found = self.query(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        row = self._run(sql, params).fetchone()
        return row[0] if row else None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        return self._run(sql, params).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows (one round trip per batch)."""
        try:
            self.raw.executemany(sql, rows)
        except sqlite3.OperationalError as error:
            raise _busy_or(error) from error

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 10_000) -> Iterator[tuple]:
        """Iterate a large SELECT as tuples without loading it all."""
        cursor = self._run(sql, params)
        while chunk := cursor.fetchmany(size):
            yield from chunk

    def _run(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        try:
            return self.raw.execute(sql, params)
        except sqlite3.OperationalError as error:
            raise _busy_or(error) from error


def _busy_or(error: sqlite3.OperationalError) -> Exception:
    """Translate SQLite's lock errors into :class:`Busy`; keep other errors as they are."""
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return Busy(str(error))
    return error


class Database:
    """A pool of connections to one database, safe to share between threads.

    Each connection is used by one thread at a time (``with db.connection()``),
    which is what SQLite needs and what psycopg will want too.
    """

    def __init__(self, url: str, create: bool = True, pool_size: int = 16) -> None:
        self.url = url
        self.backend, self.target = parse_url(url)
        if self.backend != "sqlite":
            raise DatabaseError(
                "PostgreSQL support is not in this release yet; use a SQLite file path"
            )
        self.path = Path(self.target)
        if not create and not self.path.exists():
            raise DatabaseError(
                f"no database at {self.path} (pass --database or set HYMY_DATABASE)"
            )
        if create and not self.path.parent.exists():
            raise DatabaseError(f"directory {self.path.parent} does not exist")
        self._idle: queue.LifoQueue[Connection] = queue.LifoQueue(maxsize=pool_size)
        # Writers of this process queue here, handing over at once, instead of
        # in SQLite's busy handler, which sleeps up to 100 ms between tries.
        self._write_lock = threading.Lock()

    def _open(self) -> Connection:
        raw = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        raw.execute("PRAGMA journal_mode=WAL")
        # FULL: once the collector answers "accepted", a power cut cannot undo it.
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        raw.execute("PRAGMA foreign_keys=ON")
        return Connection(raw)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """Borrow a connection in autocommit mode; it returns to the pool afterwards."""
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._open()
        try:
            yield conn
        finally:
            if conn.raw.in_transaction:
                conn.raw.rollback()
            try:
                self._idle.put_nowait(conn)
            except queue.Full:
                conn.raw.close()

    @contextmanager
    def transaction(self, serialize: bool = False) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on error.

        ``serialize=True`` takes the write lock up front so that concurrent
        writers run one after the other (and their ``ingest_seq`` values commit
        in order); plain transactions give readers one consistent snapshot.
        """
        with self._writer(serialize), self.connection() as conn:
            try:
                conn.raw.execute("BEGIN IMMEDIATE" if serialize else "BEGIN")
            except sqlite3.OperationalError as error:
                raise _busy_or(error) from error
            try:
                yield conn
            except BaseException:
                conn.raw.rollback()
                raise
            try:
                conn.raw.commit()
            except sqlite3.OperationalError as error:
                raise _busy_or(error) from error

    @contextmanager
    def _writer(self, serialize: bool) -> Iterator[None]:
        """Hold this process's write lock for a serialised transaction (no-op otherwise)."""
        if not serialize:
            yield
            return
        if not self._write_lock.acquire(timeout=BUSY_TIMEOUT_S):
            raise Busy("another write held the database too long")
        try:
            yield
        finally:
            self._write_lock.release()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Convenience: run one SELECT on a pooled connection."""
        with self.connection() as conn:
            return conn.query(sql, params)

    def migrate(self) -> list[str]:
        """Apply the numbered migrations not applied yet; returns their names."""
        applied_now = []
        with self.transaction(serialize=True) as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in conn.rows("SELECT name FROM schema_migrations")}
            for name, script in migrations(self.backend):
                if name in done:
                    continue
                for statement in split_sql(script):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (name, format_utc(utc_now())),
                )
                applied_now.append(name)
        return applied_now

    def backup(self, destination: str | Path) -> None:
        """Copy the live database to ``destination`` with SQLite's online backup."""
        target = sqlite3.connect(destination)
        try:
            with self.connection() as conn:
                conn.raw.backup(target)
        finally:
            target.close()

    def close(self) -> None:
        """Close every idle connection (borrowed ones close when returned to a full pool)."""
        while True:
            try:
                self._idle.get_nowait().raw.close()
            except queue.Empty:
                return


def migrations(backend: str) -> list[tuple[str, str]]:
    """``(name, sql)`` of a backend's migration files, in numeric order."""
    folder = resources.files("sync.collector") / "migrations" / backend
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".sql")),
        key=lambda entry: entry.name,
    )
    return [(entry.name, entry.read_text(encoding="utf-8")) for entry in files]


def split_sql(script: str) -> list[str]:
    """Split a migration script into complete statements (CREATE TRIGGER bodies stay whole)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip().strip(";").strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
