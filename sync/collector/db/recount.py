"""What the roll-ups and seq counters should hold, recounted from raw ratings and
compared with the stored ones in SQL.

``hymy-collector check`` used to read every rating into Python and tally it
(20 s for 1 M ratings), then every recount and stored roll-up (72 s at 10 M
ratings), then sorted all ratings once per roll-up key in SQL; SQLite has no hash
aggregate, so each key cost a sort of the ratings and millions of lookups.  Now
two sorts by narrow keys give fingerprints (:mod:`~sync.collector.db.fingerprints`)
and only the groups whose fingerprints differ are recounted key by key, so Python
sees only the differences (:func:`_differences`):

- daily counts: per kiosk and store, with each kiosk's seq facts on the way;
- hourly and reason counts: per store and local date; a tap's local hour is a
  ``CASE`` on the UTC hour of ``created_at`` per zone (:class:`HourPlan`); a
  store in a zone where a UTC hour is not one local hour (+5:30, a DST step at
  :30) is grouped by minute instead, as ingest counts it
  (:class:`~sync.collector.db.rollups.LocalHours`);
- chain and running totals: sums of the daily counts;
- seqs: the per-kiosk facts settle those of one store without gaps;
  ``LAG``/``LEAD`` over the others' seqs in order give their missing ranges, as
  :func:`~sync.collector.db.seqs.gaps_of` would from every seq.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sync.clock import parse_utc
from sync.collector.db.chain import CHAIN_KEYS
from sync.collector.db.connection import Connection
from sync.collector.db.fingerprints import (
    MAX_REASONS,
    Mixer,
    Sums,
    day_sums,
    kiosk_sums,
    stored_day_sums,
    stored_kiosk_sums,
    stored_reasons,
)
from sync.collector.db.rollups import (
    DAILY_KEYS,
    HOURLY_KEYS,
    REASON_KEYS,
    RUNNING,
    LocalHours,
    columnwise,
    running_rows,
    store_days,
)
from sync.collector.db.seqs import Gap

#: The steps of a check, in order, as a progress bar names them.
STEPS = ("daily counts", "kiosk seqs", "hourly counts", "reason counts", "stored roll-ups")
#: A condition on ratings' and roll-ups' columns (``store_id``, ``local_date``,
#: ``kiosk_id``) and its parameters: the rows a comparison covers.
Scope = tuple[str, list[Any]]
_ONE_HOUR = timedelta(hours=1)
_ONE_DAY = timedelta(days=1)
_KEY, _LAST = itemgetter(slice(0, -1)), itemgetter(-1)
_RUNNING_KEY, _RUNNING_TOTALS = itemgetter(0, 1, 2), itemgetter(slice(3, None))
_LAST_INSTANT = _ONE_HOUR - timedelta(microseconds=1)
#: Where every row counts (a :data:`Scope`'s condition).
_EVERYWHERE: Scope = ("TRUE", [])
#: More groups than this that differ are named from a recount of everything.
_MAX_SCOPE = 1000
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
    " FROM ratings WHERE {where} WINDOW w AS (PARTITION BY kiosk_id ORDER BY seq)) ordered"
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
    offset = day_offset(tz, hour[:10])
    if offset is not None:
        return (int(hour[11:13]) + offset) % 24
    start = parse_utc(hour + ":00:00Z")
    return _whole_hours(tz, start, start + _LAST_INSTANT)


@lru_cache(maxsize=4096)
def day_offset(tz: ZoneInfo, day: str) -> int | None:
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


@dataclass
class Recount:
    """What a check found: the lines naming each difference, and the seq facts a
    repair writes back."""

    problems: list[str]
    seqs: dict[str, KioskSeqs]


def recount(conn: Connection, second: Callable[[], AbstractContextManager[Connection]],
            hours: LocalHours, zone_of: Callable[[str], ZoneInfo],
            step: Callable[[str], None]) -> Recount:
    """Recount every roll-up from the ratings in ``conn`` and compare it with the stored
    one; ``step`` is told each step's name (:data:`STEPS`) as it ends.

    Two sorts of the ratings by narrow keys give fingerprints
    (:mod:`~sync.collector.db.fingerprints`): per kiosk and store for the daily
    counts (and each kiosk's seq facts), per store and local date for the hourly
    and reason counts.  Only the groups whose fingerprints differ from the stored
    roll-ups' are recounted key by key (:func:`_differences`) to name the rows.
    The chain and running totals are sums of the daily counts: when the stored
    daily counts agree with the ratings they are summed from those (1.8 M rows at
    10 M ratings) rather than from a recount.

    The hourly and reason counts are checked at the same time on a connection
    of their own (``second()``, a read transaction), on another thread: the
    database sorts with Python's lock released, so on two cores the two sorts
    take the time of one (docs/performance.md, benchmark 8).  Each side reads
    its ratings and its roll-ups in one snapshot of its own, so a tap stored
    between the two snapshots never shows as a difference.
    """
    mixer = Mixer.fresh()
    with second() as other, ThreadPoolExecutor(1, thread_name_prefix="hymy-check") as pool:
        by_day = pool.submit(_day_problems, other, hours, zone_of, mixer)
        found, facts = kiosk_sums(conn, mixer)
        wrong = _differing(found, stored_kiosk_sums(conn, mixer))
        scope = _scope(conn, ("kiosk_id",), wrong)
        daily = _differences(conn, "daily_counts", DAILY_KEYS, (_daily(scope[0]), scope[1]),
                             scope) if wrong else []
        step(STEPS[0])
        seqs = kiosk_seqs(conn, facts)
        step(STEPS[1])
        totals = _compare_totals(conn, f"({_daily('TRUE')})" if daily else "daily_counts")
        hourly, reasoned = by_day.result()
    step(STEPS[2])
    step(STEPS[3])
    return Recount(daily + hourly + reasoned + totals, seqs)


def _day_problems(conn: Connection, hours: LocalHours, zone_of: Callable[[str], ZoneInfo],
                  mixer: Mixer) -> tuple[list[str], list[str]]:
    """Lines naming each hourly and each reason count that differs from the ratings."""
    plan, reasons = HourPlan.of(conn, zone_of), stored_reasons(conn)
    fingerprinted = reasons if len(reasons) <= MAX_REASONS else []
    by_day = day_sums(conn, mixer, *plan.hour(), fingerprinted)
    stored = stored_day_sums(conn, mixer, fingerprinted)
    minute = set(plan.by_minute)
    wrong = _differing({k: v[0] for k, v in by_day.items() if k[0] not in minute},
                       {k: v[0] for k, v in stored.items() if k[0] not in minute})
    scope = _scope(conn, ("store_id", "local_date"), wrong)
    hourly = _differences(conn, "hourly_counts", HOURLY_KEYS, plan.expected(scope), scope,
                          plan.by_minute) if wrong else []
    if plan.by_minute:
        hourly += _compare("hourly_counts", *_minute_hours(conn, hours, plan.by_minute))
    wrong = _differing({k: v[1] for k, v in by_day.items()}, {k: v[1] for k, v in stored.items()})
    scope = _scope(conn, ("store_id", "local_date"), wrong if fingerprinted == reasons else None)
    reasoned = _differences(conn, "reason_counts", REASON_KEYS, (_reasons(scope[0]), scope[1]),
                            scope) if wrong or fingerprinted != reasons else []
    return hourly, reasoned


def _daily(scope: str) -> str:
    """The daily recount of the ratings ``scope`` (a :data:`Scope`'s condition) covers."""
    return ("SELECT store_id, local_date, kiosk_id, scale, score, suppressed, COUNT(*) AS n"
            f" FROM ratings WHERE {scope}"
            " GROUP BY store_id, local_date, kiosk_id, scale, score, suppressed")


def _reasons(scope: str) -> str:
    """The reason recount of the counted taps ``scope`` covers."""
    return ("SELECT store_id, local_date, reason, scale, score, COUNT(*) AS n FROM ratings"
            f" WHERE suppressed = 0 AND reason IS NOT NULL AND {scope}"
            " GROUP BY store_id, local_date, reason, scale, score")


def _differing(found: Mapping[tuple, Sums], stored: Mapping[tuple, Sums]) -> list[tuple]:
    """The groups whose fingerprints differ (a group missing on one side has none)."""
    empty = Sums()
    return sorted(key for key in {*found, *stored}
                  if found.get(key, empty) != stored.get(key, empty))


def _scope(conn: Connection, columns: Sequence[str], groups: Sequence[tuple] | None) -> Scope:
    """The rows of ``groups`` (values of ``columns``) as a :data:`Scope`: each column
    one of the groups' values (a few more rows than the groups, never fewer);
    everything when ``groups`` is None or too many to list."""
    if groups is None:
        return _EVERYWHERE
    conditions, params = [], []
    for index, column in enumerate(columns):
        values = sorted({group[index] for group in groups})
        if not values or len(values) > _MAX_SCOPE:
            return _EVERYWHERE
        where, values = conn.any_of(column, values)
        conditions.append(where)
        params += values
    return " AND ".join(conditions), params


def daily_recount(conn: Connection) -> Counter:
    """The daily counts the ratings give (for a repair)."""
    return Counter(_counts(conn, _daily("TRUE")))


def rebuild_counts(conn: Connection, hours: LocalHours,
                   zone_of: Callable[[str], ZoneInfo]) -> None:
    """Fill the emptied hourly and reason roll-ups from the ratings (``--repair``):
    the database counts and inserts in one statement each."""
    plan = HourPlan.of(conn, zone_of)
    for table, keys, (sql, params) in (("hourly_counts", HOURLY_KEYS, plan.expected()),
                                       ("reason_counts", REASON_KEYS, (_reasons("TRUE"), []))):
        conn.execute(f"INSERT INTO {table} ({', '.join(keys)}, n) {sql}",  # noqa: S608
                     tuple(params))
    if plan.by_minute:
        counts = minute_hourly(conn, hours, plan.by_minute)
        conn.add_counts("hourly_counts", HOURLY_KEYS, [(*key, n) for key, n in counts.items()])


def _counts(conn: Connection, sql: str, params: tuple = ()) -> dict[tuple, int]:
    """``{key columns: count}`` of a query whose last column is the count and whose
    keys are unique (a GROUP BY, a table's key), built in C."""
    rows = conn.rows(sql, params)
    return dict(zip(map(_KEY, rows), map(_LAST, rows), strict=True))


def _differences(conn: Connection, table: str, keys: Sequence[str],
                 expected: tuple[str, Sequence[Any]], scope: Scope = _EVERYWHERE,
                 skip: Sequence[str] = ()) -> list[str]:
    """Lines naming each row of ``table`` in ``scope`` whose ``n`` differs from the
    recount ``expected`` (a query of ``keys`` and ``n`` over that scope, and its
    parameters), compared in the database; the stored rows of the stores in
    ``skip`` are left out (checked elsewhere).

    First one pass that only counts: every recounted row found stored with its
    ``n``, and as many non-zero rows stored, means the two agree (keys are
    unique on both sides).  Only then, when they differ, a ``FULL JOIN`` names
    the rows (a second recount; a FULL JOIN's bookkeeping of matched rows costs
    more than the lookups).
    """
    sql, params = expected
    on = " AND ".join(f"s.{key} = e.{key}" for key in keys)
    where, values = _any_of_text(skip) if skip else ("FALSE", [])
    within, scoped = scope
    recounted, found = conn.rows(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN s.n = e.n THEN 1 ELSE 0 END), 0)"  # noqa: S608
        f" FROM ({sql}) e LEFT JOIN {table} s ON {on}", tuple(params))[0]
    stored = conn.scalar(f"SELECT COUNT(*) FROM {table} WHERE n <> 0"  # noqa: S608
                         f" AND NOT ({where}) AND {within}", (*values, *scoped))
    if recounted == found == stored:
        return []
    either = ", ".join(f"COALESCE(e.{key}, s.{key})" for key in keys)
    left_out = where.replace("store_id", "COALESCE(s.store_id, '')")
    rows = conn.rows(
        f"SELECT {either}, COALESCE(s.n, 0), COALESCE(e.n, 0) FROM ({sql}) e"  # noqa: S608
        f" FULL JOIN (SELECT * FROM {table} WHERE {within}) s ON {on}"
        f" WHERE COALESCE(s.n, 0) <> COALESCE(e.n, 0) AND NOT ({left_out})",
        (*params, *scoped, *values))
    return _compare(table, {row[:-2]: row[-2] for row in rows if row[-2]},
                    {row[:-2]: row[-1] for row in rows if row[-1]})


