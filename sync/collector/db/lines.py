"""Exported ratings as finished CSV or JSON Lines text, each line built by the database.

Python's ``csv`` module alone writes 210 000-265 000 rows a CPU second on
our VM, so no per-row work in Python reaches an export of 300 000 ratings a
second.  Here the ``SELECT`` itself formats each line in C (SQLite's
``printf``, PostgreSQL's ``format``), from one list of columns
(:data:`sync.collector.columns.RATING_COLUMNS`), and joins a page of them
into one string (SQLite's ``group_concat`` over the page in the export's
order, PostgreSQL's ``string_agg(... ORDER BY ...)``): Python makes one
string per page, not one per line.  A page with a row the SQL cannot vouch
for is read again line by line (:func:`page_lines`).

A page is the rows of a :class:`Window` (the ratings after an
``ingest_seq``, or those of a period after a ``(created_at, ingest_seq)``)
up to the key of its last row (:func:`page_end`), decided first: rows
stored meanwhile never shift a page, so none is written twice or skipped.

The bytes stay those of the row-by-row writers
(:func:`sync.collector.rating_pages.rating_dicts` with ``csv_text`` or
``to_jsonl``), which remain their definition.  A row the SQL cannot vouch
for comes back as NULL and is written by them instead:

- a reason a spreadsheet could run as a formula (the rule of
  :func:`sync.collector.spreadsheet.is_formula_like`: a first character, after
  spaces, in ``FORMULA_STARTS``; here any leading space sends the row to
  Python), or with a carriage return (``csv`` versions differ on quoting it);
  the other text columns hold shapes validated on ingest, which start with a
  letter or a digit (see :data:`_NO_CHECK`);
- a reason with the delimiter, a quote or a line break (ingest validates
  reason keys, ids, days and languages to shapes without them, so only rows
  put there by other means meet this);
- a store the caller's :data:`StoreCell` list does not vouch for: its name
  is formula-like or holds a carriage return, or the store is not in the
  list (added since the export began, or gone).  The name's cell is made
  once per store and page in Python (quoted as the ``csv`` module quotes
  it; for JSON by ``json.dumps`` itself) and looked up by store id;
- a ``created_at`` not in the wire's shape, a store hour missing from the
  clock (below), a flag other than 0 or 1, or (SQLite) a number column
  holding something else than an integer.

Local times: the caller passes a *clock*, one entry per time zone and UTC
hour of the page (``2026-03-29T01``): the local hour (``HH``) when the
zone's offset is one whole number of hours all through that hour, or the
offset in minutes when it is one whole number of minutes; the line then
takes ``:MM:SS`` from ``created_at``.  An hour with a step inside is left
out, and its rows go to Python.  Zone rules come from Python's ``zoneinfo``
on both backends, so PostgreSQL's own time zone files never change a byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Protocol

from sync.collector.columns import RATING_COLUMNS, Column
from sync.collector.db.connection import Connection
from sync.collector.spreadsheet import FORMULA_STARTS

#: One clock entry: zone name, UTC hour (13 characters), local ``HH`` or None, offset
#: minutes or None.
ClockEntry = tuple[str, str, str | None, int | None]
#: One store as a page's lines see it: id, zone name, its name's finished cell (CSV or
#: JSON; None: empty) and 1 when its rows may be written here (0: by Python).
StoreCell = tuple[str, str, str | None, int]


class Clock(Protocol):
    """Clock entries by zone (:class:`sync.collector.rating_pages.ZoneClock`)."""

    def __call__(self, pairs: Iterable[tuple[str, str]]) -> list[ClockEntry]:
        """The entries of ``(zone, UTC hour)`` pairs, or of every hour of ``(zone, UTC
        day)`` pairs; pairs with none left out."""


@dataclass(frozen=True)
class Window:
    """The ratings an export takes, in its order: an SQL condition on ``r`` (with its
    parameters) and the columns of its key, a unique order (last: ``ingest_seq``)."""

    where: str
    params: tuple[Any, ...]
    key: tuple[str, ...]

    def order(self, descending: bool = False) -> str:
        """SQL: the ``ORDER BY`` list of the key."""
        return ", ".join(f"r.{name}{' DESC' if descending else ''}" for name in self.key)

    def upto(self, end: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
        """SQL condition and parameters: the window's rows up to the key ``end``."""
        names = ", ".join(f"r.{name}" for name in self.key)
        marks = ", ".join("?" for _ in self.key)
        return f"{self.where} AND ({names}) <= ({marks})", (*self.params, *end)


