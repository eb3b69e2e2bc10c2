"""A thin database wrapper: connections, placeholders, transactions and migrations.

All SQL lives in :mod:`sync.collector.db.storage`, written in the dialect SQLite
and PostgreSQL share (``?`` placeholders, ``INSERT ... ON CONFLICT ... DO
UPDATE``).  This module is the only one that knows which backend is in use:

- ``Database(url)`` takes a SQLite file path (or ``sqlite:///PATH``) or a
  ``postgresql://USER@HOST/DB`` URL (psycopg 3).  PostgreSQL connections come
  from ``psycopg_pool``: a :class:`~psycopg_pool.ConnectionPool` for worker
  threads and an :class:`~psycopg_pool.AsyncConnectionPool` for the event
  loop's token lookups; SQLite keeps a queue of idle connections (opening one
  is a file open, and SQLite has no pool of its own).
- Placeholders: the SQL is written once, with ``?``.  No style is native to
  both drivers: sqlite3 takes ``?`` or ``:name``, psycopg ``%s`` or
  ``%(name)s`` - and psycopg itself rewrites those to PostgreSQL's ``$1``
  through a cache of its own.  So on PostgreSQL each distinct statement's
  ``?`` become ``%s`` once (:func:`to_format_style`, cached; a repeated
  statement costs a dictionary lookup), and SQLite runs the text as written.
  Writing every statement twice, or with named parameters both drivers parse
  differently, would be more code for the same single translation.
- ``Database.transaction(serialize=True)`` runs writers one at a time, across
  every process and host sharing the database: SQLite takes its write lock
  (``BEGIN IMMEDIATE``), PostgreSQL a transaction-level advisory lock
  (``pg_advisory_xact_lock``).  So ``ingest_seq`` values commit in the order
  they were drawn, and the export cursor never skips a row.
- Migrations are numbered ``.sql`` files per backend in ``migrations/<backend>/``,
  recorded in a ``schema_migrations`` table; both folders hold the same names.
- Text parameters never hold a NUL character (PostgreSQL's text cannot):
  both backends raise :class:`Unstorable`, a ``ValueError``, instead.
- :func:`redact` is the one way a database URL (or a message that may quote
  one) is shown: every password form is masked.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import queue
import re
import select
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sync.clock import format_utc, utc_now

BUSY_TIMEOUT_S = 10.0
#: PostgreSQL connections per process for lookups from the event loop (tokens).
ASYNC_CONNECTIONS = 4
#: Key of the advisory lock that serialises PostgreSQL writers ("hymy" in ASCII).
WRITE_LOCK_KEY = 0x68796D79
#: Per-connection SQLite settings for ingest speed; durability stays WAL + synchronous=FULL.
#: Random UUIDs (older kiosks' ids) dirty about one ``id`` index page per new rating,
#: so a checkpoint every 10 000 WAL pages (40 MB, not 4 MB) writes a page that several
#: batches touched back once instead of each time: 23% fewer bytes written and 1.7x
#: faster at 1 M such ratings (docs/performance.md, benchmark 4).  A 16 MB page cache
#: (not 2 MB) keeps more of that index; more would cost the server its memory target.
SQLITE_TUNING = (
    "PRAGMA cache_size=-16384",
    "PRAGMA wal_autocheckpoint=10000",
)
#: SQLite's names for a taken unique key (PostgreSQL's: ``UniqueViolation``).
UNIQUE_ERRORS = ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")
_PLACEHOLDER = re.compile(r"'[^']*'|\?|%")
_cursor_names = itertools.count(1)


class DatabaseError(Exception):
    """A problem the operator can fix: a bad URL, a missing file or database."""


class Duplicate(Exception):
    """An insert met a row with the same unique key (the transaction is rolled back)."""


class Busy(Exception):
    """The database stayed locked (or unreachable) too long; try again shortly."""


class Unstorable(ValueError):
    """A text parameter holds a NUL character, which no PostgreSQL text can hold.

    SQLite could store it, but refuses it too, so that a request carrying one
    gets the same answer on both backends (the app: 422).
    """

    def __init__(self) -> None:
        super().__init__("text with a NUL character (U+0000) is not accepted")


def refuse_nul(params: Sequence[Any]) -> None:
    """Raise :class:`Unstorable` when a text parameter holds a NUL character."""
    for value in params:
        if type(value) is str and "\x00" in value:
            raise Unstorable


def to_format_style(sql: str) -> str:
    """Rewrite ``?`` placeholders as ``%s`` for psycopg, leaving quoted strings alone.

    A literal ``%`` (in ``LIKE '10%'`` or ``%`` the operator) is doubled, as
    psycopg requires once a query has parameters.
    """
    return _format_style(sql)


@functools.lru_cache(maxsize=512)
def _format_style(sql: str) -> str:
    def swap(match: re.Match) -> str:
        text = match.group(0)
        if text == "?":
            return "%s"
        return text.replace("%", "%%")

    return _PLACEHOLDER.sub(swap, sql)


def parse_url(url: str) -> tuple[str, str]:
    """``(backend, target)`` for a database setting: a path, sqlite:/// or postgresql://."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql", url
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
    elif "://" in url:
        raise DatabaseError(
            f"unsupported database URL {redact(url)!r}: use a file path, sqlite:///PATH"
            " or postgresql://USER@HOST/DATABASE"
        )
    else:
        path = url
    if not path or path == ":memory:":
        raise DatabaseError("the collector needs a database file, not an in-memory database")
    return "sqlite", path


