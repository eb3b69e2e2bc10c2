"""CSAT, NPS and CES reports built from roll-up counts: what the read API and the
dashboard show.

Every figure goes through :mod:`sync.metrics` (:func:`~sync.metrics.summarize`
for CSAT, :func:`~sync.metrics.figure` for every kind), so the JSON API, the
HTML pages and the exports can never disagree about what "satisfied" means.
The roll-ups hold every kind's taps side by side, told apart by their scale;
:func:`csat_summary` is the one place CSAT figures leave the other kinds out.
Functions take a :class:`~sync.collector.db.storage.Storage` and plain ISO dates
and return JSON-ready dicts; the routes in ``api/read.py`` and the pages in
``web/pages.py`` only add HTTP around them (and ``web/views.py`` formatting).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sync import i18n
from sync.clock import parse_utc, utc_now, zone
from sync.collector.db.storage import Storage
from sync.metrics import KIND_SCALES, KINDS, LOWEST, Summary, figure, summarize
from sync.survey import DEFAULT_SURVEY

#: Longest period one request may cover (ten years of days).
MAX_DAYS = 3660
DEFAULT_DAYS = 30
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
RANK_ORDERS = ("ci_low", "csat", "happy_index")
#: What an NPS or CES ranking may be ordered by: its interval's lower end or its value.
KIND_RANK_ORDERS = ("ci_low", "value")
CSAT_SCALES = KIND_SCALES["csat"]


def parse_period(
    start: str | None, end: str | None, today: date, default_days: int = DEFAULT_DAYS
) -> tuple[str, str]:
    """Validate ``from``/``to`` query values; missing ones default to the last 30 days.

    Raises ValueError with a message fit for an HTTP 422 answer.
    """
    end_day = _day("to", end) if end else today
    try:
        start_day = _day("from", start) if start else end_day - timedelta(days=default_days - 1)
    except OverflowError:  # to=0001-01-01 and no from: the default start is before year 1
        raise ValueError(f"to ({end_day}) leaves no room for a {default_days}-day period;"
                         " give from as well") from None
    if start_day > end_day:
        raise ValueError(f"from ({start_day}) is after to ({end_day})")
    if (end_day - start_day).days >= MAX_DAYS:
        raise ValueError(f"a period may cover at most {MAX_DAYS} days")
    return start_day.isoformat(), end_day.isoformat()


def _day(name: str, value: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a date like 2026-01-31") from None


def store_today(storage: Storage, store_id: str) -> date:
    """Today's date on the store's wall clock (the default end of a period)."""
    return utc_now().astimezone(storage.zone(store_id)).date()


def chain_zone(storage: Storage) -> ZoneInfo:
    """The chain's main time zone: the one most stores keep (UTC when there are none).

    The office page's "today" and the weekly digest's Monday are read on its clock.
    """
    zones = Counter(store["timezone"] for store in storage.stores())
    if not zones:
        return ZoneInfo("UTC")
    main = max(zones, key=lambda name: zones[name])  # the first listed on a tie
    return zone(main)


def days_between(start: str, end: str) -> list[str]:
    """Every ISO date from ``start`` to ``end`` inclusive."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def faces(storage: Storage, store_id: str) -> int:
    """Number of faces the store's current survey shows."""
    return storage.survey(store_id).scale


def figures(summary: Summary, scale: int) -> dict[str, Any]:
    """A summary as a dict, with a count for every face 1..scale even when zero."""
    for face in range(1, scale + 1):
        summary.counts.setdefault(face, 0)
    return summary.as_dict()


def csat_summary(counts: Iterable[tuple[int, int, int]], suppressed: int = 0) -> Summary:
    """CSAT of ``(scale, score, n)`` counts, leaving out NPS and CES taps (scales 11, 7)."""
    return summarize(((scale, score, n) for scale, score, n in counts if scale in CSAT_SCALES),
                     suppressed=suppressed)


def summarize_rows(rows: Iterable[tuple[int, int, int, int]]) -> Summary:
    """CSAT of ``(scale, score, suppressed, n)`` rows: suppressed taps counted apart,
    other kinds' taps left out."""
    counted: list[tuple[int, int, int]] = []
    suppressed = 0
    for scale, score, is_suppressed, n in rows:
        if scale not in CSAT_SCALES:
            continue
        if is_suppressed:
            suppressed += n
        else:
            counted.append((scale, score, n))
    return summarize(counted, suppressed=suppressed)