def _compare_totals(conn: Connection, source: str) -> list[str]:
    """Lines naming each stored chain, running-key and running total that differs
    from the sums of the daily counts in ``source`` (a table or a subquery)."""
    problems = _differences(
        conn, "chain_day_counts", CHAIN_KEYS, ("SELECT local_date, scale, score, suppressed,"
        f" SUM(n) AS n FROM {source} d WHERE n <> 0 GROUP BY 1, 2, 3, 4", ()))  # noqa: S608
    days = store_days(_counts(conn, f"SELECT {', '.join(DAILY_KEYS)}, n FROM {source} d"  # noqa: S608
                                    " WHERE n <> 0"))
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


@dataclass
class HourPlan:
    """How the database gives each counted tap its store's local hour.

    A zone whose offset, over the ratings' time span, is a whole number of
    hours that changes only on a UTC hour is one ``CASE`` on the UTC hour
    (``offsets``: the UTC hour each offset starts from, first one from the
    start); the stores of any other zone (+5:30, a DST step at :30) are
    counted minute by minute in Python, as ingest counts them (``by_minute``).
    """

    offsets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    by_minute: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, conn: Connection, zone_of: Callable[[str], ZoneInfo]) -> HourPlan:
        """The plan for the stores with ratings in ``conn`` (the time span from the
        ``created_at`` index)."""
        first, last = conn.rows("SELECT MIN(created_at), MAX(created_at) FROM ratings")[0]
        plan = cls()
        if first is None:
            return plan
        stores = [row[0] for row in conn.rows("SELECT id FROM stores ORDER BY id")]
        zones = {store_id: zone_of(store_id) for store_id in stores}
        steps = {tz: _offsets(tz, first[:10], last[:10]) for tz in set(zones.values())}
        for store_id, tz in zones.items():
            if steps[tz] is None:
                plan.by_minute.append(store_id)
            else:
                plan.offsets[store_id] = steps[tz]
        return plan

    def hour(self) -> tuple[str, list[str]]:
        """A counted tap's local hour as SQL (0-23, from ``created_at``) and its
        parameters, right for every store not counted by minute."""
        by_offsets: dict[tuple, list[str]] = {}
        for store_id, steps in self.offsets.items():
            by_offsets.setdefault(tuple(steps), []).append(store_id)
        plans = sorted(by_offsets.items(), key=lambda plan: len(plan[1]))
        offset = _offset_case(plans[-1][0]) if plans else "0"  # the most stores: no test
        params: list[str] = []
        cases = []
        for steps, stores in plans[:-1]:
            where, values = _any_of_text(stores)
            params += values
            cases.append(f"WHEN {where} THEN {_offset_case(steps)}")
        if cases:
            offset = f"CASE {' '.join(cases)} ELSE {offset} END"
        return f"(CAST(substr(created_at, 12, 2) AS INTEGER) + {offset}) % 24", params

    def expected(self, scope: Scope = ("TRUE", [])) -> tuple[str, list[str]]:
        """The hourly recount's SQL (key columns and ``n``) and its parameters, for
        every store not counted by minute, of the ratings in ``scope``."""
        hour, params = self.hour()
        skip = ""
        if self.by_minute:
            where, values = _any_of_text(self.by_minute)
            skip, params = f" AND NOT ({where})", params + values
        where, values = scope
        return (f"SELECT store_id, local_date, {hour} AS hour, scale, score, COUNT(*) AS n"
                f" FROM ratings WHERE suppressed = 0{skip} AND {where} GROUP BY 1, 2, 3, 4, 5",
                params + list(values))


