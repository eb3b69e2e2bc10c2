"""Exported ratings as CSV or JSON Lines text, a page at a time and a column at a time.

The API and ``hymy-collector export`` go faster still: :func:`text_pages`
joins lines the database built (:mod:`sync.collector.db.lines`), and only
the rows it leaves to Python go through :func:`rating_dicts`.  What follows
is the column-at-a-time path the dashboard's downloads use.

An export of a million ratings used to make a dict per rating, parse each
``created_at`` for its local time, look each store up and ask each cell
whether it could run as a formula: about 3x the cost of the bare ``csv``
module, 60 000 ratings a second.  Here a page of rows, as the database
returns them (:data:`~sync.collector.db.storage.EXPORT_COLUMNS`), is worked
on column by column, in C wherever Python allows it:

- the store's name and zone come from a dict per store id, mapped over the
  column;
- the local time comes from a cache keyed by zone and UTC hour: in an hour
  with one whole-hour offset on both ends (every hour of a Nordic store) the
  local time is that hour on the store's clock plus ``:MM:SS`` of the UTC
  time; other hours (a +5:30 zone, a DST change inside the hour) are worked
  out row by row as before;
- the formula check (:mod:`sync.collector.spreadsheet`) runs once per text
  column of a page, over the column joined into one string; a page with no
  cell that could start a formula (nearly all) goes straight to the C
  ``csv`` writer as tuples;
- JSON values are encoded once per distinct value of a column (stores,
  kiosks, scores, dates...) and pasted into a line template with Python's
  own separators.

:func:`rating_dicts` with :func:`~sync.collector.spreadsheet.csv_text` or
:func:`to_jsonl` remain the definition of an export's bytes: a page the fast
path cannot vouch for (a formula-like cell, a time not in the canonical
shape, an odd value in a typed column) is written by them, and the tests
hold both paths to the same text (tests/collector/test_collector_export_pages.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from operator import add, itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sync.clock import local_time, parse_utc, zone
from sync.collector import columns
from sync.collector.db.lines import ClockEntry, StoreCell, Window, after_seq, in_period
from sync.collector.db.recount import day_offset, local_hour_of_utc_hour
from sync.collector.db.storage import EXPORT_COLUMNS, Storage
from sync.collector.spreadsheet import (
    FORMULA_STARTS,
    PLAIN,
    Dialect,
    csv_text,
    csv_writer,
    is_formula_like,
)

RATING_COLUMNS = columns.names(columns.RATING_COLUMNS)
_FLAGS = ("suppressed", "clock_suspect")
_FLAG_AT = tuple(EXPORT_COLUMNS.index(name) for name in _FLAGS)
_STORE = itemgetter(EXPORT_COLUMNS.index("store_id"))
_CREATED = itemgetter(EXPORT_COLUMNS.index("created_at"))
#: Stored columns that hold integers (flags apart).
_INT_AT = tuple(EXPORT_COLUMNS.index(name) for name in (
    "ingest_seq", "seq", "score", "scale", "survey_version"))
#: Stored columns of text whose values repeat within a page (checked once per value),
#: of text that does not (checked joined, NUL before each), and of integers.
_REPEATING = tuple(map(itemgetter, map(EXPORT_COLUMNS.index, (
    "store_id", "kiosk_id", "local_date", "lang", "reason"))))
_UNIQUE = tuple(map(itemgetter, map(EXPORT_COLUMNS.index, ("id", "received_at"))))
_NUMBERS = tuple(map(itemgetter, map(EXPORT_COLUMNS.index, (
    "seq", "score", "scale", "survey_version"))))
#: A text cell that could start a formula, in a column joined with NUL before each cell:
#: a false alarm (a NUL inside a cell) only sends the page down the row-by-row path.
_SUSPECT = re.compile("\x00 *[" + re.escape("".join(sorted(FORMULA_STARTS))) + "]")
#: ``created_at`` column joined with NUL after each cell, every one in the wire's shape.
_CANONICAL = re.compile(
    r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z\x00)*")
_HOUR = itemgetter(slice(0, 13))
_MINUTES_SECONDS = itemgetter(slice(13, 19))
_TWO_DIGITS = [f"{hour:02d}" for hour in range(24)]
_JSON = json.JSONEncoder(ensure_ascii=False).encode
#: One JSON Lines row, as ``json.dumps(item, ensure_ascii=False)`` lays it out.
_JSON_LINE = "{" + ", ".join(f"{json.dumps(name)}: %s" for name in RATING_COLUMNS) + "}\n"


class StoreNames:
    """Each store's display name and zone, read once per export (again for a store
    added since), so an export of a million rows asks the database once."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.known: dict[str, tuple[str | None, ZoneInfo | None]] = {}
        self.clock = LocalClock()
        self.read()

    def read(self) -> None:
        """Every store's name and zone, as they are now."""
        self.known = {store["id"]: (store["name"], zone(store["timezone"]))
                      for store in self.storage.stores()}

    def __call__(self, store_id: str) -> tuple[str | None, ZoneInfo | None]:
        """``(name, zone)`` of a store; ``(None, None)`` for one that is not there."""
        if store_id not in self.known:
            self.read()
            self.known.setdefault(store_id, (None, None))
        return self.known[store_id]

    def cells(self, fmt: str, delimiter: str) -> list[StoreCell]:
        """Each store's name as a finished CSV cell or JSON value, for lines the database
        builds (:data:`~sync.collector.db.lines.StoreCell`): worked out once per store,
        not per row.  A CSV name the C writer could quote otherwise than the SQL (a
        carriage return) or that could run as a formula is left to the row-by-row
        writers (``ok`` 0)."""
        found = []
        for store_id, (name, tz) in self.known.items():
            if tz is None:
                continue
            if fmt != "csv":
                found.append((store_id, tz.key, json.dumps(name, ensure_ascii=False), 1))
            elif name is None:
                found.append((store_id, tz.key, None, 1))
            else:
                quoted = any(char in name for char in delimiter + '"\n')
                ok = "\r" not in name and not is_formula_like(name)
                cell = '"' + name.replace('"', '""') + '"' if quoted else name
                found.append((store_id, tz.key, cell, int(ok)))
        return found

    def name_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` (with ``store_id``) given their ``store_name``."""
        for row in rows:
            row["store_name"] = self(row["store_id"])[0]
        return rows

    def columns(self, store_ids: Sequence[str]) -> tuple[list[str | None], list[ZoneInfo | None]]:
        """The name and zone columns of a column of store ids."""
        for store_id in set(store_ids).difference(self.known):
            self(store_id)
        found = list(map(self.known.__getitem__, store_ids))
        return [name for name, _ in found], [tz for _, tz in found]


class LocalClock:
    """Local times of day of UTC instants, from a cache of each zone's UTC hours.

    Bounded (``limit`` zone-hours, about 100 bytes each), so memory stays flat
    over an export of years.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self.hours: dict[tuple[ZoneInfo | None, str], str | None] = {}

    @staticmethod
    def local_hour(tz: ZoneInfo | None, hour: str) -> str | None:
        """``HH`` on the zone's clock all through a UTC hour (``2026-01-15T22``), or None
        (no zone, or not one local hour: see :func:`local_hour_of_utc_hour`)."""
        local = None if tz is None else local_hour_of_utc_hour(tz, hour)
        return None if local is None else _TWO_DIGITS[local]

    def times(self, zones: Sequence[ZoneInfo | None], created: Sequence[str]) -> list[str | None]:
        """``HH:MM:SS`` on each store's clock at each ``created_at`` (canonical UTC
        text, checked by the caller); None where the store is unknown."""
        keys = list(zip(zones, map(_HOUR, created), strict=True))
        new = set(keys).difference(self.hours)
        if len(self.hours) + len(new) > self.limit:
            self.hours.clear()
        for tz, hour in new:
            self.hours[tz, hour] = self.local_hour(tz, hour)
        prefixes = list(map(self.hours.__getitem__, keys))
        if None not in prefixes:
            return list(map(add, prefixes, map(_MINUTES_SECONDS, created)))
        return [
            prefix + moment[13:19] if prefix is not None
            else None if tz is None else local_time(parse_utc(moment), tz)
            for prefix, tz, moment in zip(prefixes, zones, created, strict=True)
        ]


def rating_dicts(rows: Iterable[Sequence[Any]], stores: StoreNames) -> Iterable[dict[str, Any]]:
    """Export rows as dicts with JSON types (flags as booleans), in :data:`RATING_COLUMNS`
    order: the stored columns, then the store's name, the local time, the question kind
    and the unanswered follow-up."""
    for row in rows:
        item = dict(zip(EXPORT_COLUMNS, row, strict=True))
        for flag in _FLAGS:
            item[flag] = bool(item[flag])
        name, tz = stores(item["store_id"])
        item["store_name"] = name
        item["local_time"] = None if tz is None else local_time(parse_utc(item["created_at"]), tz)
        # Stored as kind, exported at the end under its export name, then followup.
        item["question_kind"] = item.pop("kind")
        item["followup"] = item.pop("followup")
        yield item


#: Where a stored row's last two columns (kind, followup) start: the export puts the
#: store's name and the local time before them.
_KIND_AT = EXPORT_COLUMNS.index("kind")


def _arranged(row: Sequence[Any], name: str | None, time: str | None) -> tuple:
    """A stored row in export order: its columns, name and local time before kind and
    followup."""
    return (*row[:_KIND_AT], name, time, *row[_KIND_AT:])


def to_jsonl(items: Iterable[dict[str, Any]]) -> str:
    """One JSON object per line."""
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


def _typed_as_before(rows: Sequence[Sequence[Any]], dialect: Dialect) -> bool:
    """True when the C ``csv`` writer, given these rows' cells as they are, writes what
    :func:`~sync.collector.spreadsheet.csv_text` writes for them (formulas aside):
    flags are 0 or 1, and a dialect with decimal commas meets no float."""
    for at in _FLAG_AT:
        flags = list(map(itemgetter(at), rows))
        if set(map(type, flags)) != {int} or not set(flags) <= {0, 1}:
            return False
    return dialect.decimal == "." or not any(
        float in set(map(type, map(itemgetter(at), rows))) for at in _INT_AT)


def _no_formula(rows: Sequence[Sequence[Any]], names: Sequence[str | None]) -> bool:
    """True when no cell of the page is text a spreadsheet could take for a formula
    (``created_at`` is known to be in the wire's shape already)."""
    for values in (*(set(map(column, rows)) for column in _REPEATING), set(names)):
        if any(value.__class__ is str and is_formula_like(value) for value in values):
            return False
    for column in _UNIQUE:
        try:
            joined = "\x00" + "\x00".join(filter(None, map(column, rows)))
        except TypeError:  # not text: let the row-by-row path judge it
            return False
        if _SUSPECT.search(joined):
            return False
    return not any(str in set(map(type, map(column, rows))) for column in _NUMBERS)


def _local(rows: Sequence[Sequence[Any]],
           stores: StoreNames) -> tuple[list[str | None], list[str | None]] | None:
    """The page's store names and local times; None when a ``created_at`` is not in
    the wire's shape (the row-by-row path then parses it as it always did)."""
    created = list(map(_CREATED, rows))
    if set(map(type, created)) != {str} or not _CANONICAL.fullmatch("\x00".join(created) + "\x00"):
        return None
    names, zones = stores.columns(list(map(_STORE, rows)))
    return names, stores.clock.times(zones, created)


def csv_page(rows: Sequence[Sequence[Any]], stores: StoreNames, header: bool = True,
             dialect: Dialect = PLAIN) -> str:
    """Export rows as CSV in :data:`RATING_COLUMNS` order: the text of
    ``csv_text(rating_dicts(rows))``, written as tuples by the C writer.

    Formula-like cells are looked for once per distinct value, or in a column
    joined into one string: a page with one (or a false alarm) is written by
    the row-by-row path, which neutralises it.
    """
    found = (_local(rows, stores) if _typed_as_before(rows, dialect) else None) if rows \
        else ([], [])
    if found is not None and _no_formula(rows, found[0]):
        names, times = found
        buffer, writer = csv_writer(dialect, RATING_COLUMNS if header else None)
        writer.writerows(map(_arranged, rows, names, times))
        return buffer.getvalue()
    return csv_text(rating_dicts(rows, stores), RATING_COLUMNS, header, dialect)


def _json_column(values: Sequence[Any], flag: bool = False) -> list[str]:
    """Each value as ``json.dumps`` writes it (a flag as a boolean), encoded once per
    distinct value where values repeat."""
    kinds = set(map(type, values))
    distinct = set(values)
    if len(kinds - {type(None)}) <= 1 and len(distinct) * 4 <= len(values):
        table = {value: _JSON(bool(value) if flag else value) for value in distinct}
        return list(map(table.__getitem__, values))
    if flag:
        return [_JSON(bool(value)) for value in values]
    if kinds == {str}:
        return list(map(encode_basestring, values))
    if kinds == {int}:
        return list(map(int.__repr__, values))
    return list(map(_JSON, values))


def jsonl_page(rows: Sequence[Sequence[Any]], stores: StoreNames) -> str:
    """Export rows as JSON Lines: the text of ``to_jsonl(rating_dicts(rows))``."""
    found = _local(rows, stores) if rows else None
    if found is None:
        return to_jsonl(rating_dicts(rows, stores))
    names, times = found
    stored = list(zip(*rows, strict=True))
    encoded = [_json_column(values, at in _FLAG_AT) for at, values in enumerate(stored)]
    encoded[_KIND_AT:_KIND_AT] = [_json_column(names), _json_column(times)]
    return "".join(map(_JSON_LINE.__mod__, zip(*encoded, strict=True)))


def ratings_text(rows: Sequence[Sequence[Any]], stores: StoreNames, fmt: str,
                 header: bool = True, dialect: Dialect = PLAIN) -> str:
    """A page of export rows as CSV (with the header when ``header``) or JSON Lines."""
    return csv_page(rows, stores, header, dialect) if fmt == "csv" else jsonl_page(rows, stores)


# -- lines formatted by the database (sync/collector/db/lines.py) ----------------

#: Rows a page of database-formatted lines holds (the API's and the CLI's default).
PAGE = 10_000
_LINE = itemgetter(1)
_MINUTE = timedelta(minutes=1)
_HOUR_END = timedelta(hours=1) - timedelta(microseconds=1)


def clock_entry(tz_name: str, hour: str) -> tuple[str | None, int | None] | None:
    """A zone's local ``HH`` all through a UTC hour (``2026-03-29T01``), or else its offset
    in minutes when that is one whole number of minutes all through it; None when the
    offset steps inside the hour, or the zone or hour is not one (the row-by-row writers
    then write those rows, as they always did)."""
    try:
        tz, start = zone(tz_name), parse_utc(hour + ":00:00Z")
    except ValueError:
        return None
    local = local_hour_of_utc_hour(tz, hour)
    if local is not None:
        return _TWO_DIGITS[local], None
    offset = start.astimezone(tz).utcoffset()
    if offset is None or offset != (start + _HOUR_END).astimezone(tz).utcoffset() \
            or offset % _MINUTE:
        return None
    return None, offset // _MINUTE


def _hours(pairs: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """``(zone, UTC hour)`` pairs, each day of a ``(zone, day)`` pair as its 24 hours."""
    for tz_name, when in pairs:
        if len(when) == 10:
            yield from ((tz_name, f"{when}T{hour}") for hour in _TWO_DIGITS)
        else:
            yield tz_name, when


def _day_offset(tz_name: str, when: str) -> int | None:
    """The zone's offset in whole hours all through the UTC day ``when``, if it is one (and
    ``when`` a day: None for an hour)."""
    if len(when) != 10:
        return None
    try:
        return day_offset(zone(tz_name), when)
    except ValueError:
        return None


class ZoneClock:
    """The clock entries an export's pages need (:func:`clock_entry`), each worked out
    once per zone and UTC hour; bounded (``limit`` entries), so memory stays flat."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self.known: dict[tuple[str, str], tuple[str | None, int | None] | None] = {}

    def __call__(self, pairs: Iterable[tuple[str, str]]) -> list[ClockEntry]:
        """The entries of ``(zone name, UTC hour)`` pairs, or of each hour of ``(zone name,
        UTC day)`` pairs, leaving out those with none."""
        if len(self.known) > self.limit:
            self.known.clear()
        found: list[ClockEntry] = []
        rest = []
        for tz_name, when in pairs:
            offset = _day_offset(tz_name, when)
            if offset is None:
                rest.append((tz_name, when))
            else:  # a day of one whole-hour offset (all but two a year): 24 entries at once
                found += [(tz_name, f"{when}T{hour}", _TWO_DIGITS[(at + offset) % 24], None)
                          for at, hour in enumerate(_TWO_DIGITS)]
        for tz_name, hour in _hours(rest):
            if (tz_name, hour) not in self.known:
                self.known[tz_name, hour] = clock_entry(tz_name, hour)
            entry = self.known[tz_name, hour]
            if entry is not None:
                found.append((tz_name, hour, *entry))
        return found


def csv_header(dialect: Dialect = PLAIN) -> str:
    """The CSV header line of a ratings export (after the dialect's byte-order mark)."""
    return csv_writer(dialect, RATING_COLUMNS)[0].getvalue()


def _joined(storage: Storage, stores: StoreNames, window: Window, end: tuple,
            fmt: str, dialect: Dialect, clock: ZoneClock) -> tuple[bytes, int]:
    """A page the database could not join whole, line by line: ``(UTF-8 text, rows)``, the
    rows it left to Python (line None) written by the row-by-row writers, in their places."""
    rows = storage.export_lines(window, end, fmt, dialect.delimiter, clock,
                                stores.cells(fmt, dialect.delimiter))
    lines = list(map(_LINE, rows))
    at = [index for index, line in enumerate(lines) if line is None]
    stored = {row[0]: row for row in storage.export_ratings_at([rows[i][0] for i in at])}
    for index in at:
        row = stored.get(rows[index][0])
        items = rating_dicts([] if row is None else [row], stores)
        lines[index] = (csv_text(items, RATING_COLUMNS, False, dialect) if fmt == "csv"
                        else to_jsonl(items))
    return "".join(lines).encode(), len(rows)


def database_pages(storage: Storage, stores: StoreNames, window: Callable[[tuple], Window],
                   after: tuple, count: int | None, fmt: str, dialect: Dialect = PLAIN,
                   page: int = PAGE) -> Iterator[tuple[bytes, tuple, int]]:
    """The ``count`` ratings of ``window(after)`` (None: all there are) as CSV (its header
    first) or JSON Lines text in UTF-8, a page at a time: ``(text, key of the last row,
    rows)``; the next page is that of ``window(key)``.

    The database formats the lines and joins a page of them
    (:mod:`sync.collector.db.lines`); a page with a row it cannot vouch for is
    read again line by line, that row written by the row-by-row writers.
    """
    if fmt == "csv":
        yield csv_header(dialect).encode(), after, 0
    clock, done = ZoneClock(), 0
    while count is None or done < count:
        size = page if count is None else min(page, count - done)
        found = storage.export_text(window(after), size, fmt, dialect.delimiter, clock,
                                    stores.cells(fmt, dialect.delimiter))
        if found is None:
            return
        end, rows, text = found
        if text is None:
            text, rows = _joined(storage, stores, window(after), end, fmt, dialect, clock)
        after, done = end, done + rows
        yield text, after, rows


def text_pages(storage: Storage, stores: StoreNames, after: int, count: int | None,
               fmt: str, dialect: Dialect = PLAIN, page: int = PAGE,
               ) -> Iterator[tuple[bytes, int, int]]:
    """The ``count`` ratings after the cursor ``after`` (None: all there are) as CSV (its
    header first) or JSON Lines text in UTF-8, a page at a time: ``(text, last ingest_seq,
    rows)``: what the API and ``hymy-collector export`` write.

    The text is that of :func:`ratings_text` page by page, which the tests hold it to.
    """
    for text, last, rows in database_pages(storage, stores, lambda key: after_seq(key[0]),
                                           (after,), count, fmt, dialect, page):
        yield text, last[0], rows


def period_text(storage: Storage, stores: StoreNames, start: str, end: str, fmt: str,
                dialect: Dialect = PLAIN, page: int = PAGE) -> Iterator[bytes]:
    """Every rating with a local date in ``start..end``, in time order, as CSV (its header
    first) or JSON Lines text in UTF-8, a page at a time: the dashboard's downloads."""
    for text, _, _ in database_pages(storage, stores, lambda key: in_period(start, end, key),
                                     ("", 0), None, fmt, dialect, page):
        yield text
