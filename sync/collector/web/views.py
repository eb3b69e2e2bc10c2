"""Report figures as a page shows them: formatted rows, cards and SVG charts.

Every number comes from :mod:`sync.collector.reports` (the functions behind the
JSON API, so a page and ``/api/v1/...`` never disagree); these functions only
format it in the reader's language (:class:`~sync.collector.web.i18n.Translator`)
and draw it with :mod:`sync.collector.web.charts`.  They take dicts and return
dicts for the templates; none reads a request or a session (only
:func:`alert_rules` reads the app's settings).  A bad period on a page falls
back to the last 30 days with a notice (:func:`page_period`).

Dates in a period outside :data:`FIRST_DAY`..:data:`LAST_DAY` (the calendar's
ends, less a margin for baselines and time-zone windows) are refused with a
message, never a crash.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from markupsafe import Markup

from sync.clock import format_utc, local_day_bounds, parse_utc, utc_now
from sync.collector import alertlog, alerts, reports
from sync.collector.db.storage import Storage
from sync.collector.web import charts
from sync.collector.web.i18n import Translator, round_half_up
from sync.collector.web.render import Page, static_url, svg
from sync.collector.web.render import nav_for as nav_for  # the pages import it from here
from sync.i18n import FACE_ART, face_label_key
from sync.metrics import KINDS, SHOWN_DECIMALS, too_few

#: The first and last day a page or download shows: a year inside the calendar's
#: ends, so a baseline (28 days before) and a time-zone window (days around a
#: period) are always dates.
FIRST_DAY = date(2, 1, 1)
LAST_DAY = date(9998, 12, 31)
#: Fewest responses a heat-map cell needs to be coloured.
HEAT_MIN_RESPONSES = 10
#: A kiosk not heard from for this long is shown as silent in the kiosk table.
KIOSK_SILENT_S = 2 * 3600
FACE_COLOURS = {1: "#d32f2f", 2: "#f57c00", 3: "#f2b800", 4: "#7cb342", 5: "#2e7d32"}
SATISFIED_COLOUR = charts.ACCENT
OTHER_COLOUR = "#f08c00"


# -- periods ------------------------------------------------------------------

PRESETS = (("preset_today", 1), ("preset_7", 7), ("preset_30", 30), ("preset_90", 90),
           ("preset_365", 365))


def checked_period(start: str | None, end: str | None, today: str) -> tuple[str, str]:
    """``reports.parse_period`` within :data:`FIRST_DAY`..:data:`LAST_DAY`; ValueError if not."""
    first, last = reports.parse_period(start or None, end or None, date.fromisoformat(today))
    for name, value in (("from", first), ("to", last)):
        if not FIRST_DAY.isoformat() <= value <= LAST_DAY.isoformat():
            raise ValueError(f"{name}: {value} is outside the dates the dashboard shows"
                             f" ({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})")
    return first, last


def page_period(
    ctx: Page, start: str | None, end: str | None, today: str
) -> tuple[str, str, tuple[str, str] | None]:
    """The period to show; a bad one falls back to the last 30 days with a notice.

    A page with a notice is sent as 400 (:func:`period_status`), so links
    and scripts see the request was not what was shown.
    """
    try:
        first, last = checked_period(start, end, today)
        return first, last, None
    except ValueError:
        first, last = reports.parse_period(None, None, date.fromisoformat(today))
        return first, last, ("error", ctx.t("bad_period", days=reports.MAX_DAYS))


def period_status(notice: tuple[str, str] | None) -> int:
    """400 for a page showing the fallback period because the asked one was bad."""
    return 400 if notice else 200


def period_page(ctx: Page, path: str, start: str, end: str, today: str,
                notice: tuple[str, str] | None) -> dict[str, Any]:
    """What every page with a period picker renders: its status, notice, dates, their text
    and the presets (``path``: the page's own path)."""
    return {"status": period_status(notice), "notice": notice,
            "start": start, "end": end, "today": today,
            "period_text": f"{ctx.t.day(start)} – {ctx.t.day(end)}",
            "presets": presets(ctx, path, start, end, today)}


def presets(ctx: Page, path: str, start: str, end: str, today: str) -> list[dict[str, Any]]:
    """Quick period links ending today: today, 7, 30, 90 days, 12 months."""
    last = date.fromisoformat(today)
    out = []
    for key, days in PRESETS:
        first = (last - timedelta(days=days - 1)).isoformat()
        out.append({
            "label": ctx.t(key),
            "href": f"{path}?{urlencode({'from': first, 'to': today})}",
            "current": first == start and today == end,
        })
    return out


def local_days(start: str, end: str, tz: ZoneInfo) -> tuple[str, str]:
    """The UTC instants from the start of local day ``start`` to the end of ``end`` in
    ``tz``: a Helsinki manager's "today" holds the alert of 00:30 local (22:30 UTC)."""
    return (format_utc(local_day_bounds(start, tz)[0]),
            format_utc(local_day_bounds(end, tz)[1]))


def zone_period(ctx: Page, path: str, tz: ZoneInfo,
                query: Mapping[str, str]) -> tuple[tuple[str, str], dict[str, Any]]:
    """A list page's period in local days of ``tz`` (a store's zone or the chain's): the
    UTC bounds to select by, and what the page renders for its picker (the period page's
    values, its ``path`` and ``zone_text`` naming the zone).  The alert logs and the
    deliveries page filter alike, so a day means the same on each."""
    today = utc_now().astimezone(tz).date().isoformat()
    start, end, notice = page_period(ctx, query.get("from"), query.get("to"), today)
    return local_days(start, end, tz), {
        **period_page(ctx, path, start, end, today, notice), "path": path,
        "zone_text": ctx.t("days_in_zone", zone=tz.key)}


def local_instant(t: Translator, text: str, tz: tzinfo) -> str:
    """A stored UTC instant in a store's own time, or the chain's: ``2 Jun 2026 12:15 EEST``
    (the zone's abbreviation, so a chain-wide list of stores in several zones stays
    unambiguous)."""
    moment = parse_utc(text).astimezone(tz)
    return f"{t.day(moment.date())} {t.time(moment)} {moment.tzname()}"


def chain_today(storage: Storage) -> str:
    """Today in the chain's most common store time zone (UTC when there are no stores)."""
    return utc_now().astimezone(reports.chain_zone(storage)).date().isoformat()



# -- view helpers ---------------------------------------------------------------

def figure_view(t: Translator, fig: dict[str, Any], floor: int = 0) -> dict[str, Any]:
    """A report's figures formatted for a KPI card (the raw values ride along for tests).

    ``floor``: fewest responses that make the figure worth judging (see :func:`too_few`).
    """
    few = too_few(fig["responses"], floor)
    return {
        **fig,
        "too_few": few,
        "too_few_text": t("too_few_judge", n=t.number(fig["responses"])) if few else "",
        "csat_text": t.pct(fig["csat"]),
        "ci_text": t.ci(fig["ci_low"], fig["ci_high"]),
        "range_text": t.pct_range(fig["ci_low"], fig["ci_high"]),
        "responses_text": t.responses(fig["responses"]),
        "index_text": t.index(fig["happy_index"]),
    }


#: How a kind's figure is written: its name and decimals (:data:`sync.metrics.SHOWN_DECIMALS`).
KIND_SHOWN = {kind: (kind.upper(), SHOWN_DECIMALS[kind]) for kind in KINDS}
#: Each kind's whole scale: the widest axis a strip of its intervals may need.
KIND_AXES = {"csat": (0.0, 100.0), "nps": (-100.0, 100.0), "ces": (1.0, 7.0)}


def kind_value(t: Translator, kind: str, value: float | None) -> str:
    """A kind's value as a page writes it: CSAT ``82%``, NPS ``31``, CES ``5.4``; ``–`` for none."""
    return t.pct(value) if kind == "csat" else t.number(value, KIND_SHOWN[kind][1])


def kind_range(t: Translator, kind: str, low: float | None, high: float | None) -> str:
    """A kind's interval in a table: ``78–86%``, ``−12 – 24``, ``5.1 – 5.6``."""
    if kind == "csat" or low is None or high is None:
        return t.pct_range(low, high)
    return f"{kind_value(t, kind, low)} – {kind_value(t, kind, high)}"


def kind_domain(kind: str, values: list[float]) -> tuple[float, float]:
    """A strip axis for a kind's intervals: whole steps around the data, inside its scale,
    never narrower than a fifth of the scale (so noise does not look like a gulf)."""
    if kind == "csat":
        return charts.percent_domain(values, minimum_span=20)
    floor, ceiling = KIND_AXES[kind]
    if not values:
        return floor, ceiling
    step = (ceiling - floor) / 20
    low = max(floor, floor + step * math.floor((min(values) - floor) / step))
    high = min(ceiling, floor + step * math.ceil((max(values) - floor) / step))
    if high - low < 4 * step:
        low = max(floor, high - 4 * step)
        high = min(ceiling, low + 4 * step)
    return low, high


def kind_view(t: Translator, fig: dict[str, Any], floor: int = 0) -> dict[str, Any]:
    """A kind's figure (NPS or CES on its card, any kind in a touchpoint's row) formatted:
    name, value, interval, responses, help; dimmed like CSAT's under ``floor`` responses."""
    kind = fig["kind"]
    few = too_few(fig["responses"], floor)
    return {
        **fig,
        "too_few": few,
        "too_few_text": t("too_few_judge", n=t.number(fig["responses"])) if few else "",
        "kind_name": KIND_SHOWN[kind][0],
        "value_text": kind_value(t, kind, fig["value"]),
        "ci_text": t("ci_to", low=kind_value(t, kind, fig["ci_low"]),
                     high=kind_value(t, kind, fig["ci_high"])) if fig["responses"] else "",
        "range_text": kind_range(t, kind, fig["ci_low"], fig["ci_high"]),
        "responses_text": t.responses(fig["responses"]),
        "help": t(f"kind_{kind}_help"),
    }


def comparison(t: Translator, fig: dict[str, Any], base: dict[str, Any],
               floor: int = 0) -> dict[str, Any] | None:
    """Difference to a baseline in points, flagged only when the interval excludes it;
    none for a figure of too few responses (``floor``, see :func:`too_few`)."""
    if fig["csat"] is None or base["csat"] is None or too_few(fig["responses"], floor):
        return None
    direction = ""
    if fig["ci_high"] < base["csat"]:
        direction = "down"
    elif fig["ci_low"] > base["csat"]:
        direction = "up"
    return {
        "text": t.points_between(fig["csat"], base["csat"]),
        "baseline": t("vs_baseline", value=t.pct(base["csat"])),
        "direction": direction,
    }


def day_ticks(t: Translator, days: list[str], count: int) -> list[tuple[int, str]]:
    """About ``count`` evenly spaced date labels for a trend's x axis."""
    if not days:
        return []
    if len(days) == 1:
        return [(0, t.day(days[0], year=False))]
    step = max(1, round((len(days) - 1) / max(count - 1, 1)))
    ticks = list(range(len(days) - 1, -1, -step))[::-1]
    return [(i, t.day(days[i], year=False)) for i in ticks]


def trend_svgs(
    t: Translator, days: list[dict[str, Any]], href: Any, label: str,
    reference: float | None = None, reference_label: str = "", described_by: str = "",
    weekly: bool = False, floor: int = 0, kind: str = "csat",
) -> dict[str, Markup]:
    """The trend chart twice: wide for desktops, narrow (fewer ticks) for phones.

    ``described_by`` is the id of the table of the same days (its text alternative);
    ``weekly``: each row is a week (:func:`reports.chain_weekly_report`); a day of fewer
    than ``floor`` responses is a hollow mark off the line (:func:`too_few`).
    ``kind``: the days' figure (rows of :func:`reports.kind_days`): CSAT in percent, or
    NPS or CES on their own axis.
    """
    points = []
    dates = [row["date"] for row in days]
    key = "csat" if kind == "csat" else "value"
    for row in days:
        when = point_text(t, row["date"], weekly)
        if row["responses"]:
            title = (f"{when}: {KIND_SHOWN[kind][0]} {kind_value(t, kind, row[key])} "
                     f"({kind_range(t, kind, row['ci_low'], row['ci_high'])}), "
                     f"{t.responses(row['responses'])}")
        else:
            title = f"{when}: {t('no_responses')}"
        few = too_few(row["responses"], floor)
        if few:  # the figures stay in the title (the table agrees), flagged as too few
            title += " · " + t("too_few_judge", n=t.number(row["responses"]))
        points.append(charts.TrendPoint(
            row[key], row["ci_low"], row["ci_high"], title,
            href(row["date"]) if href and row["responses"] else None, few,
        ))
    common = {"y_format": lambda v: kind_value(t, kind, v), "reference": reference,
              "reference_label": reference_label, "y_domain": None if kind == "csat" else
              kind_domain(kind, [v for p in points if not p.few
                                 for v in (p.value, p.low, p.high) if v is not None])}
    wide = charts.Frame(label, 1000, 280, "chart trend chart-wide", described_by)
    narrow = replace(wide, width=360, height=230, css_class="chart trend chart-narrow")
    return {
        "wide": svg(charts.trend(points, x_labels=day_ticks(t, dates, 8), frame=wide, **common)),
        "narrow": svg(charts.trend(points, x_labels=day_ticks(t, dates, 4), frame=narrow,
                                   **common)),
    }


def face_rows(t: Translator, counts: dict[str, int], scale: int) -> list[dict[str, Any]]:
    """One row per face, worst first: icon, name, count, share and a bar."""
    total = sum(counts.values())
    top = max(counts.values(), default=0)
    scale = max([scale, *(int(k) for k in counts)]) if counts else scale
    scale = scale if scale in FACE_ART else 5
    rows = []
    for score in range(1, scale + 1):
        n = counts.get(str(score), 0)
        art = FACE_ART[scale][score - 1]
        share = n * 100.0 / total if total else None
        rows.append({
            "score": score,
            "icon": static_url(f"face-{art}.svg"),
            "name": t(face_label_key(score, scale)),
            "count": n,
            "count_text": t.number(n),
            "share_text": t.pct(share),
            "bar": svg(charts.meter(n / top if top else 0, colour=FACE_COLOURS[art],
                                       label=f"{t(face_label_key(score, scale))}: {n}")),
        })
    return rows[::-1]


def reason_rows(t: Translator, found: dict[str, Any], limit: int = 6) -> list[dict[str, Any]]:
    """The most given follow-up reasons with share, count and their CSAT."""
    reasons = found["reasons"][:limit]
    top = max((r["responses"] for r in reasons), default=0)
    return [{
        "label": r["label"],
        "count_text": t.number(r["responses"]),
        "share_text": t.pct(r["share"]),
        "csat_text": t.pct(r["csat"]),
        "responses": r["responses"],
        "bar": svg(charts.meter(r["responses"] / top if top else 0,
                                   label=f"{r['label']}: {r['responses']}")),
    } for r in reasons]


def kiosk_rows(t: Translator, kiosks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Kiosk health rows: a status pill, last contact, pending and missing taps, label."""
    rows = []
    for k in kiosks:
        if k.get("retired_at"):
            status, kind = t("status_retired"), "muted"
        elif k["last_seen"] is None:
            status, kind = t("status_never"), "muted"
        elif k["silent_s"] is not None and k["silent_s"] > KIOSK_SILENT_S:
            status, kind = t("status_silent"), "bad"
        elif k["missing"]:
            status, kind = t("status_gaps"), "warn"
        else:
            status, kind = t("status_ok"), "ok"
        rows.append({
            "id": k["id"],
            "label": k.get("label") or "",
            "status": status,
            "kind": kind,
            "last_seen": t.ago(k["silent_s"]),
            "last_seen_at": k["last_seen"] or "",
            "pending": t.number(k["pending"]) if k["pending"] is not None else "–",
            "missing": t.number(k["missing"]),
            "has_missing": bool(k["missing"]),
            "has_pending": bool(k["pending"]),
            "version": k["app_version"] or "–",
        })
    return rows


def heat_columns(cells: list[dict[str, Any]]) -> list[int]:
    """The hours to show: from the first to the last hour with any responses."""
    hours = [c["hour"] for c in cells if c["responses"]]
    if not hours:
        return list(range(8, 22))
    return list(range(min(hours), max(hours) + 1))


def heatmap_svg(t: Translator, cells: list[dict[str, Any]]) -> dict[str, Any]:
    """The weekday x hour heat map (empty cells: too few responses), twice:
    weekdays as rows for wide screens, and transposed (hours as rows) for phones;
    plus ``table``, its figures as text (hours as rows, weekdays as columns)."""
    hours = heat_columns(cells)
    shown = [c for c in cells if c["hour"] in hours]
    values = [c["csat"] for c in shown if c["responses"] >= HEAT_MIN_RESPONSES]
    low, high = charts.percent_domain(values, minimum_span=20)
    wide, narrow = [], []
    for cell in shown:
        enough = cell["responses"] >= HEAT_MIN_RESPONSES
        when = f"{t.weekday(cell['weekday'])} {t.hour(cell['hour'])}–{t.hour(cell['hour'] + 1)}"
        if cell["responses"]:
            title = f"{when}: CSAT {t.pct(cell['csat'])}, {t.responses(cell['responses'])}"
        else:
            title = f"{when}: {t('no_responses')}"
        value = cell["csat"] if enough else None
        text = t.number(reports_round(cell["csat"])) if enough else ""
        column = hours.index(cell["hour"])
        wide.append(charts.HeatCell(cell["weekday"], column, value, text, title))
        narrow.append(charts.HeatCell(column, cell["weekday"], value, text, title))
    weekdays = [t.weekday(i) for i in range(7)]
    hour_names = [t.hour(h) for h in hours]
    common = {
        "domain": (low, high),
        "legend": (t.pct(low), t.pct(high)),
        "legend_title": "CSAT",
        "empty_label": t("heatmap_empty", n=HEAT_MIN_RESPONSES),
        "label": t("heatmap"),
        "described_by": "heatmap-data",
    }
    return {
        "table": heat_table(t, shown, hours),
        "wide": svg(charts.heatmap(wide, rows=weekdays, columns=hour_names,
                                   css_class="chart heatmap chart-wide",
                                   ramp_id="heat-ramp-wide", **common)),
        "narrow": svg(charts.heatmap(narrow, rows=hour_names, columns=weekdays,
                                     css_class="chart heatmap chart-narrow",
                                     ramp_id="heat-ramp-narrow", **common)),
    }


def heat_table(t: Translator, cells: list[dict[str, Any]], hours: list[int]) -> dict[str, Any]:
    """The heat map's figures for its data table: a row per hour, a column per weekday,
    each cell CSAT and responses ("–" when there were none)."""
    by_position = {(c["hour"], c["weekday"]): c for c in cells}
    rows = []
    for hour in hours:
        texts = []
        for weekday in range(7):
            cell = by_position.get((hour, weekday))
            texts.append(f"{t.pct(cell['csat'])} · {t.number(cell['responses'])}"
                         if cell and cell["responses"] else "–")
        rows.append({"label": f"{t.hour(hour)}–{t.hour(hour + 1)}", "cells": texts})
    return {"columns": [t.weekday(i) for i in range(7)], "rows": rows}


def reports_round(value: float | None) -> float | None:
    """Whole percent for a label, rounded like everywhere else on the page."""
    return None if value is None else round_half_up(value)


def point_text(t: Translator, day: str, weekly: bool = False) -> str:
    """A trend point's date in words: the day, or the week it starts."""
    return t("week_of", day=t.day(day)) if weekly else t.day(day, weekday=True)


def day_rows(t: Translator, days: list[dict[str, Any]],
             href: Callable[[str], str] | None = None,
             weekly: bool = False) -> list[dict[str, Any]]:
    """The daily (or ``weekly``) table, newest first, each date linking to ``href(date)``
    when given (a store's day page; the chain's days have none)."""
    rows = []
    for row in reversed(days):
        rows.append({
            **row,
            "href": href(row["date"]) if href else None,
            "date_text": point_text(t, row["date"], weekly),
            "csat_text": t.pct(row["csat"]),
            "range_text": t.pct_range(row["ci_low"], row["ci_high"]),
            "index_text": t.number(row["happy_index"]) if row["happy_index"] is not None
            else "–",
            "responses_text": t.number(row["responses"]),
        })
    return rows


#: A run of at least this many days (or weeks) without responses is one row of a day
#: table, in a period longer than :data:`QUIET_FOLD_AFTER` rows (a week's table stays whole).
QUIET_RUN = 3
QUIET_FOLD_AFTER = 7


def fold_quiet_days(t: Translator, rows: list[dict[str, Any]],
                    weekly: bool = False) -> list[dict[str, Any]]:
    """A day table's rows (newest first, each with ``date`` and ``responses``) with every
    run of :data:`QUIET_RUN` or more days without responses as one row saying so
    (``quiet``, its ``first`` and ``last`` day), so a sparse month is not a column of
    dashes; every day of the period is still in the table, alone or in a run.  The
    store, office and region tables all fold here; ``weekly`` rows are weeks (the
    office's long periods), counted and named as weeks."""
    if len(rows) <= QUIET_FOLD_AFTER:
        return rows
    folded: list[dict[str, Any]] = []
    run: list[dict[str, Any]] = []

    def close_run() -> None:
        if len(run) >= QUIET_RUN:
            first, last = run[-1]["date"], run[0]["date"]
            folded.append({"quiet": True, "first": first, "last": last, "responses": 0,
                           "text": t("quiet_weeks" if weekly else "quiet_days",
                                     first=point_text(t, first, weekly),
                                     last=point_text(t, last, weekly), n=t.number(len(run)))})
        else:
            folded.extend(run)
        run.clear()

    for row in rows:
        if row["responses"]:
            close_run()
            folded.append(row)
        else:
            run.append(row)
    close_run()
    return folded


def hourly_svgs(t: Translator, hours: list[dict[str, Any]]) -> dict[str, Any]:
    """One day's responses per hour, satisfied and other stacked, for desktop and phone;
    ``rows`` are the same hours as text for the chart's data table."""
    shown = heat_columns(hours)
    bars, rows = [], []
    for cell in hours:
        if cell["hour"] not in shown:
            continue
        other = cell["responses"] - cell["satisfied"]
        when = f"{t.hour(cell['hour'])}–{t.hour(cell['hour'] + 1)}"
        rows.append({"hour": when, "responses": t.number(cell["responses"]),
                     "satisfied": t.number(cell["satisfied"]),
                     "csat": t.pct(cell["csat"]) if cell["responses"] else "–"})
        title = (f"{when}: CSAT {t.pct(cell['csat'])}, {t.responses(cell['responses'])}"
                 if cell["responses"] else f"{when}: {t('no_responses')}")
        bars.append(charts.Bar(t.hour(cell["hour"]), (
            charts.Segment(cell["satisfied"], SATISFIED_COLOUR),
            charts.Segment(other, OTHER_COLOUR),
        ), title, note=t.pct(cell["csat"]) if cell["responses"] else ""))
    wide = charts.Frame(t("hourly"), 1000, 260, "chart bars chart-wide", "hourly-data")
    narrow = replace(wide, width=360, height=220, css_class="chart bars chart-narrow")
    return {
        "rows": rows,
        "wide": svg(charts.stacked_bars(bars, y_format=t.number, frame=wide)),
        "narrow": svg(charts.stacked_bars([replace(b, note="") for b in bars],
                                          y_format=t.number, frame=narrow)),
    }


# -- navigation and the office page -----------------------------------------------

#: The office page shows a long ranking's best and worst this many each, with a
#: link to the whole ranking; a list at most ``2 * OFFICE_EDGE + 5`` long is shown whole.
OFFICE_EDGE = 10
#: Stores a page of the whole ranking lists.
RANKING_PAGE = 100


def ranking_rows(
    t: Translator, ranking: list[dict[str, Any]], start: str, end: str,
    reference: float | None, shown: list[dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Ranked and too-few rows of ``shown`` (default: the whole ``ranking``), each with
    a forest-plot strip on an axis shared by the whole ranking, so strips on
    different pages compare.  A ranking by NPS or CES (rows with a ``kind``) is
    written in that kind's numbers on that kind's axis."""
    kind = ranking[0].get("kind", "csat") if ranking else "csat"
    values = [v for r in ranking if r["responses"] for v in (r["ci_low"], r["ci_high"])]
    domain = kind_domain(kind, values)
    query = urlencode({"from": start, "to": end})
    ranked, unranked = [], []
    for row in ranking if shown is None else shown:
        view = figure_view(t, row) if kind == "csat" else kind_view(t, row)
        value = row["csat"] if kind == "csat" else row["value"]
        view.update({
            "href": f"/stores/{row['store_id']}?{query}",
            "strip": svg(charts.interval_strip(
                value, row["ci_low"], row["ci_high"], domain=domain,
                reference=reference, muted=row["rank"] is None,
                label=f"{row['name']}: {KIND_SHOWN[kind][0]} {kind_value(t, kind, value)}, "
                      f"{kind_range(t, kind, row['ci_low'], row['ci_high'])}",
            )),
            "index_text": t.number(row.get("happy_index")),
        })
        (ranked if row["rank"] is not None else unranked).append(view)
    return ranked, unranked


def office_ranking(
    t: Translator, ranking: list[dict[str, Any]], start: str, end: str,
    reference: float | None,
) -> dict[str, Any]:
    """What the office page's ranking card shows: the whole ranking when it is short;
    at a chain's size the best and worst :data:`OFFICE_EDGE` ranked stores, how many
    lie between, and how many have too few responses (the whole list is one link
    away, :mod:`~sync.collector.web.ranking`)."""
    ranked = [row for row in ranking if row["rank"] is not None]
    unranked = [row for row in ranking if row["rank"] is None]
    edge = OFFICE_EDGE
    if len(ranking) <= 2 * edge + 5:
        top, bottom = ranking_rows(t, ranking, start, end, reference)
        return {"top": top, "between": 0, "bottom": [], "unranked": bottom,
                "hidden_unranked": 0}
    shown = ranked[:edge] + ranked[-edge:] if len(ranked) > 2 * edge + 5 else ranked
    rows, _ = ranking_rows(t, ranking, start, end, reference, shown=shown)
    cut = edge if len(shown) < len(ranked) else len(rows)
    few = unranked if len(unranked) <= 5 else []
    _, few_rows = ranking_rows(t, ranking, start, end, reference, shown=few)
    return {"top": rows[:cut], "between": len(ranked) - len(shown), "bottom": rows[cut:],
            "unranked": few_rows, "hidden_unranked": len(unranked) - len(few)}


def alert_rules(request: Request) -> alerts.Rules:
    """The alert thresholds, from the collector's settings (``HYMY_ALERT_*``)."""
    return alerts.rules_from(request.app.state.settings)


def as_instant(value: datetime | str) -> datetime:
    """An alert's instant: UTC text when it comes from the alert log, else as it is."""
    return parse_utc(value) if isinstance(value, str) else value


def rule_texts(t: Translator, rules: alerts.Rules) -> list[str]:
    """The rules in use, in words, with their thresholds (the office page's "Rules")."""
    texts = {
        "funnel": lambda: t("rule_funnel", minutes=rules.funnel_minutes,
                            sigmas=t.number(rules.funnel_sigmas), n=rules.funnel_min_responses),
        "rate": lambda: t("rule_rate", shortest=min(rules.rate_windows),
                          longest=max(rules.rate_windows),
                          odds=t.number(round(1 / rules.rate_alpha)), n=rules.rate_min_unhappy),
        "silent": lambda: t("rule_silent", hours=t.number(rules.silent_hours)) + " "
                          + t("rule_opening_set"),
        "burst": lambda: t("rule_burst", share=t.pct(rules.burst_share * 100),
                           minutes=rules.burst_minutes, n=rules.burst_min_responses,
                           hours=rules.burst_lookback_hours),
        "baseline": lambda: t("rule_baseline"),
    }
    return [texts[name]() for name in alerts.RULE_NAMES if rules.uses(name)]


def alert_views(
    t: Translator, stored: list[dict[str, Any]], storage: Storage,
    start: str, end: str, thresholds: alerts.Rules,
) -> list[dict[str, Any]]:
    """Stored alerts as cards: icon, title, store link, detail, when, and its own page;
    ``heading``: the kind and its figures in one line, for a page's heading or log row."""
    views = []
    now = utc_now()
    for row in stored:
        alert = alertlog.as_alert(row)
        store = row["store_name"]
        link = f"/stores/{alert.store_id}"
        data = alert.data
        if alert.kind == "silent":
            # since when (an instant), and for how long until now or its clearing: live
            ended = parse_utc(row["closed_at"]) if row.get("closed_at") else now
            since = alert.at or row["opened_at"]
            words = {"kiosk": data["kiosk_id"],
                     "since": local_instant(t, since, storage.zone(alert.store_id))}
            title = t("alert_silent_since", **words)
            detail = t("alert_silent_now",
                       duration=t.duration((ended - parse_utc(since)).total_seconds()))
        elif alert.kind == "funnel":
            words = {"unhappy": data["unhappy"], "n": data["responses"],
                     "minutes": data["minutes"]}
            title = t("alert_funnel", **words)
            detail = t("alert_funnel_detail", usual=t.pct(data["expected"] * 100),
                       limit=t.pct(data["limit"] * 100), n=data["responses"])
            day = as_instant(data["end"]).astimezone(storage.zone(alert.store_id)).date()
            link = f"/stores/{alert.store_id}/days/{day.isoformat()}"
        elif alert.kind == "rate":
            words = {"unhappy": data["unhappy"], "minutes": data["minutes"]}
            title = t("alert_rate", **words)
            detail = t("alert_rate_detail", usual=t.number(data["expected"], 1))
            day = as_instant(data["end"]).astimezone(storage.zone(alert.store_id)).date()
            link = f"/stores/{alert.store_id}/days/{day.isoformat()}"
        elif alert.kind == "burst":
            tz = storage.zone(alert.store_id)
            first = as_instant(data["start"]).astimezone(tz)
            last = as_instant(data["end"]).astimezone(tz)
            words = {"unhappy": data["unhappy"], "n": data["responses"],
                     "minutes": thresholds.burst_minutes}
            title = t("alert_burst", **words)
            detail = (f"{t.day(first.date(), weekday=True, year=False)} "
                      f"{t.time(first)}–{t.time(last)}")
            if data["incidents"] > 1:
                detail += " · " + t("incidents", n=data["incidents"],
                                    hours=thresholds.burst_lookback_hours)
            link = f"/stores/{alert.store_id}/days/{first.date().isoformat()}"
        elif alert.kind == "baseline":
            period, base = data["period"], data["baseline"]
            words = {"csat": t.pct(period["csat"]), "baseline": t.pct(base["csat"])}
            title = t("alert_baseline", **words)
            detail = t("alert_baseline_detail",
                       low=t.number(reports_round(period["ci_low"])),
                       high=t.pct(period["ci_high"]), n=t.responses(period["responses"]))
            link = f"/stores/{alert.store_id}?{urlencode({'from': start, 'to': end})}"
        else:  # a rule this version does not know (stored by another): its name, no crash
            title, detail, words = alert.kind, "", {}
        opened = row.get("opened_at") or alert.at  # one notion of "when" on every page
        ago = t.ago((now - parse_utc(opened)).total_seconds()) if opened else ""
        # a page that names the kind says it once: "Silent kiosk: k1", not "Silent kiosk:
        # Kiosk k1 silent since ..." (the title, for cards that show no kind)
        heading = t(f"alert_head_{alert.kind}", **words) if words else title
        views.append({"kind": alert.kind, "store": store, "store_id": alert.store_id,
                      "href": link, "title": title, "heading": heading, "detail": detail,
                      "when": ago, "id": row["id"], "page": f"/alerts/{row['id']}",
                      "state": row["state"], "state_text": t(f"alert_state_{row['state']}")})
    return views


# -- the fleet page ----------------------------------------------------------------

#: A fleet state's pill colour.
STATE_KINDS = {"silent": "bad", "unhealthy": "warn", "never": "muted", "ok": "ok"}


def fleet_rows(t: Translator, fleet: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per kiosk of :func:`reports.fleet_report`: its state, what is wrong, its figures."""
    return [_fleet_row(t, kiosk, fleet["newest_version"]) for kiosk in fleet["kiosks"]]


def _fleet_row(t: Translator, k: dict[str, Any], newest: str | None) -> dict[str, Any]:
    """A kiosk's row: every figure formatted, flags for the ones the page marks."""
    free, total = k["disk_free_bytes"], k["disk_total_bytes"]
    problems = set(k["problems"])
    return {
        "id": k["id"],
        "label": k["label"] or "",
        "store_id": k["store_id"],
        "store_name": k["store_name"],
        "state": k["state"],
        "state_text": t(f"state_{k['state']}"),
        "kind": STATE_KINDS[k["state"]],
        "problems": [_problem_text(t, name, k, newest) for name in k["problems"]],
        "last_seen": t.ago(k["silent_s"]),
        "last_seen_at": k["last_seen"] or "",
        "version": k["app_version"] or "–",
        "version_old": "version" in problems,
        "uptime": t.duration(k["uptime_s"]),
        "disk_free": t.bytes(free),
        "disk_share": t.pct(free * 100 / total) if free is not None and total else "",
        "disk_low": "disk" in problems,
        "database": t.bytes(k["database_bytes"]),
        "pending": t.number(k["pending"]),
        "pending_old": "pending" in problems,
        "rejected": t.number(k["rejected"]),
        "has_rejected": "rejected" in problems,
    }


def _problem_text(t: Translator, name: str, k: dict[str, Any], newest: str | None) -> str:
    """What one problem of a kiosk means, in words and its own figures."""
    values = {
        "timezone": {"config": k["config_timezone"], "store": k["store_timezone"]},
        "version": {"version": newest},
        "rejected": {"n": t.number(k["rejected"])},
        "clock": {"offset": t.duration(abs(k["clock_offset_s"] or 0))},
        "gaps": {"n": t.number(k["missing"])},
    }.get(name, {})
    return t(f"problem_{name}", **values)
