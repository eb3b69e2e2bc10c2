"""Building a dashboard page: templates, security headers, redirects and error pages.

:func:`page` gives a request its :class:`Page` context (language from
``?lang=``, cookie or ``Accept-Language``; the CSRF token of
:mod:`~sync.collector.web.session`); :meth:`Page.render` renders a template
from ``templates/`` with the security headers every page carries
(:data:`SECURITY_HEADERS`: a strict Content-Security-Policy, since the pages
have no JavaScript at all).

The error pages live here too: 403 and 404 in the user's language
(:func:`error_page`), the 404 for a browser asking for a path that is no page
(:func:`browser_not_found`) and the 500 naming its request id
(:func:`browser_server_error`); ``app.py`` calls the last two from its error
handlers.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from sync.assets import FACES
from sync.clock import format_utc, utc_now
from sync.collector.db.replica import Freshness
from sync.collector.db.storage import Storage
from sync.collector.reads import freshness_of
from sync.collector.tokens import Principal, hash_token
from sync.collector.web.i18n import LANGUAGES, Translator, pick, round_half_up
from sync.collector.web.session import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_TTL,
    current_user,
    home_of,
    is_https,
    login_url,
    safe_next,
    session_csrf,
    session_id,
)

STATIC_DIR = Path(__file__).resolve().parent / "static"
LANG_COOKIE = "hymy_lang"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


# -- templates, static files, headers ------------------------------------------

def jinja_environment(package: str) -> Environment:
    """Jinja2 over ``package``'s ``templates/`` folder: HTML autoescaped, a missing
    variable an error (the dashboard's pages and the digest mails alike)."""
    return Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The dashboard's Jinja2 environment, with its static-file and rounding helpers."""
    env = jinja_environment("sync.collector.web")
    env.globals["static"] = static_url
    env.filters["round_half_up"] = round_half_up
    return env


@lru_cache(maxsize=1)
def static_files() -> dict[str, Path]:
    """Every file ``/static/`` serves: ``static/`` plus the face SVGs, read from the one
    copy in the shipped assets (the kiosk draws the same faces)."""
    files = {path.name: path for path in STATIC_DIR.iterdir() if path.is_file()}
    files.update({path.name: path for path in FACES.glob("face-*.svg")})
    return files


@lru_cache(maxsize=32)
def static_url(name: str) -> str:
    """``/static/NAME?v=HASH``: the hash changes with the file, so caches never go stale."""
    digest = hashlib.sha256(static_files()[name].read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


def secure_headers(response: Response, private: bool = True) -> Response:
    """Add the security headers; ``private`` pages are never stored by the browser."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    if private:
        response.headers["Cache-Control"] = "no-store"
    return response


def redirect(url: str) -> RedirectResponse:
    """A 303 See Other (a POST is never repeated by the back button).

    Always path-only: a Location built from the request's Host header would
    send the browser wherever that header says.
    """
    if not url.startswith("/") or url.startswith("//"):
        raise ValueError(f"redirects are path-only, not {url!r}")
    return secure_headers(RedirectResponse(url, status_code=303))  # type: ignore[return-value]


def svg(text: str) -> Markup:
    """Mark a chart from :mod:`charts` safe for templates: charts escape every text they embed."""
    return Markup(text)  # noqa: S704


# -- page context -------------------------------------------------------------

@dataclass
class Page:
    """What every template needs: the request, language, user and CSRF token."""

    request: Request
    t: Translator
    user: Principal | None
    csrf: str
    set_lang: str | None = None
    new_csrf_cookie: str | None = None

    def lang_url(self, code: str) -> str:
        params = dict(self.request.query_params)
        params["lang"] = code
        return f"{self.request.url.path}?{urlencode(params)}"

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        """Render ``template`` with the shared context plus ``values``, with headers and cookies."""
        context = {
            "t": self.t,
            "user": self.user,
            "csrf": self.csrf,
            "languages": LANGUAGES,
            "lang_url": self.lang_url,
            "nav_stores": self.nav_stores() if "nav_stores" not in values else [],
            "active": "",
            "notice": None,
            **self.app_values(),
            **values,
        }
        html = environment().get_template(template).render(context)
        response = HTMLResponse(html, status_code=status)
        self.finish(response)
        return response

    def nav_stores(self) -> list[dict[str, Any]]:
        """The signed-in person's store links for the top bar, on every page: without
        them a staff person on their notifications or an error page had no way back to
        their store but the logo."""
        app = self.request.scope.get("app")
        if self.user is None or app is None:
            return []
        return nav_for(app.state.storage, self.user)

    def app_values(self) -> dict[str, Any]:
        """What the page says from the app's state: how fresh its figures are and the
        single sign-on button.  None of it on a page rendered without an app (the 500
        page when the app itself is broken)."""
        app = self.request.scope.get("app")
        if app is None:
            return {"freshness": None, "oidc_name": None}
        return {"freshness": freshness_text(self.t, freshness_of(self.request)),
                "oidc_name": app.state.settings.oidc_name()}

    def finish(self, response: Response) -> Response:
        """Security headers plus the language and CSRF cookies this request chose."""
        secure_headers(response)
        if self.set_lang:
            response.set_cookie(LANG_COOKIE, self.set_lang, max_age=365 * 86400,
                                httponly=True, samesite="lax", secure=is_https(self.request))
        if self.new_csrf_cookie:
            response.set_cookie(CSRF_COOKIE, self.new_csrf_cookie, httponly=True,
                                samesite="strict", secure=is_https(self.request), path="/")
        return response


def nav_for(storage: Storage, user: Principal) -> list[dict[str, Any]]:
    """Top-bar store links: a staff user's own stores, a region's user the region's stores
    (office users use the ranking)."""
    if user.region_id is not None:
        return [store for store in storage.stores() if user.can_read(store["id"])]
    if user.role == "staff":
        return [store for store_id in user.store_ids for store in storage.stores(only=store_id)]
    return []


def freshness_text(t: Translator, freshness: Freshness | None) -> str:
    """Where a page's figures were read and how old they are; empty with no replica set."""
    if freshness is None:
        return ""
    if freshness.replica:
        return t("fresh_replica", time=t.time(freshness.as_of, seconds=True),
                 lag=t.number(freshness.lag_s))
    if freshness.lag_s is None:
        return t("fresh_primary_down")
    return t("fresh_primary_behind", lag=t.number(freshness.lag_s))


def page(request: Request, user: Principal | None = None) -> Page:
    """The page context: language from ?lang=, cookie or Accept-Language; a CSRF token."""
    asked = request.query_params.get("lang")
    lang = pick(asked, request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
    set_lang = asked if asked in LANGUAGES and asked != request.cookies.get(LANG_COOKIE) else None
    raw = session_id(request)
    if user is not None and raw is not None:
        return Page(request, Translator(lang), user, session_csrf(raw), set_lang)
    token = request.cookies.get(CSRF_COOKIE)
    fresh = None
    if not token or len(token) != 43:
        token = fresh = secrets.token_urlsafe(32)
    return Page(request, Translator(lang), user, token, set_lang, fresh)


def start_session(ctx: Page, principal: Principal, next: str = "/") -> Response:
    """Sign ``principal`` in (a token's or a person's new session) and go to ``next``
    (their home page for ``/``); the session cookie is HttpOnly, SameSite=Lax."""
    raw = secrets.token_urlsafe(32)
    ctx.request.app.state.storage.add_session(
        hash_token(raw), principal.token_id, format_utc(utc_now() + SESSION_TTL),
        principal.user_id)
    target = safe_next(next)
    response = redirect(home_of(principal) if target in ("/", "/login") else target)
    response.set_cookie(SESSION_COOKIE, raw, max_age=int(SESSION_TTL.total_seconds()),
                        httponly=True, samesite="lax", secure=is_https(ctx.request), path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return ctx.finish(response)


def login_throttled(ctx: Page, wait: float, next: str) -> Response:
    """The login page's 429: too many failed attempts, try again in so many minutes."""
    response = ctx.render(
        "login.html", status=429, title=ctx.t("login_title"), next=safe_next(next),
        notice=("error", ctx.t("login_throttled", minutes=max(1, round(wait / 60)))),
    )
    response.headers["Retry-After"] = str(int(wait) + 1)
    return response


def login_redirect(request: Request) -> RedirectResponse:
    """Send a visitor without a session to the login page, remembering where they were."""
    return redirect(login_url(request))


# -- error pages ------------------------------------------------------------------

def error_page(ctx: Page, status: int) -> HTMLResponse:
    """403 or 404 as a page in the user's language."""
    key = "forbidden" if status == 403 else "not_found"
    message = ctx.t(key)
    if status == 403 and ctx.user is not None and ctx.user.user_id is not None:
        message = ctx.t("forbidden_account")  # a person: "your account", not "your token"
    home = home_of(ctx.user) if ctx.user else "/login"
    return ctx.render("error.html", status=status, title=ctx.t(key + "_title"),
                      message=message, home=home)


def csrf_refused(ctx: Page, home: str) -> HTMLResponse:
    """The 403 page for a form whose CSRF token (or origin) is not this session's."""
    return ctx.render("error.html", status=403, title=ctx.t("forbidden_title"),
                      message=ctx.t("csrf_failed"), home=home)


def browser_not_found(request: Request) -> HTMLResponse | None:
    """The 404 page for a browser that asked for a page that does not exist.

    None for API clients (paths under ``/api/``, or no ``text/html`` in
    ``Accept``): they keep the JSON error shape.
    """
    if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
        "accept", ""
    ):
        return None
    return error_page(page(request, current_user(request)), 404)


def browser_server_error(request: Request, rid: str) -> HTMLResponse | None:
    """The 500 page for a browser asking for a page (None for API clients).

    It shows the request id that is also in the log line and ``X-Request-ID``,
    and reads nothing from the database (which may be why it is shown).
    """
    if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
        "accept", ""
    ):
        return None
    ctx = page(request)
    return ctx.render("error.html", status=500, title=ctx.t("server_error_title"),
                      message=ctx.t("server_error", rid=rid), home="/")

