"""The digests: a store's day in one e-mail, and the chain's week for the office.

:func:`compose_daily` and :func:`compose_weekly` return a
:class:`~sync.collector.notify.mail.Mail` with ``to=""``; whoever sends it
fills the address (today :mod:`sync.collector.notify.schedule`, later the
delivery outbox).  Every figure comes from :mod:`sync.collector.reports` and
:mod:`sync.collector.alerts`, the functions behind the dashboard, so a digest
never states a CSAT the pages would not; its alerts are the alert log's rows
(:mod:`sync.collector.alertlog`), worded as the alert pages word them, so a
digest never reports an alert the alert system did not raise.

The HTML part is made for mail clients, not browsers: tables and inline
styles, bars drawn as table cells, no scripts, no images to fetch, no
stylesheet.  The plain-text part says the same.  Words come from the
``[digest]`` catalog section, laid over ``[dashboard]`` (so "95% CI" and
"pts" read as on the pages), with Babel's numbers and dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sync import i18n as catalogs
from sync.clock import format_utc, parse_utc, utc_now, zone
from sync.collector import alerts, reports
from sync.collector.db.storage import NotFound, Storage
from sync.collector.notify import links
from sync.collector.notify.mail import Mail
from sync.collector.settings import Settings
from sync.collector.web.i18n import NBSP, Translator
from sync.collector.web.render import jinja_environment
from sync.i18n import FACE_ART, face_label_key

#: Face colours, worst to best (the dashboard's), and the other colours of a digest.
FACE_COLOURS = {1: "#d32f2f", 2: "#f57c00", 3: "#f2b800", 4: "#7cb342", 5: "#2e7d32"}
COLOURS = {"accent": "#3b5bdb", "good": "#17713a", "bad": "#b42318", "muted": "#556070",
           "track": "#eef0f5", "border": "#e3e6ee", "bg": "#f5f6fa", "text": "#0f1729",
           "good_soft": "#e7f5ec", "bad_soft": "#fdecea", "soft": "#edf1ff"}
TOP_REASONS = 5
MOVERS = 3
#: Shoppers' comments a daily digest quotes at most.
COMMENTS = 5
#: Fewest responses ranked by the weekly digest (the ranking API's default).
MIN_RESPONSES = 30

_templates = jinja_environment("sync.collector.notify")


class Words(Translator):
    """A recipient's words: the ``[digest]`` strings over the dashboard's, same formats."""

    def __init__(self, lang: str) -> None:
        super().__init__(lang)
        self.strings = {**self.strings, **catalogs.with_fallback(self.lang, "digest")}


@dataclass(frozen=True)
class Bar:
    """One row of a bar table: its words, its number, and how full its bar is (0-100)."""

    label: str
    value: str
    share: str
    fill: float
    colour: str


def compose_daily(storage: Storage, store_id: str, day: str, lang: str,
                  rules: alerts.Rules | None = None, base_url: str | None = None) -> Mail:
    """One store's ``day`` (a store-local date) as a mail in ``lang``: figures,
    faces, reasons, silent kiosks and the day's alerts, each linked to its page
    under ``base_url`` (where people open the dashboard, :func:`links.base_url`)."""
    store = storage.store(store_id)
    if store is None:
        raise NotFound(f"no store {store_id!r}")
    w, rules = Words(lang), rules or alerts.Rules()
    fig = reports.summary_report(storage, store_id, day, day)
    base = reports.summary_report(storage, store_id, *alerts.baseline_period(
        day, rules.baseline_days))
    title = w("daily_subject" if fig["responses"] else "daily_subject_none",
              store=store["name"], day=w.day(day, weekday=True, year=False),
              csat=w.pct(fig["csat"]), range=w.pct_range(fig["ci_low"], fig["ci_high"]))
    context = {
        "w": w, "c": COLOURS, "title": title,
        "heading": w("daily_heading"), "lead": f"{store['name']} · {w.day(day, weekday=True)}",
        "kpi": kpi(w, fig, base, w("vs_baseline", value=w.pct(base["csat"]))),
        "faces": face_bars(w, fig["counts"], reports.faces(storage, store_id)),
        "reasons": reason_bars(w, reports.reasons_report(storage, store_id, day, day, w.lang)),
        "silent": silent_rows(w, storage, [store_id], rules),
        "alerts": day_alerts(w, storage, store_id, day, rules, base_url or default_base()),
        "comments": day_comments(w, storage, store_id, day, store["timezone"]),
        "footer": w("daily_footer", store=store["name"]),
    }
    return render("daily", title, context)


def day_comments(w: Words, storage: Storage, store_id: str, day: str,
                 timezone: str) -> list[str]:
    """The first :data:`COMMENTS` shoppers' comments of the store-local ``day``, masked as
    stored, one line each (the store page's words: face, flag, local time)."""
    from sync.collector.web.commentviews import comment_lines

    tz = zone(timezone)
    start = datetime.combine(date.fromisoformat(day), time(0), tz)
    end = datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(0), tz)
    rows = storage.comments_between(store_id, format_utc(start), format_utc(end), COMMENTS)
    return comment_lines(w, rows, tz)


