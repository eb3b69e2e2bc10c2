"""The alert log's pages: the chain's and a store's history, one alert and its acknowledgement.

- ``GET /alerts?from&to``: every store's alerts open at some time in the
  period (office and admin; days in the chain's zone, :func:`reports.chain_zone`,
  as the office page's; ``GET /api/v1/alerts`` keeps UTC dates);
- ``GET /stores/{id}/alerts?from&to``: one store's (its staff too), days in the
  store's own zone;
- ``GET /alerts/{id}``: one alert, the numbers behind it, who acknowledged
  it and why, or the form to do so (the link an alert e-mail carries);
- ``POST /alerts/{id}/ack``: the form (CSRF-checked), then the alert's page
  again; the same rule as ``POST /api/v1/alerts/{id}/ack``
  (:func:`sync.collector.alertlog.acknowledge`).

The alerts are written by the evaluator chore; these pages only read them.
"""

from __future__ import annotations

import json
from datetime import date, timedelta, tzinfo
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from sync.clock import parse_utc, utc_now
from sync.collector import alertlog, alerts, reports
from sync.collector.auth import storage_of
from sync.collector.db.storage import NotFound
from sync.collector.regions import OfficeScope
from sync.collector.web.access import (
    PageDenied,
    StorePage,
    office_reader_page,
    signed_in,
    store_reader,
)
from sync.collector.web.i18n import Translator
from sync.collector.web.render import Page, csrf_refused, redirect
from sync.collector.web.session import signed_form
from sync.collector.web.views import (
    alert_rules,
    alert_views,
    local_instant,
    nav_for,
    zone_period,
)

router = APIRouter(include_in_schema=False)
#: What a failed acknowledgement answers, by the reason it failed.
ACK_STATUS = {alertlog.AlreadyAcknowledged: 409, ValueError: 422}


def log_rows(request: Request, ctx: Page, stored: list[dict[str, Any]], start: str,
             end: str) -> list[dict[str, Any]]:
    """Stored alerts as the log shows them: the office card's text plus their life, its
    times in the store's own zone (UTC stays in ``*_at`` for ``<time datetime>``)."""
    t, storage = ctx.t, storage_of(request)
    rows = alert_views(t, stored, storage, start, end, alert_rules(request))
    for row, alert in zip(rows, stored, strict=True):
        tz = storage.zone(alert["store_id"])
        row.update(
            opened_at=alert["opened_at"], closed_at=alert["closed_at"],
            acknowledged_at=alert["acknowledged_at"],
            opened=local_instant(t, alert["opened_at"], tz),
            closed=local_instant(t, alert["closed_at"], tz) if alert["closed_at"]
            else t("alert_still_open"),
            acked=t("alert_acked_by", who=acknowledger(t, alert["acknowledged_by"]),
                    when=local_instant(t, alert["acknowledged_at"], tz))
            if alert["acknowledged_at"] else "",
            comment=alert["ack_comment"] or "",
            pill={"open": "bad", "acknowledged": "warn", "closed": "ok"}[alert["state"]],
        )
    return rows


def acknowledger(t: Translator, stored: str) -> str:
    """Who acknowledged, with the role in the reader's language: the database keeps
    ``Anna (staff)`` (the API's ``acknowledged_by``), a Finnish page says ``Anna (Myymälä)``."""
    name, _, role = stored.rpartition(" (")
    if name and role.endswith(")") and role[:-1] in ("staff", "office", "admin"):
        return f"{name} ({t('role_' + role[:-1])})"
    return stored


def render_log(request: Request, ctx: Page, path: str, store: dict[str, Any] | None,
               **values: Any) -> Response:
    """The history page of the chain (``store`` None: of the stores the office pages show
    this user) or of one store."""
    assert ctx.user is not None
    t, storage = ctx.t, storage_of(request)
    tz = storage.zone(store["id"]) if store else reports.chain_zone(storage)
    bounds, period = zone_period(ctx, path, tz, request.query_params)
    stored = storage.alert_history(*bounds, store["id"] if store else None)
    if store is None:
        stored = OfficeScope.of(ctx.user).alerts(stored)
    return ctx.render(
        "alerts.html",
        **period,
        store=store,
        nav_stores=nav_for(storage, ctx.user),
        sub=t.plural("alerts_sub", len(stored)),
        rows=log_rows(request, ctx, stored, period["start"], period["end"]),
        **values,
    )


@router.get("/alerts")
def chain_alerts_page(request: Request, ctx: Page = Depends(office_reader_page)) -> Response:
    """Every store's alerts in the period, newest first (office and admin; an office user
    scoped to regions: their stores')."""
    return render_log(request, ctx, "/alerts", None, title=ctx.t("alerts_title"),
                      active="alerts")


@router.get("/stores/{store_id}/alerts")
def store_alerts_page(
    request: Request, store_id: str, shown: StorePage = Depends(store_reader)
) -> Response:
    """One store's alerts in the period (its staff too)."""
    title = shown.ctx.t("store_alerts_title", store=shown.store["name"])
    return render_log(request, shown.ctx, f"/stores/{store_id}/alerts", shown.store,
                      title=title, active=store_id)


