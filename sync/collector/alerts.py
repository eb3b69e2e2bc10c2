"""Alert rules for the office page: unhappy windows, silent kiosks, bursts, stores below baseline.

Each rule is a pure function over plain data, so it is unit-tested without a
database; :func:`chain_alerts` gathers the data through
:class:`~sync.collector.db.storage.Storage` and :mod:`sync.collector.reports`
and applies the rules.  The thresholds are declared once in :class:`Rules`,
and the office page states them in words next to the alerts.

0. **Above the usual rate** (``rate``, the default for unhappy faces): more
   unhappy taps in a window of the last 10-30 minutes than the store's usual
   unhappy taps at that store-local hour and day type, scaled to today's traffic, explain
   (:func:`above_rate`; the Poisson tail below ``rate_alpha``).  An incident
   adds unhappy taps, which a test of the share dilutes; docs/alerts.md
   measures it against the funnel.
0. **Above the funnel** (``funnel``, the previous default): the unhappy share of
   the last ``funnel_minutes`` is above the store's own control limit,
   ``p0 + funnel_sigmas * sqrt(p0 (1 - p0) / n)`` (Spiegelhalter's funnel
   plot, :func:`sync.metrics.funnel_limit`), where ``p0`` is the store's
   unhappy share over the ``baseline_days`` before today and ``n`` the
   window's responses; the exact binomial tail must agree (few responses),
   and there must be ``funnel_min_responses``.  "2 of 4 unhappy" is inside
   the funnel at any store; 9 of 20 at a store with 12% is far outside it.
1. **Silent kiosk**: no contact for more than ``silent_hours`` *opening*
   hours.  A store's opening hours are what an admin set
   (:func:`parse_opening_hours`, ``hymy-collector store hours``); for a store
   without them they are inferred: a store-local (weekday, hour) counts as
   open when the store got responses in it on at least two of the same
   weekdays of the last four weeks.  A kiosk quiet overnight or on a Sunday
   morning is therefore not an alert.
2. **Unhappy burst** (HappyOrNot's recommended starting rule): within any
   ``burst_minutes`` window, at least ``burst_share`` of at least
   ``burst_min_responses`` counted responses were unhappy.  Overlapping
   windows are merged into one incident.
3. **Below baseline**: the period's 95% Wilson *upper* bound is below the
   store's own CSAT over the ``baseline_days`` before the period.  Even the
   most generous reading of the period is worse than usual, so chance does
   not explain the gap.

``Rules.rules`` names the rules in use (``HYMY_ALERT_RULES``); the thresholds
of one store can be overridden per store (:data:`OVERRIDABLE`,
``hymy-collector store alerts``).  ``docs/alerts.md`` has the benchmark that
chose the defaults.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sync.clock import format_utc, parse_utc, utc_now, zone
from sync.collector import reports
from sync.collector.db.hours import DAY_TYPES
from sync.collector.db.storage import Storage
from sync.metrics import KIND_SCALES, funnel_limit, normal_tail, poisson_tail, upper_tail

#: Every rule by name, in the order the office page explains them.
RULE_NAMES = ("funnel", "rate", "silent", "burst", "baseline")
DEFAULT_RULES = ("rate", "silent", "baseline")


@dataclass(frozen=True)
class Rules:
    """Alert thresholds (the office page prints them)."""

    silent_hours: float = 2.0
    burst_minutes: int = 15
    burst_min_responses: int = 4
    burst_share: float = 0.5
    burst_lookback_hours: int = 24
    baseline_days: int = 28
    baseline_min_responses: int = 100
    open_weeks: int = 4
    open_min_days: int = 2
    rules: tuple[str, ...] = DEFAULT_RULES
    funnel_minutes: int = 30
    funnel_sigmas: float = 3.0
    funnel_min_responses: int = 5
    rate_alpha: float = 9e-4
    rate_windows: tuple[int, ...] = (10, 15, 20, 30)
    rate_min_unhappy: int = 3
    rate_level_hours: float = 3.0
    rate_level_shrink: float = 100.0
    rate_floor: float = 0.2
    rate_share_alpha: float = 0.01

    def uses(self, rule: str) -> bool:
        """True when ``rule`` (a :data:`RULE_NAMES` entry) is in use."""
        return rule in self.rules


#: The thresholds a store may override (``store_alerting`` columns of the same names).
OVERRIDABLE = ("silent_hours", "funnel_sigmas", "funnel_min_responses", "burst_share",
               "burst_min_responses", "rate_alpha")
#: Thresholds with an upper bound besides 0 < value, and the words for it: a share is at
#: most 1; a rate_alpha of 0.5 or more would call an ordinary hour rare (a coin toss).
UPPER = {"burst_share": (1.0, True, "at most 1"), "rate_alpha": (0.5, False, "below 0.5")}


def parse_rule_names(text: str) -> tuple[str, ...]:
    """``"funnel,silent"`` -> ``("funnel", "silent")``; ValueError naming an unknown rule."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in RULE_NAMES]
    if unknown:
        raise ValueError(f"unknown alert rule {unknown[0]!r}; choose from"
                         f" {', '.join(RULE_NAMES)} (e.g. rate,silent,baseline)")
    return names


