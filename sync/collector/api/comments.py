"""Shoppers' comments export for office and admin tokens.

``GET /api/v1/export/comments?after=CURSOR`` returns comments in the order
they were stored, with the cursor conventions of the ratings export
(:mod:`sync.collector.api.export`): the last row's ``id`` comes back as
``X-Next-Cursor``, ``X-More`` says whether to pull again.  Each row carries its
rating's ``score``, ``scale`` and ``rating_created_at`` when the rating had
arrived at export time (empty before: a comment may come first).  The text
was masked before it was stored; ``flagged`` marks profanity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Response

from sync.collector.api.export import (
    MEDIA_TYPES,
    ExportAsked,
    Pull,
    StoreNames,
    cursor_headers,
    export_asked,
    parse_cursor,
    pull_window,
    render,
)
from sync.collector.db.comments import EXPORT_COLUMNS

router = APIRouter(prefix="/api/v1/export", tags=["export"])
#: The exported columns (docs/export.md): the stored ones, then the store's name.
COMMENT_COLUMNS = (*EXPORT_COLUMNS, "store_name")


def comment_dicts(rows: Iterable[Sequence[Any]], stores: StoreNames) -> Iterable[dict[str, Any]]:
    """Export rows as dicts with JSON types (``flagged`` a boolean), with the store's name."""
    for row in rows:
        item = dict(zip(EXPORT_COLUMNS, row, strict=True))
        item["flagged"] = bool(item["flagged"])
        item["store_name"] = stores(item["store_id"])[0]
        yield item


@router.get(
    "/comments",
    summary="Shoppers' comments in the order stored, from a cursor",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}},
                     "description": "Rows; X-Next-Cursor and X-More headers for the next pull"}},
)
def export_comments(
    pull: Pull = Depends(pull_window),
    asked: ExportAsked = Depends(export_asked),
) -> Response:
    """Up to ``limit`` comments stored after the cursor, oldest first, as CSV or JSON Lines."""
    try:
        cursor = parse_cursor(pull.after)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    csv_dialect = asked.dialect()
    if asked.format not in ("csv", "jsonl"):
        raise HTTPException(422, f"format: comments export as csv or jsonl, not {asked.format}")
    rows = asked.storage.export_comments(cursor, pull.limit + 1)
    more = len(rows) > pull.limit
    rows = rows[: pull.limit]
    next_cursor = rows[-1][0] if rows else cursor
    body = render(comment_dicts(rows, StoreNames(asked.storage)), COMMENT_COLUMNS,
                  asked.format, dialect=csv_dialect)
    return Response(body, media_type=MEDIA_TYPES[asked.format],
                    headers=cursor_headers(next_cursor, more, len(rows)))
