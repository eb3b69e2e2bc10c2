"""Honest rankings at small n: ``GET /office/funnel?from&to`` (office and admin).

A funnel plot puts each store's CSAT against its number of responses, with
95% and 99.8% limits around the chain's CSAT (:func:`sync.metrics.funnel_limits`):
a store outside the outer funnel differs from the chain by more than chance,
while a small store far from the line is usually luck.  Below it, the same
stores ranked by their CSAT shrunk towards the chain (:func:`sync.metrics.shrink`,
empirical Bayes), so a store with 4 of 4 satisfied is neither top nor bottom.
Every drawn figure is also in a table (the chart's ``aria-describedby``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sync.collector.auth import storage_of
from sync.collector.regions import OfficeScope
from sync.collector.web.access import office_reader_page
from sync.collector.web.charts import Frame, FunnelDot, funnel
from sync.collector.web.i18n import Translator
from sync.collector.web.render import Page, svg
from sync.collector.web.views import chain_today, page_period, period_page
from sync.metrics import Z95, Z998, beta_prior, funnel_limits, shrink

router = APIRouter(include_in_schema=False)


def limits_pct(p0: float, n: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """The 95% and 99.8% funnel limits around ``p0`` at ``n`` responses, in percent."""
    inner, outer = funnel_limits(p0, n, Z95), funnel_limits(p0, n, Z998)
    return (inner[0] * 100, inner[1] * 100), (outer[0] * 100, outer[1] * 100)


def store_href(store: dict[str, Any], query: str) -> str:
    """The store's page over the same period (``query``: its ``from`` and ``to``)."""
    return f"/stores/{quote(store['store_id'])}?{query}"


def funnel_rows(t: Translator, stores: list[dict[str, Any]], p0: float, query: str
                ) -> list[dict[str, Any]]:
    """One row per store with responses: its figures, its limits and whether it is outside."""
    rows = []
    for store in stores:
        inner, outer = limits_pct(p0, store["responses"])
        rows.append({
            "store_id": store["store_id"], "name": store["name"],
            "responses": store["responses"], "csat": store["csat"],
            "href": store_href(store, query),
            "outside": not outer[0] <= store["csat"] <= outer[1],
            "responses_text": t.number(store["responses"]), "csat_text": t.pct(store["csat"]),
            "inner_text": t.pct_range(*inner), "outer_text": t.pct_range(*outer),
        })
    return rows


def shrunk_rows(t: Translator, stores: list[dict[str, Any]], query: str
                ) -> list[dict[str, Any]]:
    """The stores ranked by CSAT shrunk towards the chain (ties: more responses first),
    each linking to its page over the same period (``query``)."""
    prior = beta_prior([(s["satisfied"], s["responses"]) for s in stores])
    rows = []
    for store in stores:
        pulled = shrink(store["satisfied"], store["responses"], prior)
        rows.append({**store, "href": store_href(store, query),
                     "shrunk": pulled.value, "shrunk_text": t.pct(pulled.value, 1),
                     "interval_text": t.pct_range(pulled.low, pulled.high)})
    rows.sort(key=lambda r: (-r["shrunk"], -r["responses"], r["store_id"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def dot_label(t: Translator, row: dict[str, Any]) -> str:
    """A dot's tooltip and link name: the store, its CSAT and responses, and whether it
    lies outside the outer limits."""
    label = t("funnel_dot", store=row["name"], csat=row["csat_text"], n=row["responses_text"])
    return f"{label} ({t('funnel_outside')})" if row["outside"] else label


def funnel_svg(t: Translator, rows: list[dict[str, Any]], p0: float) -> str:
    """The funnel plot of ``rows`` around the chain's share ``p0``, twice: wide for a
    desktop, narrow for a phone (drawn at its size, so its axis labels stay readable)."""
    dots = [FunnelDot(r["responses"], r["csat"], dot_label(t, r), r["href"], r["outside"],
                      r["name"]) for r in rows]
    wide = Frame(t("funnel_chart_label", n=t.number(len(rows))), height=320,
                 css_class="chart chart-wide", described_by="funnel-data")
    narrow = replace(wide, width=360, height=280, css_class="chart chart-narrow")
    return "".join(funnel(dots, p0 * 100, lambda n: limits_pct(p0, n), frame,
                          x_label=lambda v: t.number(v), y_label=lambda v: t.pct(v))
                   for frame in (wide, narrow))


@router.get("/office/funnel")
def funnel_page(request: Request, ctx: Page = Depends(office_reader_page)) -> Response:
    """The chain's funnel plot and shrunk ranking over a period (an office user scoped to
    regions: their stores, against their stores' CSAT together)."""
    assert ctx.user is not None
    t, storage, scope = ctx.t, storage_of(request), OfficeScope.of(ctx.user)
    today = chain_today(storage)
    q = request.query_params
    start, end, notice = page_period(ctx, q.get("from"), q.get("to"), today)
    query = urlencode({"from": start, "to": end})
    min_responses = request.app.state.settings.min_responses
    stores = [s for s in scope.ranking(storage, start, end, min_responses) if s["responses"]]
    chain = scope.summary(storage, start, end)
    p0 = (chain["csat"] or 0.0) / 100
    rows = funnel_rows(t, stores, p0, query)
    return ctx.render(
        "funnel.html",
        title=t("funnel_title"),
        active="office",
        **period_page(ctx, "/office/funnel", start, end, today, notice),
        chain_text=t.pct(chain["csat"]),
        rows=rows,
        chart=svg(funnel_svg(t, rows, p0)) if rows else "",
        shrunk=shrunk_rows(t, stores, query),
        office_href=f"/office?{query}",
    )
