"""``GET /static/{name}``: the stylesheet and the face icons.

Served by the collector itself, no CDN: the pages must work offline on a store
network.  Only the files of ``static/`` and the face SVGs of the shipped assets
are served; templates link them with
:func:`~sync.collector.web.render.static_url`, whose content hash lets browsers
cache them for a day.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from sync.collector.web.render import secure_headers, static_files

router = APIRouter(include_in_schema=False)


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The stylesheet and face icons; any other name is a 404."""
    path = static_files().get(name)
    if path is None:
        return secure_headers(Response("not found", 404, media_type="text/plain"))
    media = "text/css" if name.endswith(".css") else "image/svg+xml"
    response = FileResponse(path, media_type=media)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return secure_headers(response, private=False)

