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

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sync.collector import reports
from sync.collector.reads import reads_of
from sync.collector.web.access import signed_in
from sync.collector.web.render import Page
from sync.collector.web.views import fleet_rows, nav_for

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
    counts = {state: sum(row["state"] == state for row in rows)
              for state in reports.FLEET_STATES}
    return ctx.render(
        "fleet.html",
        title=t("fleet_title"),
        active="fleet",
        nav_stores=nav_for(storage, ctx.user),
        kiosks=rows,
        counts=counts,
        sub=t("fleet_sub", n=t.number(len(rows))),
        help=t("fleet_help", hours=t.number(hours)),
    )
