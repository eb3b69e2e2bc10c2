"""Who is signed in to the dashboard: session cookie, CSRF tokens, login throttle.

A token buys a server-side session: a random id in an HttpOnly, SameSite=Lax
cookie (:data:`SESSION_COOKIE`), of which only the hash is stored, for
:data:`SESSION_TTL`.  Wrong tokens are rate-limited per client address
(:data:`throttle`).

Every POST carries a CSRF token: before login a double-submit cookie
(:data:`CSRF_COOKIE`), after login a value derived from the session id
(:func:`session_csrf`), which the page's script-free HTML is the only place
to learn it from.

Nothing here renders HTML: :mod:`~sync.collector.web.render` builds pages on
top of it, :mod:`~sync.collector.web.login` holds the login routes.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from fastapi import Request

from sync.collector.auth import FailureThrottle, storage_of
from sync.collector.tokens import READERS, Principal, hash_token

SESSION_COOKIE = "hymy_session"
CSRF_COOKIE = "hymy_csrf"
SESSION_TTL = timedelta(hours=12)
#: Failed logins allowed per client address within the window before a 429.
LOGIN_FAILURES = 10
LOGIN_WINDOW_S = 15 * 60

throttle = FailureThrottle(LOGIN_FAILURES, LOGIN_WINDOW_S)


def is_https(request: Request) -> bool:
    """True when the browser talks HTTPS to us (uvicorn applies X-Forwarded-Proto
    from trusted proxies, see ``FORWARDED_ALLOW_IPS``), so cookies get ``Secure``."""
    return request.url.scheme == "https"


def session_id(request: Request) -> str | None:
    """The raw session id from the cookie, if it looks like one of ours."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw and 20 <= len(raw) <= 128:
        return raw
    return None


def current_user(request: Request) -> Principal | None:
    """The staff/office/admin principal behind the session cookie, or None."""
    raw = session_id(request)
    if raw is None:
        return None
    principal = storage_of(request).session_principal(hash_token(raw))
    if principal is None or principal.role not in READERS:
        return None
    return principal


def session_csrf(raw_session: str) -> str:
    """The CSRF token of a session: derived from its secret id, so it needs no storage."""
    return hmac.new(raw_session.encode(), b"hymy-csrf", hashlib.sha256).hexdigest()


def signed_form(request: Request, csrf: str) -> bool:
    """True for a signed-in user's form POST: its CSRF token is the session's, and the
    browser does not say it came from another site."""
    raw = session_id(request) or ""
    return hmac.compare_digest(session_csrf(raw), csrf) and same_origin(request)


def login_form_ok(request: Request, csrf: str) -> bool:
    """True for a signed-out visitor's form POST: the double-submit CSRF cookie matches the
    form's token, and the browser does not say the form came from another site."""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    return bool(cookie) and hmac.compare_digest(cookie, csrf) and same_origin(request)


def same_origin(request: Request) -> bool:
    """False when the browser says the form came from another site (Origin header)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def login_url(request: Request) -> str:
    """``/login?next=...``: the login page, remembering where the visitor was."""
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return "/login?" + urlencode({"next": target})


def safe_next(value: str | None) -> str:
    """A local path to go to after login; anything else (other sites) becomes ``/``."""
    if (
        value
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and all(" " < ch < "\x7f" for ch in value)
    ):
        return value
    return "/"


def home_of(user: Principal) -> str:
    """Staff land on their (first) store, office and admin on the office page; staff of no
    store (theirs was deleted) on the fleet page, which then lists nothing; a region's
    users on their region's page."""
    if user.region_id is not None:
        return f"/regions/{user.region_id}"
    if user.role != "staff":
        return "/office"
    return f"/stores/{user.store_ids[0]}" if user.store_ids else "/fleet"
