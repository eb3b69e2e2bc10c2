"""Exported ratings as finished CSV or JSON Lines text, each line built by the database.

Python's ``csv`` module alone writes 265 000-400 000 rows a second on our
VM, so no per-row work in Python reaches an export of 300 000 ratings a
second.  Here the ``SELECT`` itself formats each line in C (SQLite's
``printf``, PostgreSQL's ``format``), from one list of columns
(:data:`sync.collector.columns.RATING_COLUMNS`), and Python only joins the
lines of a page.

The bytes stay those of the row-by-row writers
(:func:`sync.collector.rating_pages.rating_dicts` with ``csv_text`` or
``to_jsonl``), which remain their definition.  A row the SQL cannot vouch
for comes back as NULL and is written by them instead:

- a reason or store name a spreadsheet could run as a formula (the rule of
  :func:`sync.collector.spreadsheet.is_formula_like`: a first character, after
  spaces, in ``FORMULA_STARTS``; here any leading space sends the row to
  Python), or with a carriage return (``csv`` versions differ on quoting it);
  the other text columns hold shapes validated on ingest, which start with a
  letter or a digit (see :data:`_NO_CHECK`);
- a reason with the delimiter, a quote or a line break (ingest validates
  reason keys, ids, days and languages to shapes without them, so only rows
  put there by other means meet this); the store's name, free text, is
  quoted in SQL as the ``csv`` module quotes it;
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
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Protocol

from sync.collector.columns import RATING_COLUMNS, Column
from sync.collector.db.connection import Connection
from sync.collector.spreadsheet import FORMULA_STARTS

#: One clock entry: zone name, UTC hour (13 characters), local ``HH`` or None, offset
#: minutes or None.
ClockEntry = tuple[str, str, str | None, int | None]


class Clock(Protocol):
    """Clock entries by zone (:class:`sync.collector.rating_pages.ZoneClock`)."""

    def __call__(self, pairs: Iterable[tuple[str, str]]) -> list[ClockEntry]:
        """The entries of ``(zone, UTC hour)`` pairs, or of every hour of ``(zone, UTC
        day)`` pairs; pairs with none left out."""


#: Where an exported column comes from, when not the stored column of its name.
SOURCES = {"question_kind": "r.kind", "store_name": "s.name"}
#: Text columns with no formula check.  ``created_at`` must match :data:`_TIME` anyway and
#: the local time is made here from it; the others start with a letter or digit whatever
#: reaches the table: ``id`` (a lowercase UUID, :data:`sync.wire.RatingId`), store and kiosk
#: ids (``storage._ID``, checked when each is added), ``local_date`` (:data:`sync.wire.Day`),
#: ``lang`` (:data:`sync.wire.Lang`), ``received_at`` (the collector's ``format_utc``),
#: ``question_kind`` and ``followup`` (the collector's and the wire's fixed words).  The
#: checks cost a fifth of the SELECT; reasons and store names keep theirs.
_NO_CHECK = ("created_at", "local_time", "id", "store_id", "kiosk_id", "local_date", "lang",
             "received_at", "question_kind", "followup")
#: Columns written into JSON as they are, NOT NULL all: integers, and text whose shape
#: (see :data:`_NO_CHECK`; ``created_at`` must match :data:`_TIME`) needs no escape.
_BARE_JSON = ("ingest_seq", "seq", "score", "scale", "id", "store_id", "kiosk_id",
              "created_at", "local_date", "lang", "received_at", "question_kind")
#: Text columns checked for characters the C ``csv`` writer would quote (the others hold
#: shapes ingest validates, with none of them; the store's name is quoted in SQL), as
#: a function of the delimiter.
_QUOTES_CHECKED = {"reason": lambda delimiter: delimiter + '"\n\r', "store_name": lambda _: "\r"}
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
#: SQLite's temporary table of clock entries (one per connection).
_CLOCK = "hymy_export_clock"


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


def _csv_cell(backend: str, column: Column, delimiter: str) -> str:
    """SQL: one CSV cell as the ``csv`` module writes it (NULL: empty)."""
    value = source(backend, column)
    if column.kind in ("int64", "bool"):
        return value
    if column.name != "store_name":  # validated shapes: a row needing quotes goes to Python
        return value
    quoted = "'\"' || replace(s.name, '\"', '\"\"') || '\"'"
    return (f"CASE WHEN {_contains(backend, 's.name', delimiter + chr(34) + chr(10))}"
            f" THEN {quoted} ELSE s.name END")


def _json_value(backend: str, column: Column) -> str:
    """SQL: one JSON value as ``json.dumps`` writes it."""
    value = source(backend, column)
    if column.kind == "bool":
        return f"CASE WHEN {value} = 1 THEN 'true' ELSE 'false' END"
    if column.name in _BARE_JSON:
        return value
    if column.kind == "int64":
        return f"COALESCE(CAST({value} AS TEXT), 'null')"
    if backend == "sqlite":
        return f"json_quote({value})"
    return f"COALESCE(to_json(CAST({value} AS TEXT))::text, 'null')"


def _refused(backend: str, fmt: str, delimiter: str) -> list[str]:
    """SQL conditions, any of which sends a row to the row-by-row writers (NULL never does)."""
    found = [f"NOT {_matches(backend, 'r.created_at', _TIME[backend])}",
             "(s.id IS NOT NULL AND c.tz IS NULL)"]
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


@lru_cache(maxsize=16)
def lines_sql(backend: str, fmt: str, delimiter: str = ",") -> str:
    """The ``SELECT`` of a page's ``(ingest_seq, line)``: parameters the cursor, the
    number of rows and (PostgreSQL) the clock's four arrays (:func:`page_lines`)."""
    if fmt == "csv":
        cells = [_csv_cell(backend, column, delimiter) for column in RATING_COLUMNS]
    else:
        cells = [_json_value(backend, column) for column in RATING_COLUMNS]
    call = "printf" if backend == "sqlite" else "format"
    line = f"{call}({literal(_template(fmt, delimiter))}, {', '.join(cells)})"
    if backend == "sqlite":  # a temporary table with a key: SQLite would scan a CTE per row
        clock = f"temp.{_CLOCK} c"
    else:  # PostgreSQL hashes the arrays; a replica could not write a temporary table
        clock = ("unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]),"
                 " CAST(? AS integer[])) AS c(tz, hour, prefix, minutes)")
    return (f"SELECT r.ingest_seq, CASE WHEN {' OR '.join(_refused(backend, fmt, delimiter))}"
            f" THEN NULL ELSE {line} END FROM ratings r"
            " LEFT JOIN stores s ON s.id = r.store_id"
            f" LEFT JOIN {clock} ON c.tz = s.timezone AND c.hour = substr(r.created_at, 1, 13)"
            " WHERE r.ingest_seq > ? ORDER BY r.ingest_seq LIMIT ?")