def readable_alert(request: Request, ctx: Page, alert_id: str) -> dict[str, Any]:
    """The alert of the path, if it exists (404 page) and is this user's to see (403)."""
    assert ctx.user is not None
    found = storage_of(request).alert(int(alert_id)) if alert_id.isdigit() \
        and len(alert_id) < 19 else None
    if found is None:
        raise PageDenied(ctx, 404)
    if not ctx.user.can_read(found["store_id"]):
        raise PageDenied(ctx, 403)
    return found


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: str, ctx: Page = Depends(signed_in)) -> Response:
    """One alert: what, where, when, the numbers, and its acknowledgement or the form."""
    stored = readable_alert(request, ctx, alert_id)
    today = utc_now().date().isoformat()
    start = (date.fromisoformat(today) - timedelta(days=alertlog.PERIOD_DAYS - 1)).isoformat()
    [row] = log_rows(request, ctx, [stored], start, today)
    numbers = json.dumps(stored["data"], sort_keys=True, ensure_ascii=False)
    storage = storage_of(request)
    tz = storage.zone(stored["store_id"])
    rules = alerts.for_store(alert_rules(request), storage.alerting(stored["store_id"]))
    return ctx.render(
        "alert.html",
        title=ctx.t("alert_title", id=stored["id"]),
        alert=stored,
        row=row,
        numbers=numbers,
        facts=alert_facts(ctx.t, stored, rules, tz),
        nav_stores=nav_for(storage, ctx.user),
        active=stored["store_id"],
    )


def alert_facts(t: Translator, stored: dict[str, Any], rules: alerts.Rules,
                tz: tzinfo) -> list[tuple[str, str]]:
    """The numbers behind an alert as labelled values in words, per rule kind, so a store
    manager reads "Unhappy share 75%" rather than the stored JSON."""
    data, kind = stored["data"], stored["kind"]

    def when(value: str) -> str:
        return local_instant(t, value, tz)

    def hours(value: float) -> str:  # "4 opening hours", "1.5 opening hours"
        return t.number(value, 0 if float(value).is_integer() else 1)

    def share(unhappy: int, responses: int) -> str:
        return t.pct(unhappy * 100 / responses if responses else None)

    if kind == "silent":
        ended = parse_utc(stored["closed_at"]) if stored["closed_at"] else utc_now()
        since = data.get("at") or stored["opened_at"]
        return [(t("kiosk"), data["kiosk_id"]),
                (t("fact_silent_since"), when(since)),
                (t("fact_silent_for"), t.duration((ended - parse_utc(since)).total_seconds())),
                (t("fact_open_hours"), t("hours_n", n=t.number(data["hours"], 1))),
                (t("fact_limit"), t("fact_silent_rule", n=hours(rules.silent_hours)))]
    if kind in ("burst", "funnel", "rate"):
        facts = [(t("fact_window"), f"{when(data['start'])} – {when(data['end'])}"),
                 (t("responses"), t.number(data["responses"])),
                 (t("fact_unhappy"), t.number(data["unhappy"])),
                 (t("fact_share"), share(data["unhappy"], data["responses"]))]
        if kind == "burst":
            return [*facts, (t("fact_limit"), t("fact_burst_rule",
                                                share=t.pct(rules.burst_share * 100))),
                    (t("fact_incidents", hours=rules.burst_lookback_hours),
                     t.number(data["incidents"]))]
        if kind == "rate":  # unhappy taps against those usual in the window at this traffic
            return [*facts, (t("fact_usual"), t.number(data["expected"], 1)),
                    (t("fact_odds"), t("fact_odds_value", odds=t.number(
                        round(1 / data["tail"]) if data["tail"] else 0))),
                    (t("fact_limit"), t("fact_rate_rule",
                                        odds=t.number(round(1 / rules.rate_alpha))))]
        return [*facts, (t("fact_usual"), t.pct(data["expected"] * 100)),
                (t("fact_limit"), t.pct(data["limit"] * 100))]
    if kind == "baseline":
        period, base = data["period"], data["baseline"]
        return [(t("fact_period"), t.pct(period["csat"])),
                (t("interval"), t.pct_range(period["ci_low"], period["ci_high"])),
                (t("responses"), t.number(period["responses"])),
                (t("fact_baseline"), t.pct(base["csat"])),
                (t("fact_baseline_responses"), t.number(base["responses"]))]
    return [(key, str(value)) for key, value in sorted(data.items())]  # a rule unknown here


@router.post("/alerts/{alert_id}/ack")
def acknowledge_page(request: Request, alert_id: str, comment: str = Form(""),
                     csrf: str = Form(""), ctx: Page = Depends(signed_in)) -> Response:
    """Acknowledge from the alert's page, then show it again (a refusal: a page saying why)."""
    stored = readable_alert(request, ctx, alert_id)
    home = f"/alerts/{stored['id']}"
    if not signed_form(request, csrf):
        return csrf_refused(ctx, home)
    assert ctx.user is not None
    try:
        alertlog.acknowledge(storage_of(request), stored["id"], ctx.user, comment)
    except NotFound:
        raise PageDenied(ctx, 404) from None
    except (alertlog.AlreadyAcknowledged, ValueError) as error:
        status = next(code for kind, code in ACK_STATUS.items() if isinstance(error, kind))
        return ctx.render("error.html", status=status, title=ctx.t("ack_refused"),
                          message=str(error), home=home)
    return ctx.finish(redirect(home))