def check_overrides(overrides: Mapping[str, float | int | None]) -> None:
    """Raise ValueError for a threshold a store cannot have (0 or less, NaN, past its
    :data:`UPPER` bound), naming it: the CLI prints it as one line, the API as a 422."""
    for name, value in overrides.items():
        if name not in OVERRIDABLE:
            raise ValueError(f"no alert threshold {name!r}; one of {', '.join(OVERRIDABLE)}")
        if value is not None and not (value > 0 and _within_upper(name, value)):  # NaN too
            limit = f" and {UPPER[name][2]}" if name in UPPER else ""
            raise ValueError(f"{name} must be above 0{limit}, not {value}")


def _within_upper(name: str, value: float) -> bool:
    """True unless ``value`` is past ``name``'s upper bound in :data:`UPPER` (if it has one)."""
    if name not in UPPER:
        return True
    bound, inclusive, _ = UPPER[name]
    return value <= bound if inclusive else value < bound


def settled(opening_hours: str | None = None, reset: bool = False,
            **overrides: float | int | None) -> dict[str, Any]:
    """The ``store_alerting`` columns to write for a change; ValueError for bad values.

    ``opening_hours`` text is parsed and stored in canonical form; ``""``
    clears it (back to inferred hours).  Overrides given (not None) are
    checked; ``reset`` first puts every threshold back to the chain's value.
    """
    check_overrides(overrides)
    values: dict[str, Any] = dict.fromkeys(OVERRIDABLE) if reset else {}
    values.update({name: value for name, value in overrides.items() if value is not None})
    if opening_hours is not None:
        values["opening_hours"] = (format_opening_hours(parse_opening_hours(opening_hours))
                                   if opening_hours.strip() else None)
    return values


def rules_from(settings: Any) -> Rules:
    """The chain's rules from the collector's settings (``HYMY_ALERT_*``)."""
    return Rules(
        silent_hours=settings.alert_silent_hours,
        burst_share=settings.alert_burst_share,
        burst_min_responses=settings.alert_burst_min_responses,
        rules=parse_rule_names(settings.alert_rules),
        funnel_sigmas=settings.alert_funnel_sigmas,
        rate_alpha=settings.alert_rate_alpha,
    )


def describe_store(own: Mapping[str, Any], chain: Rules) -> list[str]:
    """A store's alerting in lines of text: its opening hours and each threshold, marked
    where the store has its own (for ``hymy-collector store hours/alerts``)."""
    hours = own.get("opening_hours")
    mine = for_store(chain, own)
    lines = [f"opening hours: {hours}" if hours else
             "opening hours: not set (inferred from the hours the store gets responses)"]
    for name in OVERRIDABLE:
        marker = " (this store's own)" if own.get(name) is not None else ""
        lines.append(f"{name}: {getattr(mine, name):g}{marker}")
    return lines


def for_store(rules: Rules, overrides: Mapping[str, float | int | None]) -> Rules:
    """``rules`` with one store's overrides (None: the chain's value) applied."""
    given = {name: value for name, value in overrides.items()
             if name in OVERRIDABLE and value is not None}
    return replace(rules, **given) if given else rules



@dataclass
class Alert:
    """One alert: what kind, which store (and kiosk), when, and the numbers behind it."""

    kind: str  # "funnel" | "rate" | "silent" | "burst" | "baseline"
    store_id: str
    severity: int  # 2 = act now, 1 = look at it
    at: str | None = None  # RFC 3339 instant the alert is about, when it has one
    data: dict[str, Any] = field(default_factory=dict)


def is_unhappy(score: int, scale: int) -> bool:
    """The bottom faces: 1-2 of 4 or 5 faces, 1 of 3 (HappyOrNot's "negative" share)."""
    return score <= scale // 2


# -- rule 0: above the funnel ----------------------------------------------------

@dataclass(frozen=True)
class Funnel:
    """A window above its store's control limit: its taps, the expected share, the limit."""

    start: datetime
    end: datetime
    responses: int
    unhappy: int
    expected: float  # p0, the store's own unhappy share
    limit: float  # the share the window had to exceed
    sigmas: float  # how many standard errors above p0 the window is


def unhappy_share(counts: Iterable[tuple[int, int, int]]) -> tuple[int, int]:
    """``(unhappy, responses)`` of ``(scale, score, n)`` counts of counted responses."""
    unhappy = responses = 0
    for scale, score, n in counts:
        responses += n
        unhappy += n if is_unhappy(score, scale) else 0
    return unhappy, responses


def recent(taps: Sequence[tuple[datetime, bool]], now: datetime,
           minutes: float) -> Sequence[tuple[datetime, bool]]:
    """The taps of sorted ``taps`` in the ``minutes`` up to and including ``now``."""
    first = bisect_right(taps, now - timedelta(minutes=minutes), key=lambda tap: tap[0])
    return taps[first : bisect_right(taps, now, key=lambda tap: tap[0])]


