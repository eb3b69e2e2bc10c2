"""Exported ratings as CSV or JSON Lines text, a page at a time, for the API,
``hymy-collector export`` and the dashboard's downloads: one way for all three.

The database builds each line and joins a page of them
(:mod:`sync.collector.db.lines`); :func:`database_pages` asks it for pages
and sends the text on as it comes, UTF-8 bytes.  This module gives it what
Python knows better: each store's name as a finished cell
(:meth:`StoreNames.cells`) and the local hour of each zone's UTC hours
(:class:`ZoneClock`, for the database's lines and the XLSX columns alike),
worked out once each, not per row.

:func:`rating_dicts` with :func:`~sync.collector.spreadsheet.csv_text` or
:func:`to_jsonl` remain the definition of an export's bytes: the rows the
database cannot vouch for (a formula-like cell, a time not in the canonical
shape, an odd value in a typed column) are written by them, in their places,
and the tests hold every page to the text they make
(tests/collector/test_collector_export_lines.py and
test_collector_export_pages.py).

An export of a million ratings used to make a dict per rating, parse each
``created_at`` for its local time, look each store up and ask each cell
whether it could run as a formula: about 3x the cost of the bare ``csv``
module.  Then a column at a time in Python (1.9-2.7x), then lines built by
the database and joined in Python (1.0-1.5x); now within the bare module's
own cost (docs/performance.md, benchmark 7).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from operator import add, itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sync.clock import local_time, parse_utc, zone
from sync.collector import columns
from sync.collector.db.lines import ClockEntry, StoreCell, Window, after_seq, in_period
from sync.collector.db.recount import day_offset, local_hour_of_utc_hour
from sync.collector.db.storage import EXPORT_COLUMNS, Storage
from sync.collector.spreadsheet import (
    JOINED_STAMPS,
    PLAIN,
    Dialect,
    csv_text,
    csv_writer,
    is_formula_like,
)

RATING_COLUMNS = columns.names(columns.RATING_COLUMNS)
_FLAGS = ("suppressed", "clock_suspect")
_TWO_DIGITS = [f"{hour:02d}" for hour in range(24)]
_STORE = itemgetter(EXPORT_COLUMNS.index("store_id"))
_CREATED = itemgetter(EXPORT_COLUMNS.index("created_at"))
_HOUR = itemgetter(slice(0, 13))
_MINUTES_SECONDS = itemgetter(slice(13, 19))


class StoreNames:
    """Each store's display name and zone, read once per export (again for a store
    added since), so an export of a million rows asks the database once."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.known: dict[str, tuple[str | None, ZoneInfo | None]] = {}
        self.clock = ZoneClock()
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


def to_jsonl(items: Iterable[dict[str, Any]]) -> str:
    """One JSON object per line."""
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


def _local(rows: Sequence[Sequence[Any]],
           stores: StoreNames) -> tuple[list[str | None], list[str | None]] | None:
    """The page's store names and local times; None when a ``created_at`` is not in
    the wire's shape (the row-by-row path then parses it as it always did)."""
    created = list(map(_CREATED, rows))
    if set(map(type, created)) != {str} \
            or not JOINED_STAMPS.fullmatch("\x00".join(created) + "\x00"):
        return None
    names, zones = stores.columns(list(map(_STORE, rows)))
    return names, stores.clock.times(zones, created)


#: Where a stored row's last two columns (kind, followup) start: the export puts the
#: store's name and the local time before them.
_KIND_AT = EXPORT_COLUMNS.index("kind")


