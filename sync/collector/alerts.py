"""Alert rules for the office page: silent kiosks, unhappy bursts, stores below baseline.

Each rule is a pure function over plain data, so it is unit-tested without a
database; :func:`chain_alerts` gathers the data through
:class:`~sync.collector.db.storage.Storage` and :mod:`sync.collector.reports`
and applies the rules.  The thresholds are declared once in :class:`Rules`,
and the office page states them in words next to the alerts.

1. **Silent kiosk**: no contact for more than ``silent_hours`` *opening*
   hours.  The collector has no timetable, so opening hours are inferred: a
   store-local (weekday, hour) counts as open when the store got responses in
   it on at least two of the same weekdays of the last four weeks.  A kiosk
   quiet overnight or on a Sunday morning is therefore not an alert.
2. **Unhappy burst** (HappyOrNot's recommended starting rule): within any
   ``burst_minutes`` window, at least ``burst_share`` of at least
   ``burst_min_responses`` counted responses were unhappy.  Overlapping
   windows are merged into one incident.
3. **Below baseline**: the period's 95% Wilson *upper* bound is below the
   store's own CSAT over the ``baseline_days`` before the period.  Even the
   most generous reading of the period is worse than usual, so chance does
   not explain the gap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sync.clock import format_utc, parse_utc, utc_now
from sync.collector import reports
from sync.collector.db.storage import Storage


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

    @classmethod
    def of(cls, settings: Any) -> Rules:
        """The thresholds a collector's settings (``HYMY_ALERT_*``) give."""
        return cls(silent_hours=settings.alert_silent_hours,
                   burst_share=settings.alert_burst_share,
                   burst_min_responses=settings.alert_burst_min_responses)


@dataclass
class Alert:
    """One alert: what kind, which store (and kiosk), when, and the numbers behind it."""

    kind: str  # "silent" | "burst" | "baseline"
    store_id: str
    severity: int  # 2 = act now, 1 = look at it
    at: str | None = None  # RFC 3339 instant the alert is about, when it has one
    data: dict[str, Any] = field(default_factory=dict)


def is_unhappy(score: int, scale: int) -> bool:
    """The bottom faces: 1-2 of 4 or 5 faces, 1 of 3 (HappyOrNot's "negative" share)."""
    return score <= scale // 2


# -- rule 1: silent kiosks ----------------------------------------------------

def open_hours(
    hourly: Iterable[tuple[str, int, int, int, int]], min_days: int = 2
) -> set[tuple[int, int]]:
    """``(weekday, hour)`` slots with responses on at least ``min_days`` distinct dates.

    ``hourly`` rows are ``(local_date, hour, scale, score, n)`` as
    :meth:`Storage.hourly_counts` returns them.
    """
    dates: dict[tuple[int, int], set[str]] = defaultdict(set)
    for day, hour, _scale, _score, n in hourly:
        if n > 0:
            dates[date.fromisoformat(day).weekday(), hour].add(day)
    return {slot for slot, seen in dates.items() if len(seen) >= min_days}


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


def silent_kiosks(storage: Storage, store_id: str, rules: Rules, now: datetime) -> list[Alert]:
    """Rule 1 for one store: its kiosks in use silent for over ``silent_hours`` opening hours."""
    tz = storage.zone(store_id)
    opening = open_hours(storage.hourly_counts(
        store_id, (now - timedelta(weeks=rules.open_weeks)).date().isoformat(),
        (now - timedelta(days=1)).date().isoformat()), rules.open_min_days)
    found = []
    for kiosk in reports.kiosks_report(storage, store_id, now=now):
        if kiosk["last_seen"] is None or kiosk.get("retired_at"):
            continue
        hours = silent_open_hours(parse_utc(kiosk["last_seen"]), now, tz, opening)
        if hours > rules.silent_hours:
            found.append(Alert("silent", store_id, 2 if hours > 8 else 1, kiosk["last_seen"],
                               {"kiosk_id": kiosk["id"], "hours": hours,
                                "silent_s": kiosk["silent_s"]}))
    return found


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
    """Every alert for the chain: silent kiosks and bursts now, baseline for the period.

    ``ranking`` may pass in the period's :func:`reports.ranking_report` rows
    the page already has, so they are not read twice.
    """
    now = now or utc_now()
    stores = storage.stores(active=True)  # a retired store raises no alerts
    alerts: list[Alert] = []
    for store in stores:
        alerts += silent_kiosks(storage, store["id"], rules, now)
    since = format_utc(now - timedelta(hours=rules.burst_lookback_hours))
    per_store: dict[str, list[tuple[datetime, bool]]] = defaultdict(list)
    active = {store["id"] for store in stores}
    for store_id, created_at, scale, score in storage.counted_ratings_since(since):
        if store_id not in active:
            continue
        per_store[store_id].append((parse_utc(created_at), is_unhappy(score, scale)))
    for store_id, taps in per_store.items():
        found = unhappy_bursts(taps, rules.burst_minutes, rules.burst_min_responses,
                               rules.burst_share)
        if found:  # one alert per store: the latest incident, and how many there were
            burst = found[-1]
            severity = 2 if burst.unhappy >= 2 * rules.burst_min_responses * rules.burst_share \
                or len(found) >= 3 else 1
            alerts.append(Alert("burst", store_id, severity, format_utc(burst.end),
                                {"start": burst.start, "end": burst.end,
                                 "responses": burst.responses, "unhappy": burst.unhappy,
                                 "incidents": len(found)}))
    if ranking is None:
        ranking = reports.ranking_report(storage, start, end, 0)
    base_start, base_end = baseline_period(start, rules.baseline_days)
    baseline = {row["store_id"]: row for row in reports.ranking_report(
        storage, base_start, base_end, 0)}
    for row in ranking:
        base = baseline.get(row["store_id"])
        if base and below_baseline(row, base, rules.baseline_min_responses):
            alerts.append(Alert("baseline", row["store_id"], 1, None,
                                {"period": row, "baseline": base}))
    alerts.sort(key=_priority)
    return alerts


KIND_ORDER = {"silent": 0, "burst": 1, "baseline": 2}


def _priority(alert: Alert) -> tuple:
    """Most severe first; then silent kiosks, bursts, baselines; newest first; by store."""
    newest = -parse_utc(alert.at).timestamp() if alert.at else 0.0
    return (-alert.severity, KIND_ORDER.get(alert.kind, 9), newest, alert.store_id)