def above_funnel(
    window: Sequence[tuple[datetime, bool]], p0: float | None, rules: Rules = Rules()
) -> Funnel | None:
    """The window as a :class:`Funnel` when its unhappy share is above the control limit.

    ``window`` holds one store's recent ``(instant, unhappy)`` taps, ``p0``
    its baseline unhappy share (None: no baseline yet, no alert).  Both the
    normal limit and the exact binomial tail must call the window unusual,
    so a handful of taps at a store that is rarely unhappy does not alert.
    """
    n = len(window)
    if p0 is None or n < rules.funnel_min_responses:
        return None
    unhappy = sum(1 for _, u in window if u)
    limit = funnel_limit(p0, n, rules.funnel_sigmas)
    if unhappy <= limit * n or upper_tail(unhappy, n, p0) >= normal_tail(rules.funnel_sigmas):
        return None
    spread = (p0 * (1 - p0) / n) ** 0.5
    sigmas = (unhappy / n - p0) / spread if spread else float("inf")
    return Funnel(window[0][0], window[-1][0], n, unhappy, p0, limit, sigmas)


# -- rule 0b: above the usual rate ----------------------------------------------

#: A store-local hour slot of the usual rates: (day type, hour 0-23).
Slot = tuple[int, int]
#: The step the expected taps of a window are summed in (an hour's rate x 5/60 per step).
RATE_STEP = timedelta(minutes=5)
HOUR = timedelta(hours=1)
#: How many taps of the day type's unhappy share an hour's own share is weighed against.
SHARE_PRIOR_TAPS = 3000.0


def day_type(moment: datetime) -> int:
    """The day type of a store-local instant (:data:`sync.collector.db.hours.DAY_TYPES`)."""
    return DAY_TYPES[moment.weekday()]


@dataclass(frozen=True)
class Usual:
    """A store's usual taps per store-local hour of an open day: unhappy ones and the rest.

    Slots by day type and hour: Monday to Thursday, Friday and Saturday, Sunday.
    Crowded days bring a higher unhappy share at every hour, not only more
    taps, and the traffic level (which follows the other taps) does not see
    that; Fridays and Saturdays pooled with the quieter days were the cause of
    most false alerts in benchmark 9.  Seven weekdays apart measured no better
    (four days behind each slot).
    """

    tz: ZoneInfo
    unhappy: Mapping[Slot, float]
    others: Mapping[Slot, float]

    def expected(self, start: datetime, end: datetime, unhappy: bool = True) -> float:
        """Taps usually seen from ``start`` to ``end``, slot by store-local slot, so a window
        over an hour's turn (or a DST change) gets each hour's own rate."""
        rates = self.unhappy if unhappy else self.others
        total = 0.0
        cursor = start
        while cursor < end:
            local = cursor.astimezone(self.tz)
            total += rates.get((day_type(local), local.hour), 0.0) * (RATE_STEP / HOUR)
            cursor += RATE_STEP
        return total


def usual_rates(rows: Iterable[tuple[str, int, int, int, int, int]],
                zones: Mapping[str, ZoneInfo]) -> dict[str, Usual]:
    """Each store's :class:`Usual` from ``(store_id, day_type, hour, unhappy, taps, days)``
    rows (:func:`sync.collector.db.hours.usual_hours`): the mean taps per open day, where
    ``days`` counts the days of that type the store had taps on at all.

    The taps of an hour are many, its unhappy ones few (a dozen a week at a
    store's busiest hour), so an hour's unhappy share is noise more than
    signal: it is shrunk towards the share of all hours of its day type,
    weighed as :data:`SHARE_PRIOR_TAPS` taps (:func:`shrunk_shares`).  An
    hour whose share is steadily far from its day's (a daily rush of grumpy
    shoppers) still shows through.  Benchmark 9 measured 3 000 taps against
    1 000 (and the hour's own share alone, the rule before): the more weight on
    the day type, the fewer false alerts at the same incidents found.
    """
    table = [(store_id, int(kind), hour, float(bad), float(taps), float(days))
             for store_id, kind, hour, bad, taps, days in rows]  # PostgreSQL sums are Decimal
    shares = shrunk_shares(table)
    unhappy: dict[str, dict[Slot, float]] = defaultdict(dict)
    others: dict[str, dict[Slot, float]] = defaultdict(dict)
    for store_id, kind, hour, _bad, taps, days in table:
        share = shares[store_id, kind, hour]
        unhappy[store_id][kind, hour] = share * taps / days
        others[store_id][kind, hour] = (1 - share) * taps / days
    return {store_id: Usual(zones[store_id], *borrowed(unhappy[store_id], others[store_id]))
            for store_id in unhappy if store_id in zones}


def borrowed(unhappy: dict[Slot, float], others: dict[Slot, float]
             ) -> tuple[dict[Slot, float], dict[Slot, float]]:
    """The rates with Monday-Thursday standing in for Friday-Saturday (and the other way)
    when a store has no taps on one of them in the baseline (a new store, a store that
    opened on a Friday): otherwise its first such day would expect no unhappy tap at all."""
    for missing, present in ((0, 1), (1, 0)):
        if not any(kind == missing for kind, _hour in unhappy):
            for rates in (unhappy, others):
                rates.update({(missing, hour): rate for (kind, hour), rate in list(rates.items())
                              if kind == present})
    return unhappy, others


