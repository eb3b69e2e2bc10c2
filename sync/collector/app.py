"""The collector's FastAPI application: routers grouped by audience, errors, logs.

``create_app()`` builds the app from :class:`~sync.collector.settings.Settings`
(``HYMY_*`` environment variables by default, which is how uvicorn worker
processes get them).  Routes live in one module per audience:

- ``ingest.py``: kiosks (upload batches, fetch the survey);
- ``read.py``: staff, office and admin (JSON numbers);
- ``export.py``: office and admin (CSV/JSONL);
- ``admin.py``: admins (stores, kiosks, tokens, surveys);
- ``pages.py``: people with a browser (HTML dashboard), mounted in :func:`mount_pages`.

Every error answer is ``{"detail": "<one human sentence>"}``; 429 and 503
answers carry ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync import __version__
from sync.collector import admin, export, ingest, read
from sync.collector.db import Busy, Database
from sync.collector.logs import RequestLog, configure, logger
from sync.collector.settings import Settings
from sync.collector.storage import Storage

DESCRIPTION = """
Receives smiley-face ratings from Hymy kiosks and serves CSAT per store and
store-local day.  Authenticate with `Authorization: Bearer <token>`; tokens come
from `hymy-collector kiosk add` and `hymy-collector token add`.
See `docs/collector.md` for the roles matrix.
"""
TAGS = [
    {"name": "kiosk", "description": "Kiosk tokens: uploads and survey"},
    {"name": "read", "description": "Staff (own store), office and admin tokens"},
    {"name": "export", "description": "Office and admin tokens"},
    {"name": "admin", "description": "Admin tokens"},
    {"name": "health", "description": "No token needed"},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the collector app; migrates the database to the current schema first."""
    settings = settings or Settings.from_env()
    configure(settings.log_level)
    database = Database(settings.database)
    database.migrate()
    storage = Storage(database, settings.clock_tolerance_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logger.info("collector started", extra={"database": database.url, "version": __version__})
        yield
        database.close()

    app = FastAPI(
        title="Hymy collector",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.storage = storage
    app.state.ingest_in_flight = 0
    add_error_handlers(app)
    app.add_middleware(RequestLog)
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["health"], summary="Liveness")
    for router in (ingest.router, read.router, export.router, admin.router):
        app.include_router(router)
    mount_pages(app)
    return app


def mount_pages(app: FastAPI) -> None:
    """Where the HTML dashboard attaches: ``app.include_router(pages.router)`` plus static files.

    Pages call the same :mod:`sync.collector.reports` functions as ``read.py``.
    """
    from sync.collector import pages  # Jinja2 is only imported when the app is built

    app.include_router(pages.router)


def healthz(request: Request) -> JSONResponse:
    """``{"status": "ok"}`` when the database answers; 503 otherwise."""
    try:
        with request.app.state.storage.db.connection() as conn:
            conn.scalar("SELECT 1")
    except Exception:
        logger.exception("health check failed")
        return JSONResponse(
            {"status": "error", "detail": "database unavailable"}, 503, {"Retry-After": "5"}
        )
    return JSONResponse({"status": "ok", "version": __version__})


def add_error_handlers(app: FastAPI) -> None:
    """One error shape, ``{"detail": str}``, for every failure the caller can see."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": error.detail}, error.status_code, error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": describe_validation(error.errors())}, 422)

    @app.exception_handler(Busy)
    async def busy(request: Request, error: Busy) -> JSONResponse:
        logger.warning("database busy", extra={"path": request.url.path})
        return JSONResponse(
            {"detail": "the database is busy; retry shortly"}, 503, {"Retry-After": "2"}
        )

    @app.exception_handler(Exception)
    async def crash(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"path": request.url.path})
        return JSONResponse({"detail": "internal error; the collector log has details"}, 500)


def describe_validation(errors: list[dict[str, Any]]) -> str:
    """FastAPI's validation errors as one line: ``query.limit: Input should be ...``."""
    parts = []
    for item in errors[:5]:
        where = ".".join(str(part) for part in item.get("loc", ())) or "request"
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(parts)
