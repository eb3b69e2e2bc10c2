"""Logging in and out of the dashboard, and the start page.

- ``GET /login``: the sign-in page: e-mail and password, "e-mail me a sign-in
  link" (both handled by :mod:`~sync.collector.web.signin`) and, folded away,
  the access token form.
- ``POST /login``: a token buys a server-side session
  (:mod:`~sync.collector.web.session`).  Wrong tokens are rate-limited per
  client address; a good token always logs in (a shared store address full
  of wrong guesses locks nobody out).  The form carries a double-submit CSRF
  token.
- ``POST /logout``: deletes the session, server-side too (CSRF: the session's
  own token).
- ``GET /``: staff go to their store, office and admin to ``/office``.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sync.collector.auth import storage_of
from sync.collector.tokens import READERS, hash_token
from sync.collector.web.render import (
    csrf_refused,
    login_redirect,
    login_throttled,
    page,
    redirect,
    start_session,
)
from sync.collector.web.session import (
    SESSION_COOKIE,
    current_user,
    home_of,
    login_form_ok,
    safe_next,
    session_id,
    signed_form,
    throttle,
)

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(request: Request, next: str | None = None, bye: int = 0) -> Response:
    """The login form (already logged in: straight to the home page)."""
    user = current_user(request)
    if user is not None:
        return redirect(home_of(user))
    ctx = page(request)
    notice = ("info", ctx.t("logged_out")) if bye else None
    return ctx.render("login.html", title=ctx.t("login_title"), next=safe_next(next),
                      notice=notice)


@router.post("/login")
def login(
    request: Request,
    token: str = Form(""),
    csrf: str = Form(""),
    next: str = Form("/"),
) -> Response:
    """Check the token, start a session and go to ``next``; an error page otherwise."""
    ctx = page(request)
    client = request.client.host if request.client else "unknown"
    if not login_form_ok(request, csrf):
        return ctx.render("login.html", status=403, title=ctx.t("login_title"),
                          next=safe_next(next), notice=("error", ctx.t("csrf_failed")))
    # The token is checked before the throttle, as for API tokens (auth.caller):
    # a store's shared address full of wrong guesses must not lock out the
    # people who hold a good token.  Only wrong guesses are slowed.
    storage = storage_of(request)
    principal = storage.principal(token.strip()) if 0 < len(token) <= 200 else None
    if principal is None or principal.role not in READERS:
        wait = throttle.retry_after(client)
        if wait > 0:
            return login_throttled(ctx, wait, next)
        throttle.failed(client)
        message = "login_kiosk_token" if principal is not None else "login_failed"
        return ctx.render("login.html", status=401, title=ctx.t("login_title"),
                          next=safe_next(next), notice=("error", ctx.t(message)))
    return start_session(ctx, principal, next)


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    """End the session (server-side too) and show the login page."""
    raw = session_id(request)
    if raw is not None:
        if not signed_form(request, csrf):
            return csrf_refused(page(request, current_user(request)), "/")
        storage_of(request).delete_session(hash_token(raw))
    response = redirect("/login?bye=1")
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@router.get("/")
def home(request: Request) -> Response:
    """The start page is the user's home: their store, or the office page."""
    user = current_user(request)
    return redirect(home_of(user)) if user else login_redirect(request)