#: ``user:PASSWORD@`` in a URL (a raw ``@`` in the password too: up to the last one).
_USERINFO_PASSWORD = re.compile(r"(://[^:/?#@\s]*):[^\s/?#]*@")
#: ``password=`` and ``sslpassword=`` (the client key's passphrase) as URL query
#: parameters (``?``/``&``) or libpq keywords (``host=h password='a b'``).
_PASSWORD_PARAMETER = re.compile(
    r"(?i)(?<![\w-])((?:ssl|pg)?password)(\s*=\s*)('(?:\\.|[^'\\])*'|[^\s&#']*)"
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` (a database URL, or a message that may quote one) with passwords as ``***``.

    Masks ``postgresql://user:PASSWORD@host``, ``?password=``/``&password=``
    and ``sslpassword=`` query parameters, and libpq keyword strings
    (``password=... host=...``, quoted values too).  ``secrets`` are values to
    mask wherever they appear (a driver's message may quote part of a URL).
    ``passfile`` and ``sslkey`` name files, not secrets, and stay.
    """
    text = _USERINFO_PASSWORD.sub(r"\1:***@", text)
    text = _PASSWORD_PARAMETER.sub(r"\1\2***", text)
    for value in sorted(set(secrets), key=len, reverse=True):
        if value and value != "***":
            text = text.replace(value, "***")
    return text


def secrets_of(url: str) -> list[str]:
    """The password values a database URL or libpq keyword string holds (for :func:`redact`)."""
    found = [match.group(3).strip("'") for match in _PASSWORD_PARAMETER.finditer(url)]
    if "://" in url:
        netloc = urlsplit(url).netloc
        if "@" in netloc and ":" in netloc.rsplit("@", 1)[0]:
            found.append(netloc.rsplit("@", 1)[0].split(":", 1)[1])
    return [*found, *(unquote(value) for value in found)]


class Connection:
    """One SQLite connection with rows as dicts and ``?`` placeholders everywhere.

    :class:`PgConnection` offers the same methods on PostgreSQL, so
    :mod:`sync.collector.db.storage` never asks which backend it talks to.
    """

    backend = "sqlite"

    def __init__(self, raw: Any) -> None:
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

    def write(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run a statement whose row count nobody reads (PostgreSQL: queued, see there)."""
        self.executemany(sql, [params])

    def add_counts(self, table: str, keys: Sequence[str], rows: Sequence[Sequence]) -> None:
        """Add counts to a roll-up table: each row is its key columns, then ``n``.

        A new key is inserted, a stored one's ``n`` grows by the row's.  Keys
        are unique among ``rows`` (a Counter's items).
        """
        columns = ", ".join((*keys, "n"))
        marks = ", ".join("?" for _ in range(len(keys) + 1))
        self.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})" + _adding_n(table, keys), rows
        )

    def insert_many(self, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
        """Insert many rows into ``table`` as fast as the backend allows (PostgreSQL: COPY).

        Raises :class:`Duplicate` when a row's unique key is taken.
        """
        marks = ", ".join("?" for _ in columns)
        try:
            self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        except sqlite3.IntegrityError as error:
            if error.sqlite_errorname not in UNIQUE_ERRORS:
                raise
            raise Duplicate(str(error)) from error

    def any_of(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A ``column IN (...)`` condition and its parameters (PostgreSQL: ``= ANY(?)``)."""
        return f"{column} IN ({', '.join('?' for _ in values)})", list(values)

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 10_000) -> Iterator[tuple]:
        """Iterate a large SELECT as tuples without loading it all."""
        cursor = self._run(sql, params)
        while chunk := cursor.fetchmany(size):
            yield from chunk

    # -- transactions, used by Database -----------------------------------

    def begin(self, serialize: bool) -> None:
        """Start a transaction; ``serialize`` takes the database's write lock at once."""
        try:
            self.raw.execute("BEGIN IMMEDIATE" if serialize else "BEGIN")
        except sqlite3.OperationalError as error:
            raise _busy_or(error) from error

    def commit(self) -> None:
        try:
            self.raw.commit()
        except sqlite3.OperationalError as error:
            raise _busy_or(error) from error

    def rollback(self) -> None:
        self.raw.rollback()

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    def close(self) -> None:
        self.raw.close()

    def _run(self, sql: str, params: Sequence[Any]) -> Any:
        refuse_nul(params)
        try:
            return self.raw.execute(sql, params)
        except sqlite3.OperationalError as error:
            raise _busy_or(error) from error


def _adding_n(table: str, keys: Sequence[str]) -> str:
    """The end of a roll-up upsert: a key already stored gets the new row's ``n`` added."""
    return f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET n = {table}.n + excluded.n"


def _busy_or(error: sqlite3.OperationalError) -> Exception:
    """Translate SQLite's lock errors into :class:`Busy`; keep other errors as they are."""
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return Busy(str(error))
    return error


class PgConnection(Connection):
    """One psycopg 3 connection in autocommit mode, speaking the same methods.

    Plain transactions are ``REPEATABLE READ`` (one snapshot for the whole
    read, as SQLite's); serialised ones are ``READ COMMITTED`` behind the
    advisory lock, so each statement sees everything committed before.
    Lock waits, lost connections and serialisation failures become :class:`Busy`.

    Inside a transaction, the statements whose results nobody reads -
    ``BEGIN``, the writers' advisory lock, :meth:`executemany` - wait in a
    queue and go to the server in one pipeline with the next statement that
    answers something (a query, an ``execute``, ``COMMIT``; a ``COPY`` right
    after them): one round trip for the lock and the first query, one for all
    the roll-up upserts of a batch, instead of one each.  They still run in
    order, in the same transaction, before that statement; an error in one
    (a lock timeout too) is raised by that next call, and the transaction
    rolls back.  Outside a transaction every call runs at once.
    """

    backend = "postgresql"

    def __init__(self, raw: Any) -> None:
        super().__init__(raw)
        #: ``(sql, rows)`` not sent yet (only inside a transaction); rows None: no parameters.
        self._queued: list[tuple[str, list | None]] = []
        self._begun = False  # between begin() and commit()/rollback()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._run(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Queue the rows inside a transaction (sent with the next answering call)."""
        rows = list(rows)
        if not rows:
            return
        if self._begun and _pipelines():
            self._queued.append((to_format_style(sql), rows))
            return
        with _pg_errors(), self.raw.cursor() as cursor:
            cursor.executemany(to_format_style(sql), rows)

    def add_counts(self, table: str, keys: Sequence[str], rows: Sequence[Sequence]) -> None:
        """One statement for all rows: each column travels as one array (``unnest``).

        The server runs one upsert per table instead of one per row: a batch
        of 500 ratings makes some 30 roll-up rows.
        """
        if len(rows) < 2:
            super().add_counts(table, keys, rows)
            return
        arrays = [
            list(column) if isinstance(column[0], str) else list(map(int, column))
            for column in zip(*rows, strict=True)
        ]
        marks = ", ".join(
            "?::text[]" if isinstance(column[0], str) else "?::bigint[]" for column in arrays
        )
        columns = ", ".join((*keys, "n"))
        self.write(
            f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({marks})"
            + _adding_n(table, keys),
            arrays,
        )

    def insert_many(self, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
        if not rows:
            return
        from psycopg.errors import UniqueViolation

        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with _pg_errors():
            self._flush()  # COPY cannot run in a pipeline
            try:
                with self.raw.cursor() as cursor, cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            except UniqueViolation as error:
                raise Duplicate(_first_line(error)) from error

    def any_of(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """``column = ANY(...)``; strings travel as one comma-joined text.

        A text array parameter costs psycopg ~2 us per element to quote (1 ms
        for a 500-id duplicate check); one string split by the server costs
        almost nothing.  Values with a comma, or not strings, go as an array.
        """
        values = list(values)
        if len(values) == 1:
            return f"{column} = ?", values
        try:
            joined = ",".join(values)
        except TypeError:  # not all strings
            joined = None
        if joined is not None and joined.count(",") == len(values) - 1:
            return f"{column} = ANY(string_to_array(?, ','))", [joined]
        return f"{column} = ANY(?)", [values]

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 10_000) -> Iterator[tuple]:
        """Iterate a large SELECT through a server-side cursor, ``size`` rows at a time."""
        name = f"hymy_stream_{next(_cursor_names)}"
        with _pg_errors():
            self._flush()
            cursor = self.raw.cursor(name=name, withhold=not self.in_transaction)
            try:
                if params:
                    cursor.execute(to_format_style(sql), params)
                else:
                    cursor.execute(sql)
                while chunk := cursor.fetchmany(size):
                    yield from chunk
            finally:
                cursor.close()

    def begin(self, serialize: bool) -> None:
        """Queue ``BEGIN`` (and the writers' lock): they travel with the first statement."""
        if serialize:
            statements = ["BEGIN", f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"]
        else:
            statements = ["BEGIN ISOLATION LEVEL REPEATABLE READ"]
        if _pipelines():
            self._queued = [(sql, None) for sql in statements]
        else:
            for sql in statements:
                self._run(sql, ())
        self._begun = True

    def commit(self) -> None:
        self._begun = False
        try:
            self._run("COMMIT", ())
        except BaseException:
            self.rollback()
            raise

    def rollback(self) -> None:
        self._queued.clear()
        self._begun = False
        if self.raw.closed:
            return
        # A broken connection cannot roll back; the pool drops it anyway.
        with contextlib.suppress(Exception):
            if self._server_in_transaction():
                self.raw.execute("ROLLBACK")

    @property
    def in_transaction(self) -> bool:
        return self._begun or bool(self._queued) or self._server_in_transaction()

    def _server_in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    @property
    def reusable(self) -> bool:
        """True when the connection can go back to the pool."""
        return not (self.raw.closed or self.raw.broken)

    def _run(self, sql: str, params: Sequence[Any]) -> Any:
        """Run one statement (after the queued ones, in the same round trip); its cursor."""
        if params:
            refuse_nul(params)
            sql = to_format_style(sql)
        else:
            params = None
        with _pg_errors():
            if self._queued and params is None and ";" in sql:
                self._flush()  # maybe several statements: not allowed in a pipeline
            if not self._queued:
                return self.raw.execute(sql, params)
            queued, self._queued = self._queued, []
            with self.raw.pipeline():
                self._send(queued)
                cursor = self.raw.execute(sql, params)
            return cursor

    def _flush(self) -> None:
        """Send the queued statements now (one round trip); no-op when none wait."""
        if self._queued:
            queued, self._queued = self._queued, []
            with self.raw.pipeline():
                self._send(queued)

    def _send(self, queued: list[tuple[str, list | None]]) -> None:
        with self.raw.cursor() as cursor:
            for sql, rows in queued:
                if rows is None:
                    cursor.execute(sql)
                else:
                    cursor.executemany(sql, rows)


def _quiet(raw: Any) -> bool:
    """True when an idle psycopg connection's socket has nothing to read (no farewell)."""
    try:
        poller = select.poll()
        poller.register(raw.fileno(), select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


def check_idle(raw: Any) -> None:
    """The pools' ``check=``: close and refuse an idle connection the server has left.

    Equivalent to ``ConnectionPool.check_connection`` without its round trip
    to the server on every borrow: an idle connection has nothing to read, so
    a readable socket means the server sent its farewell (a restart,
    ``pg_terminate_backend``, an idle timeout).  Closed before raising, so
    the pool drops it and opens a replacement instead of keeping it.
    """
    if raw.closed or raw.broken or not _quiet(raw):
        raw.close()
        raise Busy("the server closed this idle connection")


async def check_idle_async(raw: Any) -> None:
    """:func:`check_idle` for the asyncio pool."""
    if raw.closed or raw.broken or not _quiet(raw):
        await raw.close()
        raise Busy("the server closed this idle connection")


@functools.cache
def _pipelines() -> bool:
    """True when psycopg's libpq can pipeline (libpq 14 or later)."""
    import psycopg

    return psycopg.Pipeline.is_supported()


@contextmanager
def _pg_errors() -> Iterator[None]:
    """Turn psycopg's lock timeouts, lost connections and retryable failures into Busy.

    psycopg refuses a NUL character in a text parameter before sending it;
    that becomes :class:`Unstorable`, as on SQLite.
    """
    import psycopg

    try:
        yield
    except psycopg.OperationalError as error:
        raise Busy(f"database busy or unreachable: {_first_line(error)}") from error
    except psycopg.DataError as error:
        if "NUL" in str(error):
            raise Unstorable from None
        raise


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


async def _drop(pool: Any, raw: Any) -> None:
    """Close a borrowed asyncio connection and hand it back: the pool opens another.

    One task, shielded by the caller, so a second cancellation cannot leave the
    connection closed but never returned (the pool would shrink for good).
    """
    try:
        await raw.close()
    finally:
        await pool.putconn(raw)


class Database:
    """Connections to one database, safe to share between threads.

    Each connection is used by one thread at a time (``with db.connection()``).
    On PostgreSQL a ``psycopg_pool.ConnectionPool`` holds at most
    ``max_connections`` per process; a thread that finds them all in use (or
    the server unreachable) waits up to ``BUSY_TIMEOUT_S``, then gets
    :class:`Busy`.  The pool opens on first use, after one direct connection
    has shown the server reachable, so a wrong URL fails at once with the
    server's reason rather than after a timeout.  While the server is away
    the pool retries a lost connection with backoff for ``BUSY_TIMEOUT_S``
    (``reconnect_timeout``), then lets the next request try at once: a
    restarted server is used again within seconds, not after minutes of
    backoff.
    """

    def __init__(
        self,
        url: str,
        create: bool = True,
        pool_size: int = 16,
        max_connections: int | None = None,
        wait_s: float | None = None,
    ) -> None:
        self.url = url
        #: Longest wait to connect, or for a pooled connection, before :class:`Busy`
        #: (None: ``BUSY_TIMEOUT_S``; a replica's is short, its reads have the primary).
        self._wait_s = wait_s
        self.backend, self.target = parse_url(url)
        self._secrets = secrets_of(url)
        self.display_url = redact(url, self._secrets)
        self._pool: Any = None  # psycopg_pool.ConnectionPool, opened on first use
        self._pool_lock = threading.Lock()
        # The asyncio pool for query_one_async, on the event loop it was made on.
        self._async_pool: Any = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._async_opening: asyncio.Lock | None = None
        if self.backend == "sqlite":
            self.path = Path(self.target)
            if not create and not self.path.exists():
                raise DatabaseError(
                    f"no database at {redact(str(self.path))} (pass --database or set"
                    " HYMY_DATABASE)"
                )
            if create and not self.path.parent.exists():
                raise DatabaseError(f"directory {redact(str(self.path.parent))} does not exist")
        else:
            _require_psycopg()
            pool_size = max_connections or pool_size
        self.pool_size = pool_size
        self._idle: queue.LifoQueue[Connection] = queue.LifoQueue(maxsize=pool_size)
        # Writers of this process queue here, handing over at once, instead of
        # in the database's lock wait (SQLite's busy handler sleeps up to 100 ms
        # between tries), and without holding a connection while they wait.
        self._write_lock = threading.Lock()

    @property
    def wait_s(self) -> float:
        """Seconds to wait for a connection before :class:`Busy`."""
        return BUSY_TIMEOUT_S if self._wait_s is None else self._wait_s

    @property
    def local(self) -> bool:
        """True on SQLite: a short query reads a local file and never waits on a network."""
        return self.backend == "sqlite"

    def _open(self) -> Connection:
        raw = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        raw.execute("PRAGMA journal_mode=WAL")
        # FULL: once the collector answers "accepted", a power cut cannot undo it.
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        raw.execute("PRAGMA foreign_keys=ON")
        for statement in SQLITE_TUNING:
            raw.execute(statement)
        return Connection(raw)

    def _pg_params(self) -> dict[str, Any]:
        """psycopg connection parameters from the URL, with the collector's defaults."""
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        try:
            given = conninfo_to_dict(self.target)
        except psycopg.Error as error:
            raise DatabaseError(
                f"bad PostgreSQL URL {self.display_url}: {self._redact(_first_line(error))}"
            ) from None
        given.setdefault("application_name", "hymy-collector")
        given.setdefault("connect_timeout", str(max(1, int(self.wait_s))))
        return {**given, "autocommit": True}

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def _cannot_connect(self, error: Exception) -> Exception:
        """The error to raise when connecting failed: a missing database, or Busy."""
        text = self._redact(_first_line(error))
        if "does not exist" in text:
            return DatabaseError(
                f"no database at {self.display_url}: {text}; create it first"
                " (createdb --owner USER NAME, see docs/deploy.md)"
            )
        return Busy(f"cannot connect to {self.display_url}: {text}")

    def _probe(self) -> None:
        """Connect once, directly: raise what a failure means (see :meth:`_cannot_connect`)."""
        import psycopg

        try:
            psycopg.connect(**self._pg_params()).close()
        except psycopg.OperationalError as error:
            raise self._cannot_connect(error) from None

    @staticmethod
    def _configure(raw: Any) -> None:
        # lock_timeout also bounds the wait for the writers' advisory lock; a
        # transaction left open by a vanished client must not hold it for ever.
        raw.execute(
            f"SET lock_timeout = '{int(BUSY_TIMEOUT_S * 1000)}ms';"
            " SET idle_in_transaction_session_timeout = '60s'"
        )

    def _pg_pool(self) -> Any:
        """The thread pool, opened the first time (after a direct :meth:`_probe`)."""
        if self._pool is None:
            from psycopg_pool import ConnectionPool, PoolTimeout

            with self._pool_lock:
                if self._pool is None:
                    self._probe()
                    pool = ConnectionPool(
                        kwargs=self._pg_params(), min_size=1, max_size=self.pool_size,
                        configure=self._configure, check=check_idle, name="hymy",
                        reconnect_timeout=BUSY_TIMEOUT_S, open=False,
                    )
                    try:
                        pool.open(wait=True, timeout=self.wait_s)
                    except PoolTimeout:
                        pool.close()
                        raise self._unavailable() from None
                    self._pool = pool
        return self._pool

    def _unavailable(self) -> Exception:
        """Why no pooled connection came in time: the server's reason, or all in use."""
        try:
            self._probe()
        except (Busy, DatabaseError) as error:
            return error
        return Busy("every database connection of this process is in use; try again")

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """Borrow a connection in autocommit mode; it returns to the pool afterwards."""
        if self.backend == "sqlite":
            conn = self._borrow()
            try:
                yield conn
            finally:
                self._give_back(conn)
            return
        from psycopg_pool import PoolTimeout

        pool = self._pg_pool()
        try:
            raw = pool.getconn(timeout=self.wait_s)
        except PoolTimeout:
            raise self._unavailable() from None
        conn = PgConnection(raw)
        try:
            yield conn
        finally:
            if conn.reusable and conn.in_transaction:
                conn.rollback()
            if conn.reusable and conn.in_transaction:
                raw.close()  # the pool drops a closed connection and opens another
            pool.putconn(raw)

    def _borrow(self) -> Connection:
        """An idle SQLite connection, or a new one."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return self._open()

    def _give_back(self, conn: Connection) -> None:
        """Return a SQLite connection to the idle queue, or close it when the queue is full."""
        if conn.in_transaction:
            conn.rollback()
        try:
            self._idle.put_nowait(conn)
        except queue.Full:
            conn.close()

    @contextmanager
    def transaction(self, serialize: bool = False) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on error.

        ``serialize=True`` takes the write lock up front so that concurrent
        writers run one after the other (and their ``ingest_seq`` values commit
        in order); plain transactions give readers one consistent snapshot.
        """
        with self._writer(serialize), self.connection() as conn:
            conn.begin(serialize)
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

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

    async def query_one_async(self, sql: str, params: Sequence[Any] = ()) -> dict | None:
        """One short SELECT's first row, for the event loop, without a worker thread.

        Handing a query to a thread and back costs more than the query (on
        PostgreSQL, 0.7 ms of CPU and 1.4 ms of wall time per request here).
        SQLite answers from a local file at once.  PostgreSQL uses an
        ``AsyncConnectionPool`` of up to ``ASYNC_CONNECTIONS``, so the round
        trip never blocks the loop.  Lost connections are replaced; a failed
        or cancelled query's connection is closed, not reused; a lookup that
        takes longer than ``BUSY_TIMEOUT_S`` raises :class:`Busy`.
        """
        if self.local:
            with self.connection() as conn:
                return conn.query_one(sql, params)
        refuse_nul(params)
        try:
            async with asyncio.timeout(BUSY_TIMEOUT_S):
                return await self._query_one_pg(sql, params)
        except TimeoutError:
            raise Busy("the database did not answer in time; try again") from None

    async def _async_pg_pool(self) -> Any:
        """The asyncio pool of the running loop (a pool belongs to one loop)."""
        import psycopg
        from psycopg_pool import AsyncConnectionPool

        loop = asyncio.get_running_loop()
        if self._async_loop is not loop:
            # A former loop's pool went with its loop (asyncio.run cancels its tasks).
            self._async_loop, self._async_pool = loop, None
            self._async_opening = asyncio.Lock()
        if self._async_pool is None:
            async with self._async_opening:
                if self._async_pool is None:
                    try:
                        await (await psycopg.AsyncConnection.connect(**self._pg_params())).close()
                    except psycopg.OperationalError as error:
                        raise self._cannot_connect(error) from None
                    pool = AsyncConnectionPool(
                        kwargs=self._pg_params(), min_size=1, max_size=ASYNC_CONNECTIONS,
                        check=check_idle_async, name="hymy-async",
                        reconnect_timeout=BUSY_TIMEOUT_S, open=False,
                    )
                    await pool.open(wait=True, timeout=BUSY_TIMEOUT_S)
                    self._async_pool = pool
        return self._async_pool

    async def _query_one_pg(self, sql: str, params: Sequence[Any]) -> dict | None:
        import psycopg
        from psycopg_pool import PoolTimeout

        pool = await self._async_pg_pool()
        try:
            raw = await pool.getconn()
        except PoolTimeout:
            raise Busy("every asyncio database connection is in use; try again") from None
        try:
            cursor = await raw.execute(to_format_style(sql), params)
            row = await cursor.fetchone()
        except BaseException as error:  # cancelled too: the connection's state is unknown
            await asyncio.shield(_drop(pool, raw))
            if isinstance(error, psycopg.OperationalError):
                raise Busy(f"database busy or unreachable: {_first_line(error)}") from None
            if isinstance(error, psycopg.DataError) and "NUL" in str(error):
                raise Unstorable from None
            raise
        await pool.putconn(raw)
        names = [column.name for column in cursor.description]
        return None if row is None else dict(zip(names, row, strict=True))

    async def close_async(self) -> None:
        """Close the asyncio pool (PostgreSQL), at shutdown."""
        pool, self._async_pool = self._async_pool, None
        if pool is not None:
            await pool.close()

    def migrate(self) -> list[str]:
        """Apply the numbered migrations not applied yet; returns their names.

        Runs as a serialised transaction, so several processes starting at
        once apply each migration exactly once.
        """
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
        """Copy the live SQLite database to ``destination`` with SQLite's online backup.

        PostgreSQL databases are backed up with PostgreSQL's own tools; this
        raises :class:`DatabaseError` saying how.
        """
        if self.backend != "sqlite":
            raise DatabaseError(
                "backup copies SQLite files; back up PostgreSQL with pg_dump, e.g."
                f" pg_dump --format=custom --file hymy.dump '{self.display_url}'"
                " (restore: pg_restore --dbname URL hymy.dump; see docs/deploy.md)"
            )
        target = sqlite3.connect(destination)
        try:
            with self.connection() as conn:
                conn.raw.backup(target)
        finally:
            target.close()

    def close(self) -> None:
        """Close the PostgreSQL pool, or every idle SQLite connection."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise DatabaseError(
            "PostgreSQL needs psycopg 3: pip install 'hymy[collector]'"
        ) from None


def database_errors() -> tuple[type[Exception], ...]:
    """Exception classes of the installed database drivers (for one-line CLI messages)."""
    found: list[type[Exception]] = [sqlite3.DatabaseError]
    try:
        import psycopg
    except ImportError:
        return tuple(found)
    found.append(psycopg.Error)
    return tuple(found)


def migrations(backend: str) -> list[tuple[str, str]]:
    """``(name, sql)`` of a backend's migration files, in numeric order."""
    folder = resources.files("sync.collector.db") / "migrations" / backend
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
