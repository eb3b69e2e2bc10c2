"""What the staff screen shows: today's figures, worded in the kiosk's language.

Kept free of Kivy so it is tested without a display.  The headline is the
figure of the kind the kiosk asks (CSAT, the NPS score or the CES mean; the kind
today's answers have when the kiosk's has none), with its 95% interval, all from
:func:`sync.metrics.figure` over :meth:`kiosk.store.Store.day_counts`; nothing
here recomputes them.  Under :data:`sync.metrics.MIN_RESPONSES` responses (the
dashboard's rule, :func:`sync.metrics.too_few`) the headline is dimmed with its
interval and a note with the count, so one unhappy tap is no "0 %" headline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kiosk.i18n import text
from kiosk.store import Store
from sync import i18n
from sync.clock import local_date, parse_utc, utc_now
from sync.metrics import KINDS, MIN_RESPONSES, SHOWN_DECIMALS, Figure, figure, too_few
from sync.uploader.status import load_status

TOP_REASONS = 3


@dataclass
class Today:
    """The staff screen's figures, ready to put in labels."""

    date: str
    #: The headline: its kind (csat, nps, ces) and name, and its value, worded.
    kind: str
    kind_name: str
    value: str
    interval: str
    happy_index: str
    #: Today's counted responses of every kind.
    responses: int
    counts: list[tuple[int, int]]
    suppressed: int
    reasons: list[tuple[str, int]]
    last_sync: str
    pending: int
    rejected: int
    alert: str = ""
    #: ok, warn, danger or muted: the colour of ``alert``.
    alert_level: str = "muted"
    sync_status: dict[str, Any] = field(default_factory=dict)
    #: Fewer responses than a figure needs (:func:`sync.metrics.too_few`): the CSAT is
    #: shown dimmed with its wide interval, ``note`` says why, no Happy Index.
    too_few: bool = False
    note: str = ""
    #: Today's other kinds, when the survey changed during the day: "CSAT 60 %, n = 5".
    also: str = ""


def percent(value: float, lang: str) -> str:
    """``82 %`` in Finnish, Swedish and German, ``82%`` in English (Babel, as the dashboard)."""
    return i18n.percent(value, lang)


def when(stamp: str | None, store: Store, strings: dict[str, str], now: datetime) -> str:
    """A sync time in store-local time: ``14:05`` today, ``2026-01-14 14:05`` before."""
    if not stamp:
        return text(strings, "never")
    try:
        moment = parse_utc(stamp).astimezone(store.tz)
    except ValueError:
        return stamp
    if moment.date().isoformat() == local_date(now, store.tz):
        return moment.strftime("%H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def alert_for(status: dict[str, Any], store_error: str, sync_enabled: bool,
              strings: dict[str, str],
              mismatches: list[tuple[str, str, str]] = ()) -> tuple[str, str]:
    """The most important problem to show staff, with its colour level.

    ``mismatches`` are ``(key, config value, collector value)`` where the
    kiosk's config and the collector disagree (:meth:`Store.identity_mismatches`):
    a wrong store or kiosk id gets every rating rejected, a wrong time zone
    is only a warning (the kiosk dates taps in the collector's).
    """
    if store_error:
        if "full" in store_error.lower():
            return text(strings, "disk_full"), "danger"
        return store_error, "danger"
    if status.get("disk_full"):
        return text(strings, "disk_full"), "danger"
    if status.get("token_rejected"):
        return text(strings, "token_rejected"), "danger"
    if mismatches:
        named = ", ".join(f"{key} {ours} \u2260 {theirs}" for key, ours, theirs in mismatches)
        level = "warn" if all(key == "timezone" for key, *_ in mismatches) else "danger"
        return f"{text(strings, 'config_mismatch')}: {named}", level
    if status.get("last_error"):
        return f"{text(strings, 'sync_error')}: {status['last_error']}", "warn"
    if not sync_enabled:
        return text(strings, "offline"), "muted"
    if status.get("last_sync_at"):
        return text(strings, "sync_ok"), "ok"
    return "", "muted"


def today_figures(
    store: Store, strings: dict[str, str], lang: str, scale: int, *, kind: str = "csat",
    store_error: str = "", sync_enabled: bool = False, now: datetime | None = None,
) -> Today:
    """Today's (store-local) figures for the staff screen; ``kind``: the one the kiosk asks."""
    now = now or utc_now()
    day = local_date(now, store.tz)
    counts = store.day_counts(day)
    summary, reasons = store.day_summary(day)
    stats = store.stats()
    status = load_status(store).to_dict()
    found = {each: figure(each, counts) for each in KINDS}
    present = [each for each in KINDS if found[each].responses]
    shown = kind if kind in present or not present else present[0]
    head = found[shown]
    few = too_few(head.responses)
    value, interval = worded(head, strings, lang)
    happy = "" if few or shown != "csat" or summary.happy_index is None else (
        f"{text(strings, 'happy_index')}: {i18n.number(summary.happy_index, lang)}")
    alert, level = alert_for(status, store_error, sync_enabled, strings,
                             store.identity_mismatches())
    return Today(
        date=day,
        kind=shown,
        kind_name=text(strings, shown),
        value=value,
        interval=interval,
        happy_index=happy,
        responses=sum(fig.responses for fig in found.values()),
        # a count per face of a CSAT kiosk; an NPS or CES kiosk shows no faces to count
        counts=[(score, summary.counts.get(score, 0)) for score in range(1, scale + 1)]
        if kind == "csat" else [],
        suppressed=summary.suppressed,
        reasons=[(text(strings, f"reason_{key}"), n) for key, n in reasons[:TOP_REASONS]],
        last_sync=when(status.get("last_sync_at"), store, strings, now),
        pending=stats["pending"],
        rejected=stats["rejected"],
        alert=alert,
        alert_level=level,
        sync_status=status,
        too_few=few,
        note=few_note(head.responses, strings) if few else "",
        also="   \u00b7   ".join(
            f"{text(strings, each)} {worded(found[each], strings, lang)[0]}, "
            f"n = {found[each].responses}" for each in present if each != shown),
    )


def worded(fig: Figure, strings: dict[str, str], lang: str) -> tuple[str, str]:
    """A figure's value and its 95% interval as the staff screen writes them: CSAT
    ``60 %`` and ``23–88 %``, NPS ``−8`` and ``−45 – 31``, CES ``5,3`` and ``4,6 – 6,1``
    (as many decimals as the dashboard); a dash and "No responses yet" without any."""
    if fig.value is None or fig.ci_low is None or fig.ci_high is None:
        return "\u2013", text(strings, "no_responses")
    label = text(strings, "interval_95")
    if fig.kind == "csat":
        return (percent(fig.value, lang),
                f"{label}: {i18n.number(fig.ci_low, lang)}\u2013{percent(fig.ci_high, lang)}")
    decimals = SHOWN_DECIMALS[fig.kind]

    def number(value: float) -> str:
        return i18n.number(value, lang, decimals)

    return number(fig.value), f"{label}: {number(fig.ci_low)} \u2013 {number(fig.ci_high)}"


def few_note(responses: int, strings: dict[str, str]) -> str:
    """"1 response – too few for a figure (from 30)": why today's CSAT is dimmed."""
    key = "staff_too_few_1" if responses == 1 else "staff_too_few_n"
    return text(strings, key, n=responses, min=MIN_RESPONSES)
