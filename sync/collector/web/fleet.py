"""The fleet page: every kiosk in use, silent and unhealthy ones first.

- ``GET /fleet``: one row per kiosk with its store, state, last contact and
  what it last reported about itself (version, uptime, free disk, database
  size, pending and rejected ratings), from :func:`sync.collector.reports.fleet_report`,
  the function behind ``GET /api/v1/kiosks``.

Office and admin users see the chain; a staff user sees their own store's
kiosks.  A kiosk is silent after the office's silent-kiosk alert threshold
(``alert_silent_hours``) without contact.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sync.clock import parse_utc, utc_now
from sync.collector import alerts, reports
from sync.collector.auth import storage_of
from sync.collector.reads import reads_of
from sync.collector.web.access import signed_in
from sync.collector.web.i18n import Translator
from sync.collector.web.render import Page
from sync.collector.web.views import alert_rules, fleet_rows, nav_for

router = APIRouter(include_in_schema=False)


@router.get("/fleet")
def fleet_page(request: Request, ctx: Page = Depends(signed_in)) -> Response:
    """Every kiosk's health, worst first (a staff user: their store's kiosks)."""
    assert ctx.user is not None
    t, storage = ctx.t, reads_of(request)
    hours = request.app.state.settings.alert_silent_hours
    if ctx.user.region_id is not None:  # a region's user: its stores' kiosks
        only: str | tuple[str, ...] | None = tuple(sorted(ctx.user.region_stores))
    else:
        only = ctx.user.store_ids if ctx.user.role == "staff" else None
    fleet = reports.fleet_report(storage, hours * 3600, only)
    rows = fleet_rows(t, fleet)
    why_no_alert(request, t, fleet["kiosks"], rows)
    counts = {state: sum(row["state"] == state for row in rows)
              for state in reports.FLEET_STATES}
    return ctx.render(
        "fleet.html",
        title=t("fleet_title"),
        active="fleet",
        nav_stores=nav_for(storage, ctx.user),
        kiosks=rows,
        counts=counts,
        sub=t.plural("fleet_sub", len(rows)),
        help=t("fleet_help", hours=t.number(hours)),
    )


def why_no_alert(request: Request, t: Translator, kiosks: list[dict[str, Any]],
                 rows: list[dict[str, Any]]) -> None:
    """A kiosk shown silent (wall-clock hours) with no open silent-kiosk alert says why:
    the alert counts only the store's opening hours, or the rule is switched off."""
    for row in rows:
        row["why"] = ""
    storage = storage_of(request)
    alerted = {a["kiosk_id"] for a in storage.open_alerts() if a["kind"] == "silent"}
    quiet = [(k, row) for k, row in zip(kiosks, rows, strict=True)
             if row["state"] == "silent" and k["id"] not in alerted]
    if not quiet:
        return
    chain, own, now = alert_rules(request), storage.alerting_all(), utc_now()
    for kiosk, row in quiet:
        rules = alerts.for_store(chain, own.get(kiosk["store_id"], {}))
        if not chain.uses("silent"):
            row["why"] = t("fleet_no_alert_off")
            continue
        opening = alerts.opening_hours(storage, {kiosk["store_id"]: own.get(
            kiosk["store_id"], {})}, chain, now)[kiosk["store_id"]]
        hours = alerts.silent_open_hours(parse_utc(kiosk["last_seen"]), now,
                                         storage.zone(kiosk["store_id"]), opening)
        if hours <= rules.silent_hours:
            row["why"] = t("fleet_no_alert_closed") if hours == 0 else t(
                "fleet_no_alert_hours", n=t.number(hours, 1),
                limit=t.number(rules.silent_hours, 1))