def compose_weekly(storage: Storage, week_start: str, lang: str,
                   min_responses: int = MIN_RESPONSES, rules: alerts.Rules | None = None,
                   base_url: str | None = None) -> Mail:
    """The chain's week from Monday ``week_start``: chain figures, stores ranked by
    the Wilson lower bound, the biggest movers against the week before, the alert log's
    alerts of the week (each store's local days, linked under ``base_url`` as the daily
    digest's), silent kiosks."""
    monday = date.fromisoformat(week_start)
    if monday.weekday() != 0:
        raise ValueError(f"a week starts on a Monday; {week_start} is not one")
    w, rules = Words(lang), rules or alerts.Rules()
    start, end = week_start, (monday + timedelta(days=6)).isoformat()
    before = ((monday - timedelta(days=7)).isoformat(), (monday - timedelta(days=1)).isoformat())
    chain = reports.chain_summary_report(storage, start, end)
    last_week = reports.chain_summary_report(storage, *before)
    ranking = reports.ranking_report(storage, start, end, min_responses, "ci_low")
    earlier = {row["store_id"]: row for row in
               reports.ranking_report(storage, *before, min_responses, "ci_low")}
    week = monday.isocalendar().week
    period = f"{w.day(start, year=False)} – {w.day(end)}"
    title = w("weekly_subject", week=week, period=period, csat=w.pct(chain["csat"]),
              range=w.pct_range(chain["ci_low"], chain["ci_high"]))
    context = {
        "w": w, "c": COLOURS, "title": title,
        "heading": w("weekly_heading"), "lead": w("weekly_lead", week=week, period=period),
        "kpi": kpi(w, chain, last_week, w("vs_last_week", value=w.pct(last_week["csat"]))),
        "days": day_bars(w, reports.chain_daily_report(storage, start, end)),
        "ranking": ranking_rows(w, ranking, earlier),
        "ranking_note": w("ranking_rule", n=w.number(min_responses)),
        "movers": movers(w, ranking, earlier, min_responses),
        "alerts": logged_alerts(w, storage, [s["id"] for s in storage.stores()], (start, end),
                                rules, base_url or default_base(), names=True),
        "silent": silent_rows(w, storage, [s["id"] for s in storage.stores(active=True)],
                              rules, names=True),
        "footer": w("weekly_footer"),
    }
    return render("weekly", title, context)


def default_base() -> str:
    """The dashboard's address of a collector with default settings, for links in a
    digest composed without any (as ``hymy-collector serve`` would listen)."""
    return links.base_url(Settings())


def render(kind: str, subject: str, context: dict[str, Any]) -> Mail:
    """Both parts of a digest from its two templates."""
    html = _templates.get_template(f"digest_{kind}.html").render(**context)
    text = _templates.get_template(f"digest_{kind}.txt").render(**context)
    # Plain spaces in the subject: Python's header folding drops a space that
    # ends an encoded word ("82 %(78" for "82 % (78"); the body keeps its NBSPs.
    return Mail(to="", subject=subject.replace(NBSP, " "), text=text.strip() + "\n", html=html)


