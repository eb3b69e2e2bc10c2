"""The dashboard's region page, and the region and touchpoint parts of other pages.

- ``GET /regions/{id}?from&to&kind``: a region's figures (all its stores and
  sub-regions together, :mod:`sync.collector.regions`), an NPS and a CES card
  when its stores ask those, its stores ranked as the office page ranks the
  chain and its sub-regions, both by the kind picked (CSAT by default), and
  its trend.  Office and
  admin users see every region; a user whose token is scoped to a region sees
  it and the regions below it (403 otherwise, 404 for no such region).

The office page's region links and a store page's touchpoints are drawn by
:mod:`~sync.collector.web.regionviews` (route modules never import each other).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sync.collector import alerts, regions
from sync.collector.auth import storage_of
from sync.collector.web.access import PageDenied, signed_in
from sync.collector.web.kindviews import asking, kind_links, page_kind
from sync.collector.web.render import Page
from sync.collector.web.views import (
    KIND_SHOWN,
    chain_today,
    comparison,
    day_rows,
    figure_view,
    fold_quiet_days,
    kind_view,
    nav_for,
    page_period,
    period_page,
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
    kind = page_kind(ctx, q.get("kind"), f"/regions/{region_id}")
    start, end, notice = page_period(ctx, q.get("from"), q.get("to"), today)
    fig = regions.region_summary(storage, tree, region_id, start, end)
    base = regions.region_summary(storage, tree, region_id, *alerts.baseline_period(start))
    days = regions.region_daily(storage, tree, region_id, start, end)
    min_responses = request.app.state.settings.min_responses
    ranking, left_out = asking(regions.region_ranking(storage, tree, region_id, start, end,
                                                      min_responses, kind), kind)
    reference = regions.region_summary(storage, tree, region_id, start, end, kind)
    ranked, unranked = ranking_rows(t, ranking, start, end,
                                    reference["csat" if kind == "csat" else "value"])
    query = urlencode({"from": start, "to": end})
    shown = figure_view if kind == "csat" else kind_view
    crumbs = [{"name": tree.regions[r]["name"], "href": f"/regions/{r}?{query}"}
              for r in tree.path(region_id)[:-1] if ctx.user.can_read_region(r)]
    return ctx.render(
        "region.html",
        **period_page(ctx, f"/regions/{region_id}", start, end, today, notice),
        title=tree.regions[region_id]["name"],
        region=tree.regions[region_id],
        crumbs=crumbs,
        active="region",
        nav_stores=nav_for(storage, ctx.user),
        fig=figure_view(t, fig, min_responses),
        cmp=comparison(t, fig, base, min_responses),
        stores_text=t.plural("stores", fig["stores"]),
        kinds_figs=[kind_view(t, found, min_responses) for found in
                    regions.region_kinds(storage, tree, region_id, start, end)],
        kind=kind,
        kind_name=KIND_SHOWN[kind][0],
        kinds=kind_links(f"/regions/{region_id}", {"from": start, "to": end}, kind),
        left_out=t("kind_left_out", stores=t.plural("stores", left_out),
                   kind=KIND_SHOWN[kind][0]) if left_out else "",
        ranked=ranked,
        unranked=unranked,
        min_responses=min_responses,
        subregions=[{**shown(t, sub), "href": f"/regions/{sub['id']}?{query}"
                     + (f"&kind={kind}" if kind != "csat" else "")}
                    for sub in regions.subregions(storage, tree, region_id, start, end, kind)],
        trend=trend_svgs(t, days, None, t("trend"), reference=base["csat"],
                         reference_label=f"{t('baseline_28')}: {t.pct(base['csat'])}",
                         described_by="region-trend-data", floor=min_responses),
        trend_days=fold_quiet_days(t, day_rows(t, days)),
        has_trend=any(day["responses"] for day in days),
    )
