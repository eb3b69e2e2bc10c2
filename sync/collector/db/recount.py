"""What the roll-ups and seq counters should hold, recounted from raw ratings in SQL.

``hymy-collector check`` used to read every rating into Python and tally it
(20 s for 1 M ratings); here the database counts with ``GROUP BY`` and a
window over each kiosk's seqs, and Python only sees the groups:

- daily and reason counts: one ``GROUP BY`` each, their keys as stored;
- hourly counts: grouped by the UTC hour of ``created_at``, then given the
  store's local hour per zone and UTC hour (:func:`local_hour_of_utc_hour`);
  a store with an hour where that is not one hour (a +5:30 zone, a DST step
  inside the hour) is grouped by minute instead, as ingest counts it
  (:class:`~sync.collector.db.rollups.LocalHours`);
- seqs: per kiosk, ``LAG``/``LEAD`` over its seqs in order give the missing
  ranges, its highest seq and its number of ratings, as
  :func:`~sync.collector.db.seqs.gaps_of` would from every seq.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from zoneinfo import ZoneInfo

from sync.clock import parse_utc
from sync.collector.db.connection import Connection
from sync.collector.db.rollups import (
    RUNNING,
    LocalHours,
    Tallies,
    columnwise,
    running_rows,
    store_days,
)
from sync.collector.db.seqs import Gap

#: The steps of a check, in order, as a progress bar names them.
STEPS = ("daily counts", "hourly counts", "reason counts", "kiosk seqs", "stored roll-ups")
_ONE_HOUR = timedelta(hours=1)
_ONE_DAY = timedelta(days=1)
_KEY, _LAST = itemgetter(slice(0, -1)), itemgetter(-1)
_FIRST, _THIRD = itemgetter(0), itemgetter(2)
_RUNNING_KEY, _RUNNING_TOTALS = itemgetter(0, 1, 2), itemgetter(slice(3, None))
_LAST_INSTANT = _ONE_HOUR - timedelta(microseconds=1)
_DAILY = ("SELECT store_id, local_date, kiosk_id, scale, score, suppressed, COUNT(*)"
          " FROM ratings GROUP BY store_id, local_date, kiosk_id, scale, score, suppressed")
_REASONS = ("SELECT store_id, local_date, reason, scale, score, COUNT(*) FROM ratings"
            " WHERE suppressed = 0 AND reason IS NOT NULL"
            " GROUP BY store_id, local_date, reason, scale, score")
#: Counted taps by store, local date, UTC hour (``substr`` 13) or minute (16), scale, score.
_BY_TIME = ("SELECT store_id, local_date, substr(created_at, 1, {width}), scale, score, COUNT(*)"
            " FROM ratings WHERE suppressed = 0{where}"
            " GROUP BY store_id, local_date, substr(created_at, 1, {width}), scale, score")
#: Per kiosk, the rows that open a missing range (seq above the previous one + 1,
#: seqs below 1 aside) and its last row by seq, with its rank (= its ratings).
_SEQS = (
    "SELECT kiosk_id, seq, prev, nth, last FROM (SELECT kiosk_id, seq,"
    " LAG(seq, 1, 0) OVER w AS prev, ROW_NUMBER() OVER w AS nth,"
    " CASE WHEN LEAD(seq) OVER w IS NULL THEN 1 ELSE 0 END AS last"
    " FROM ratings WINDOW w AS (PARTITION BY kiosk_id ORDER BY seq)) ordered"
    " WHERE seq > CASE WHEN prev > 0 THEN prev ELSE 0 END + 1 OR last = 1"
)


@dataclass
class KioskSeqs:
    """A kiosk's seq facts as its ratings say: highest seq, ratings, missing ranges."""

    max_seq: int = 0
    received: int = 0
    gaps: list[Gap] = field(default_factory=list)


def local_hour_of_utc_hour(tz: ZoneInfo, hour: str) -> int | None:
    """The local hour (0-23) all through a UTC hour (``2026-01-15T22``) when the zone's
    offset is one whole number of hours from its first instant to its last; None
    otherwise (a +5:30 zone, or a DST step inside the hour).

    A UTC day with one whole-hour offset from its first to its last instant
    (all but a zone's two DST days a year) answers from one sum.
    """
    offset = _day_offset(tz, hour[:10])
    if offset is not None:
        return (int(hour[11:13]) + offset) % 24
    start = parse_utc(hour + ":00:00Z")
    return _whole_hours(tz, start, start + _LAST_INSTANT)


@lru_cache(maxsize=4096)
def _day_offset(tz: ZoneInfo, day: str) -> int | None:
    """The zone's offset in whole hours all through a UTC day, if it is one."""
    start = parse_utc(day + "T00:00:00Z")
    hours = _whole_hours(tz, start, start + _ONE_DAY - timedelta(microseconds=1))
    return None if hours is None else (hours - start.hour) % 24


def _whole_hours(tz: ZoneInfo, start: datetime, end: datetime) -> int | None:
    """The local hour at ``start`` when ``tz``'s offset is the same whole number of
    hours at ``start`` and ``end``; None otherwise."""
    offset = start.astimezone(tz).utcoffset()
    if offset is None or offset != end.astimezone(tz).utcoffset() or offset % _ONE_HOUR:
        return None
    return (start + offset).hour