# -- pieces ----------------------------------------------------------------------

def kpi(w: Words, fig: dict[str, Any], base: dict[str, Any], against: str) -> dict[str, Any]:
    """The headline: CSAT, its interval, responses, and the difference to ``base``.

    The difference is called out (up or down) only when the interval leaves
    ``base`` outside, the dashboard's rule (``views.comparison``).
    """
    direction, diff = "", None
    if fig["csat"] is not None and base["csat"] is not None:
        diff = w.points_between(fig["csat"], base["csat"])
        if fig["ci_high"] < base["csat"]:
            direction = "down"
        elif fig["ci_low"] > base["csat"]:
            direction = "up"
    return {
        "csat": w.pct(fig["csat"]), "ci": w.ci(fig["ci_low"], fig["ci_high"]),
        "responses": w.responses(fig["responses"]) if fig["responses"] else w("no_responses"),
        "index": w.index(fig["happy_index"]), "diff": diff, "against": against,
        "verdict": w(f"verdict_{direction or 'same'}") if diff else "", "direction": direction,
    }


def face_bars(w: Words, counts: dict[str, int], scale: int) -> list[Bar]:
    """One bar per face, best first, coloured like the faces."""
    scale = scale if scale in FACE_ART else 5
    total = sum(counts.values())
    top = max(counts.values(), default=0)
    bars = []
    for score in range(scale, 0, -1):
        n = counts.get(str(score), 0)
        bars.append(Bar(w(face_label_key(score, scale)), w.number(n),
                        w.pct(n * 100 / total if total else None),
                        n * 100 / top if top else 0, FACE_COLOURS[FACE_ART[scale][score - 1]]))
    return bars


def reason_bars(w: Words, found: dict[str, Any]) -> list[Bar]:
    """The most given follow-up reasons: count and share of all reasons given."""
    reasons = found["reasons"][:TOP_REASONS]
    top = max((r["responses"] for r in reasons), default=0)
    return [Bar(r["label"], w.number(r["responses"]), w.pct(r["share"]),
                r["responses"] * 100 / top if top else 0, COLOURS["accent"]) for r in reasons]


def day_bars(w: Words, days: list[dict[str, Any]]) -> list[Bar]:
    """The week day by day: CSAT as the bar, its interval and responses as the words."""
    return [Bar(w.day(row["date"], weekday=True, year=False), w.pct(row["csat"]),
                w.responses(row["responses"]) if row["responses"] else w("no_responses"),
                row["csat"] or 0, COLOURS["accent"]) for row in days]


def silent_rows(w: Words, storage: Storage, store_ids: list[str], rules: alerts.Rules,
                names: bool = False) -> list[str]:
    """Kiosks silent now for more than the rule's opening hours (alerts rule 1), in words."""
    now, rows = utc_now(), []
    for store_id in store_ids:
        for alert in _silent(storage, store_id, rules, now):
            store = storage.store(store_id) or {"name": store_id}
            rows.append(w("silent_row_store" if names else "silent_row", store=store["name"],
                          kiosk=alert.data["kiosk_id"], when=w.ago(alert.data["silent_s"])))
    return rows


@dataclass(frozen=True)
class AlertLine:
    """One alert of the alert log in a digest: its line of words and its page's address."""

    text: str
    href: str


def day_alerts(w: Words, storage: Storage, store_id: str, day: str, rules: alerts.Rules,
               base: str) -> list[AlertLine]:
    """The alerts the alert log kept for the store that were open at some time in its
    local ``day`` (opened that day, or before and closed that day or not yet), oldest
    first.  No rule runs here: the digest reports what the alert system raised, titled
    as the alert pages title it (``views.alert_views``), with the local time it opened,
    its state now and the address of its page."""
    return logged_alerts(w, storage, [store_id], (day, day), rules, base)


