"""A person's own page: what reaches them by e-mail.

- ``GET /me/notifications``: the events a signed-in person may choose (alerts,
  each store's daily digest, and for office and admin the weekly chain
  report), ticked as they are now, for their stores or every store;
- ``POST /me/notifications``: save the choice (CSRF: the session's token).

A session from an access token (not a person) sees why it cannot choose.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from sync.collector.auth import storage_of
from sync.collector.notify import mine
from sync.collector.web.access import signed_in
from sync.collector.web.render import Page, csrf_refused
from sync.collector.web.session import signed_form

router = APIRouter(include_in_schema=False)
HOME = "/me/notifications"


def render_mine(request: Request, ctx: Page, notice: tuple[str, str] | None = None) -> Response:
    """The page with the person's current choices."""
    assert ctx.user is not None
    storage = storage_of(request)
    person = ctx.user
    stores = [storage.store(s) or {"id": s, "name": s} for s in mine.scope(person) if s]
    return ctx.render("me.html", title=ctx.t("me_title"), active="me", notice=notice,
                      email=person.email, choices=mine.choices(person),
                      chosen=mine.chosen(storage, person) if person.email else set(),
                      stores=stores)


@router.get(HOME)
def my_notifications(request: Request, ctx: Page = Depends(signed_in)) -> Response:
    """What reaches the signed-in person by e-mail."""
    return render_mine(request, ctx)


@router.post(HOME)
def choose(request: Request, events: list[str] = Form([]), csrf: str = Form(""),
           ctx: Page = Depends(signed_in)) -> Response:
    """Save which events reach the person."""
    assert ctx.user is not None
    if not signed_form(request, csrf):
        return csrf_refused(ctx, HOME)
    if not ctx.user.email:
        return render_mine(request, ctx, ("error", ctx.t("me_token")))
    picked = mine.choose(storage_of(request), ctx.user, set(events))
    what = ", ".join(ctx.t(f"me_{event}") for event in mine.choices(ctx.user)
                     if event in picked) or ctx.t("me_nothing")
    return render_mine(request, ctx, ("info", ctx.t("me_saved", what=what)))