def recount(conn: Connection, hours: LocalHours, zone_of: Callable[[str], ZoneInfo],
            step: Callable[[str], None]) -> tuple[Tallies, dict[str, KioskSeqs]]:
    """Every roll-up count and each kiosk's seq facts, from the ratings in ``conn``;
    ``step`` is told each step's name (:data:`STEPS`) as it ends."""
    expected = Tallies()
    expected.daily = Counter(_counts(conn, _DAILY))
    step(STEPS[0])
    expected.hourly = _hourly(conn, hours, zone_of)
    step(STEPS[1])
    expected.reasons = Counter(_counts(conn, _REASONS))
    step(STEPS[2])
    seqs = kiosk_seqs(conn)
    step(STEPS[3])
    return expected, seqs


def _counts(conn: Connection, sql: str, params: tuple = ()) -> dict[tuple, int]:
    """``{key columns: count}`` of a query whose last column is the count and whose
    keys are unique (a GROUP BY, a table's key), built in C."""
    rows = conn.rows(sql, params)
    return dict(zip(map(_KEY, rows), map(_LAST, rows), strict=True))


def compare_rollups(conn: Connection, expected: Tallies) -> list[str]:
    """Lines naming each stored roll-up count that differs from ``expected``: the whole
    of a table compared in C first, key by key only when they differ."""
    days = store_days(expected.daily)
    problems = []
    for table, columns, counts in (
        ("daily_counts", "store_id, local_date, kiosk_id, scale, score, suppressed, n",
         expected.daily),
        ("hourly_counts", "store_id, local_date, hour, scale, score, n", expected.hourly),
        ("reason_counts", "store_id, local_date, reason, scale, score, n", expected.reasons),
    ):
        stored = _counts(conn, f"SELECT {columns} FROM {table} WHERE n <> 0")  # noqa: S608
        problems += _compare(table, stored, counts)
    keys = _counts(conn, "SELECT store_id, scale, 1 FROM running_keys")
    problems += _compare("running_keys", keys, dict.fromkeys({key[:2] for key in days}, 1))
    rows = conn.rows(f"SELECT store_id, scale, local_date, {', '.join(RUNNING)}"  # noqa: S608
                     " FROM running_counts")
    stored_running = dict(zip(map(_RUNNING_KEY, rows), map(_RUNNING_TOTALS, rows), strict=True))
    wanted_running = running_rows(days)
    if not dict.__eq__(stored_running, wanted_running):
        problems += _compare("running_counts", columnwise(stored_running),
                             columnwise(wanted_running))
    return problems


def _compare(table: str, stored: Mapping[tuple, int], expected: Mapping[tuple, int],
             limit: int = 20) -> list[str]:
    """Lines describing where ``stored`` roll-up counts differ from ``expected``."""
    if dict.__eq__(stored, expected):  # in C; neither holds a zero count
        return []
    problems = []
    differing = [key for key in {*stored, *expected} if stored.get(key, 0) != expected.get(key, 0)]
    for key in sorted(differing, key=str):
        problems.append(
            f"{table} {key}: stored {stored.get(key, 0)}, ratings say {expected.get(key, 0)}"
        )
    if len(problems) > limit:
        problems = problems[:limit] + [f"{table}: {len(problems) - limit} more differences"]
    return problems


def _hourly(conn: Connection, hours: LocalHours,
            zone_of: Callable[[str], ZoneInfo]) -> Counter:
    """Counted taps per store, local date, local hour, scale and score."""
    rows = conn.rows(_BY_TIME.format(width=13, where=""))
    stores = list(map(_FIRST, rows))
    zones = {store_id: zone_of(store_id) for store_id in set(stores)}
    keys = list(zip(map(zones.__getitem__, stores), map(_THIRD, rows), strict=True))
    local = {key: local_hour_of_utc_hour(*key) for key in set(keys)}
    by_minute = {store_id for store_id, key in zip(stores, keys, strict=True)
                 if local[key] is None}
    result: Counter = Counter()
    for (store_id, day, _, scale, score, n), hour in zip(
            rows, map(local.__getitem__, keys), strict=True):
        if hour is not None and store_id not in by_minute:
            result[store_id, day, hour, scale, score] += n
    if by_minute:  # stores with hours of two local hours: their taps minute by minute
        where, params = conn.any_of("store_id", sorted(by_minute))
        groups = _counts(conn, _BY_TIME.format(width=16, where=f" AND {where}"), tuple(params))
        minutes = list(groups)
        found = hours.of([key[0] for key in minutes], [key[2] for key in minutes])
        for (store_id, day, minute, scale, score), hour in zip(minutes, found, strict=True):
            result[store_id, day, hour, scale, score] += groups[store_id, day, minute, scale, score]
    return result


def kiosk_seqs(conn: Connection) -> dict[str, KioskSeqs]:
    """Each kiosk with ratings: its highest seq, its ratings and its missing ranges."""
    found: dict[str, KioskSeqs] = {}
    for kiosk_id, seq, prev, nth, last in conn.rows(_SEQS):
        facts = found.setdefault(kiosk_id, KioskSeqs())
        low = max(prev, 0) + 1
        if seq > low:
            facts.gaps.append((low, seq - 1))
        if last:
            facts.max_seq, facts.received = max(seq, 0), nth
    for facts in found.values():
        facts.gaps.sort()
    return found
