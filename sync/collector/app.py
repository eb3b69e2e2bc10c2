"""The collector's FastAPI application: routers grouped by audience, errors, logs.

``create_app()`` builds the app from :class:`~sync.collector.settings.Settings`
(``HYMY_*`` environment variables by default, which is how uvicorn worker
processes get them).  Routes live in one module per audience:

- ``ingest.py``: kiosks (upload batches, fetch the survey);
- ``enroll.py``: a new kiosk trading its one-time code for a token (no token needed);
- ``read.py``: staff, office and admin (JSON numbers);
- ``export.py``: office and admin (CSV/JSONL);
- ``stream.py``: office and admin (new ratings as Server-Sent Events);
- ``admin.py``: admins (stores, kiosks, tokens, surveys);
- ``web/``: people with a browser (HTML dashboard), mounted in :func:`mount_pages`.

Every error answer is ``{"detail": "<one human sentence>", "request_id": "..."}``
(:class:`~sync.collector.api.models.Error`, declared on every route:
:data:`AUDIENCE_ERRORS`), or an HTML page for a browser asking for a page;
429 and 503 answers carry ``Retry-After``.  Every answer
carries ``X-Request-ID`` (the id in its log line) and security headers
(:class:`SecurityHeaders`); CORS is off unless ``cors_origins`` names origins.
Redirects are path-only, never built from the Host header, and
``trusted_hosts`` refuses other Host headers.  ``/docs`` is served from
installed files (:mod:`sync.collector.web.apidocs`).
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Match

from sync import __version__
from sync.collector.api import (
    admin,
    alerting,
    alerts,
    comments,
    enroll,
    export,
    ingest,
    levels,
    read,
    regions,
    stream,
    surveys,
)
from sync.collector.api.models import Error, Health, errors
from sync.collector.asgi import HttpMiddleware
from sync.collector.auth import FailureThrottle
from sync.collector.chores import Runner
from sync.collector.db.connection import Busy, Database, Unstorable
from sync.collector.db.replica import FRESHNESS_HEADERS, Replica
from sync.collector.db.storage import Storage
from sync.collector.logs import RequestLog, configure, logger, request_id
from sync.collector.reads import FreshnessHeaders
from sync.collector.settings import Settings

DESCRIPTION = """
Receives smiley-face ratings from Hymy kiosks and serves CSAT per store and
store-local day.  Authenticate with `Authorization: Bearer <token>`; tokens come
from `hymy-collector kiosk add` and `hymy-collector token add`.
Each section below names the tokens it takes: staff read their own store, office
and admin the whole chain, admin alone manages stores, kiosks and tokens.
[Back to the dashboard](/).
"""
TAGS = [
    {"name": "kiosk", "description": "Kiosk tokens: uploads and survey; enrollment (no token)"},
    {"name": "read", "description": "Staff (own store), office and admin tokens"},
    {"name": "export", "description": "Office and admin tokens"},
    {"name": "admin", "description": "Admin tokens"},
    {"name": "health", "description": "No token needed"},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the collector app; migrates the database to the current schema first."""
    settings = settings or Settings.from_env()
    configure(settings.log_level)
    database = Database(settings.database, max_connections=settings.pool_size)
    database.migrate()
    storage = Storage(database, settings.clock_tolerance_s)
    replica = Replica(settings.read_database, database, settings.read_max_lag_s,
                      max_connections=settings.pool_size) if settings.read_database else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logger.info("collector started", extra={"database": database.display_url,
                                                "version": __version__})
        if replica is not None:
            logger.info("reading from a replica", extra={"read_database": replica.display_url,
                                                        "max_lag_s": replica.max_lag_s})
        # The app's own objects live as long as the process: keep them out of
        # the collector's passes, and run those less often: an upload makes
        # ~10 000 short-lived objects, freed by reference counting anyway
        # (about 10% of ingest time otherwise).
        thresholds = gc.get_threshold()
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)
        chores = Runner(storage, settings)
        chores.start()
        yield
        chores.stop()
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        await database.close_async()
        database.close()
        if replica is not None:
            replica.close()

    app = FastAPI(
        title="Hymy collector",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        # FastAPI's pages load scripts from public CDNs; /docs is ours (web/apidocs.py).
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        generate_unique_id_function=operation_id,
    )
    # Starlette's slash redirects build an absolute URL from the Host header;
    # the 404 handler redirects path-only instead (:func:`slash_redirect`).
    app.router.redirect_slashes = False
    app.state.settings = settings
    app.state.storage = storage
    app.state.replica = replica  # None, or the read database (sync/collector/reads.py)
    app.state.reader = storage if replica is None else Storage(replica, settings.clock_tolerance_s)
    app.state.ingest_in_flight = 0
    app.state.uploads_by_kiosk = Counter()  # kiosk id -> uploads open (reading or storing)
    app.state.failed_auth = FailureThrottle(settings.auth_failures_per_minute)
    app.state.failed_enroll = FailureThrottle(enroll.ENROLL_FAILURES_PER_MINUTE)
    add_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:  # off by default: the dashboard is same-origin and needs no CORS
        app.add_middleware(
            CORSMiddleware, allow_origins=origins, allow_credentials=False,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Content-Encoding", "If-None-Match"],
            expose_headers=["ETag", "Retry-After", "X-Next-Cursor", "X-More", "X-Row-Count",
                            *FRESHNESS_HEADERS],
        )
    if settings.host_names():
        # Outside the app, inside the request log: a refused Host is logged too.
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.host_names(),
                           www_redirect=False)
    if replica is not None:
        app.add_middleware(FreshnessHeaders)
    app.add_middleware(RequestLog)
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["health"], summary="Liveness",
                      response_model=Health,
                      responses=errors(503, e503="The database does not answer"))
    for router, codes in AUDIENCE_ERRORS:
        app.include_router(router, responses=errors(*codes, 500, 503))
    mount_pages(app)
    name_schemas(app)
    return app


