"""The whole store ranking, a page at a time, with a search: ``GET /office/ranking``.

At a chain's size the office page shows only the best and worst stores
(:func:`~sync.collector.web.views.office_ranking`); this page lists every
store of the period in ranking order, :data:`~sync.collector.web.views.RANKING_PAGE`
a page, and finds stores by a part of their name or id.  Ranks stay the
chain's ranks whatever the search, and the interval strips share one axis
across pages.  ``?from&to&q&page``; a page number that is none or past the
last page shows the first page with a notice (status 400, like a bad period).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sync.collector.auth import storage_of
from sync.collector.regions import OfficeScope
from sync.collector.web.access import office_reader_page
from sync.collector.web.kindviews import asking, kind_links, page_kind
from sync.collector.web.render import Page
from sync.collector.web.views import (
    KIND_SHOWN,
    RANKING_PAGE,
    chain_today,
    page_period,
    period_page,
    ranking_rows,
)

router = APIRouter(include_in_schema=False)


def matching(ranking: list[dict[str, Any]], search: str) -> list[dict[str, Any]]:
    """The stores whose name or id holds ``search`` (any case); all when it is blank."""
    needle = search.casefold()
    if not needle:
        return ranking
    return [row for row in ranking
            if needle in row["name"].casefold() or needle in row["store_id"].casefold()]


def page_number(value: str | None, pages: int) -> int | None:
    """``value`` as a page number from 1 to ``pages``; None when it is not one (1 when absent)."""
    if value is None or value == "":
        return 1
    if not value.isdigit() or not 1 <= int(value) <= pages:
        return None
    return int(value)


@router.get("/office/ranking")
def ranking_page(request: Request, ctx: Page = Depends(office_reader_page)) -> Response:
    """Every store of the period in ranking order, a page at a time, or those a search finds
    (an office user scoped to regions: their stores)."""
    assert ctx.user is not None
    t, storage, scope = ctx.t, storage_of(request), OfficeScope.of(ctx.user)
    today = chain_today(storage)
    q = request.query_params
    kind = page_kind(ctx, q.get("kind"), "/office/ranking")
    start, end, notice = page_period(ctx, q.get("from"), q.get("to"), today)
    search = q.get("q", "").strip()[:100]
    min_responses = request.app.state.settings.min_responses
    ranking, left_out = asking(scope.ranking(storage, start, end, min_responses, kind), kind)
    chain = scope.summary(storage, start, end, kind)
    found = matching(ranking, search)
    pages = max(1, math.ceil(len(found) / RANKING_PAGE))
    number = page_number(q.get("page"), pages)
    if number is None:
        notice = notice or ("error", t("bad_page", page=q.get("page", "")[:20]))
        number = 1
    shown = found[(number - 1) * RANKING_PAGE:number * RANKING_PAGE]
    ranked, unranked = ranking_rows(t, ranking, start, end,
                                    chain["csat" if kind == "csat" else "value"], shown=shown)
    asked = {"from": start, "to": end, **({"kind": kind} if kind != "csat" else {})}

    def href(page: int) -> str:
        params = {**asked, **({"q": search} if search else {}), "page": page}
        return f"/office/ranking?{urlencode(params)}"

    return ctx.render(
        "ranking.html",
        title=t("ranking"),
        active="office",
        **period_page(ctx, "/office/ranking", start, end, today, notice),
        stores_text=t.plural("stores", len(ranking) + left_out),
        kind=kind,
        kind_name=KIND_SHOWN[kind][0],
        kinds=kind_links("/office/ranking",
                         {"from": start, "to": end, **({"q": search} if search else {})}, kind),
        left_out=t("kind_left_out", stores=t.plural("stores", left_out),
                   kind=KIND_SHOWN[kind][0]) if left_out else "",
        search=search,
        found=len(found),
        total=len(ranking),
        ranked=ranked,
        unranked=unranked,
        min_responses=min_responses,
        page=number,
        pages=pages,
        previous=href(number - 1) if number > 1 else None,
        following=href(number + 1) if number < pages else None,
        office_href=f"/office?{urlencode(asked)}",
    )