def after_seq(after: int) -> Window:
    """Every rating stored after the cursor ``after``, in ``ingest_seq`` order (the API's
    and ``hymy-collector export``'s)."""
    return Window("r.ingest_seq > ?", (after,), ("ingest_seq",))


def in_period(start: str, end: str, after: tuple[str, int] = ("", 0)) -> Window:
    """Every rating with a local date in ``start..end``, by time, after the cursor
    ``(created_at, ingest_seq)`` (the dashboard's downloads).

    A local date lies within a day of its UTC instant (zones are UTC-12 to
    UTC+14), so the ``created_at`` index narrows the search to the period and
    two days around it instead of every rating.
    """
    first = date.fromisoformat(start) - timedelta(days=1)
    last = date.fromisoformat(end) + timedelta(days=2)
    return Window("r.created_at >= ? AND r.created_at < ? AND (r.created_at, r.ingest_seq)"
                  " > (?, ?) AND r.local_date >= ? AND r.local_date <= ?",
                  (f"{first}T", f"{last}T", *after, start, end), ("created_at", "ingest_seq"))


#: Where an exported column comes from, when not the stored column of its name.
SOURCES = {"question_kind": "r.kind", "store_name": "st.cell"}
#: Text columns with no formula check.  ``created_at`` must match :data:`_TIME` anyway and
#: the local time is made here from it; the store's name is checked once per store (see
#: :data:`StoreCell`); the others start with a letter or digit whatever reaches the table:
#: ``id`` (a lowercase UUID, :data:`sync.wire.RatingId`), store and kiosk ids
#: (``storage._ID``, checked when each is added), ``local_date`` (:data:`sync.wire.Day`),
#: ``lang`` (:data:`sync.wire.Lang`), ``received_at`` (the collector's ``format_utc``),
#: ``question_kind`` and ``followup`` (the collector's and the wire's fixed words).  The
#: checks cost a fifth of the SELECT; reasons keep theirs.
_NO_CHECK = ("created_at", "local_time", "id", "store_id", "kiosk_id", "local_date", "lang",
             "received_at", "question_kind", "followup", "store_name")
#: Columns written into JSON as they are, NOT NULL all: integers, and text whose shape
#: (see :data:`_NO_CHECK`; ``created_at`` must match :data:`_TIME`, and a row's local time
#: is never NULL, as a row with no clock entry is refused) needs no escape.
_BARE_JSON = ("ingest_seq", "seq", "score", "scale", "id", "store_id", "kiosk_id",
              "created_at", "local_date", "lang", "received_at", "question_kind", "local_time")
#: Text columns checked for characters the C ``csv`` writer would quote (the others hold
#: shapes ingest validates, with none of them; the store's name comes quoted), as a
#: function of the delimiter.
_QUOTES_CHECKED = {"reason": lambda delimiter: delimiter + '"\n\r'}
#: A ``created_at`` in the wire's shape (SQLite GLOB, PostgreSQL regular expression).
_TIME = {
    "sqlite": "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]"
              ".[0-9][0-9][0-9]Z",
    "postgresql": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
                  r"\.[0-9]{3}Z$",
}
#: First characters that send a row to Python: a formula's, and a space (which may hide one).
_STARTS = "".join(sorted(FORMULA_STARTS - {"-"})) + " -"
#: The most zone-days a page's clock covers whole; a page spread wider (years of late
#: deliveries) asks for the zones and days it has.
SPAN_DAYS = 5_000
#: SQLite's temporary tables of clock entries and of store cells (one per connection).
_CLOCK = "hymy_export_clock"
_STORES = "hymy_export_stores"
#: PostgreSQL's clock and store cells: arrays, so a read replica needs no write.
_PG_CLOCK = ("unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]),"
             " CAST(? AS integer[])) AS c(tz, hour, prefix, minutes)")
_PG_STORES = ("unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]),"
              " CAST(? AS integer[])) AS st(id, tz, cell, ok)")


def literal(text: str) -> str:
    """``text`` as an SQL string literal (both backends: standard strings, no NUL)."""
    return "'" + text.replace("'", "''") + "'"