def check_kind(kind: str) -> str:
    """``kind`` when it is a question kind; ValueError (a 422) naming the kinds otherwise."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return kind


def kind_figures(kind: str, rows: Iterable[tuple[int, int, int, int]]) -> dict[str, Any]:
    """An NPS or CES figure of ``(scale, score, suppressed, n)`` rows, with its interval,
    its suppressed taps and a count for every answer of the kind (zeros too)."""
    scales = KIND_SCALES[kind]
    counted, suppressed = [], 0
    for scale, score, is_suppressed, n in rows:
        if scale in scales:
            if is_suppressed:
                suppressed += n
            else:
                counted.append((scale, score, n))
    found = figure(kind, counted)
    low = LOWEST[kind]
    for score in range(low, low + max(scales)):
        found.counts.setdefault(score, 0)
    return {**found.as_dict(), "suppressed": suppressed}


def kind_report(kind: str, rows: Iterable[tuple[int, int, int, int]], scale: int
                ) -> dict[str, Any]:
    """Figures of one kind: CSAT as always (``scale`` faces counted), else :func:`kind_figures`."""
    if kind == "csat":
        return figures(summarize_rows(rows), scale)
    return kind_figures(kind, rows)


def kinds_present(rows: Iterable[tuple[int, int, int, int]]) -> list[str]:
    """The kinds with counted taps among ``(scale, score, suppressed, n)`` rows, in KINDS order."""
    scales = {scale for scale, _score, suppressed, n in rows if n and not suppressed}
    return [kind for kind in KINDS if scales & set(KIND_SCALES[kind])]


def daily_report(
    storage: Storage, store_id: str, start: str, end: str, kiosk_id: str | None = None,
    kind: str = "csat",
) -> list[dict[str, Any]]:
    """One row per local day (days without taps included): date, the kind's figures, faces."""
    return kind_days(storage.daily_counts(store_id, start, end, kiosk_id), start, end, kind,
                     faces(storage, store_id))


def kind_days(day_counts: Iterable[tuple[str, int, int, int, int]], start: str, end: str,
              kind: str, scale: int) -> list[dict[str, Any]]:
    """Figures of one kind per local date (days without taps included) from
    ``(local_date, scale, score, suppressed, n)`` rows: a store's, a region's or the chain's."""
    by_day: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
    for day, *counts in day_counts:
        by_day[day].append(tuple(counts))  # type: ignore[arg-type]
    return [{"date": day, **kind_report(kind, by_day.get(day, ()), scale)}
            for day in days_between(start, end)]


def summary_report(storage: Storage, store_id: str, start: str, end: str,
                   kind: str = "csat") -> dict[str, Any]:
    """One store's figures of one question kind over a whole period."""
    rows = [row[1:] for row in storage.daily_counts(store_id, start, end)]
    return kind_report(kind, rows, faces(storage, store_id))


def other_kinds_report(storage: Storage, store_id: str, start: str, end: str
                       ) -> list[dict[str, Any]]:
    """The NPS and CES figures of a store's period, only the kinds it has taps of."""
    return other_kinds([row[1:] for row in storage.daily_counts(store_id, start, end)])


def asked_kinds(storage: Storage, store_id: str, start: str, end: str) -> list[str]:
    """The kinds a store's page leads with, in KINDS order: those with counted taps in
    the period; when it has none, the kinds its surveys ask (CSAT when it set none).

    So an NPS-only store's page leads with NPS, not with an empty CSAT section.
    """
    present = kinds_present([row[1:] for row in storage.daily_counts(store_id, start, end)])
    if present:
        return present
    surveys = storage.store_surveys(store_id)
    asked = {surveys["store"].kind if surveys["store"] else "csat"}
    asked |= {survey.kind for survey in surveys["touchpoints"].values()}
    return [kind for kind in KINDS if kind in asked]


def other_kinds(rows: list[tuple[int, int, int, int]]) -> list[dict[str, Any]]:
    """The NPS and CES figures of ``(scale, score, suppressed, n)`` rows, only the kinds
    with taps among them (a store's, a region's or the chain's cards beside CSAT)."""
    return [kind_figures(kind, rows) for kind in kinds_present(rows) if kind != "csat"]


def kind_figure(kind: str, rows: Iterable[tuple[int, int, int, int]]) -> dict[str, Any]:
    """One kind's figure of ``(scale, score, suppressed, n)`` rows in one shape for every
    kind: ``kind, responses, value, ci_low, ci_high`` (CSAT's value is its percent).

    For tables that put different kinds side by side (a store's touchpoints),
    where CSAT's ``csat``/``satisfied`` shape and NPS's ``value`` would not line up.
    """
    counted = [(scale, score, n) for scale, score, suppressed, n in rows if not suppressed]
    found = figure(kind, counted).as_dict()
    del found["counts"]
    return found


