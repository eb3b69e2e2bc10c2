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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from sync.clock import parse_utc
from sync.collector.db.connection import Connection
from sync.collector.db.rollups import LocalHours, Tallies
from sync.collector.db.seqs import Gap

#: The steps of a check, in order, as a progress bar names them.
STEPS = ("daily counts", "hourly counts", "reason counts", "kiosk seqs", "stored roll-ups")
_ONE_HOUR = timedelta(hours=1)
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
    otherwise (a +5:30 zone, or a DST step inside the hour)."""
    start = parse_utc(hour + ":00:00Z")
    offset = start.astimezone(tz).utcoffset()
    if offset is None or offset != (start + _LAST_INSTANT).astimezone(tz).utcoffset() \
            or offset % _ONE_HOUR:
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
    """``{key columns: count}`` of a query whose last column is the count."""
    return {tuple(row[:-1]): row[-1] for row in conn.rows(sql, params)}


def _hourly(conn: Connection, hours: LocalHours,
            zone_of: Callable[[str], ZoneInfo]) -> Counter:
    """Counted taps per store, local date, local hour, scale and score."""
    cache: dict[tuple[ZoneInfo, str], int | None] = {}
    result: Counter = Counter()
    by_minute: set[str] = set()
    zones: dict[str, ZoneInfo] = {}
    for (store_id, day, utc_hour, scale, score), n in _counts(
            conn, _BY_TIME.format(width=13, where="")).items():
        tz = zones.get(store_id) or zones.setdefault(store_id, zone_of(store_id))
        key = (tz, utc_hour)
        if key not in cache:
            cache[key] = local_hour_of_utc_hour(tz, utc_hour)
        hour = cache[key]
        if hour is None:
            by_minute.add(store_id)
        else:
            result[store_id, day, hour, scale, score] += n
    if by_minute:  # stores with hours of two local hours: their taps minute by minute
        where, params = conn.any_of("store_id", sorted(by_minute))
        groups = _counts(conn, _BY_TIME.format(width=16, where=f" AND {where}"), tuple(params))
        for store_id in by_minute:
            for key in [key for key in result if key[0] == store_id]:
                del result[key]
        keys = list(groups)
        local = hours.of([key[0] for key in keys], [key[2] for key in keys])
        for (store_id, day, _, scale, score), hour in zip(keys, local, strict=True):
            result[store_id, day, hour, scale, score] += groups[store_id, day, _, scale, score]
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
