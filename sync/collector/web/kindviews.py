"""The question kind a page shows (CSAT, NPS or CES): ``?kind=``, its selector, its refusal.

The office page, the whole ranking and a region page rank their stores by one
kind at a time; a reader picks it with :func:`kind_links` (plain links, so a
keyboard reaches each and the URL keeps the choice).  A ``kind`` that is not
one is the 422 page saying which kinds there are (:class:`BadKind`), never a
CSAT page that pretends it was asked for.  A store that asks NPS or CES and no
CSAT leads with those kinds' figures and daily charts instead (:func:`kind_leads`), and
a day page shows each kiosk's figures of the kinds its day had (:func:`day_kiosks`).
Not a route module, so every page module may use it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from sync.collector import reports
from sync.collector.db.storage import Storage
from sync.collector.reports import check_kind
from sync.collector.web.access import Refused
from sync.collector.web.i18n import Translator
from sync.collector.web.render import Page
from sync.collector.web.views import (
    KIND_SHOWN,
    figure_view,
    fold_quiet_days,
    kind_view,
    point_text,
    trend_svgs,
)
from sync.metrics import KINDS


class BadKind(Refused):
    """``?kind=`` named no question kind: the 422 page in the reader's language."""

    def __init__(self, ctx: Page, value: str, home: str) -> None:
        super().__init__(value)
        self.ctx, self.value, self.home = ctx, value, home

    def answer(self, request: Request) -> Response:
        t = self.ctx.t
        return self.ctx.render("error.html", status=422, title=t("bad_kind_title"),
                               message=t("bad_kind", kind=self.value[:40]), home=self.home)


def page_kind(ctx: Page, value: str | None, home: str) -> str:
    """The kind ``?kind=`` asks for (CSAT when absent or blank); :class:`BadKind` otherwise."""
    if not value:
        return "csat"
    try:
        return check_kind(value)
    except ValueError:
        raise BadKind(ctx, value, home) from None


def kind_links(path: str, params: dict[str, Any], current: str) -> list[dict[str, Any]]:
    """A link per kind to ``path`` with ``params`` (CSAT's without ``kind``: the page's
    own address), the one shown marked ``current``."""
    def href(kind: str) -> str:
        query = {**params, **({"kind": kind} if kind != "csat" else {})}
        return f"{path}?{urlencode(query)}"

    return [{"kind": kind, "label": KIND_SHOWN[kind][0], "href": href(kind),
             "current": kind == current} for kind in KINDS]


def asking(ranking: list[dict[str, Any]], kind: str) -> tuple[list[dict[str, Any]], int]:
    """A ranking's stores that have responses of ``kind``, and how many were left out.

    A CSAT ranking keeps every store (one without responses is "too few"); an
    NPS or CES ranking leaves out the stores that do not ask it, so a chain
    with NPS at six exits does not list 2 000 empty rows.
    """
    if kind == "csat":
        return ranking, 0
    kept = [row for row in ranking if row["responses"]]
    return kept, len(ranking) - len(kept)


def kind_leads(t: Translator, storage: Storage, store_id: str, kinds: list[str],
               days: tuple[str, str, str], floor: int) -> list[dict[str, Any]]:
    """A store page's lead sections for NPS or CES (a store that asks no CSAT): per kind,
    today's and the period's figure with its interval (dimmed under ``floor`` responses),
    and its daily chart and table.  ``days``: today, the period's first and last day.

    Each day with responses links to its day page, which shows the day's figure of the kind.
    """
    today, start, end = days

    def day_href(day: str) -> str:
        return f"/stores/{store_id}/days/{day}"

    leads = []
    for kind in kinds:
        daily = reports.daily_report(storage, store_id, start, end, kind=kind)
        leads.append({
            "kind": kind,
            "today": kind_view(t, reports.summary_report(storage, store_id, today, today,
                                                         kind), floor),
            "period": kind_view(t, reports.summary_report(storage, store_id, start, end,
                                                          kind), floor),
            "title": t("kind_trend", kind=KIND_SHOWN[kind][0]),
            "trend": trend_svgs(t, daily, day_href, t("kind_trend", kind=KIND_SHOWN[kind][0]),
                                kind=kind, described_by=f"days-{kind}", floor=floor),
            "has_trend": any(day["responses"] for day in daily),
            "days": fold_quiet_days(t, [{**kind_view(t, day), "href": day_href(day["date"]),
                                         "date_text": point_text(t, day["date"])}
                                        for day in reversed(daily)]),
        })
    return leads


def day_kiosks(t: Translator, storage: Storage, store_id: str, day: str, kinds: list[str]
               ) -> list[dict[str, Any]]:
    """A day page's kiosk tables, one per kind of ``kinds`` (CSAT as :func:`figure_view`,
    NPS and CES as :func:`kind_view`): the kiosks that had responses of that kind.

    A kiosk with no response at all that day is a row of the first table, so a silent
    kiosk still shows; a CSAT kiosk is no row of zeros in the NPS table, nor the other
    way round.  A table left without rows is left out.
    """
    scale = reports.faces(storage, store_id)
    counts = {kiosk["id"]: storage.daily_counts(store_id, day, day, kiosk["id"])
              for kiosk in storage.kiosks(store_id)}
    silent = {kiosk_id for kiosk_id, rows in counts.items()
              if not reports.kinds_present([row[1:] for row in rows])}
    tables = []
    for kind in kinds:
        view = figure_view if kind == "csat" else kind_view
        rows = [{"id": kiosk_id, **view(t, fig)} for kiosk_id, fig in (
            (kiosk_id, reports.kind_days(found, day, day, kind, scale)[0])
            for kiosk_id, found in counts.items())
            if fig["responses"] or (kiosk_id in silent and kind == kinds[0])]
        if rows:
            tables.append({"kind": kind, "kind_name": None if kind == "csat"
                           else KIND_SHOWN[kind][0], "rows": rows})
    return tables