def logged_alerts(w: Words, storage: Storage, store_ids: list[str], days: tuple[str, str],
                  rules: alerts.Rules, base: str, names: bool = False) -> list[AlertLine]:
    """The alert log's alerts of ``store_ids`` open at some time in the local ``days``
    (first, last), each store's days on its own clock, oldest first, as the daily digest
    lists them; ``names``: each line starts with its store's name (the weekly digest,
    whose alerts are the whole chain's).  One query per time zone, not per store."""
    from sync.collector.web.views import alert_views, local_days

    start, end = days
    by_zone: dict[str, list[str]] = {}
    for store_id in store_ids:
        by_zone.setdefault(storage.zone(store_id).key, []).append(store_id)
    stored = sorted((row for key, ids in by_zone.items()
                     for row in storage.alert_history(*local_days(start, end, zone(key)),
                                                      tuple(ids))),
                    key=lambda row: (row["opened_at"], row["id"]))
    views = alert_views(w, stored, storage, start, end, rules)
    lines = []
    for row, view in zip(stored, views, strict=True):
        words = {"time": opened_when(w, row["opened_at"], days, storage.zone(row["store_id"])),
                 "title": view["title"], "state": alert_state(w, row)}
        text = w("week_alert_row", store=row["store_name"], **words) if names else w(
            "day_alert_row", **words)
        lines.append(AlertLine(text, base + view["page"]))
    return lines


def opened_when(w: Words, opened_at: str, days: tuple[str, str], tz: tzinfo) -> str:
    """When an alert opened, on the store's clock: the time alone in a one-day digest on
    its day, with its date for one still open from a day before and in a week's."""
    moment = parse_utc(opened_at).astimezone(tz)
    if days == (moment.date().isoformat(),) * 2:
        return w.time(moment)
    return f"{w.day(moment.date(), year=False)} {w.time(moment)}"


def alert_state(w: Words, row: dict[str, Any]) -> str:
    """An alert's state now in words: open, closed, or acknowledged by whom (a closed
    alert someone acknowledged says both)."""
    from sync.collector.web.alertpages import acknowledger

    who = acknowledger(w, row["acknowledged_by"]) if row["acknowledged_by"] else ""
    text = w(f"day_alert_{row['state']}", who=who)
    if row["state"] == "closed" and who:
        text += ", " + w("day_alert_acknowledged", who=who)
    return text


def ranking_rows(w: Words, ranking: list[dict[str, Any]],
                 earlier: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Ranked stores then the unranked, each with its CSAT, interval and change."""
    rows = []
    for row in ranking:
        before = earlier.get(row["store_id"], {}).get("csat")
        change = w.points_between(row["csat"], before) if None not in (row["csat"], before) else "–"
        rows.append({"rank": row["rank"] or "–", "name": row["name"],
                     "csat": w.pct(row["csat"]),
                     "range": w.pct_range(row["ci_low"], row["ci_high"]),
                     "responses": w.number(row["responses"]), "change": change,
                     "ranked": row["rank"] is not None})
    return rows


def movers(w: Words, ranking: list[dict[str, Any]], earlier: dict[str, dict[str, Any]],
           min_responses: int) -> list[dict[str, Any]]:
    """The stores whose CSAT moved most since the week before (both weeks with enough
    responses), largest change first; ``beyond`` chance when the intervals do not overlap."""
    moved = []
    for row in ranking:
        before = earlier.get(row["store_id"])
        if not before or min(row["responses"], before["responses"]) < max(min_responses, 1):
            continue
        change = row["csat"] - before["csat"]
        clear = row["ci_low"] > before["ci_high"] or row["ci_high"] < before["ci_low"]
        moved.append((abs(change), row, change, clear, before))
    moved.sort(key=lambda item: (-item[0], item[1]["store_id"]))
    return [{"name": row["name"], "change": w.points_between(row["csat"], before["csat"]),
             "up": change > 0, "beyond": clear,
             "text": w("mover_text", before=w.pct(before["csat"]), after=w.pct(row["csat"]))}
            for _, row, change, clear, before in moved[:MOVERS]]


def _silent(storage: Storage, store_id: str, rules: alerts.Rules,
            now: datetime) -> list[alerts.Alert]:
    """The store's silent kiosks, by its own opening hours and thresholds when it has them."""
    own = storage.alerting(store_id)
    return alerts.silent_alerts(storage, store_id, own, alerts.for_store(rules, own), now)
