"""The HTML dashboard: people with a browser log in with a token and read the numbers.

One :data:`router`, mounted by :func:`sync.collector.app.mount_pages`:

- ``GET /login``, ``POST /login``, ``POST /logout``: a token buys a server-side
  session (random id in an HttpOnly, SameSite=Lax cookie; only its hash is
  stored; 12 hours; logout deletes it).  Wrong tokens are rate-limited per
  client address; a good token always logs in (a shared store address full
  of wrong guesses locks nobody out).
- ``GET /``: staff go to their store, office and admin to ``/office``.
- ``GET /stores/{id}?from&to``: the store page (staff's home).
- ``GET /stores/{id}/days/{date}``: one day, hour by hour and kiosk by kiosk.
- ``GET /office?from&to``: ranking, chain trend, alerts and CSV exports.
- ``GET /static/{name}``: the stylesheet and the face icons (no CDN: the
  pages must work offline on a store network).

Every number comes from :mod:`sync.collector.reports`, the functions behind
the JSON API, so a page and ``/api/v1/...`` can never disagree.  Charts are
SVG drawn on the server by :mod:`sync.collector.web.charts`; there is no
JavaScript at all, which keeps the Content-Security-Policy strict.

Dates in a path or period outside :data:`FIRST_DAY`..:data:`LAST_DAY` (the
calendar's ends, less a margin for baselines and time-zone windows) are a 4xx
with a message, never a crash; an unexpected error is an HTML page naming its
request id (:func:`browser_server_error`).

Every POST carries a CSRF token: before login a double-submit cookie, after
login a value derived from the session id (which the page's script-free HTML
is the only place to learn it from).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from sync.clock import format_utc, parse_utc, utc_now
from sync.collector import alerts, reports
from sync.collector.api.export import DAILY_COLUMNS, rating_dicts, to_csv
from sync.collector.auth import FailureThrottle
from sync.collector.db.storage import EXPORT_COLUMNS, Storage
from sync.collector.tokens import CHAIN_READERS, READERS, Principal, hash_token
from sync.collector.web import charts
from sync.collector.web.i18n import LANGUAGES, Translator, pick, round_half_up
from sync.i18n import FACE_ART, face_label_key

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "hymy_session"
CSRF_COOKIE = "hymy_csrf"
LANG_COOKIE = "hymy_lang"
SESSION_TTL = timedelta(hours=12)
#: Failed logins allowed per client address within the window before a 429.
LOGIN_FAILURES = 10
LOGIN_WINDOW_S = 15 * 60
#: The first and last day a page or download shows: a year inside the calendar's
#: ends, so a baseline (28 days before) and a time-zone window (days around a
#: period) are always dates.
FIRST_DAY = date(2, 1, 1)
LAST_DAY = date(9998, 12, 31)
#: The unexpected-error page (not in i18n.STRINGS yet: the translators own that file).
SERVER_ERROR = {
    "fi": ("Virhe", "Jotain meni pieleen. Kerro ylläpidolle tunniste {rid}."),
    "en": ("Error", "Something went wrong. Tell the administrator the id {rid}."),
}
#: Fewest responses a heat-map cell needs to be coloured.
HEAT_MIN_RESPONSES = 10
#: A kiosk not heard from for this long is shown as silent in the kiosk table.
KIOSK_SILENT_S = 2 * 3600
FACE_COLOURS = {1: "#d32f2f", 2: "#f57c00", 3: "#f2b800", 4: "#7cb342", 5: "#2e7d32"}
SATISFIED_COLOUR = charts.ACCENT
OTHER_COLOUR = "#f08c00"

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


# -- plumbing: templates, static files, headers --------------------------------

@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment (autoescaping on; a missing variable is an error)."""
    env = Environment(
        loader=PackageLoader("sync.collector.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static_url
    env.filters["round_half_up"] = round_half_up
    return env


@lru_cache(maxsize=32)
def static_url(name: str) -> str:
    """``/static/NAME?v=HASH``: the hash changes with the file, so caches never go stale."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]
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


def storage_of(request: Request) -> Storage:
    return request.app.state.storage


def is_https(request: Request) -> bool:
    """True when the browser talks HTTPS to us (uvicorn applies X-Forwarded-Proto
    from trusted proxies, see ``FORWARDED_ALLOW_IPS``), so cookies get ``Secure``."""
    return request.url.scheme == "https"


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The stylesheet and face icons; only files that exist in ``static/``."""
    allowed = {p.name for p in STATIC_DIR.iterdir() if p.is_file()}
    if name not in allowed:
        return secure_headers(Response("not found", 404, media_type="text/plain"))
    media = "text/css" if name.endswith(".css") else "image/svg+xml"
    response = FileResponse(STATIC_DIR / name, media_type=media)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return secure_headers(response, private=False)


# -- sessions, CSRF and login throttling --------------------------------------

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


def same_origin(request: Request) -> bool:
    """False when the browser says the form came from another site (Origin header)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


throttle = FailureThrottle(LOGIN_FAILURES, LOGIN_WINDOW_S)


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
            "nav_stores": [],
            "active": "",
            "notice": None,
            **values,
        }
        html = environment().get_template(template).render(context)
        response = HTMLResponse(html, status_code=status)
        self.finish(response)
        return response

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


def login_redirect(request: Request) -> RedirectResponse:
    """Send a visitor without a session to the login page, remembering where they were."""
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return redirect("/login?" + urlencode({"next": target}))


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
    """Staff land on their store, office and admin on the office page."""
    return f"/stores/{user.store_id}" if user.role == "staff" else "/office"


def nav_for(storage: Storage, user: Principal) -> list[dict[str, Any]]:
    """Top-bar store links: a staff user's own store (office users use the ranking)."""
    if user.role == "staff" and user.store_id:
        return storage.stores(only=user.store_id)
    return []


def error_page(ctx: Page, status: int) -> HTMLResponse:
    """403 or 404 as a page in the user's language."""
    key = "forbidden" if status == 403 else "not_found"
    home = home_of(ctx.user) if ctx.user else "/login"
    return ctx.render("error.html", status=status, title=ctx.t(key + "_title"),
                      message=ctx.t(key), home=home)


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
    title, message = SERVER_ERROR.get(ctx.t.lang, SERVER_ERROR["en"])
    return ctx.render("error.html", status=500, title=title, message=message.format(rid=rid),
                      home="/")


# -- login and logout ---------------------------------------------------------

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
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    if not cookie or not hmac.compare_digest(cookie, csrf) or not same_origin(request):
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
            response = ctx.render(
                "login.html", status=429, title=ctx.t("login_title"), next=safe_next(next),
                notice=("error", ctx.t("login_throttled", minutes=max(1, round(wait / 60)))),
            )
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        throttle.failed(client)
        message = "login_kiosk_token" if principal is not None else "login_failed"
        return ctx.render("login.html", status=401, title=ctx.t("login_title"),
                          next=safe_next(next), notice=("error", ctx.t(message)))
    raw = secrets.token_urlsafe(32)
    storage.add_session(hash_token(raw), principal.token_id, format_utc(utc_now() + SESSION_TTL))
    target = safe_next(next)
    response = redirect(home_of(principal) if target in ("/", "/login") else target)
    response.set_cookie(SESSION_COOKIE, raw, max_age=int(SESSION_TTL.total_seconds()),
                        httponly=True, samesite="lax", secure=is_https(request), path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return ctx.finish(response)


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    """End the session (server-side too) and show the login page."""
    raw = session_id(request)
    if raw is not None:
        if not hmac.compare_digest(session_csrf(raw), csrf) or not same_origin(request):
            ctx = page(request, current_user(request))
            return ctx.render("error.html", status=403, title=ctx.t("forbidden_title"),
                              message=ctx.t("csrf_failed"), home="/")
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


# -- periods ------------------------------------------------------------------

PRESETS = (("preset_today", 1), ("preset_7", 7), ("preset_30", 30), ("preset_90", 90),
           ("preset_365", 365))


def checked_period(start: str | None, end: str | None, today: str) -> tuple[str, str]:
    """``reports.parse_period`` within :data:`FIRST_DAY`..:data:`LAST_DAY`; ValueError if not."""
    first, last = reports.parse_period(start or None, end or None, date.fromisoformat(today))
    for name, value in (("from", first), ("to", last)):
        if not FIRST_DAY.isoformat() <= value <= LAST_DAY.isoformat():
            raise ValueError(f"{name}: {value} is outside the dates the dashboard shows"
                             f" ({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})")
    return first, last


def page_period(
    ctx: Page, start: str | None, end: str | None, today: str
) -> tuple[str, str, tuple[str, str] | None]:
    """The period to show; a bad one falls back to the last 30 days with a notice.

    A page with a notice is sent as 400 (:func:`period_status`), so links
    and scripts see the request was not what was shown.
    """
    try:
        first, last = checked_period(start, end, today)
        return first, last, None
    except ValueError:
        first, last = reports.parse_period(None, None, date.fromisoformat(today))
        return first, last, ("error", ctx.t("bad_period", days=reports.MAX_DAYS))


def period_status(notice: tuple[str, str] | None) -> int:
    """400 for a page showing the fallback period because the asked one was bad."""
    return 400 if notice else 200


def presets(ctx: Page, path: str, start: str, end: str, today: str) -> list[dict[str, Any]]:
    """Quick period links ending today: today, 7, 30, 90 days, 12 months."""
    last = date.fromisoformat(today)
    out = []
    for key, days in PRESETS:
        first = (last - timedelta(days=days - 1)).isoformat()
        out.append({
            "label": ctx.t(key),
            "href": f"{path}?{urlencode({'from': first, 'to': today})}",
            "current": first == start and today == end,
        })
    return out


# -- view helpers ---------------------------------------------------------------

def figure_view(t: Translator, fig: dict[str, Any]) -> dict[str, Any]:
    """A report's figures formatted for a KPI card (the raw values ride along for tests)."""
    return {
        **fig,
        "csat_text": t.pct(fig["csat"]),
        "ci_text": t.ci(fig["ci_low"], fig["ci_high"]),
        "range_text": t.pct_range(fig["ci_low"], fig["ci_high"]),
        "responses_text": t.responses(fig["responses"]),
        "index_text": t.index(fig["happy_index"]),
    }


def comparison(t: Translator, fig: dict[str, Any], base: dict[str, Any]) -> dict[str, Any] | None:
    """Difference to a baseline in points, flagged only when the interval excludes it."""
    if fig["csat"] is None or base["csat"] is None:
        return None
    diff = fig["csat"] - base["csat"]
    direction = ""
    if fig["ci_high"] < base["csat"]:
        direction = "down"
    elif fig["ci_low"] > base["csat"]:
        direction = "up"
    return {
        "text": t.points(diff),
        "baseline": t("vs_baseline", value=t.pct(base["csat"])),
        "direction": direction,
    }


def day_ticks(t: Translator, days: list[str], count: int) -> list[tuple[int, str]]:
    """About ``count`` evenly spaced date labels for a trend's x axis."""
    if not days:
        return []
    if len(days) == 1:
        return [(0, t.day(days[0], year=False))]
    step = max(1, round((len(days) - 1) / max(count - 1, 1)))
    ticks = list(range(len(days) - 1, -1, -step))[::-1]
    return [(i, t.day(days[i], year=False)) for i in ticks]


def trend_svgs(
    t: Translator, days: list[dict[str, Any]], href: Any, label: str,
    reference: float | None = None, reference_label: str = "",
) -> dict[str, Markup]:
    """The trend chart twice: wide for desktops, narrow (fewer ticks) for phones."""
    points = []
    dates = [row["date"] for row in days]
    for row in days:
        if row["responses"]:
            title = (f"{t.day(row['date'], weekday=True)}: CSAT {t.pct(row['csat'])} "
                     f"({t.pct_range(row['ci_low'], row['ci_high'])}), "
                     f"{t.responses(row['responses'])}")
        else:
            title = f"{t.day(row['date'], weekday=True)}: {t('no_responses')}"
        points.append(charts.TrendPoint(
            row["csat"], row["ci_low"], row["ci_high"], title,
            href(row["date"]) if href and row["responses"] else None,
        ))
    common = {"y_format": t.pct, "label": label, "reference": reference,
              "reference_label": reference_label}
    return {
        "wide": svg(charts.trend(points, x_labels=day_ticks(t, dates, 8), width=1000,
                                 height=280, css_class="chart trend chart-wide", **common)),
        "narrow": svg(charts.trend(points, x_labels=day_ticks(t, dates, 4), width=360,
                                      height=230, css_class="chart trend chart-narrow",
                                      **common)),
    }


def face_rows(t: Translator, counts: dict[str, int], scale: int) -> list[dict[str, Any]]:
    """One row per face, worst first: icon, name, count, share and a bar."""
    total = sum(counts.values())
    top = max(counts.values(), default=0)
    scale = max([scale, *(int(k) for k in counts)]) if counts else scale
    scale = scale if scale in FACE_ART else 5
    rows = []
    for score in range(1, scale + 1):
        n = counts.get(str(score), 0)
        art = FACE_ART[scale][score - 1]
        share = n * 100.0 / total if total else None
        rows.append({
            "score": score,
            "icon": static_url(f"face-{art}.svg"),
            "name": t(face_label_key(score, scale)),
            "count": n,
            "count_text": t.number(n),
            "share_text": t.pct(share),
            "bar": svg(charts.meter(n / top if top else 0, colour=FACE_COLOURS[art],
                                       label=f"{t(face_label_key(score, scale))}: {n}")),
        })
    return rows[::-1]


def reason_rows(t: Translator, found: dict[str, Any], limit: int = 6) -> list[dict[str, Any]]:
    """The most given follow-up reasons with share, count and their CSAT."""
    reasons = found["reasons"][:limit]
    top = max((r["responses"] for r in reasons), default=0)
    return [{
        "label": r["label"],
        "count_text": t.number(r["responses"]),
        "share_text": t.pct(r["share"]),
        "csat_text": t.pct(r["csat"]),
        "responses": r["responses"],
        "bar": svg(charts.meter(r["responses"] / top if top else 0,
                                   label=f"{r['label']}: {r['responses']}")),
    } for r in reasons]


def kiosk_rows(t: Translator, kiosks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Kiosk health rows: a status pill, last contact, pending and missing taps."""
    rows = []
    for k in kiosks:
        if k["last_seen"] is None:
            status, kind = t("status_never"), "muted"
        elif k["silent_s"] is not None and k["silent_s"] > KIOSK_SILENT_S:
            status, kind = t("status_silent"), "bad"
        elif k["missing"]:
            status, kind = t("status_gaps"), "warn"
        else:
            status, kind = t("status_ok"), "ok"
        rows.append({
            "id": k["id"],
            "status": status,
            "kind": kind,
            "last_seen": t.ago(k["silent_s"]),
            "last_seen_at": k["last_seen"] or "",
            "pending": t.number(k["pending"]) if k["pending"] is not None else "–",
            "missing": t.number(k["missing"]),
            "has_missing": bool(k["missing"]),
            "has_pending": bool(k["pending"]),
            "version": k["app_version"] or "–",
        })
    return rows


def heat_columns(cells: list[dict[str, Any]]) -> list[int]:
    """The hours to show: from the first to the last hour with any responses."""
    hours = [c["hour"] for c in cells if c["responses"]]
    if not hours:
        return list(range(8, 22))
    return list(range(min(hours), max(hours) + 1))


def heatmap_svg(t: Translator, cells: list[dict[str, Any]]) -> dict[str, Markup]:
    """The weekday x hour heat map (empty cells: too few responses), twice:
    weekdays as rows for wide screens, and transposed (hours as rows) for phones."""
    hours = heat_columns(cells)
    shown = [c for c in cells if c["hour"] in hours]
    values = [c["csat"] for c in shown if c["responses"] >= HEAT_MIN_RESPONSES]
    low, high = charts.percent_domain(values, minimum_span=20)
    wide, narrow = [], []
    for cell in shown:
        enough = cell["responses"] >= HEAT_MIN_RESPONSES
        when = f"{t.weekday(cell['weekday'])} {t.hour(cell['hour'])}–{t.hour(cell['hour'] + 1)}"
        if cell["responses"]:
            title = f"{when}: CSAT {t.pct(cell['csat'])}, {t.responses(cell['responses'])}"
        else:
            title = f"{when}: {t('no_responses')}"
        value = cell["csat"] if enough else None
        text = t.number(reports_round(cell["csat"])) if enough else ""
        column = hours.index(cell["hour"])
        wide.append(charts.HeatCell(cell["weekday"], column, value, text, title))
        narrow.append(charts.HeatCell(column, cell["weekday"], value, text, title))
    weekdays = [t.weekday(i) for i in range(7)]
    hour_names = [t.hour(h) for h in hours]
    common = {
        "domain": (low, high),
        "legend": (t.pct(low), t.pct(high)),
        "legend_title": "CSAT",
        "empty_label": t("heatmap_empty", n=HEAT_MIN_RESPONSES),
        "label": t("heatmap"),
    }
    return {
        "wide": svg(charts.heatmap(wide, rows=weekdays, columns=hour_names,
                                   css_class="chart heatmap chart-wide",
                                   ramp_id="heat-ramp-wide", **common)),
        "narrow": svg(charts.heatmap(narrow, rows=hour_names, columns=weekdays,
                                     css_class="chart heatmap chart-narrow",
                                     ramp_id="heat-ramp-narrow", **common)),
    }


def reports_round(value: float | None) -> float | None:
    """Whole percent for a label, rounded like everywhere else on the page."""
    return None if value is None else round_half_up(value)


def day_rows(t: Translator, store_id: str, days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The daily table, newest first, each date linking to its day page."""
    rows = []
    for row in reversed(days):
        rows.append({
            **row,
            "href": f"/stores/{store_id}/days/{row['date']}",
            "date_text": t.day(row["date"], weekday=True),
            "csat_text": t.pct(row["csat"]),
            "range_text": t.pct_range(row["ci_low"], row["ci_high"]),
            "index_text": t.number(row["happy_index"]) if row["happy_index"] is not None
            else "–",
            "responses_text": t.number(row["responses"]),
        })
    return rows


# -- store page ---------------------------------------------------------------

def readable(request: Request, store_id: str) -> tuple[Page, Response | None, dict | None]:
    """Page context plus either an early response (login, 403, 404) or the store."""
    user = current_user(request)
    if user is None:
        return page(request), login_redirect(request), None
    ctx = page(request, user)
    if not user.can_read(store_id):
        return ctx, error_page(ctx, 403), None
    store = storage_of(request).store(store_id)
    if store is None:
        return ctx, error_page(ctx, 404), None
    return ctx, None, store


@router.get("/stores/{store_id}")
def store_page(request: Request, store_id: str) -> Response:
    """A store's numbers: today, the period's trend, faces, heat map, reasons, kiosks."""
    ctx, early, store = readable(request, store_id)
    if early is not None:
        return early
    t, storage = ctx.t, storage_of(request)
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

    trend = trend_svgs(
        t, days, lambda d: f"/stores/{store_id}/days/{d}", t("trend"),
        reference=period_base["csat"],
        reference_label=f"{t('baseline_28')}: {t.pct(period_base['csat'])}",
    )
    with_responses = [d for d in days if d["responses"]]
    return ctx.render(
        "store.html",
        status=period_status(notice),
        title=store["name"],
        store=store,
        active=store_id,
        nav_stores=nav_for(storage, ctx.user),
        notice=notice,
        start=start, end=end, today=today,
        period_text=f"{t.day(start)} – {t.day(end)}",
        presets=presets(ctx, f"/stores/{store_id}", start, end, today),
        today_fig=figure_view(t, today_fig),
        today_cmp=comparison(t, today_fig, today_base),
        period_fig=figure_view(t, period_fig),
        period_cmp=comparison(t, period_fig, period_base),
        per_day=t.number(period_fig["responses"] / max(len(with_responses), 1)),
        suppressed_text=t("suppressed_n", n=t.number(period_fig["suppressed"]))
        if period_fig["suppressed"] else "",
        trend=trend,
        has_trend=bool(with_responses),
        faces=face_rows(t, period_fig["counts"], scale),
        heatmap=heatmap_svg(t, cells),
        reasons=reason_rows(t, found_reasons),
        kiosks=kiosk_rows(t, kiosks),
        days=day_rows(t, store_id, days),
        open_days=len(days) <= 31,
    )


# -- day page -----------------------------------------------------------------

@router.get("/stores/{store_id}/days/{day}")
def day_page(request: Request, store_id: str, day: str) -> Response:
    """One store-local day: hour by hour, kiosk by kiosk, faces and reasons."""
    ctx, early, store = readable(request, store_id)
    if early is not None:
        return early
    try:
        the_day = date.fromisoformat(day) if len(day) == 10 else None
    except ValueError:
        the_day = None
    if the_day is None or not FIRST_DAY <= the_day <= LAST_DAY:
        return error_page(ctx, 404)
    t, storage = ctx.t, storage_of(request)
    today = reports.store_today(storage, store_id)
    scale = reports.faces(storage, store_id)
    fig = reports.summary_report(storage, store_id, day, day)
    base = reports.summary_report(storage, store_id, *alerts.baseline_period(day))
    weekday = the_day.weekday()
    hours = [c for c in reports.heatmap_report(storage, store_id, day, day)
             if c["weekday"] == weekday]
    shown = heat_columns(hours)
    bars = []
    for cell in hours:
        if cell["hour"] not in shown:
            continue
        other = cell["responses"] - cell["satisfied"]
        when = f"{t.hour(cell['hour'])}–{t.hour(cell['hour'] + 1)}"
        title = (f"{when}: CSAT {t.pct(cell['csat'])}, {t.responses(cell['responses'])}"
                 if cell["responses"] else f"{when}: {t('no_responses')}")
        bars.append(charts.Bar(t.hour(cell["hour"]), (
            charts.Segment(cell["satisfied"], SATISFIED_COLOUR),
            charts.Segment(other, OTHER_COLOUR),
        ), title, note=t.pct(cell["csat"]) if cell["responses"] else ""))
    hourly = {
        "wide": svg(charts.stacked_bars(bars, y_format=t.number, label=t("hourly"),
                                        width=1000, height=260,
                                           css_class="chart bars chart-wide")),
        "narrow": svg(charts.stacked_bars([replace(b, note="") for b in bars],
                                          y_format=t.number, label=t("hourly"),
                                             width=360, height=220,
                                             css_class="chart bars chart-narrow")),
    }
    per_kiosk = []
    for kiosk in storage.kiosks(store_id):
        row = reports.daily_report(storage, store_id, day, day, kiosk["id"])[0]
        per_kiosk.append({"id": kiosk["id"], **figure_view(t, row)})
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
        fig=figure_view(t, fig),
        cmp=comparison(t, fig, base),
        hourly=hourly,
        faces=face_rows(t, fig["counts"], scale),
        per_kiosk=per_kiosk,
        reasons=reason_rows(t, found_reasons),
        previous=f"/stores/{store_id}/days/{previous}",
        following=f"/stores/{store_id}/days/{following}" if following else None,
        back=f"/stores/{store_id}",
        satisfied_colour=SATISFIED_COLOUR,
        other_colour=OTHER_COLOUR,
    )


# -- office page --------------------------------------------------------------

def chain_today(storage: Storage) -> str:
    """Today in the chain's most common store time zone (UTC when there are no stores)."""
    zones: dict[str, int] = {}
    for store in storage.stores():
        zones[store["timezone"]] = zones.get(store["timezone"], 0) + 1
    now = utc_now()
    if not zones:
        return now.date().isoformat()
    main_store = next(s for s in storage.stores()
                      if s["timezone"] == max(zones, key=lambda z: zones[z]))
    return now.astimezone(storage.zone(main_store["id"])).date().isoformat()


def office_user(request: Request) -> tuple[Page, Response | None]:
    """Page context, or an early response for visitors who may not see the chain."""
    user = current_user(request)
    if user is None:
        return page(request), login_redirect(request)
    ctx = page(request, user)
    if user.role not in CHAIN_READERS:
        return ctx, error_page(ctx, 403)
    return ctx, None


def ranking_rows(
    t: Translator, ranking: list[dict[str, Any]], start: str, end: str,
    reference: float | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Ranked and too-few rows, each with a forest-plot strip on a shared axis."""
    values = [v for r in ranking if r["responses"] for v in (r["ci_low"], r["ci_high"])]
    domain = charts.percent_domain(values, minimum_span=20)
    query = urlencode({"from": start, "to": end})
    ranked, unranked = [], []
    for row in ranking:
        view = {
            **figure_view(t, row),
            "href": f"/stores/{row['store_id']}?{query}",
            "strip": svg(charts.interval_strip(
                row["csat"], row["ci_low"], row["ci_high"], domain=domain,
                reference=reference, muted=row["rank"] is None,
                label=f"{row['name']}: CSAT {t.pct(row['csat'])}, "
                      f"{t.pct_range(row['ci_low'], row['ci_high'])}",
            )),
            "index_text": t.number(row["happy_index"]) if row["happy_index"] is not None
            else "–",
        }
        (ranked if row["rank"] is not None else unranked).append(view)
    return ranked, unranked


def alert_rules(request: Request) -> alerts.Rules:
    """The alert thresholds, from the collector's settings (``HYMY_ALERT_*``)."""
    settings = request.app.state.settings
    return alerts.Rules(
        silent_hours=settings.alert_silent_hours,
        burst_share=settings.alert_burst_share,
        burst_min_responses=settings.alert_burst_min_responses,
    )


def alert_views(
    t: Translator, found: list[alerts.Alert], names: dict[str, str], storage: Storage,
    start: str, end: str, thresholds: alerts.Rules,
) -> list[dict[str, Any]]:
    """Alerts as cards: icon, title, store link, detail and when."""
    views = []
    now = utc_now()
    for alert in found:
        store = names.get(alert.store_id, alert.store_id)
        link = f"/stores/{alert.store_id}"
        data = alert.data
        if alert.kind == "silent":
            title = t("alert_silent", kiosk=data["kiosk_id"], hours=t.number(data["hours"]))
            detail = t("alert_silent_detail", when=t.ago(data["silent_s"]))
        elif alert.kind == "burst":
            tz = storage.zone(alert.store_id)
            first: datetime = data["start"].astimezone(tz)
            last: datetime = data["end"].astimezone(tz)
            title = t("alert_burst", unhappy=data["unhappy"], n=data["responses"],
                      minutes=thresholds.burst_minutes)
            detail = (f"{t.day(first.date(), weekday=True, year=False)} "
                      f"{t.time(first)}–{t.time(last)}")
            if data["incidents"] > 1:
                detail += " · " + t("incidents", n=data["incidents"],
                                    hours=thresholds.burst_lookback_hours)
            link = f"/stores/{alert.store_id}/days/{first.date().isoformat()}"
        else:
            period, base = data["period"], data["baseline"]
            title = t("alert_baseline", csat=t.pct(period["csat"]), baseline=t.pct(base["csat"]))
            detail = t("alert_baseline_detail",
                       low=t.number(reports_round(period["ci_low"])),
                       high=t.pct(period["ci_high"]), n=t.responses(period["responses"]))
            link = f"/stores/{alert.store_id}?{urlencode({'from': start, 'to': end})}"
        ago = t.ago((now - parse_utc(alert.at)).total_seconds()) if alert.at else ""
        views.append({"kind": alert.kind, "store": store, "store_id": alert.store_id,
                      "href": link, "title": title, "detail": detail,
                      "when": ago})
    return views


@router.get("/office")
def office_page(request: Request) -> Response:
    """The chain: ranking with intervals, chain-wide trend, alerts, CSV exports."""
    ctx, early = office_user(request)
    if early is not None:
        return early
    t, storage = ctx.t, storage_of(request)
    today = chain_today(storage)
    q = request.query_params
    start, end, notice = page_period(ctx, q.get("from"), q.get("to"), today)
    min_responses = request.app.state.settings.min_responses
    ranking = reports.ranking_report(storage, start, end, min_responses, "ci_low")
    chain = reports.chain_summary_report(storage, start, end)
    base = reports.chain_summary_report(storage, *alerts.baseline_period(start))
    chain_days = reports.chain_daily_report(storage, start, end)
    thresholds = alert_rules(request)
    found = alerts.chain_alerts(storage, start, end, thresholds, ranking=ranking)
    names = {row["store_id"]: row["name"] for row in ranking}
    ranked, unranked = ranking_rows(t, ranking, start, end, chain["csat"])
    query = urlencode({"from": start, "to": end})
    trend = trend_svgs(t, chain_days, None, t("chain_trend"), reference=base["csat"],
                       reference_label=f"{t('baseline_28')}: {t.pct(base['csat'])}")
    rules = [
        t("rule_silent", hours=t.number(thresholds.silent_hours)),
        t("rule_burst", share=t.pct(thresholds.burst_share * 100),
          minutes=thresholds.burst_minutes, n=thresholds.burst_min_responses,
          hours=thresholds.burst_lookback_hours),
        t("rule_baseline"),
    ]
    return ctx.render(
        "office.html",
        status=period_status(notice),
        title=t("office_title"),
        active="office",
        notice=notice,
        start=start, end=end, today=today,
        period_text=f"{t.day(start)} – {t.day(end)}",
        presets=presets(ctx, "/office", start, end, today),
        chain=figure_view(t, chain),
        chain_cmp=comparison(t, chain, base),
        stores_text=t("stores_n", n=len(ranking)),
        ranked=ranked,
        unranked=unranked,
        min_responses=min_responses,
        trend=trend,
        alerts=alert_views(t, found, names, storage, start, end, thresholds),
        rules=rules,
        export_ratings=f"/office/export/ratings.csv?{query}",
        export_daily=f"/office/export/daily.csv?{query}",
    )


# -- CSV downloads (the browser has a cookie, not a bearer token) -------------

def _download(request: Request, kind: str) -> tuple[Response | None, str, str]:
    """The period to download, or an early answer: login, 403, or 400 for a bad period.

    A file is never of another period than the one asked for, and the period
    is checked before the first byte is sent (a streamed file cannot turn
    into an error later).
    """
    ctx, early = office_user(request)
    if early is not None:
        return early, "", ""
    today = chain_today(storage_of(request))
    q = request.query_params
    try:
        start, end = checked_period(q.get("from"), q.get("to"), today)
    except ValueError as error:
        answer = Response(f"{error}\n", 400, media_type="text/plain; charset=utf-8")
        return secure_headers(answer), "", ""
    return None, start, end


def _csv_headers(name: str) -> dict[str, str]:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    headers.update(SECURITY_HEADERS)
    headers["Cache-Control"] = "no-store"
    return headers


@router.get("/office/export/daily.csv")
def export_daily_csv(request: Request) -> Response:
    """Daily figures of every store for the period, as the API's ``/export/daily``."""
    early, start, end = _download(request, "daily")
    if early is not None:
        return early
    rows = reports.daily_export_rows(storage_of(request), start, end)
    rows.sort(key=lambda r: (r["store_id"], r["date"]))
    return Response(to_csv(rows, DAILY_COLUMNS), media_type="text/csv; charset=utf-8",
                    headers=_csv_headers(f"hymy-daily-{start}-{end}.csv"))


@router.get("/office/export/ratings.csv")
def export_ratings_csv(request: Request) -> Response:
    """Every rating with a local date in the period, streamed in time order."""
    early, start, end = _download(request, "ratings")
    if early is not None:
        return early
    storage = storage_of(request)
    time_at = EXPORT_COLUMNS.index("created_at")

    def rows() -> Iterable[str]:
        yield to_csv([], EXPORT_COLUMNS)
        cursor = ("", 0)
        while batch := storage.ratings_in_period(start, end, cursor):
            cursor = (batch[-1][time_at], batch[-1][0])
            yield to_csv(rating_dicts(batch), EXPORT_COLUMNS, header=False)

    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8",
                             headers=_csv_headers(f"hymy-ratings-{start}-{end}.csv"))
