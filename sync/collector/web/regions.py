"""The dashboard's region page, and the region and touchpoint parts of other pages.

- ``GET /regions/{id}?from&to``: a region's figures (all its stores and
  sub-regions together, :mod:`sync.collector.regions`), its stores ranked as
  the office page ranks the chain, its sub-regions and its trend.  Office and
  admin users see every region; a user whose token is scoped to a region sees
  it and the regions below it (403 otherwise, 404 for no such region).
- :func:`region_links`: the office page's list of top-level regions.
- :func:`touchpoint_rows`: a store page's comparison of its touchpoints.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sync.collector import alerts, regions
from sync.collector.auth import storage_of
from sync.collector.db.regions import TOUCHPOINTS
from sync.collector.db.storage import Storage
from sync.collector.web.access import PageDenied, signed_in
from sync.collector.web.i18n import Translator
from sync.collector.web.render import Page
from sync.collector.web.views import (
    chain_today,
    comparison,
    day_rows,
    figure_view,
    nav_for,
    page_period,
    period_status,
    presets,
    ranking_rows,
    trend_svgs,
)

router = APIRouter(include_in_schema=False)


@router.get("/regions/{region_id}")
def region_page(request: Request, region_id: str, ctx: Page = Depends(signed_in)) -> Response:
    """A region: its figures, its stores ranked, its sub-regions and its trend."""
    assert ctx.user is not None
    if not ctx.user.can_read_region(region_id):
        raise PageDenied(ctx, 403)
    t, storage = ctx.t, storage_of(request)
    tree = storage.region_tree()
    if region_id not in tree.regions:
        raise PageDenied(ctx, 404)
    today = chain_today(storage)
    q = request.query_params
    start, end, notice = page_period(ctx, q.get("from"), q.get("to"), today)
    fig = regions.region_summary(storage, tree, region_id, start, end)
    base = regions.region_summary(storage, tree, region_id, *alerts.baseline_period(start))
    days = regions.region_daily(storage, tree, region_id, start, end)
    min_responses = request.app.state.settings.min_responses
    ranking = regions.region_ranking(storage, tree, region_id, start, end, min_responses)
    ranked, unranked = ranking_rows(t, ranking, start, end, fig["csat"])
    query = urlencode({"from": start, "to": end})
    crumbs = [{"name": tree.regions[r]["name"], "href": f"/regions/{r}?{query}"}
              for r in tree.path(region_id)[:-1] if ctx.user.can_read_region(r)]
    return ctx.render(
        "region.html",
        status=period_status(notice),
        title=tree.regions[region_id]["name"],
        region=tree.regions[region_id],
        crumbs=crumbs,
        active="region",
        nav_stores=nav_for(storage, ctx.user),
        notice=notice,
        start=start, end=end, today=today,
        period_text=f"{t.day(start)} – {t.day(end)}",
        presets=presets(ctx, f"/regions/{region_id}", start, end, today),
        fig=figure_view(t, fig),
        cmp=comparison(t, fig, base),
        stores_text=t("stores_n", n=fig["stores"]),
        ranked=ranked,
        unranked=unranked,
        min_responses=min_responses,
        subregions=[{**figure_view(t, sub), "href": f"/regions/{sub['id']}?{query}"}
                    for sub in regions.subregions(storage, tree, region_id, start, end)],
        trend=trend_svgs(t, days, None, t("trend"), reference=base["csat"],
                         reference_label=f"{t('baseline_28')}: {t.pct(base['csat'])}",
                         described_by="region-trend-data"),
        trend_days=day_rows(t, days),
        has_trend=any(day["responses"] for day in days),
    )


def region_links(storage: Storage, start: str, end: str) -> list[dict[str, Any]]:
    """The office page's links to the chain's top-level regions (none when it has none)."""
    query = urlencode({"from": start, "to": end})
    tree = storage.region_tree()
    return [{"id": region_id, "name": tree.regions[region_id]["name"],
             "href": f"/regions/{region_id}?{query}"}
            for region_id in tree.children.get(None, [])]


def touchpoint_name(t: Translator, touchpoint: str | None) -> str:
    """A touchpoint as a reader sees it: a known key in their language, free text as typed."""
    if touchpoint is None:
        return t("touchpoint_none")
    return t(f"tp_{touchpoint}") if touchpoint in TOUCHPOINTS else touchpoint


def touchpoint_rows(t: Translator, storage: Storage, store_id: str, start: str, end: str
                    ) -> list[dict[str, Any]]:
    """A store's touchpoints with their figures; empty unless some kiosk names one."""
    found = regions.touchpoints_report(storage, store_id, start, end)
    if all(entry["touchpoint"] is None for entry in found):
        return []
    return [{**figure_view(t, entry), "name": touchpoint_name(t, entry["touchpoint"])}
            for entry in found]