def _matches(backend: str, value: str, pattern: str) -> str:
    """SQL: ``value`` matches ``pattern`` (a GLOB for SQLite, a regex for PostgreSQL)."""
    return f"{value} {'GLOB' if backend == 'sqlite' else '~'} {literal(pattern)}"


def _contains(backend: str, value: str, chars: str) -> str:
    """SQL: ``value`` holds one of ``chars`` (``]`` and ``^`` not among them)."""
    return _matches(backend, value, f"*[{chars}]*" if backend == "sqlite" else f"[{chars}]")


def _starts(backend: str, value: str) -> str:
    """SQL: ``value`` starts with a character of :data:`_STARTS`."""
    return _matches(backend, value, f"[{_STARTS}]*" if backend == "sqlite" else f"^[{_STARTS}]")


def _local_time(backend: str) -> str:
    """SQL: the store's local ``HH:MM:SS`` at ``created_at`` from the clock entry ``c``."""
    minute = ("(CAST(substr(r.created_at, 12, 2) AS INTEGER) * 60"
              " + CAST(substr(r.created_at, 15, 2) AS INTEGER) + c.minutes + 1440) % 1440")
    if backend == "sqlite":
        shifted = f"printf('%02d:%02d', ({minute}) / 60, ({minute}) % 60)"
    else:
        shifted = (f"lpad((({minute}) / 60)::text, 2, '0') || ':'"
                   f" || lpad((({minute}) % 60)::text, 2, '0')")
    return (f"CASE WHEN c.prefix IS NOT NULL THEN c.prefix || substr(r.created_at, 14, 6)"
            f" WHEN c.minutes IS NOT NULL THEN {shifted} || substr(r.created_at, 17, 3) END")


def source(backend: str, column: Column) -> str:
    """SQL: the value of an exported column (NULL where the row-by-row writers give None)."""
    if column.name == "local_time":
        return _local_time(backend)
    return SOURCES.get(column.name, f"r.{column.name}")


def _json_value(backend: str, column: Column) -> str:
    """SQL: one JSON value as ``json.dumps`` writes it (the store's name comes encoded)."""
    value = source(backend, column)
    if column.kind == "bool":
        return f"CASE WHEN {value} = 1 THEN 'true' ELSE 'false' END"
    if column.name in _BARE_JSON or column.name == "store_name":
        return value
    if column.kind == "int64":
        return f"COALESCE(CAST({value} AS TEXT), 'null')"
    if backend == "sqlite":
        return f"json_quote({value})"
    return f"COALESCE(to_json(CAST({value} AS TEXT))::text, 'null')"


def _refused(backend: str, fmt: str, delimiter: str) -> list[str]:
    """SQL conditions, any of which sends a row to the row-by-row writers (NULL never does)."""
    found = [f"NOT {_matches(backend, 'r.created_at', _TIME[backend])}",
             "st.ok IS NULL OR st.ok = 0 OR c.tz IS NULL"]
    for column in RATING_COLUMNS:
        value = source(backend, column)
        if column.kind == "bool":
            found.append(f"{value} NOT IN (0, 1)")
        if fmt != "csv" or column.kind in ("int64", "bool") or column.name in _NO_CHECK:
            continue
        found.append(_starts(backend, value))
        if column.name in _QUOTES_CHECKED:
            found.append(_contains(backend, value, _QUOTES_CHECKED[column.name](delimiter)))
    return found


def _json_slot(column: Column) -> str:
    """A column's key and its ``%s`` in a JSON line; quoted there for a bare text column."""
    quote = '"' if column.name in _BARE_JSON and column.kind != "int64" else ""
    return f"{json.dumps(column.name)}: {quote}%s{quote}"


def _template(fmt: str, delimiter: str) -> str:
    """The ``printf``/``format`` pattern of one line: ``%s`` per column."""
    if fmt == "csv":
        return delimiter.join("%s" for _ in RATING_COLUMNS) + "\n"
    return "{" + ", ".join(map(_json_slot, RATING_COLUMNS)) + "}\n"