def ranking_report(
    storage: Storage,
    start: str,
    end: str,
    min_responses: int,
    order: str = "ci_low",
    kind: str = "csat",
) -> list[dict[str, Any]]:
    """Every store over a period, best first, by the figure of one question kind.

    Ranked by ``order`` (default the lower end of the 95% interval ``ci_low``,
    so a store with 5 of 5 satisfied does not outrank one with 950 of 1000);
    stores with fewer than ``min_responses`` of that kind get ``rank: null``
    and come last.  Retired stores are left out (their history stays readable
    on their own pages).
    """
    orders = RANK_ORDERS if check_kind(kind) == "csat" else KIND_RANK_ORDERS
    if order not in orders:
        raise ValueError(f"order must be one of {', '.join(orders)}")
    per_store: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
    for store_id, scale, score, suppressed, n in storage.period_counts(start, end):
        per_store[store_id].append((scale, score, suppressed, n))
    scales = storage.survey_scales()
    entries = []
    for store in storage.stores(active=True):
        summary = kind_report(kind, per_store.get(store["id"], ()),
                              scales.get(store["id"], DEFAULT_SURVEY.scale))
        entries.append({"store_id": store["id"], "name": store["name"], **summary})
    ranked = [e for e in entries if e["responses"] >= max(min_responses, 1)]
    ranked.sort(key=lambda e: (-e[order], -e["responses"], e["store_id"]))
    unranked = sorted(
        (e for e in entries if e["responses"] < max(min_responses, 1)),
        key=lambda e: (-e["responses"], e["store_id"]),
    )
    for position, entry in enumerate(ranked, start=1):
        entry["rank"] = position
    for entry in unranked:
        entry["rank"] = None
    return ranked + unranked


def heatmap_report(storage: Storage, store_id: str, start: str, end: str) -> list[dict]:
    """Weekday x store-local hour cells (7 x 24, Monday first) with CSAT figures."""
    cells: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)
    weekday_of: dict[str, int] = {}
    for day, hour, scale, score, n in storage.hourly_counts(store_id, start, end):
        weekday = weekday_of.get(day)
        if weekday is None:
            weekday = weekday_of[day] = date.fromisoformat(day).weekday()
        cells[weekday, hour].append((scale, score, n))
    result = []
    for weekday in range(7):
        for hour in range(24):
            summary = csat_summary(cells.get((weekday, hour), ()))
            result.append(
                {
                    "weekday": weekday,
                    "day": WEEKDAYS[weekday],
                    "hour": hour,
                    "responses": summary.responses,
                    "satisfied": summary.satisfied,
                    "csat": _round(summary.csat),
                    "happy_index": _round(summary.happy_index),
                }
            )
    return result


def reasons_report(
    storage: Storage, store_id: str, start: str, end: str, lang: str | None = None
) -> dict[str, Any]:
    """Follow-up reasons over a period, most given first, with the faces they came with."""
    survey = storage.survey(store_id)
    # The survey's label in that language, else the catalogs' (kiosk reason
    # buttons), else the survey's first language, else the key.
    own = survey.reason_labels.get(lang or "", {})
    catalog = i18n.strings(lang, "kiosk") if lang else {}
    first = next(iter(survey.reason_labels.values()), {})
    per_reason: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for reason, scale, score, n in storage.reason_counts(store_id, start, end):
        if scale in CSAT_SCALES:  # the faces' reasons (NPS and CES ones are not CSAT's)
            per_reason[reason].append((scale, score, n))
    total = summary_report(storage, store_id, start, end)["responses"]
    with_reason = sum(n for rows in per_reason.values() for _, _, n in rows)
    reasons = []
    for reason, rows in per_reason.items():
        summary = figures(summarize(rows), survey.scale)
        reasons.append(
            {
                "reason": reason,
                "label": own.get(reason) or catalog.get(f"reason_{reason}")
                or first.get(reason) or reason,
                "share": round(summary["responses"] * 100.0 / with_reason, 1),
                **summary,
            }
        )
    reasons.sort(key=lambda entry: (-entry["responses"], entry["reason"]))
    return {"responses": total, "with_reason": with_reason, "reasons": reasons}