#: The errors every route of an audience may answer (each route adds its own): a token
#: missing or refused (401, 403), too many bad tokens (429), a bad parameter (422).
AUDIENCE_ERRORS = (
    (ingest.router, (401, 403, 429)),
    (enroll.router, ()),
    (read.router, (401, 403, 422, 429)),
    (export.router, (401, 403, 422, 429)),
    (stream.router, (401, 403, 422, 429)),
    (admin.router, (401, 403, 422, 429)),
    (alerts.router, (401, 403, 422, 429)),
    (alerting.router, (401, 403, 422, 429)),
    (regions.router, (401, 403, 422, 429)),
    (comments.router, (401, 403, 422, 429)),
    (levels.router, (401, 403, 422, 429)),
    (surveys.router, (401, 403, 422, 429)),
)


def operation_id(route: APIRoute) -> str:
    """A route's OpenAPI ``operationId``: its function's name (``daily``, ``ranking``), which
    a generated client's functions and enums are named after, rather than FastAPI's
    ``daily_api_v1_stores__store_id__daily_get``."""
    return route.name


#: Headers on every answer; pages set their own stricter set (see ``web.render.SECURITY_HEADERS``).
BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
#: Extra headers for the JSON API: nothing to render, frame or cache.
API_HEADERS = {
    **BASE_HEADERS,
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
HSTS = "max-age=31536000"


class SecurityHeaders(HttpMiddleware):
    """ASGI middleware adding security headers an answer does not set itself.

    The JSON API gets ``API_HEADERS``; ``/docs`` and the HTML pages get
    ``BASE_HEADERS`` under their own CSP.
    Over HTTPS (uvicorn trusts ``X-Forwarded-Proto`` from the proxies in
    ``FORWARDED_ALLOW_IPS``) answers also carry ``Strict-Transport-Security``.
    """

    async def http(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope["path"]
        api = path.startswith("/api/") or path in ("/healthz", "/openapi.json")
        wanted = dict(API_HEADERS if api else BASE_HEADERS)
        if scope.get("scheme") == "https":
            wanted["Strict-Transport-Security"] = HSTS

        async def add_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in wanted.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, add_headers)


def name_schemas(app: FastAPI) -> None:
    """Finish the OpenAPI document: the wire types by name, no validation-error schemas.

    The upload body is read by msgspec, not FastAPI, so its schemas (``Batch``,
    ``Rating``, ``KioskStatus``) are added here.  Every error is answered as
    :class:`~sync.collector.api.models.Error` (:func:`add_error_handlers`), so
    FastAPI's ``HTTPValidationError`` is never sent and is left out.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        schemas.update(ingest.WIRE_SCHEMAS)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def mount_pages(app: FastAPI) -> None:
    """Where the HTML dashboard attaches: its routers, and the handler that turns a
    refused page (no session, wrong role, no such store) into a login redirect or
    an error page (:mod:`sync.collector.web.access`).

    Pages call the same :mod:`sync.collector.reports` functions as ``read.py``.
    """
    # Jinja2 is only imported now
    from sync.collector.web import (
        access,
        alertpages,
        apidocs,
        comment,
        deliveries,
        downloads,
        fleet,
        funnel,
        kiosks,
        login,
        me,
        oidc,
        pages,
        ranking,
        regions,
        signin,
        static,
        users,
    )

    oidc.enable(app, app.state.settings)
    for module in (static, login, signin, oidc, pages, ranking, kiosks, fleet, downloads,
                   apidocs, alertpages, deliveries, users, me, comment, regions, funnel):
        app.include_router(module.router)
    app.add_exception_handler(access.Refused, access.refused)


def healthz(request: Request) -> Response:
    """``{"status": "ok", "version": ...}`` when the database answers; 503 otherwise."""
    try:
        with request.app.state.storage.db.connection() as conn:
            conn.scalar("SELECT 1")
    except Exception:
        logger.exception("health check failed")
        body = {"status": "error", **error_body(request, "database unavailable")}
        return JSONResponse(body, 503, {"Retry-After": "5"})
    return JSONResponse(Health(status="ok", version=__version__).model_dump())


def error_answer(request: Request, status: int, detail: str,
                 headers: dict[str, str] | None = None) -> JSONResponse:
    """The one error shape, :class:`~sync.collector.api.models.Error`: the sentence and
    the request id the log line carries, so a report of the error can be looked up."""
    return JSONResponse(error_body(request, detail), status, headers)


def error_body(request: Request, detail: str) -> dict[str, str]:
    """:class:`~sync.collector.api.models.Error` as a dict."""
    return Error(detail=detail, request_id=request_id(request)).model_dump()


def add_error_handlers(app: FastAPI) -> None:
    """One error shape, ``{"detail": str, "request_id": str}``, for every failure the
    caller can see (:func:`error_answer`).

    A browser asking for a page gets the same as an HTML page instead.
    """

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404:
            moved = slash_redirect(request)
            if moved is not None:
                return moved
            from sync.collector.web.render import browser_not_found

            html = await run_in_threadpool(browser_not_found, request)
            if html is not None:
                return html
        return error_answer(request, error.status_code, error.detail, error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return error_answer(request, 422, describe_validation(error.errors()))

    @app.exception_handler(Busy)
    async def busy(request: Request, error: Busy) -> JSONResponse:
        logger.warning("database busy", extra={"path": request.url.path})
        return error_answer(request, 503, "the database is busy; retry shortly",
                            {"Retry-After": "2"})

    @app.exception_handler(Unstorable)
    async def unstorable(request: Request, error: Unstorable) -> JSONResponse:
        # A NUL in a path or query id: no database text can hold it (both backends).
        return error_answer(request, 422, str(error))

    @app.exception_handler(Exception)
    async def crash(request: Request, error: Exception) -> Response:
        # Runs outside every middleware (Starlette's ServerErrorMiddleware):
        # the request id and the security headers are added here.
        rid = request_id(request)
        logger.exception("unhandled error", extra={"path": request.url.path,
                                                   "request_id": rid})
        from sync.collector.web.render import browser_server_error

        try:
            answer: Response | None = await run_in_threadpool(browser_server_error, request, rid)
        except Exception:  # the page itself failed (database gone?): JSON still works
            logger.exception("error page failed", extra={"request_id": rid})
            answer = None
        if answer is None:
            answer = error_answer(
                request, 500, f"internal error; the collector log has details (request id {rid})",
                API_HEADERS)
        answer.headers["X-Request-ID"] = rid
        return answer


def slash_redirect(request: Request) -> Response | None:
    """``/stores/x/`` -> ``/stores/x``, as a path-only 307, when that path is a route.

    Starlette's ``redirect_slashes`` does this with an absolute URL built from
    the Host header, which anyone can set (``Host: evil.example`` would send
    the browser there).  A relative Location needs no host at all.
    """
    path = request.url.path
    target = path.rstrip("/")
    if target == path or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return None
    scope = {**request.scope, "path": target}
    if not any(route.matches(scope)[0] != Match.NONE for route in request.app.router.routes):
        return None
    location = quote(target, safe="/:@!$&'()*+,;=-._~")
    if request.url.query:
        location += "?" + request.url.query
    return RedirectResponse(location, 307)


def describe_validation(errors: list[dict[str, Any]]) -> str:
    """FastAPI's validation errors as one line: ``query.limit: Input should be ...``."""
    parts = []
    for item in errors[:5]:
        where = ".".join(str(part) for part in item.get("loc", ())) or "request"
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(parts)