@lru_cache(maxsize=32)
def lines_sql(backend: str, fmt: str, delimiter: str, where: str, key: tuple[str, ...]) -> str:
    """The ``SELECT`` of a page's ``ingest_seq``, ``line`` (NULL: for Python) and the other
    columns of its ``key``, in key order: parameters (PostgreSQL) the store cells' and the
    clock's four arrays each, then those of ``where``."""
    if fmt == "csv":
        cells = [source(backend, column) for column in RATING_COLUMNS]
    else:
        cells = [_json_value(backend, column) for column in RATING_COLUMNS]
    call = "printf" if backend == "sqlite" else "format"
    line = f"{call}({literal(_template(fmt, delimiter))}, {', '.join(cells)})"
    if backend == "sqlite":  # temporary tables with a key: SQLite would scan a CTE per row
        stores, clock = f"temp.{_STORES} st", f"temp.{_CLOCK} c"
    else:  # PostgreSQL hashes the arrays
        stores, clock = _PG_STORES, _PG_CLOCK
    columns = "".join(f", r.{name} AS {name}" for name in key if name != "ingest_seq")
    keys = ", ".join(f"r.{name}" for name in key)
    return (f"SELECT r.ingest_seq AS ingest_seq, CASE WHEN"
            f" {' OR '.join(_refused(backend, fmt, delimiter))} THEN NULL ELSE {line} END AS line"
            f"{columns} FROM ratings r LEFT JOIN {stores} ON st.id = r.store_id"
            f" LEFT JOIN {clock} ON c.tz = st.tz AND c.hour = substr(r.created_at, 1, 13)"
            f" WHERE {where} ORDER BY {keys}")


@lru_cache(maxsize=32)
def text_sql(backend: str, fmt: str, delimiter: str, where: str, key: tuple[str, ...]) -> str:
    """A page as ``(rows, rows left to Python, text)``, the text its lines joined in key
    order, as UTF-8 bytes (what is sent or written: no decoding into a Python string and
    encoding back).  SQLite aggregates the ordered subquery in its order (it keeps a
    subquery's ORDER BY under an aggregate other than count, min or max)."""
    inner = lines_sql(backend, fmt, delimiter, where, key)
    if backend == "sqlite":  # the text's own bytes: the database's encoding is UTF-8
        joined = "CAST(group_concat(line, '') AS BLOB)"
    else:
        joined = f"convert_to(string_agg(line, '' ORDER BY {', '.join(key)}), 'UTF8')"
    return f"SELECT count(*), count(*) - count(line), {joined} FROM ({inner}) page"


def page_end(conn: Connection, window: Window, limit: int) -> tuple | None:
    """The key of the ``limit``-th rating of the window (of its last, when fewer; None
    when it has none): a page is the rows up to it."""
    columns, where = ", ".join(f"r.{name}" for name in window.key), window.where
    keys = window.order()
    found = conn.rows(f"SELECT {columns} FROM ratings r WHERE {where} ORDER BY {keys}"
                      " LIMIT 1 OFFSET ?", (*window.params, limit - 1))
    if not found:  # fewer: the last
        keys = window.order(descending=True)
        found = conn.rows(f"SELECT {columns} FROM ratings r WHERE {where} ORDER BY {keys}"
                          " LIMIT 1", window.params)
    return tuple(found[0]) if found else None


def _prepare(conn: Connection, where: str, params: tuple[Any, ...], clock: Clock,
             stores: Sequence[StoreCell]) -> list[Any]:
    """Store cells and clock entries for a page: SQLite's temporary tables filled; for
    PostgreSQL, the parameters of their arrays."""
    if conn.backend == "sqlite":
        _sqlite_stores(conn, stores)
        _sqlite_clock(conn, where, params, clock)
        return []
    entries = clock(conn.rows(
        "SELECT DISTINCT s.timezone, substr(r.created_at, 1, 13) FROM ratings r"
        f" JOIN stores s ON s.id = r.store_id WHERE {where}", params))
    return [*_arrays(stores), *_arrays(entries)]