def _sqlite_clock(conn: Connection, after: int, limit: int, clock: Clock) -> None:
    """Fill SQLite's temporary clock table with every UTC day the page's taps fall on, in
    each zone: once per connection, as the entries are facts of the zone rules (a day
    filled for an earlier page or export stays true)."""
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_CLOCK} (tz TEXT, hour TEXT, prefix TEXT,"
                 " minutes INTEGER, PRIMARY KEY (tz, hour)) WITHOUT ROWID")
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_CLOCK}_days (tz TEXT, day TEXT,"
                 " PRIMARY KEY (tz, day)) WITHOUT ROWID")
    low, high = conn.rows(
        "SELECT MIN(created_at), MAX(created_at) FROM (SELECT created_at FROM ratings"
        " WHERE ingest_seq > ? ORDER BY ingest_seq LIMIT ?) page", (after, limit))[0]
    if low is None:
        return
    zones = [row[0] for row in conn.rows("SELECT DISTINCT timezone FROM stores")]
    needed = _days_between(zones, low[:10], high[:10])
    if needed is None:  # taps spread over years in one page: only the days it has
        needed = set(conn.rows(
            "SELECT DISTINCT s.timezone, substr(r.created_at, 1, 10) FROM (SELECT store_id,"
            " created_at FROM ratings WHERE ingest_seq > ? ORDER BY ingest_seq LIMIT ?) r"
            " JOIN stores s ON s.id = r.store_id", (after, limit)))
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


def page_lines(conn: Connection, after: int, limit: int, fmt: str, delimiter: str,
               clock: Clock) -> list[tuple[int, str | None]]:
    """Up to ``limit`` ratings after ``after`` as ``(ingest_seq, line)``, oldest first;
    the line is None for a row the row-by-row writers must write."""
    params: list[Any] = []
    if conn.backend == "sqlite":
        _sqlite_clock(conn, after, limit, clock)
    else:  # PostgreSQL: the page's zones and hours as arrays
        entries = clock(conn.rows(
            "SELECT DISTINCT s.timezone, substr(r.created_at, 1, 13) FROM (SELECT store_id,"
            " created_at FROM ratings WHERE ingest_seq > ? ORDER BY ingest_seq LIMIT ?) r"
            " JOIN stores s ON s.id = r.store_id", (after, limit)))
        params = [list(column) for column in zip(*entries, strict=True)] if entries \
            else [[], [], [], []]
    return conn.rows(lines_sql(conn.backend, fmt, delimiter), (*params, after, limit))
