"""Pre-aggregated counts, computed in Python from rating rows.

Ingest adds these tallies to the roll-up tables in the same transaction as the
raw rows, and ``hymy-collector check`` recomputes them from every raw rating
with the same function, so both sides agree by construction.

- daily: (store, local_date, kiosk, scale, score, suppressed) -> n
- hourly: (store, local_date, local hour, scale, score) -> n, counted taps only
- reasons: (store, local_date, reason, scale, score) -> n, counted taps only
- running totals: (store, scale, score, suppressed, local_date) -> taps on or
  before that date; ingest adds :func:`store_days` of a batch to its days'
  totals and every later day's (:func:`running_totals` recomputes them)

``local_date`` is the kiosk's own (never rewritten); the hour is the hour of
``created_at`` on the store's wall clock, so a DST day has 23 or 25 of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, islice
from operator import add, itemgetter, not_
from zoneinfo import ZoneInfo

from sync.clock import local_hour, parse_utc

#: Column order of a rating row as ingest builds it and check reads it.
ROW = (
    "id", "seq", "store_id", "kiosk_id", "score", "scale", "created_at",
    "local_date", "lang", "reason", "suppressed", "survey_version",
    "received_at", "clock_suspect", "kind", "followup",
)
#: The columns a tally reads, from a list of :data:`ROW` columns.
#: Key columns of the roll-up tables, in the order their tallies key them.
DAILY_KEYS = ("store_id", "local_date", "kiosk_id", "scale", "score", "suppressed")
HOURLY_KEYS = ("store_id", "local_date", "hour", "scale", "score")
REASON_KEYS = ("store_id", "local_date", "reason", "scale", "score")
_COLUMNS = itemgetter(2, 3, 4, 5, 6, 7, 9, 10)
_MINUTE = itemgetter(slice(0, 16))


@dataclass
class Tallies:
    """Counts to add to the three roll-up tables."""

    daily: Counter = field(default_factory=Counter)
    hourly: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)


class LocalHours:
    """Store-local hours of taps, cached per time zone and minute (some zones are +5:30).

    Keyed by zone rather than store, so a store whose zone changes gets the new
    zone's hours at once.
    """

    def __init__(self, zone_of: Callable[[str], ZoneInfo], limit: int = 200_000) -> None:
        self.zone_of = zone_of
        self.limit = limit
        self._cache: dict[tuple[ZoneInfo, str], int] = {}

    def of(self, stores: Sequence[str], created: Sequence[str]) -> list[int]:
        """The local hour of each tap (columns of store ids and UTC times)."""
        zones = {store_id: self.zone_of(store_id) for store_id in set(stores)}
        keys = list(zip(map(zones.__getitem__, stores), map(_MINUTE, created), strict=True))
        new = set(keys).difference(self._cache)
        if len(self._cache) + len(new) > self.limit:
            self._cache.clear()
            new = set(keys)
        for tz, minute in new:
            self._cache[tz, minute] = local_hour(parse_utc(minute + ":00Z"), tz)
        return list(map(self._cache.__getitem__, keys))


def tally(rows: Iterable[tuple], hour_of: LocalHours, into: Tallies | None = None) -> Tallies:
    """Add rating rows (columns in :data:`ROW` order) to ``into`` (or to new tallies).

    Counted column by column, a chunk of rows at a time: ``Counter.update``
    over zipped columns runs in C, which matters on the ingest path.
    """
    result = into if into is not None else Tallies()
    rows = iter(rows)
    while chunk := list(islice(rows, 10_000)):
        stores, kiosks, scores, scales, created, dates, reasons, suppressed = _COLUMNS(
            list(zip(*chunk, strict=True))
        )
        result.daily.update(zip(stores, dates, kiosks, scales, scores, suppressed, strict=True))
        # Hours and reasons count only taps outside the response interval.
        counted = list(map(not_, suppressed))
        stores, created, dates, reasons, scales, scores = (
            list(compress(column, counted))
            for column in (stores, created, dates, reasons, scales, scores)
        )
        hours = hour_of.of(stores, created)
        result.hourly.update(zip(stores, dates, hours, scales, scores, strict=True))
        with_reason = Counter(zip(stores, dates, reasons, scales, scores, strict=True))
        for key in [key for key in with_reason if key[2] is None]:
            del with_reason[key]
        result.reasons.update(with_reason)
    return result


#: Every score a rating may have, of any kind (NPS counts from 0, CES up to 7).
SCORES = range(11)
#: Columns of ``running_counts`` after (store_id, scale, local_date): taps of
#: each score 0-10, counted then suppressed (score + 11 x suppressed is the index).
RUNNING = (
    *(f"counted_{face}" for face in SCORES),
    *(f"suppressed_{face}" for face in SCORES),
)


def store_days(daily: Mapping[tuple, int]) -> dict[tuple[str, int, str], list[int]]:
    """Daily counts without the kiosk: (store, scale, date) -> counts in :data:`RUNNING` order."""
    result: dict[tuple[str, int, str], list[int]] = {}
    for (store, date, _kiosk, scale, score, suppressed), n in daily.items():
        counts = result.setdefault((store, scale, date), [0] * len(RUNNING))
        counts[score + len(SCORES) * suppressed] += n
    return result


def running_rows(days: dict[tuple[str, int, str], list[int]]) -> dict[tuple, tuple[int, ...]]:
    """``running_counts`` rows from :func:`store_days`: (store, scale, date) -> the
    totals in :data:`RUNNING` order on and before that date, for each date with taps."""
    rows: dict[tuple, tuple[int, ...]] = {}
    previous, running = None, (0,) * len(RUNNING)
    for key, counts in sorted(days.items()):
        if not any(counts):
            continue
        if key[:2] != previous:
            previous, running = key[:2], (0,) * len(RUNNING)
        running = tuple(map(add, running, counts))
        rows[key] = running
    return rows


def running_totals(daily: Counter, days: dict[tuple[str, int, str], list[int]] | None = None,
                   ) -> Counter:
    """What ``running_counts`` holds, recomputed from daily counts (or from their
    :func:`store_days`, when the caller has them already).

    Keyed (store, scale, date, column) for each date with taps: the taps of
    that face and flag on that date and every earlier one.
    """
    return columnwise(running_rows(store_days(daily) if days is None else days))


def columnwise(rows: dict[tuple, tuple[int, ...]]) -> Counter:
    """``running_counts`` rows keyed (store, scale, date, column), zero totals left out."""
    totals: Counter = Counter()
    for key, running in rows.items():
        for column, total in zip(RUNNING, running, strict=True):
            if total:
                totals[(*key, column)] = total
    return totals