def _any_of_text(values: Sequence[str], column: str = "store_id") -> tuple[str, list[str]]:
    """``column IN (...)`` with one placeholder per value (the same SQL on both
    backends, inside a ``CASE`` too; a chain's stores are a few thousand at most)."""
    return f"{column} IN ({', '.join('?' for _ in values)})", list(values)


def _offset_case(steps: Sequence[tuple[str, int]]) -> str:
    """A ``CASE`` giving the offset (hours, 0-23) at a rating's UTC hour.  Its
    literals are hours and offsets this module formatted, never data.

    ``created_at < '2026-03-29T01'`` is true exactly when its first 13 characters
    sort before that hour (a longer text with that prefix sorts after it), and costs
    no ``substr`` call per rating."""
    if len(steps) == 1:
        return str(steps[0][1])
    whens = " ".join(f"WHEN created_at < '{start}' THEN {offset}"
                     for (_, offset), (start, _) in zip(steps, steps[1:], strict=False))
    return f"CASE {whens} ELSE {steps[-1][1]} END"


def _offsets(tz: ZoneInfo, first: str, last: str) -> list[tuple[str, int]] | None:
    """The zone's offsets (hours, 0-23) from UTC day ``first`` to ``last``, each with
    the UTC hour it starts (``2026-03-29T01``); None when some hour of those days
    is not one whole-hour offset (see :func:`local_hour_of_utc_hour`)."""
    steps: list[tuple[str, int]] = []
    day, end = date.fromisoformat(first), date.fromisoformat(last)
    while day <= end:
        text = day.isoformat()
        whole = day_offset(tz, text)
        for hour in range(24) if whole is None else (0,):
            local = local_hour_of_utc_hour(tz, f"{text}T{hour:02d}")
            if local is None:
                return None
            if not steps or steps[-1][1] != (local - hour) % 24:
                steps.append((f"{text}T{hour:02d}", (local - hour) % 24))
        day += _ONE_DAY
    return steps