def _arrays(rows: Sequence[tuple]) -> list[list]:
    """Rows of four values as four arrays (four empty ones for no rows)."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[], [], [], []]


def _sqlite_stores(conn: Connection, stores: Sequence[StoreCell]) -> None:
    """SQLite's temporary table of store cells, as ``stores`` (a page's, refilled each page:
    a name may change between pages, and another export may share the connection)."""
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_STORES} (id TEXT PRIMARY KEY, tz TEXT,"
                 " cell TEXT, ok INTEGER) WITHOUT ROWID")
    conn.execute(f"DELETE FROM temp.{_STORES}")
    conn.executemany(f"INSERT INTO temp.{_STORES} VALUES (?, ?, ?, ?)", stores)


def _sqlite_clock(conn: Connection, where: str, params: tuple[Any, ...], clock: Clock) -> None:
    """Fill SQLite's temporary clock table with every UTC day of the chain's taps (the ends
    of the ``created_at`` index) in each zone, or, spread wider than :data:`SPAN_DAYS`,
    with those of the page: once per connection, as the entries are facts of the zone
    rules (a day filled for an earlier page or export stays true)."""
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_CLOCK} (tz TEXT, hour TEXT, prefix TEXT,"
                 " minutes INTEGER, PRIMARY KEY (tz, hour)) WITHOUT ROWID")
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_CLOCK}_days (tz TEXT, day TEXT,"
                 " PRIMARY KEY (tz, day)) WITHOUT ROWID")
    zones = [row[0] for row in conn.rows("SELECT DISTINCT timezone FROM stores")]
    # One of MIN or MAX a query: SQLite reads just that end of the index then.
    low = conn.scalar("SELECT MIN(created_at) FROM ratings")
    high = conn.scalar("SELECT MAX(created_at) FROM ratings")
    needed = None if low is None else _days_between(zones, low[:10], high[:10])
    if needed is not None and conn.scalar(
            f"SELECT COUNT(*) FROM temp.{_CLOCK}_days WHERE day >= ? AND day <= ?"
            f" AND tz IN ({', '.join('?' for _ in zones)})",
            (low[:10], high[:10], *zones)) == len(needed):
        return  # the common case: filled by an earlier page
    if needed is None:  # taps spread over years: only the days the page has
        low, high = conn.rows(
            f"SELECT MIN(r.created_at), MAX(r.created_at) FROM ratings r WHERE {where}",
            params)[0]
        if low is None:
            return
        needed = _days_between(zones, low[:10], high[:10]) or set(conn.rows(
            "SELECT DISTINCT s.timezone, substr(r.created_at, 1, 10) FROM ratings r"
            f" JOIN stores s ON s.id = r.store_id WHERE {where}", params))
    missing = needed.difference(conn.rows(
        f"SELECT tz, day FROM temp.{_CLOCK}_days WHERE day >= ? AND day <= ?",
        (low[:10], high[:10])))
    if missing:
        conn.executemany(f"INSERT OR REPLACE INTO temp.{_CLOCK} VALUES (?, ?, ?, ?)",
                         clock(missing))
        conn.executemany(f"INSERT OR REPLACE INTO temp.{_CLOCK}_days VALUES (?, ?)", missing)


def _days_between(zones: Sequence[str], low: str, high: str) -> set[tuple[str, str]] | None:
    """Every ``(zone, day)`` from day ``low`` to ``high``; None when not days, or more
    than :data:`SPAN_DAYS` of them."""
    try:
        first, last = date.fromisoformat(low), date.fromisoformat(high)
    except ValueError:
        return None
    count = (last - first).days + 1
    if not 0 < count * max(len(zones), 1) <= SPAN_DAYS:
        return None
    days = [(first + timedelta(days=step)).isoformat() for step in range(count)]
    return {(tz, day) for tz in zones for day in days}


def page_text(conn: Connection, window: Window, end: Sequence[Any], fmt: str, delimiter: str,
              clock: Clock, stores: Sequence[StoreCell]) -> tuple[int, bytes | None]:
    """The page of ``window`` up to the key ``end`` as ``(rows, UTF-8 text)``: its lines
    joined by the database, or None when a row needs the row-by-row writers
    (:func:`page_lines`)."""
    where, params = window.upto(end)
    arrays = _prepare(conn, where, params, clock, stores)
    rows, refused, text = conn.rows(
        text_sql(conn.backend, fmt, delimiter, where, window.key), (*arrays, *params))[0]
    return rows, bytes(text or b"") if not refused else None


def page_lines(conn: Connection, window: Window, end: Sequence[Any], fmt: str, delimiter: str,
               clock: Clock, stores: Sequence[StoreCell]) -> list[tuple[int, str | None]]:
    """The page of ``window`` up to the key ``end`` as ``(ingest_seq, line)`` in order;
    the line is None for a row the row-by-row writers must write."""
    where, params = window.upto(end)
    arrays = _prepare(conn, where, params, clock, stores)
    return [(row[0], row[1]) for row in conn.rows(
        lines_sql(conn.backend, fmt, delimiter, where, window.key), (*arrays, *params))]