def shrunk_shares(table: Sequence[tuple[str, int, int, float, float, float]]
                  ) -> dict[tuple[str, int, int], float]:
    """Each (store, day type, hour)'s unhappy share, ``(unhappy + K p) / (taps + K)`` with
    ``p`` the share of the store's day type over all hours and ``K`` = :data:`SHARE_PRIOR_TAPS`."""
    totals: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for store_id, kind, _hour, bad, taps, _days in table:
        totals[store_id, kind][0] += bad
        totals[store_id, kind][1] += taps
    prior = SHARE_PRIOR_TAPS
    return {(store_id, kind, hour): (bad + prior * totals[store_id, kind][0]
                                     / totals[store_id, kind][1]) / (taps + prior)
            for store_id, kind, hour, bad, taps, _days in table}


@dataclass(frozen=True)
class Rate:
    """A window with more unhappy taps than the store's usual rate explains."""

    start: datetime
    end: datetime
    minutes: int
    responses: int
    unhappy: int
    expected: float  # unhappy taps usual for the window at this traffic
    level: float  # today's traffic against the usual (1.0: as usual)
    tail: float  # P(at least ``unhappy``) at ``expected``


def traffic_level(taps: Sequence[tuple[datetime, bool]], now: datetime, minutes: int,
                  usual: Usual, rules: Rules = Rules()) -> float:
    """How busy the store is against its usual: taps that were not unhappy over the
    ``rate_level_hours`` before the window and in it, against those usual there.

    A busier day than usual brings more unhappy taps too, so the expectation
    follows the traffic.  Only the other taps are counted, so an incident
    (which adds unhappy taps) cannot raise its own expectation.
    ``rate_level_shrink`` taps (100) added to both sides make it a correction
    for a day clearly busier or quieter than its day type, not a second
    estimate of the usual: three hours hold some 60-200 taps, whose chance
    swings (10-15%) the weekday's usual rates no longer need; with 10, they
    were a cause of false alerts (benchmark 9).
    """
    since = now - timedelta(minutes=minutes) - timedelta(hours=rules.rate_level_hours)
    seen = sum(1 for _, unhappy in recent(taps, now, (now - since) / timedelta(minutes=1))
               if not unhappy)
    shrink = rules.rate_level_shrink
    return (seen + shrink) / (usual.expected(since, now, unhappy=False) + shrink)


def above_rate(taps: Sequence[tuple[datetime, bool]], now: datetime, usual: Usual | None,
               p0: float | None, rules: Rules = Rules()) -> Rate | None:
    """The first of the ``rate_windows`` ending ``now`` with more unhappy taps than chance.

    An incident *adds* unhappy taps (shoppers with a bad experience tap
    more), which dilutes a test of the unhappy share; this rule counts them
    against the store's usual unhappy taps at this store-local hour, scaled
    by :func:`traffic_level`, with the Poisson tail (:func:`poisson_tail`)
    below ``rate_alpha``.  The exact binomial tail of the window's share at
    ``p0`` (clipped to 2-50%) must agree below ``rate_share_alpha``, so a
    crowd that is merely busier than usual is not an alert; and there must
    be ``rate_min_unhappy`` unhappy taps.  No baseline (``usual`` or ``p0``
    None): no alert.
    """
    if usual is None or p0 is None:
        return None
    share = min(max(p0, 0.02), 0.5)
    for minutes in rules.rate_windows:
        window = recent(taps, now, minutes)
        unhappy = sum(1 for _, u in window if u)
        if unhappy < rules.rate_min_unhappy:
            continue
        level = traffic_level(taps, now, minutes, usual, rules)
        expected = max(usual.expected(now - timedelta(minutes=minutes), now) * level,
                       rules.rate_floor)
        tail = poisson_tail(unhappy, expected)
        if tail < rules.rate_alpha and \
                upper_tail(unhappy, len(window), share) < rules.rate_share_alpha:
            return Rate(window[0][0], window[-1][0], minutes, len(window), unhappy,
                        expected, level, tail)
    return None


# -- rule 1: silent kiosks ----------------------------------------------------

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_GROUP = re.compile(r"(?P<days>[a-z]{3}(?:-[a-z]{3})?)\s+(?:(?P<closed>closed)|"
                    r"(?P<open>\d{1,2})(?::00)?-(?P<close>\d{1,2})(?::00)?)")
HOURS_EXAMPLE = "mon-fri 9-21; sat 10-18; sun closed"