def _minute_hours(conn: Connection, hours: LocalHours,
                  stores: Sequence[str]) -> tuple[dict[tuple, int], Counter]:
    """Stored hourly counts of ``stores`` and their recount minute by minute (stores
    whose zone has hours of two local hours)."""
    where, params = conn.any_of("store_id", sorted(stores))
    stored = _counts(conn, "SELECT store_id, local_date, hour, scale, score, n"  # noqa: S608
                           f" FROM hourly_counts WHERE n <> 0 AND {where}", tuple(params))
    return stored, minute_hourly(conn, hours, stores)


def minute_hourly(conn: Connection, hours: LocalHours, stores: Sequence[str]) -> Counter:
    """Counted taps of ``stores`` per store, local date, local hour, scale and score,
    each tap's local hour found from its minute."""
    where, params = conn.any_of("store_id", sorted(stores))
    groups = _counts(conn, _BY_TIME.format(width=16, where=f" AND {where}"), tuple(params))
    minutes = list(groups)
    found = hours.of([key[0] for key in minutes], [key[2] for key in minutes])
    result: Counter = Counter()
    for (store_id, day, minute, scale, score), hour in zip(minutes, found, strict=True):
        result[store_id, day, hour, scale, score] += groups[store_id, day, minute, scale, score]
    return result