def kiosks_report(
    storage: Storage, store_id: str | None, now: datetime | None = None, max_ranges: int = 50
) -> list[dict[str, Any]]:
    """Each kiosk's health (of one store, or all): last contact, what it reported,
    clock offset and lost taps.

    ``contiguous_seq`` is the highest seq with every seq below it stored;
    ``missing`` counts seqs below ``max_seq`` that never arrived; ``unsent``
    is what the kiosk says it has written but not delivered yet.
    """
    now = now or utc_now()
    result = []
    for kiosk in storage.kiosks(store_id):
        gaps = kiosk.pop("gaps")
        missing = sum(end - start + 1 for start, end in gaps)
        offset = kiosk["clock_offset_s"]
        reported = kiosk["reported_last_seq"]
        result.append(
            {
                **kiosk,
                "silent_s": _since(kiosk["last_seen"], now),
                "clock_suspect": offset is not None and abs(offset) > storage.clock_tolerance_s,
                "contiguous_seq": gaps[0][0] - 1 if gaps else kiosk["max_seq"],
                "missing": missing,
                "missing_ranges": [list(gap) for gap in gaps[:max_ranges]],
                "unsent": max(0, reported - kiosk["max_seq"]) if reported is not None else None,
            }
        )
    return result


#: Fleet health rules (docs/dashboard.md, "Fleet"): free disk below this share of
#: the disk or below this many bytes is low; a pending rating older than this
#: when the kiosk last called means its uploads are not getting through.
LOW_DISK_SHARE = 0.10
LOW_DISK_BYTES = 500 * 1024 * 1024
PENDING_OLD_S = 3600
#: The fleet's states, in the order the fleet page lists them.
FLEET_STATES = ("silent", "unhealthy", "never", "ok")


def version_key(version: str | None) -> tuple[int, ...]:
    """A version's numbers for comparing (``1.10.0`` after ``1.9.2``); () when none."""
    return tuple(int(part) for part in re.findall(r"\d+", version or ""))[:6]