def parse_opening_hours(text: str) -> frozenset[tuple[int, int]]:
    """``"mon-fri 9-21; sat 10-18"`` -> the open ``(weekday, hour)`` slots, store-local.

    Groups are separated by ``;`` or ``,``; each is a day or a range of days
    (``mon``..``sun``) and whole hours ``OPEN-CLOSE`` (``9-21``, ``09:00-21:00``,
    ``22-2`` past midnight, ``0-24`` all day) or ``closed``.  A day named
    twice gets both spans; a day not named is closed.  ValueError says which
    part is wrong and shows an example.
    """
    slots: set[tuple[int, int]] = set()
    groups = [group.strip() for group in re.split(r"[;,]", text.lower()) if group.strip()]
    if not groups:
        raise ValueError(f"no opening hours given; write them like {HOURS_EXAMPLE!r}")
    for group in groups:
        match = _GROUP.fullmatch(group)
        if match is None:
            raise ValueError(f"cannot read opening hours {group!r}: write days and whole"
                             f" hours like {HOURS_EXAMPLE!r}")
        days = _day_range(match["days"], group)
        if match["closed"]:
            continue
        first, last = int(match["open"]), int(match["close"])
        if first > 23 or last > 24 or first == last:
            raise ValueError(f"cannot read opening hours {group!r}: hours are 0-24 and a"
                             " store opens before it closes (22-2 runs past midnight)")
        for day in days:
            hours = range(first, last) if first < last else range(first, last + 24)
            slots.update(((day + hour // 24) % 7, hour % 24) for hour in hours)
    return frozenset(slots)


def _day_range(days: str, group: str) -> list[int]:
    """``"mon-fri"`` -> ``[0, 1, 2, 3, 4]`` (``"fri-mon"`` wraps over the weekend)."""
    names = days.split("-")
    unknown = [name for name in names if name not in DAYS]
    if unknown:
        raise ValueError(f"cannot read opening hours {group!r}: {unknown[0]!r} is not a day;"
                         f" use {', '.join(DAYS)}")
    first, last = DAYS.index(names[0]), DAYS.index(names[-1])
    return [(first + step) % 7 for step in range((last - first) % 7 + 1)]


def format_opening_hours(slots: Iterable[tuple[int, int]]) -> str:
    """Open slots as text :func:`parse_opening_hours` reads back (``mon-fri 9-21; sat 10-18``).

    Days with the same hours are joined into ranges; hours are whole spans
    per day (a span over midnight is written as two).
    """
    spans: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
    for day in range(7):
        hours = sorted(hour for d, hour in slots if d == day)
        for hour in hours:
            if spans[day] and spans[day][-1][1] == hour:
                spans[day][-1] = (spans[day][-1][0], hour + 1)
            else:
                spans[day].append((hour, hour + 1))
    parts: list[str] = []
    day = 0
    while day < 7:
        last = day
        while last + 1 < 7 and spans[last + 1] == spans[day]:
            last += 1
        names = DAYS[day] if last == day else f"{DAYS[day]}-{DAYS[last]}"
        parts += [f"{names} {a}-{b}" for a, b in spans[day]]
        day = last + 1
    return "; ".join(parts) or "mon-sun closed"

def open_hours(
    hourly: Iterable[tuple[str, int, int, int, int]], min_days: int = 2
) -> set[tuple[int, int]]:
    """``(weekday, hour)`` slots with responses on at least ``min_days`` distinct dates.

    ``hourly`` rows are ``(local_date, hour, scale, score, n)`` as
    :meth:`Storage.hourly_counts` returns them.
    """
    seen = {("", day, hour) for day, hour, _scale, _score, n in hourly if n > 0}
    return set(open_slots(seen, min_days).get("", ()))


def open_slots(seen: Iterable[tuple[str, str, int]], min_days: int = 2
               ) -> dict[str, set[tuple[int, int]]]:
    """Each store's ``(weekday, hour)`` slots with responses on at least ``min_days`` dates,
    from distinct ``(store_id, local_date, hour)`` triples (the hours that had responses):
    the rule behind :func:`open_hours`, for many stores in one pass."""
    weekdays: dict[str, int] = {}
    dates: Counter[tuple[str, int, int]] = Counter()
    for store_id, day, hour in seen:
        weekday = weekdays.get(day)
        if weekday is None:
            weekday = weekdays[day] = date.fromisoformat(day).weekday()
        dates[store_id, weekday, hour] += 1
    slots: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for (store_id, weekday, hour), days in dates.items():
        if days >= min_days:
            slots[store_id].add((weekday, hour))
    return slots


def silent_open_hours(
    last_seen: datetime, now: datetime, tz: ZoneInfo, opening: set[tuple[int, int]],
    cap_hours: int = 24 * 14,
) -> float:
    """Opening hours (store-local) between ``last_seen`` and ``now``, in hours.

    Partial hours count by the minute, so a kiosk last seen at 10:45 is 1.25
    opening hours silent at 12:00 when the store is open 10-12.
    """
    if now <= last_seen:
        return 0.0
    start = max(last_seen, now - timedelta(hours=cap_hours))
    total = 0.0
    cursor = start
    while cursor < now:
        local = cursor.astimezone(tz)
        hour_end = (local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
        step_end = min(now, hour_end.astimezone(now.tzinfo))
        if step_end <= cursor:  # DST edge: step at least to the next full hour in UTC
            step_end = min(now, cursor + timedelta(hours=1))
        if (local.weekday(), local.hour) in opening:
            total += (step_end - cursor).total_seconds() / 3600
        cursor = step_end
    return total


# -- rule 2: unhappy bursts ---------------------------------------------------

@dataclass(frozen=True)
class Burst:
    """A merged run of qualifying windows: first and last tap, responses, unhappy ones."""

    start: datetime
    end: datetime
    responses: int
    unhappy: int


def unhappy_bursts(
    taps: Sequence[tuple[datetime, bool]],
    minutes: int = 15,
    min_responses: int = 4,
    share: float = 0.5,
) -> list[Burst]:
    """Incidents where a ``minutes`` window held ``min_responses``+ taps, ``share``+ unhappy.

    ``taps`` are ``(instant, unhappy)`` sorted by instant.  Every window that
    qualifies is found with two pointers; windows that overlap are merged,
    and an incident reports all taps from its first to its last qualifying
    window, so "6 of 9 unhappy" means exactly those 9 taps.
    """
    window = timedelta(minutes=minutes)
    spans: list[tuple[int, int]] = []
    left = 0
    unhappy_in = 0
    for right, (moment, unhappy) in enumerate(taps):
        unhappy_in += unhappy
        while moment - taps[left][0] > window:
            unhappy_in -= taps[left][1]
            left += 1
        count = right - left + 1
        if count >= min_responses and unhappy_in >= share * count:
            if spans and left <= spans[-1][1]:
                spans[-1] = (spans[-1][0], right)
            else:
                spans.append((left, right))
    bursts = []
    for first, last in spans:
        chunk = taps[first : last + 1]
        bursts.append(
            Burst(chunk[0][0], chunk[-1][0], len(chunk), sum(1 for _, u in chunk if u))
        )
    return bursts


def burst_since(
    taps: Sequence[tuple[datetime, bool]], since: datetime, now: datetime,
    rules: Rules = Rules(),
) -> Burst | None:
    """The incident whose qualifying window last ended in ``(since, now]``, or None.

    What an evaluator running every few minutes asks: only the taps that
    such windows can hold are looked at.
    """
    minutes = (now - since).total_seconds() / 60 + rules.burst_minutes
    found = unhappy_bursts(recent(taps, now, minutes), rules.burst_minutes,
                           rules.burst_min_responses, rules.burst_share)
    return found[-1] if found and found[-1].end > since else None


# -- rule 3: below baseline ---------------------------------------------------

def below_baseline(period: dict[str, Any], baseline: dict[str, Any], min_baseline: int) -> bool:
    """True when the period's Wilson upper bound is under the baseline CSAT.

    Both are figure dicts (``responses``, ``csat``, ``ci_high``) from
    :mod:`sync.collector.reports`; a baseline with fewer than ``min_baseline``
    responses is too thin to compare against.
    """
    if not period.get("responses") or baseline.get("csat") is None:
        return False
    if baseline["responses"] < min_baseline:
        return False
    return period["ci_high"] < baseline["csat"]


def baseline_period(start: str, days: int = 28) -> tuple[str, str]:
    """The ``days`` dates just before ``start`` (the store's normal to compare with)."""
    first = date.fromisoformat(start)
    return (first - timedelta(days=days)).isoformat(), (first - timedelta(days=1)).isoformat()


# -- gathering ------------------------------------------------------------------

def chain_alerts(
    storage: Storage,
    start: str,
    end: str,
    rules: Rules = Rules(),
    now: datetime | None = None,
    ranking: list[dict[str, Any]] | None = None,
) -> list[Alert]:
    """Every alert for the chain, by the rules in ``rules.rules``: funnel, silent kiosks and
    bursts now, baseline for the period; each store with its own hours and thresholds.

    ``ranking`` may pass in the period's :func:`reports.ranking_report` rows
    the page already has, so they are not read twice.
    """
    now = now or utc_now()
    stores = storage.stores(active=True)  # a retired store raises no alerts
    own = storage.alerting_all()
    mine = {store["id"]: for_store(rules, own.get(store["id"], {})) for store in stores}
    found: list[Alert] = []
    if rules.uses("silent"):
        found += chain_silent_alerts(storage, stores, own, mine, rules, now)
    if rules.uses("funnel") or rules.uses("burst") or rules.uses("rate"):
        taps = _recent_taps(storage, set(mine), rules, now)
        shares = baseline_shares(storage, now, rules.baseline_days)
        if rules.uses("funnel"):
            found += funnel_alerts(taps, shares, mine, now)
        if rules.uses("rate"):
            zones = {store["id"]: zone(store["timezone"]) for store in stores}
            found += rate_alerts(storage, taps, shares, mine, zones, now, rules.baseline_days)
        if rules.uses("burst"):
            found += [alert for store_id, store_taps in taps.items()
                      if (alert := burst_alert(store_id, store_taps, mine[store_id]))]
    if rules.uses("baseline"):
        found += baseline_alerts(storage, start, end, rules, ranking)
    found.sort(key=_priority)
    return found


def silent_alerts(storage: Storage, store_id: str, own: Mapping[str, Any], rules: Rules,
                  now: datetime) -> list[Alert]:
    """A store's kiosks silent for more than ``silent_hours`` of its opening hours: the
    hours an admin set, or else the hours inferred from its responses."""
    opening = opening_hours(storage, {store_id: own}, rules, now)[store_id]
    return silent_kiosks(store_id, reports.kiosks_report(storage, store_id, now=now),
                         storage.zone(store_id), opening, rules, now)


def chain_silent_alerts(storage: Storage, stores: Sequence[Mapping[str, Any]],
                        own: Mapping[str, Mapping[str, Any]], rules: Mapping[str, Rules],
                        chain: Rules, now: datetime) -> list[Alert]:
    """:func:`silent_alerts` for every store in ``stores`` (``rules`` by store) in a few
    queries: all kiosks at once, then the response hours of the stores that need them.

    A kiosk heard from within ``silent_hours`` of wall-clock time cannot have been
    silent for more opening hours than that, so only stores with a kiosk quiet for
    longer have their opening hours worked out.
    """
    kiosks: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kiosk in reports.kiosks_report(storage, None, now=now, max_ranges=0):
        kiosks[kiosk["store_id"]].append(kiosk)
    quiet = {store["id"]: own.get(store["id"], {}) for store in stores
             if _any_quiet(kiosks[store["id"]], rules[store["id"]], now)}
    opening = opening_hours(storage, quiet, chain, now)
    found: list[Alert] = []
    for store in stores:
        if store["id"] in opening:
            found += silent_kiosks(store["id"], kiosks[store["id"]], zone(store["timezone"]),
                                   opening[store["id"]], rules[store["id"]], now)
    return found


def _any_quiet(kiosks: Iterable[Mapping[str, Any]], rules: Rules, now: datetime) -> bool:
    """True when a kiosk in use was last seen more than ``silent_hours`` ago (a second's
    margin for the sum of partial hours' rounding)."""
    quiet_since = now - timedelta(hours=rules.silent_hours, seconds=-1)
    return any(kiosk["last_seen"] is not None and not kiosk.get("retired_at")
               and parse_utc(kiosk["last_seen"]) < quiet_since for kiosk in kiosks)


def opening_hours(storage: Storage, own: Mapping[str, Mapping[str, Any]], rules: Rules,
                  now: datetime) -> dict[str, set[tuple[int, int]]]:
    """The open ``(weekday, hour)`` slots of each store in ``own`` (its alerting row by
    store id): those an admin set, else those inferred from the ``open_weeks`` before
    today (one chain-wide read of the hourly roll-ups for all of them)."""
    opening = {store_id: set(parse_opening_hours(row["opening_hours"]))
               for store_id, row in own.items() if row.get("opening_hours")}
    inferred = [store_id for store_id in own if store_id not in opening]
    start = (now - timedelta(weeks=rules.open_weeks)).date().isoformat()
    end = (now - timedelta(days=1)).date().isoformat()
    slots = open_slots(storage.response_hours(inferred, start, end), rules.open_min_days)
    opening.update({store_id: slots.get(store_id, set()) for store_id in inferred})
    return opening


def silent_kiosks(store_id: str, kiosks: Iterable[Mapping[str, Any]], tz: ZoneInfo,
                  opening: set[tuple[int, int]], rules: Rules, now: datetime) -> list[Alert]:
    """The alerts for one store's kiosks (as :func:`reports.kiosks_report` gives them)
    silent for more than ``silent_hours`` of its ``opening`` slots."""
    found = []
    for kiosk in kiosks:
        if kiosk["last_seen"] is None or kiosk.get("retired_at"):
            continue
        hours = silent_open_hours(parse_utc(kiosk["last_seen"]), now, tz, opening)
        if hours > rules.silent_hours:
            found.append(Alert("silent", store_id, 2 if hours > 8 else 1, kiosk["last_seen"],
                               {"kiosk_id": kiosk["id"], "hours": hours,
                                "silent_s": kiosk["silent_s"]}))
    return found


def _recent_taps(storage: Storage, active: set[str], rules: Rules,
                 now: datetime) -> dict[str, list[tuple[datetime, bool]]]:
    """Counted ``(instant, unhappy)`` taps per active store, as far back as the rules look."""
    hours = max(rules.burst_lookback_hours if rules.uses("burst") else 0,
                rules.funnel_minutes / 60 if rules.uses("funnel") else 0,
                rules.rate_level_hours + max(rules.rate_windows) / 60 if rules.uses("rate")
                else 0)
    per_store: dict[str, list[tuple[datetime, bool]]] = defaultdict(list)
    for store_id, created_at, scale, score in storage.counted_ratings_since(
        format_utc(now - timedelta(hours=hours))
    ):
        if store_id in active:
            per_store[store_id].append((parse_utc(created_at), is_unhappy(score, scale)))
    return per_store


def baseline_shares(storage: Storage, now: datetime, baseline_days: int = 28
                    ) -> dict[str, float]:
    """Each store's unhappy share ``p0`` over the ``baseline_days`` before today (a store
    with no counted faces there is left out: no baseline, no alert)."""
    base_start, base_end = baseline_period(now.date().isoformat(), baseline_days)
    counts: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for store_id, scale, score, suppressed, n in storage.period_counts(base_start, base_end):
        if not suppressed and scale in KIND_SCALES["csat"]:  # NPS and CES have no faces
            counts[store_id].append((scale, score, n))
    shares = {}
    for store_id, store_counts in counts.items():
        unhappy, responses = unhappy_share(store_counts)
        if responses:
            shares[store_id] = unhappy / responses
    return shares


def funnel_alerts(taps: Mapping[str, list[tuple[datetime, bool]]],
                  shares: Mapping[str, float], rules: Mapping[str, Rules],
                  now: datetime) -> list[Alert]:
    """Stores whose last ``funnel_minutes`` are above their control limit (``rules`` by
    store; ``shares`` their :func:`baseline_shares`)."""
    found = []
    for store_id, store_taps in taps.items():
        store_rules = rules[store_id]
        window = recent(store_taps, now, store_rules.funnel_minutes)
        above = above_funnel(window, shares.get(store_id), store_rules)
        if above is not None:
            severity = 2 if above.sigmas >= store_rules.funnel_sigmas + 2 else 1
            found.append(window_alert("funnel", store_id, severity, above,
                                      minutes=store_rules.funnel_minutes))
    return found


def window_alert(kind: str, store_id: str, severity: int, window: Funnel | Rate,
                 **extra: Any) -> Alert:
    """An alert about one unusual window, with all its numbers (what the office page and
    the alert log show), at the window's last tap."""
    return Alert(kind, store_id, severity, format_utc(window.end), {**asdict(window), **extra})


def rate_alerts(storage: Storage, taps: Mapping[str, list[tuple[datetime, bool]]],
                shares: Mapping[str, float], rules: Mapping[str, Rules],
                zones: Mapping[str, ZoneInfo], now: datetime,
                baseline_days: int = 28) -> list[Alert]:
    """Stores with more unhappy taps in a recent window than their usual rate at this
    store-local hour explains (:func:`above_rate`).  The usual rates come from the hourly
    roll-ups of the ``baseline_days`` before today, read only for the stores with
    ``rate_min_unhappy`` unhappy taps in the longest window, one query per batch of stores."""
    minutes = max((max(mine.rate_windows) for mine in rules.values()), default=0)
    busy = [store_id for store_id, store_taps in taps.items()
            if sum(unhappy for _, unhappy in recent(store_taps, now, minutes))
            >= rules[store_id].rate_min_unhappy]
    usual = _USUAL.setdefault(storage, UsualCache()).rates(
        storage, busy, baseline_period(now.date().isoformat(), baseline_days), zones)
    found = []
    for store_id in busy:
        store_rules = rules[store_id]
        above = above_rate(taps[store_id], now, usual.get(store_id), shares.get(store_id),
                           store_rules)
        if above is not None:
            severity = 2 if above.tail < store_rules.rate_alpha / 100 else 1
            found.append(window_alert("rate", store_id, severity, above))
    return found


class UsualCache:
    """Stores' usual rates for one baseline period, kept up to :attr:`ttl_s` seconds.

    They are counts of the days before today, which only a late upload
    changes, and reading them costs seconds at 2 000 stores (most of an
    evaluator turn, docs/performance.md benchmark 10), while the evaluator runs
    every minute: each store's are read when it first needs them in a period
    and again after ``ttl_s``, so a late upload counts within minutes.
    """

    def __init__(self, ttl_s: float = 600.0) -> None:
        self.ttl_s = ttl_s
        self.period: tuple[str, str] | None = None
        self.read_at = 0.0
        self.known: dict[str, Usual | None] = {}
        self.lock = threading.Lock()  # the evaluator's thread, and a CLI or test beside it

    def rates(self, storage: Storage, store_ids: Sequence[str], period: tuple[str, str],
              zones: Mapping[str, ZoneInfo]) -> dict[str, Usual]:
        """The usual rates of ``store_ids`` over ``period`` (none for a store without
        taps there), read only for the stores not known since the period began."""
        with self.lock:
            if period != self.period or time.monotonic() - self.read_at > self.ttl_s:
                self.period, self.read_at, self.known = period, time.monotonic(), {}
            missing = [store_id for store_id in store_ids if store_id not in self.known]
            if missing:
                found = usual_rates(storage.usual_hours(missing, *period), zones)
                self.known.update({store_id: found.get(store_id) for store_id in missing})
            return {store_id: usual for store_id in store_ids
                    if (usual := self.known[store_id]) is not None}


#: Each storage's cache of usual rates (the evaluator of one server process).
_USUAL: weakref.WeakKeyDictionary[Storage, UsualCache] = weakref.WeakKeyDictionary()


def burst_alert(store_id: str, taps: Sequence[tuple[datetime, bool]],
                rules: Rules) -> Alert | None:
    """One store's latest unhappy burst of the lookback, and how many there were."""
    found = unhappy_bursts(taps, rules.burst_minutes, rules.burst_min_responses,
                           rules.burst_share)
    if not found:
        return None
    burst = found[-1]
    severity = 2 if burst.unhappy >= 2 * rules.burst_min_responses * rules.burst_share \
        or len(found) >= 3 else 1
    return Alert("burst", store_id, severity, format_utc(burst.end),
                 {"start": burst.start, "end": burst.end, "responses": burst.responses,
                  "unhappy": burst.unhappy, "incidents": len(found)})


def baseline_alerts(storage: Storage, start: str, end: str, rules: Rules,
                    ranking: list[dict[str, Any]] | None) -> list[Alert]:
    """Stores whose period CSAT interval is wholly below their own baseline."""
    if ranking is None:
        ranking = reports.ranking_report(storage, start, end, 0)
    base_start, base_end = baseline_period(start, rules.baseline_days)
    baseline = {row["store_id"]: row for row in reports.ranking_report(
        storage, base_start, base_end, 0)}
    found = []
    for row in ranking:
        base = baseline.get(row["store_id"])
        if base and below_baseline(row, base, rules.baseline_min_responses):
            found.append(Alert("baseline", row["store_id"], 1, None,
                               {"period": row, "baseline": base}))
    return found


KIND_ORDER = {"silent": 0, "funnel": 1, "rate": 1, "burst": 1, "baseline": 2}


def _priority(alert: Alert) -> tuple:
    """Most severe first; then silent kiosks, unhappy windows and bursts, baselines; newest
    first; by store."""
    newest = -parse_utc(alert.at).timestamp() if alert.at else 0.0
    return (-alert.severity, KIND_ORDER.get(alert.kind, 9), newest, alert.store_id)
