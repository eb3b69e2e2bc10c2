"""Structured logs: one JSON object per line, one line per HTTP request.

A request line carries method, path (without query string), status, duration
in milliseconds, a request id, the caller's role and, for uploads, what became
of the batch.  Headers are never logged, so a token cannot end up in a log file.
The request id is also sent back as ``X-Request-ID`` and shown on error pages,
so a person reporting an error gives the one log line to look at.
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
import time
from typing import Any

from sync.collector.asgi import HttpMiddleware

logger = logging.getLogger("hymy.collector")

#: Record attributes that are not extra fields (uvicorn adds an ANSI-coloured copy too).
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"color_message"}


class JsonFormatter(logging.Formatter):
    """Format a log record as one JSON line; ``extra=`` fields become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in data and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


def log_config(level: str = "info") -> dict[str, Any]:
    """A ``logging.config`` dict sending our logs and uvicorn's to stderr as JSON lines."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    loggers = ("hymy", "uvicorn", "uvicorn.error")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": handler},
        "loggers": {
            **{name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
               for name in loggers},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def configure(level: str = "info") -> None:
    """Send ``hymy.*`` logs to stderr as JSON lines (used when not run under uvicorn)."""
    hymy = logging.getLogger("hymy")
    if not any(isinstance(h.formatter, JsonFormatter) for h in hymy.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        hymy.addHandler(handler)
        hymy.propagate = False
    hymy.setLevel(level.upper())


class RequestLog(HttpMiddleware):
    """ASGI middleware writing one log line per request.

    Route code adds fields for the line to ``request.state.log`` (a dict), e.g.
    the caller's role or a batch's accepted/duplicate counts.  Each request
    gets a random id (:func:`request_id`), logged and sent as ``X-Request-ID``;
    one sent by the client is not trusted (it could name another's request).
    """

    async def http(self, scope: dict, receive: Any, send: Any) -> None:
        started = time.perf_counter()
        fields: dict[str, Any] = {}
        state = scope.setdefault("state", {})
        state["log"] = fields
        state["request_id"] = rid = secrets.token_hex(8)
        status = 500

        async def remember_status(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            client = scope.get("client")
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "client": client[0] if client else None,
                    "request_id": rid,
                    **fields,
                },
            )


def log_fields(request: Any) -> dict[str, Any]:
    """The dict whose items :class:`RequestLog` adds to this request's log line."""
    return request.scope.setdefault("state", {}).setdefault("log", {})


def request_id(request: Any) -> str:
    """The id :class:`RequestLog` gave this request ("-" outside the middleware)."""
    return request.scope.get("state", {}).get("request_id", "-")
