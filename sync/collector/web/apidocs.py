"""The API's interactive docs at ``/docs``, from files installed with the collector.

FastAPI's own ``/docs`` page loads Swagger UI from a public CDN: a floating
version, no integrity hash, no CSP, and a blank page on a store network
without internet.  This page loads the two files it needs (script and
stylesheet) from the pinned ``fastapi-offline`` package (Swagger UI 5.32.6,
Apache-2.0), from this server, each with a Subresource Integrity hash, under a
CSP that names no other origin.  Its start-up script is a file of ours too, so
the CSP needs no ``'unsafe-inline'``.  ReDoc is not served (it would need
another CDN script).

Upgrading ``fastapi-offline`` changes the files: ``ASSETS`` then no longer
match, the page refuses to load them, and ``tests/collector/test_security_web.py`` says
so, until the new hashes are checked and written here.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)

PREFIX = "/docs/swagger-ui"
#: The files /docs loads, with their media type and SHA-384 (Subresource Integrity).
ASSETS = {
    "swagger-ui-bundle.js": (
        "text/javascript; charset=utf-8",
        "sha384-EYdOaiRwn44zNjrw+Tfs06qYz9BGQVo2f4/pLY5i7VorbjnZNhdplAbTBk8FXHUJ",
    ),
    "swagger-ui.css": (
        "text/css; charset=utf-8",
        "sha384-9Q2fpS+xeS4ffJy6CagnwoUl+4ldAYhOs9pgZuEKxypVModhmZFzeMlvVsAjf7uT",
    ),
}
#: Starts Swagger UI on our schema; no validator badge (it calls validator.swagger.io).
INIT_JS = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis]
});
"""
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hymy collector – API</title>
<link rel="stylesheet" href="{css}" integrity="{css_sri}">
</head>
<body>
<nav><p><a href="/" id="back-to-dashboard">← Hymy dashboard</a></p></nav>
<div id="swagger-ui"></div>
<script src="{js}" integrity="{js_sri}"></script>
<script src="{init}" integrity="{init_sri}"></script>
</body>
</html>
"""


def swagger_dir() -> Path:
    """Where the installed ``fastapi-offline`` package keeps Swagger UI."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def integrity(data: bytes) -> str:
    """A Subresource Integrity value for ``data``."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@lru_cache(maxsize=1)
def page_html() -> str:
    """The /docs page: same-origin URLs only, each with its pinned hash."""
    return PAGE.format(
        css=f"{PREFIX}/swagger-ui.css", css_sri=ASSETS["swagger-ui.css"][1],
        js=f"{PREFIX}/swagger-ui-bundle.js", js_sri=ASSETS["swagger-ui-bundle.js"][1],
        init=f"{PREFIX}/init.js", init_sri=integrity(INIT_JS.encode()),
    )


def headers(cache: str) -> dict[str, str]:
    """The docs' CSP plus caching; SecurityHeaders adds nosniff and the rest."""
    return {"Content-Security-Policy": CSP, "Cache-Control": cache}


@router.get("/docs")
def docs_page() -> HTMLResponse:
    """Swagger UI for the API, working offline."""
    return HTMLResponse(page_html(), headers=headers("no-cache"))


@router.get(PREFIX + "/{name}")
def docs_asset(name: str) -> Response:
    """Swagger UI's script and stylesheet, and our start-up script; nothing else."""
    if name == "init.js":
        return Response(INIT_JS, media_type="text/javascript; charset=utf-8",
                        headers=headers("no-cache"))
    if name not in ASSETS:
        raise HTTPException(404, "Not Found")
    media, _ = ASSETS[name]
    body = (swagger_dir() / name).read_bytes()
    return Response(body, media_type=media, headers=headers("public, max-age=86400"))
