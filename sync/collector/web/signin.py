"""People signing in: password, one-time e-mailed links, invitations.

- ``POST /login/password``: e-mail and password (Argon2id, :mod:`sync.collector.people`).
  Failures are throttled per client address *and* per account, with the same
  limit as token logins: a guesser spreading over many addresses still meets
  the account's limit.  A good password from a throttled address or account
  waits too (unlike a 192-bit token, a password can be guessed).
- ``POST /login/link``: e-mails a sign-in link good for 15 minutes, once.  The
  answer is the same whether or not the address has an account, so the form
  tells nobody who works here.  Requests per address and per account are
  limited like failed logins, so nobody floods an inbox.
- ``GET /login/link/{secret}``: a page with one "Sign in" button (``POST``
  spends the link).  Mail scanners that open links do not use it up; an
  expired, used or unknown link gets a page saying which, with a form to get
  a new one.
- ``GET``/``POST /login/invite/{secret}``: choose a password (twice), then
  signed in.  Invitations last 7 days (``user add``, the users page,
  ``user password --link``).

A disabled person gets nowhere: their sessions and links were ended when
they were disabled, and every check here reads ``disabled_at`` again.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sync.collector import people
from sync.collector.auth import storage_of
from sync.collector.db.users import LINK_EXPIRED, LINK_OK, LINK_USED
from sync.collector.notify.links import PATHS, link_url, send_link
from sync.collector.notify.mail import MailError
from sync.collector.web.render import Page, login_throttled, page, start_session
from sync.collector.web.session import login_form_ok, safe_next, throttle

router = APIRouter(include_in_schema=False)
MAX_FIELD = 1024


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_page(ctx: Page, status: int, key: str, kind: str = "error", next: str = "/",
                **values: Any) -> Response:
    return ctx.render("login.html", status=status, title=ctx.t("login_title"),
                      next=safe_next(next), notice=(kind, ctx.t(key, **values)))


def _wait(*keys: str) -> float:
    """Seconds until every one of ``keys`` may try again."""
    return max(throttle.retry_after(key) for key in keys)


@router.post("/login/password")
def password_login(request: Request, email: str = Form(""), password: str = Form(""),
                   csrf: str = Form(""), next: str = Form("/")) -> Response:
    """Check e-mail and password, start a session and go to ``next``."""
    ctx = page(request)
    if not login_form_ok(request, csrf):
        return _login_page(ctx, 403, "csrf_failed", next=next)
    address = email.strip().lower()[:MAX_FIELD]
    keys = (_client(request), "account:" + address)
    wait = _wait(*keys)
    if wait > 0:
        return login_throttled(ctx, wait, next)
    user = storage_of(request).user(address)
    if (user is None or user["disabled_at"]
            or not people.verify_password(user["password_hash"], password[:MAX_FIELD + 1])):
        for key in keys:
            throttle.failed(key)
        return _login_page(ctx, 401, "login_password_failed", next=next)
    return start_session(ctx, people.principal_of(user), next)


@router.post("/login/link")
def request_link(request: Request, email: str = Form(""), csrf: str = Form("")) -> Response:
    """E-mail a one-time sign-in link to ``email`` if it is an enabled account."""
    ctx = page(request)
    if not login_form_ok(request, csrf):
        return _login_page(ctx, 403, "csrf_failed")
    settings = request.app.state.settings
    if not settings.smtp_url:
        return _login_page(ctx, 503, "login_link_no_mail")
    address = email.strip().lower()[:MAX_FIELD]
    keys = ("mail:" + _client(request), "mail:" + address)
    wait = _wait(*keys)
    if wait > 0:
        return login_throttled(ctx, wait, "/")
    for key in keys:
        throttle.failed(key)
    storage = storage_of(request)
    user = storage.user(address)
    if user is not None and not user["disabled_at"]:
        secret, _ = storage.issue_link(user["email"], "signin")
        url = link_url(settings, "signin", secret, str(request.base_url), user.get("language"))
        try:
            send_link(settings, user, "signin", url)
        except MailError:
            return _login_page(ctx, 503, "login_link_failed")
    return _login_page(ctx, 200, "login_link_sent", kind="info", email=address)


def _dead_link(ctx: Page, status: str, purpose: str) -> Response:
    """The page for a link that works no more, with a form to have a new one mailed."""
    key = {LINK_EXPIRED: "link_expired", LINK_USED: "link_used"}.get(status, "link_unknown")
    if purpose == "invite" and status != "unknown":
        key = "invite_expired"
    return ctx.render("link.html", status=410 if status != "unknown" else 404,
                      title=ctx.t("link_title"), mode="dead", notice=("error", ctx.t(key)),
                      email="", action="")


#: The title of each kind of link's page.
LINK_TITLES = {"signin": "link_title", "invite": "invite_title"}


def _follow(ctx: Page, request: Request, secret: str, purpose: str,
            use: bool = False) -> dict[str, Any] | Response:
    """The link's person, or the page saying why the link works no more."""
    status, user = storage_of(request).follow_link(secret[:MAX_FIELD], purpose, use=use)
    if status != LINK_OK or user is None:
        return _dead_link(ctx, status, purpose)
    return user


def _link_page(request: Request, secret: str, purpose: str, status: int = 200,
               problem: str | None = None) -> Response:
    """A live link's page: who it signs in and a button, or the set-a-password form."""
    ctx = page(request)
    found = _follow(ctx, request, secret, purpose)
    if isinstance(found, Response):
        return found
    return ctx.render("link.html", status=status, title=ctx.t(LINK_TITLES[purpose]),
                      mode=purpose, email=found["email"], action=PATHS[purpose] + secret,
                      notice=("error", ctx.t(problem)) if problem else None)


@router.get("/login/link/{secret}")
def link_page(request: Request, secret: str) -> Response:
    """Who the link signs in, and the button that does it (the link is not spent yet)."""
    return _link_page(request, secret, "signin")


@router.post("/login/link/{secret}")
def use_link(request: Request, secret: str, csrf: str = Form("")) -> Response:
    """Spend the link and sign its person in."""
    ctx = page(request)
    if not login_form_ok(request, csrf):
        return _login_page(ctx, 403, "csrf_failed")
    found = _follow(ctx, request, secret, "signin", use=True)
    if isinstance(found, Response):
        return found
    return start_session(ctx, people.principal_of(found))


@router.get("/login/invite/{secret}")
def invite_page(request: Request, secret: str) -> Response:
    """The set-a-password form of an invitation."""
    return _link_page(request, secret, "invite")


@router.post("/login/invite/{secret}")
def accept_invite(request: Request, secret: str, password: str = Form(""),
                  again: str = Form(""), csrf: str = Form("")) -> Response:
    """Set the password (both fields alike, long enough), spend the invitation, sign in."""
    ctx = page(request)
    if not login_form_ok(request, csrf):
        return _login_page(ctx, 403, "csrf_failed")
    problem = ("password_mismatch" if password != again
               else None if people.MIN_PASSWORD <= len(password) <= people.MAX_PASSWORD
               else "password_short")
    if problem:
        return _link_page(request, secret, "invite", 422, problem)
    found = _follow(ctx, request, secret, "invite", use=True)
    if isinstance(found, Response):
        return found
    storage_of(request).set_user_password(found["email"], password)
    return start_session(ctx, people.principal_of(found))
