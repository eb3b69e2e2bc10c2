"""The admin's kiosk page: a kiosk's details, and enrollment codes issued from the browser.

- ``GET /kiosks/{id}``: the kiosk's store, label, health (as on the store
  page) and whether an enrollment code is live, with a button to issue one;
- ``POST /kiosks/{id}/enroll-code``: issues a fresh code (CSRF-checked, the
  kiosk's older code stops working) and shows it this once, with its expiry,
  the ``hymy-kiosk enroll`` command and that command as a QR code (inline
  SVG from segno, so the page still loads nothing but its own stylesheet).

Admins only: a code is as good as a kiosk token.  Staff and office users get
the 403 page, an unknown kiosk the 404 page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from sync.collector import reports
from sync.collector.auth import storage_of
from sync.collector.db.storage import NewCode, NotFound
from sync.collector.web.access import PageDenied, admin_page
from sync.collector.web.render import Page, csrf_refused, svg
from sync.collector.web.session import signed_form
from sync.collector.web.views import kiosk_rows, local_instant, nav_for

router = APIRouter(include_in_schema=False)
#: Where ``hymy-kiosk enroll`` writes the config, in the command the page shows.
KIOSK_CONFIG = "/etc/hymy/kiosk.toml"


def enroll_command(request: Request, code: str) -> str:
    """The command to run on the kiosk, with this collector's address as the browser saw it."""
    return f"hymy-kiosk enroll {str(request.base_url).rstrip('/')} {code} --config {KIOSK_CONFIG}"


def qr_svg(text: str) -> str:
    """``text`` as a QR code, an inline SVG element (segno escapes nothing: it draws paths)."""
    import segno

    return segno.make(text, error="m").svg_inline(scale=4, border=4, light="#fff")


def render_kiosk(request: Request, ctx: Page, kiosk_id: str,
                 issued: NewCode | None = None) -> Response:
    """The kiosk page; with ``issued``, the code just issued, shown this once."""
    storage = storage_of(request)
    try:
        kiosk = storage.kiosk(kiosk_id)
    except NotFound:
        raise PageDenied(ctx, 404) from None
    store = storage.store(kiosk["store_id"]) or {}
    health = next(k for k in reports.kiosks_report(storage, kiosk["store_id"])
                  if k["id"] == kiosk_id)
    live = storage.live_code(kiosk_id)
    tz = storage.zone(kiosk["store_id"])  # the store's people read their own clock
    shown: dict[str, Any] | None = None
    if issued is not None:
        command = enroll_command(request, issued.code)
        shown = {"code": issued.code, "until": local_instant(ctx.t, issued.expires_at, tz),
                 "until_at": issued.expires_at, "command": command,
                 "qr": svg(qr_svg(command))}
    return ctx.render(
        "kiosk.html",
        title=ctx.t("kiosk_title", kiosk=kiosk_id),
        kiosk=kiosk,
        store=store,
        row=kiosk_rows(ctx.t, [health])[0],
        created=local_instant(ctx.t, kiosk["created_at"], tz),
        live_until=local_instant(ctx.t, live["expires_at"], tz) if live else None,
        live_until_at=live["expires_at"] if live else None,
        issued=shown,
        nav_stores=nav_for(storage, ctx.user),
        active=kiosk["store_id"],
    )


@router.get("/kiosks/{kiosk_id}")
def kiosk_page(request: Request, kiosk_id: str, ctx: Page = Depends(admin_page)) -> Response:
    """A kiosk's details and its enrollment code's state (admins)."""
    return render_kiosk(request, ctx, kiosk_id)


@router.post("/kiosks/{kiosk_id}/enroll-code")
def issue_code(request: Request, kiosk_id: str, csrf: str = Form(""),
               ctx: Page = Depends(admin_page)) -> Response:
    """Issue a fresh enrollment code and show it once (the older code stops working).

    A retired kiosk gets none: the 422 page says to restore it first.
    """
    if not signed_form(request, csrf):
        return csrf_refused(ctx, f"/kiosks/{kiosk_id}")
    try:
        issued = storage_of(request).issue_code(kiosk_id)
    except NotFound:
        raise PageDenied(ctx, 404) from None
    except ValueError as error:
        return ctx.render("error.html", status=422, title=ctx.t("change_refused"),
                          message=str(error), home=f"/kiosks/{kiosk_id}")
    return render_kiosk(request, ctx, kiosk_id, issued)