def kiosk_seqs(conn: Connection, facts: Sequence[tuple]) -> dict[str, KioskSeqs]:
    """Each kiosk with ratings: its highest seq, its ratings and its missing ranges.

    ``facts`` are rows of (kiosk, store, ratings, distinct seqs, lowest, highest
    seq), one per store a kiosk has ratings in (:func:`~sync.collector.db.
    fingerprints.kiosk_sums`).  They settle every kiosk of one store whose seqs
    are exactly 1 to its highest (as many distinct seqs as ratings, and as the
    highest): no gaps.  Only the others (a moved kiosk's distinct seqs per store
    do not add up to its own) are walked seq by seq with a window, which costs
    several times the grouping.
    """
    found: dict[str, KioskSeqs] = {}
    stores = Counter(row[0] for row in facts)
    uneven = []
    for kiosk_id, _store, ratings, distinct, lowest, highest in facts:
        if ratings == distinct == highest and lowest >= 1 and stores[kiosk_id] == 1:
            found[kiosk_id] = KioskSeqs(highest, ratings)
        elif kiosk_id not in uneven:
            uneven.append(kiosk_id)
    if not uneven:
        return found
    wanted = set(uneven)
    where, params = conn.any_of("kiosk_id", uneven) if len(uneven) <= 500 else ("TRUE", [])
    for kiosk_id, seq, prev, nth, last in conn.rows(_SEQS.format(where=where), tuple(params)):
        if kiosk_id not in wanted:  # all kiosks walked: too many to name in the query
            continue
        facts = found.setdefault(kiosk_id, KioskSeqs())
        low = max(prev, 0) + 1
        if seq > low:
            facts.gaps.append((low, seq - 1))
        if last:
            facts.max_seq, facts.received = max(seq, 0), nth
    for facts in found.values():
        facts.gaps.sort()
    return found
