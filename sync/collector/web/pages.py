"""The dashboard's pages: a store, one of its days, and the office's view of the chain.

- ``GET /stores/{id}?from&to``: the store page (staff's home): today, the
  period's trend, faces, heat map, reasons, kiosks and a daily table (a store
  that asks only NPS or CES leads with those kinds instead of empty CSAT sections).
- ``GET /stores/{id}/days/{date}``: one store-local day, hour by hour and
  kiosk by kiosk, each question kind it had (a date that is none, or outside ``views.FIRST_DAY`` ..
  ``views.LAST_DAY``, is the 404 page).
- ``POST /stores/{id}/manage``: admins rename, re-zone, retire or restore
  the store from its page (CSRF-checked), then see the page again.
- ``GET /office?from&to``: ranking with intervals (a chain's best and worst,
  the whole list in :mod:`~sync.collector.web.ranking`), chain trend, alerts
  and the XLSX and CSV downloads (:mod:`~sync.collector.web.downloads`).

Who may see a page is decided by the dependencies of
:mod:`~sync.collector.web.access`; the figures come from
:mod:`sync.collector.reports` and are formatted by
:mod:`~sync.collector.web.views`.  A route here only gathers and renders.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from sync.collector import alertlog, alerts, reports
from sync.collector.auth import storage_of
from sync.collector.reads import reads_of
from sync.collector.regions import OfficeScope
from sync.collector.web.access import PageDenied, StorePage, office_reader_page, store_reader
from sync.collector.web.commentviews import recent_for_page
from sync.collector.web.kindviews import asking, day_kiosks, kind_leads, kind_links, page_kind
from sync.collector.web.regionviews import kiosk_contacts, region_links, touchpoint_rows
from sync.collector.web.render import Page, csrf_refused, redirect
from sync.collector.web.session import signed_form
from sync.collector.web.views import (
    FIRST_DAY,
    KIND_SHOWN,
    LAST_DAY,
    OTHER_COLOUR,
    SATISFIED_COLOUR,
    alert_rules,
    alert_views,
    chain_today,
    comparison,
    day_rows,
    face_rows,
    figure_view,
    fold_quiet_days,
    heatmap_svg,
    hourly_svgs,
    kind_view,
    kiosk_rows,
    nav_for,
    office_ranking,
    page_period,
    period_page,
    reason_rows,
    rule_texts,
    trend_svgs,
)

router = APIRouter(include_in_schema=False)


# -- store page ---------------------------------------------------------------

@router.get("/stores/{store_id}")
def store_page(
    request: Request, store_id: str, shown: StorePage = Depends(store_reader)
) -> Response:
    """A store's numbers: today, the period's trend, faces, heat map, reasons, kiosks."""
    ctx, store = shown.ctx, shown.store
    t, storage = ctx.t, reads_of(request)
    today = reports.store_today(storage, store_id).isoformat()
    q = request.query_params
    start, end, notice = page_period(ctx, q.get("from"), q.get("to"), today)
    scale = reports.faces(storage, store_id)

    today_fig = reports.summary_report(storage, store_id, today, today)
    today_base = reports.summary_report(storage, store_id, *alerts.baseline_period(today))
    period_fig = reports.summary_report(storage, store_id, start, end)
    period_base = reports.summary_report(storage, store_id, *alerts.baseline_period(start))
    days = reports.daily_report(storage, store_id, start, end)
    cells = reports.heatmap_report(storage, store_id, start, end)
    found_reasons = reports.reasons_report(storage, store_id, start, end, t.lang)
    kiosks = reports.kiosks_report(storage, store_id)
    other_kinds = reports.other_kinds_report(storage, store_id, start, end)
    kinds = reports.asked_kinds(storage, store_id, start, end)
    show_csat = "csat" in kinds

    floor = request.app.state.settings.min_responses
    trend = trend_svgs(
        t, days, lambda d: f"/stores/{store_id}/days/{d}", t("trend"),
        reference=period_base["csat"],
        reference_label=f"{t('baseline_28')}: {t.pct(period_base['csat'])}",
        described_by="days-table", floor=floor,
    )
    with_responses = [d for d in days if d["responses"]]
    leads = [] if show_csat else kind_leads(t, storage, store_id, kinds, (today, start, end),
                                            floor)
    volume, counted_days = period_fig["responses"], len(with_responses)
    if leads:  # the responses of the kinds it asks, on the days that had any
        volume = sum(lead["period"]["responses"] for lead in leads)
        counted_days = len({d["date"] for lead in leads for d in lead["days"] if d["responses"]})
    else:  # CSAT's and the other kinds' beside it: every response, as a day page counts them
        volume += sum(fig["responses"] for fig in other_kinds)
    return ctx.render(
        "store.html",
        **period_page(ctx, f"/stores/{store_id}", start, end, today, notice),
        title=store["name"],
        store=store,
        active=store_id,
        nav_stores=nav_for(storage, ctx.user),
        today_fig=figure_view(t, today_fig, floor),
        today_cmp=comparison(t, today_fig, today_base, floor),
        period_fig=figure_view(t, period_fig, floor),
        period_cmp=comparison(t, period_fig, period_base, floor),
        other_kinds=[kind_view(t, fig, floor) for fig in other_kinds] if show_csat else [],
        show_csat=show_csat,
        leads=leads,
        volume=volume,
        per_day=t.number(volume / max(counted_days, 1)),
        suppressed_text=t("suppressed_n", n=t.number(period_fig["suppressed"]))
        if period_fig["suppressed"] else "",
        trend=trend,
        has_trend=bool(with_responses),
        faces=face_rows(t, period_fig["counts"], scale),
        heatmap=heatmap_svg(t, cells),
        reasons=reason_rows(t, found_reasons),
        kiosks=kiosk_rows(t, kiosks),
        empty=None if volume else {  # no figures to draw: say why instead of empty charts
            "new": not any(k["last_rating_at"] for k in kiosks),
            "kiosks": kiosk_contacts(t, kiosks)},
        touchpoints=touchpoint_rows(t, storage, store_id, start, end),
        days=fold_quiet_days(t, day_rows(t, days, lambda d: f"/stores/{store_id}/days/{d}")),
        open_days=len(days) <= 31,
        comments=recent_for_page(t, storage, store_id, store["timezone"]),
    )


@router.post("/stores/{store_id}/manage")
def manage_store(
    request: Request,
    store_id: str,
    action: str = Form(""),
    value: str = Form(""),
    csrf: str = Form(""),
    shown: StorePage = Depends(store_reader),
) -> Response:
    """Admins: rename, re-zone, retire or restore the store, then back to its page.

    The same storage calls as ``PATCH /api/v1/stores/{id}``; a refused change
    (a blank name, an unknown zone) is a 422 page saying why.
    """
    ctx = shown.ctx
    assert ctx.user is not None
    if ctx.user.role != "admin":
        raise PageDenied(ctx, 403)
    if not signed_form(request, csrf):
        return csrf_refused(ctx, f"/stores/{store_id}")
    storage = storage_of(request)
    actions = {
        "rename": lambda: storage.rename_store(store_id, value),
        "timezone": lambda: storage.set_timezone(store_id, value.strip()),
        "retire": lambda: storage.retire_store(store_id),
        "restore": lambda: storage.retire_store(store_id, retired=False),
    }
    try:
        if action not in actions:
            raise ValueError(f"unknown action {action!r}")
        actions[action]()
    except ValueError as error:
        return ctx.render("error.html", status=422, title=ctx.t("change_refused"),
                          message=str(error), home=f"/stores/{store_id}")
    return ctx.finish(redirect(f"/stores/{store_id}"))


# -- day page -----------------------------------------------------------------

@router.get("/stores/{store_id}/days/{day}")
def day_page(
    request: Request, store_id: str, day: str, shown: StorePage = Depends(store_reader)
) -> Response:
    """One store-local day: hour by hour, kiosk by kiosk, faces and reasons; the NPS and
    CES the day had, and its CSAT sections only when it had CSAT (or asked nothing else)."""
    ctx, store = shown.ctx, shown.store
    try:
        the_day = date.fromisoformat(day) if len(day) == 10 else None
    except ValueError:
        the_day = None
    if the_day is None or not FIRST_DAY <= the_day <= LAST_DAY:
        raise PageDenied(ctx, 404)
    t, storage = ctx.t, reads_of(request)
    floor = request.app.state.settings.min_responses
    today = reports.store_today(storage, store_id)
    scale = reports.faces(storage, store_id)
    kinds = reports.asked_kinds(storage, store_id, day, day)
    others = [kind_view(t, reports.summary_report(storage, store_id, day, day, kind), floor)
              for kind in kinds if kind != "csat"]
    fig = reports.summary_report(storage, store_id, day, day)
    base = reports.summary_report(storage, store_id, *alerts.baseline_period(day))
    weekday = the_day.weekday()
    hours = [c for c in reports.heatmap_report(storage, store_id, day, day)
             if c["weekday"] == weekday]
    found_reasons = reports.reasons_report(storage, store_id, day, day, t.lang)
    previous = (the_day - timedelta(days=1)).isoformat()
    following = (the_day + timedelta(days=1)).isoformat() if the_day < today else None
    return ctx.render(
        "day.html",
        title=f"{store['name']} – {t.day(day)}",
        store=store,
        active=store_id,
        nav_stores=nav_for(storage, ctx.user),
        day=day,
        day_text=t.day(day, weekday=True),
        timezone=store["timezone"],
        fig=figure_view(t, fig, floor),
        cmp=comparison(t, fig, base, floor),
        show_csat="csat" in kinds,
        others=others,
        volume=fig["responses"] + sum(other["responses"] for other in others),
        suppressed=fig["suppressed"] + sum(other["suppressed"] for other in others),
        hourly=hourly_svgs(t, hours),
        faces=face_rows(t, fig["counts"], scale),
        kiosk_tables=day_kiosks(t, storage, store_id, day, kinds),
        kiosk_count=len(storage.kiosks(store_id)),
        reasons=reason_rows(t, found_reasons),
        previous=f"/stores/{store_id}/days/{previous}",
        following=f"/stores/{store_id}/days/{following}" if following else None,
        back=f"/stores/{store_id}",
        satisfied_colour=SATISFIED_COLOUR,
        other_colour=OTHER_COLOUR,
    )


# -- office page --------------------------------------------------------------

@router.get("/office")
def office_page(request: Request, ctx: Page = Depends(office_reader_page)) -> Response:
    """The chain: ranking with intervals, chain-wide trend, alerts, XLSX and CSV exports
    (an office user scoped to regions: their stores' ranking, trend and alerts, no exports)."""
    assert ctx.user is not None
    t, storage, scope = ctx.t, reads_of(request), OfficeScope.of(ctx.user)
    today = chain_today(storage)
    q = request.query_params
    kind = page_kind(ctx, q.get("kind"), "/office")
    start, end, notice = page_period(ctx, q.get("from"), q.get("to"), today)
    min_responses = request.app.state.settings.min_responses
    everyone = scope.ranking(storage, start, end, min_responses, kind)
    ranking, left_out = asking(everyone, kind)
    chain = scope.summary(storage, start, end)
    ranked_by = chain if kind == "csat" else scope.summary(storage, start, end, kind)
    base = scope.summary(storage, *alerts.baseline_period(start))
    weekly = (date.fromisoformat(end) - date.fromisoformat(start)).days >= reports.DAILY_TREND_DAYS
    chain_days = scope.trend(storage, start, end, weekly)
    thresholds = alert_rules(request)
    # the chore keeps them current
    found = alertlog.by_priority(scope.alerts(storage.open_alerts()))
    query = urlencode({"from": start, "to": end})
    trend = trend_svgs(t, chain_days, None, t("chain_trend_weekly" if weekly else "chain_trend"),
                       reference=base["csat"],
                       reference_label=f"{t('baseline_28')}: {t.pct(base['csat'])}",
                       described_by="trend-data", weekly=weekly, floor=min_responses)
    rules = rule_texts(t, thresholds)
    links = region_links(storage, start, end, ctx.user.scope_regions or None)
    return ctx.render(
        "office.html",
        title=t("office_title"),
        active="office",
        **period_page(ctx, "/office", start, end, today, notice),
        chain=figure_view(t, chain, min_responses),
        chain_cmp=comparison(t, chain, base, min_responses),
        chain_kinds=[kind_view(t, fig, min_responses)
                     for fig in scope.kinds(storage, start, end)],
        stores_text=t.plural("stores", len(everyone)),
        kind=kind,
        kind_name=KIND_SHOWN[kind][0],
        kinds=kind_links("/office", {"from": start, "to": end}, kind),
        left_out=t("kind_left_out", stores=t.plural("stores", left_out),
                   kind=KIND_SHOWN[kind][0]) if left_out else "",
        ranking=office_ranking(t, ranking, start, end,
                               ranked_by["csat" if kind == "csat" else "value"]),
        ranking_href=f"/office/ranking?{query}" + (f"&kind={kind}" if kind != "csat" else ""),
        funnel_href=f"/office/funnel?{query}",
        store_count=len(ranking),
        min_responses=min_responses,
        trend=trend,
        trend_days=fold_quiet_days(t, day_rows(t, chain_days, weekly=weekly), weekly),
        weekly=weekly,
        daily_days=reports.DAILY_TREND_DAYS,
        alerts=alert_views(t, found, storage, start, end, thresholds),
        rules=rules,
        exports={name: f"/office/export/{name}?{query}" for name in (
            "ratings.xlsx", "daily.xlsx", "ratings.csv", "daily.csv")}
        if ctx.user.chain_wide else {},
        regions=links,
        whole=t("chain") if scope.stores is None else ", ".join(r["name"] for r in links),
    )