def rating_columns(rows: Sequence[Sequence[Any]], stores: StoreNames) -> list[Sequence[Any]]:
    """Export rows as columns in :data:`RATING_COLUMNS` order (flags as stored), for the
    XLSX writer: names and local times a column at a time, or from :func:`rating_dicts`
    when a ``created_at`` is not in the wire's shape."""
    found = _local(rows, stores) if rows else None
    if found is None:
        items = list(rating_dicts(rows, stores))
        return [list(map(itemgetter(name), items)) for name in RATING_COLUMNS]
    stored: list[Sequence[Any]] = list(zip(*rows, strict=True))
    stored[_KIND_AT:_KIND_AT] = found
    return stored


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
    """Each zone's local hour through each UTC hour (:func:`clock_entry`), worked out once
    per zone and UTC hour: the clock entries of the database's pages, and the local times
    of the XLSX writer's columns (:meth:`times`).  Bounded (``limit`` entries), so memory
    stays flat over an export of years."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self.known: dict[tuple[str | None, str], tuple[str | None, int | None] | None] = {}
        self.lock = threading.Lock()  # an export's pages are made on several threads

    def __call__(self, pairs: Iterable[tuple[str, str]]) -> list[ClockEntry]:
        """The entries of ``(zone name, UTC hour)`` pairs, or of each hour of ``(zone name,
        UTC day)`` pairs, leaving out those with none."""
        with self.lock:
            return self._entries(pairs)

    def times(self, zones: Sequence[ZoneInfo | None], created: Sequence[str]) -> list[str | None]:
        """``HH:MM:SS`` on each store's clock at each ``created_at`` (canonical UTC text,
        checked by the caller); None where the store is unknown.  A zone-hour with a
        local hour of its own gives it (the common case: no parsing); the others are
        worked out from the instant."""
        keys = list(zip([None if tz is None else tz.key for tz in zones], map(_HOUR, created),
                        strict=True))
        with self.lock:
            prefixes = [None if entry is None else entry[0] for entry in self._lookup(keys)]
        if None not in prefixes:
            return list(map(add, prefixes, map(_MINUTES_SECONDS, created)))
        return [
            prefix + moment[13:19] if prefix is not None
            else None if tz is None else local_time(parse_utc(moment), tz)
            for prefix, tz, moment in zip(prefixes, zones, created, strict=True)
        ]

    def _lookup(self, keys: Sequence[tuple[str | None, str]]
                ) -> list[tuple[str | None, int | None] | None]:
        """Each ``(zone name, UTC hour)``'s :func:`clock_entry` (None for no zone), each
        worked out once (the caller holds the lock)."""
        if len(self.known) > self.limit:
            self.known.clear()
        for tz_name, hour in set(keys).difference(self.known):
            self.known[tz_name, hour] = None if tz_name is None else clock_entry(tz_name, hour)
        return list(map(self.known.__getitem__, keys))

    def _entries(self, pairs: Iterable[tuple[str, str]]) -> list[ClockEntry]:
        found: list[ClockEntry] = []
        rest = []
        for tz_name, when in pairs:
            offset = _day_offset(tz_name, when)
            if offset is None:
                rest.append((tz_name, when))
            else:  # a day of one whole-hour offset (all but two a year): 24 entries at once
                found += [(tz_name, f"{when}T{hour}", _TWO_DIGITS[(at + offset) % 24], None)
                          for at, hour in enumerate(_TWO_DIGITS)]
        hours = list(_hours(rest))
        found += [(tz_name, hour, *entry)
                  for (tz_name, hour), entry in zip(hours, self._lookup(hours), strict=True)
                  if entry is not None]
        return found


def parse_cursor(after: str) -> int:
    """The ``ingest_seq`` an ``after`` value stands for ("" or "0": from the start)."""
    if after in ("", "0"):
        return 0
    if not after.isdigit() or len(after) > 18:
        raise ValueError(f"after: {after!r} is not a cursor: give the number the previous "
                         "export ended with (X-Next-Cursor; hymy-collector export prints it "
                         "as 'next cursor')")
    return int(after)


def csv_header(dialect: Dialect = PLAIN) -> str:
    """The CSV header line of a ratings export (after the dialect's byte-order mark)."""
    return csv_writer(dialect, RATING_COLUMNS)[0].getvalue()


def _page(storage: Storage, stores: StoreNames, window: Window, end: tuple, fmt: str,
          dialect: Dialect, clock: ZoneClock, cells: list[StoreCell]) -> tuple[bytes, int]:
    """The page of ``window`` up to the key ``end`` as ``(UTF-8 text, rows)``: joined by the
    database, or, when it could not vouch for a row, line by line with the rows it left to
    Python (line None) written by the row-by-row writers, in their places."""
    rows, text = storage.export_text(window, end, fmt, dialect.delimiter, clock, cells)
    if text is not None:
        return text, rows
    found = storage.export_lines(window, end, fmt, dialect.delimiter, clock, cells)
    lines = list(map(_LINE, found))
    at = [index for index, line in enumerate(lines) if line is None]
    stored = {row[0]: row for row in storage.export_ratings_at([found[i][0] for i in at])}
    for index in at:
        row = stored.get(found[index][0])
        items = rating_dicts([] if row is None else [row], stores)
        lines[index] = (csv_text(items, RATING_COLUMNS, False, dialect) if fmt == "csv"
                        else to_jsonl(items))
    return "".join(lines).encode(), len(found)


#: Pages made at once, each on its own connection and thread (the database formats
#: them with Python's lock released), and the most made ahead of the one being sent.
WORKERS, AHEAD = 2, 3


def database_pages(storage: Storage, stores: StoreNames, window: Callable[[tuple], Window],
                   after: tuple, count: int | None, fmt: str, dialect: Dialect = PLAIN,
                   page: int = PAGE) -> Iterator[tuple[bytes, tuple, int]]:
    """The ``count`` ratings of ``window(after)`` (None: all there are) as CSV (its header
    first) or JSON Lines text in UTF-8, a page at a time: ``(text, key of the last row,
    rows)``; the next page is that of ``window(key)``.

    Each page's end is decided here, in order; the pages themselves are
    formatted by the database (:mod:`sync.collector.db.lines`) on
    :data:`WORKERS` threads, up to :data:`AHEAD` pages ahead, while the caller
    writes or sends the one before: on two cores an export runs at the speed
    of the slower of the two, not of both in turn (docs/performance.md,
    benchmark 7).  Memory stays that of a few pages.
    """
    if fmt == "csv":
        yield csv_header(dialect).encode(), after, 0
    clock, planned = ZoneClock(), 0
    pending: deque[tuple[Future[tuple[bytes, int]], tuple]] = deque()
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="hymy-export") as pool:
        try:
            while True:
                while len(pending) < AHEAD and (count is None or planned < count):
                    size = page if count is None else min(page, count - planned)
                    rows = window(after)
                    end = storage.export_end(rows, size)
                    if end is None:
                        break
                    cells = stores.cells(fmt, dialect.delimiter)
                    pending.append((pool.submit(_page, storage, stores, rows, end, fmt, dialect,
                                                clock, cells), end))
                    after, planned = end, planned + size
                if not pending:
                    return
                made, end = pending.popleft()
                text, rows = made.result()
                yield text, end, rows
        finally:  # the caller stopped early (a client gone): drop the pages not begun
            for made, _ in pending:
                made.cancel()


def text_pages(storage: Storage, stores: StoreNames, after: int, count: int | None,
               fmt: str, dialect: Dialect = PLAIN, page: int = PAGE,
               ) -> Iterator[tuple[bytes, int, int]]:
    """The ``count`` ratings after the cursor ``after`` (None: all there are) as CSV (its
    header first) or JSON Lines text in UTF-8, a page at a time: ``(text, last ingest_seq,
    rows)``: what the API and ``hymy-collector export`` write.

    The tests hold each page to the text the row-by-row writers make of its rows.
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