def fleet_report(
    storage: Storage, silent_after_s: float, store_id: str | tuple[str, ...] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Every kiosk in use (of one store, some, or the chain) with its health, worst first.

    A kiosk is ``silent`` when not heard from for more than ``silent_after_s``,
    ``unhealthy`` when its last report shows a problem (:func:`kiosk_problems`),
    ``never`` when it has not called yet, else ``ok``.  Silent kiosks come first,
    then unhealthy ones, each by store and kiosk id, so the order is stable.
    Retired kiosks, and the kiosks of retired stores, are left out.
    """
    stores = {store["id"]: store for store in storage.stores(active=True)
              if not isinstance(store_id, tuple) or store["id"] in store_id}
    one = store_id if isinstance(store_id, str) or store_id is None else None
    kiosks = [kiosk for kiosk in kiosks_report(storage, one, now=now, max_ranges=0)
              if kiosk["store_id"] in stores and not kiosk["retired_at"]]
    newest = max((kiosk["app_version"] for kiosk in kiosks if kiosk["app_version"]),
                 key=version_key, default=None)
    rows = []
    for kiosk in kiosks:
        store = stores[kiosk["store_id"]]
        problems = kiosk_problems(kiosk, store["timezone"], newest)
        if kiosk["last_seen"] is None:
            state = "never"
        elif kiosk["silent_s"] > silent_after_s:
            state = "silent"
        else:
            state = "unhealthy" if problems else "ok"
        rows.append({**kiosk, "store_name": store["name"], "store_timezone": store["timezone"],
                     "state": state, "problems": problems})
    rows.sort(key=lambda row: (FLEET_STATES.index(row["state"]), row["store_id"], row["id"]))
    return {"silent_after_s": silent_after_s, "newest_version": newest, "kiosks": rows}


def kiosk_problems(kiosk: dict[str, Any], store_timezone: str, newest: str | None) -> list[str]:
    """What a kiosk's last report shows wrong, as codes (the page words each one).

    ``disk`` (low free space), ``rejected`` (ratings refused and kept aside),
    ``pending`` (a rating waiting longer than PENDING_OLD_S), ``timezone`` (the
    config names another zone than the store's), ``version`` (older than the
    newest in the fleet), ``clock`` (clock off), ``gaps`` (seq never received).
    """
    free, total = kiosk["disk_free_bytes"], kiosk["disk_total_bytes"]
    oldest, seen = kiosk["oldest_pending_at"], kiosk["last_seen"]
    checks = {
        "disk": free is not None and (free < LOW_DISK_BYTES
                                      or (total is not None and free < total * LOW_DISK_SHARE)),
        "rejected": bool(kiosk["rejected"]),
        "pending": bool(kiosk["pending"]) and oldest is not None and seen is not None
        and (parse_utc(seen) - parse_utc(oldest)).total_seconds() > PENDING_OLD_S,
        "timezone": kiosk["config_timezone"] not in (None, store_timezone),
        "version": newest is not None and kiosk["app_version"] is not None
        and version_key(kiosk["app_version"]) < version_key(newest),
        "clock": kiosk["clock_suspect"],
        "gaps": bool(kiosk["missing"]),
    }
    return [name for name, failed in checks.items() if failed]


def daily_export_rows(
    storage: Storage, start: str, end: str, store_id: str | None = None
) -> list[dict[str, Any]]:
    """Flat per-store, per-day rows (days with taps only) for CSV/JSONL export."""
    grouped: dict[tuple[str, str], list[tuple[int, int, int, int]]] = defaultdict(list)
    for store, day, scale, score, suppressed, n in storage.store_day_counts(start, end, store_id):
        if scale in CSAT_SCALES:  # a day of NPS or CES taps only is no CSAT day
            grouped[store, day].append((scale, score, suppressed, n))
    rows = []
    for (store, day), counts in grouped.items():
        data = figures(summarize_rows(counts), 5)
        face_counts = data.pop("counts")
        rows.append(
            {
                "store_id": store,
                "date": day,
                **data,
                **{f"face_{face}": n for face, n in face_counts.items()},
            }
        )
    return rows


#: Longest period whose chain trend has a point a day; a longer one has a point a week.
DAILY_TREND_DAYS = 92


def chain_weekly_report(storage: Storage, start: str, end: str) -> list[dict[str, Any]]:
    """The whole chain's figures per week (Monday to Sunday), dated by the week's first
    day in the period (so the first and last weeks may be short).

    Three years of days are 1 095 points on a chart a thousand pixels wide;
    their weeks are 157, each a sample seven times as large.
    """
    return trend_report(storage.chain_day_counts(start, end), start, end, weekly=True)


def _week_of(day: str, start: str) -> str:
    """The Monday of ``day``'s week, or ``start`` when that Monday is before it."""
    first = date.fromisoformat(day)
    return max((first - timedelta(days=first.weekday())).isoformat(), start)


def chain_daily_report(storage: Storage, start: str, end: str) -> list[dict[str, Any]]:
    """The whole chain's figures per local date (days without taps included).

    Each store's taps count on its own local date, the same dates its daily
    report uses; the office page draws this as the chain-wide trend.  Read
    from the chain's own per-date roll-up, so it costs the same at 2 000
    stores as at one.
    """
    return trend_report(storage.chain_day_counts(start, end), start, end, weekly=False)


def trend_report(day_counts: Iterable[tuple[str, int, int, int, int]], start: str, end: str,
                 weekly: bool) -> list[dict[str, Any]]:
    """Figures per local date (or per week, dated as :func:`chain_weekly_report` says) from
    ``(local_date, scale, score, suppressed, n)`` rows: the chain's or a set of stores'."""
    point = (lambda day: _week_of(day, start)) if weekly else (lambda day: day)
    by_point: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
    for day, scale, score, suppressed, n in day_counts:
        by_point[point(day)].append((scale, score, suppressed, n))
    points = dict.fromkeys(point(day) for day in days_between(start, end))
    return [{"date": at, **figures(summarize_rows(by_point.get(at, ())), 5)} for at in points]


def chain_summary_report(storage: Storage, start: str, end: str,
                         kind: str = "csat") -> dict[str, Any]:
    """The whole chain's figures of one question kind over a period (every store's taps
    together), from the chain's per-date roll-up: the same at 2 000 stores as at one."""
    return kind_report(kind, storage.chain_counts(start, end), 5)


def chain_kind_days_report(storage: Storage, start: str, end: str,
                           kind: str = "csat") -> list[dict[str, Any]]:
    """The whole chain's figures of one kind per local date (days without taps included),
    as a store's :func:`daily_report` gives them, from the chain's per-date roll-up."""
    return kind_days(storage.chain_day_counts(start, end), start, end, kind, 5)


def chain_kinds_report(storage: Storage, start: str, end: str) -> list[dict[str, Any]]:
    """The chain's NPS and CES figures over a period, only the kinds it has taps of."""
    return other_kinds(storage.chain_counts(start, end))


def _since(moment: str | None, now: datetime) -> int | None:
    return None if moment is None else int((now - parse_utc(moment)).total_seconds())


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
