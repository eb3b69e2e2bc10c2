"""Bulk exports for office and admin tokens: raw ratings and daily figures.

``GET /api/v1/export/ratings?after=CURSOR`` returns ratings in ingest order.
The cursor is the last row's ``ingest_seq`` (also sent as ``X-Next-Cursor``);
pass it back to get the rows stored since, and nothing is missed or repeated
even while kiosks deliver old taps late: a late tap gets a new ``ingest_seq``.
``hymy-collector export`` writes the same rows to a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from sync.clock import utc_now
from sync.collector import reports
from sync.collector.api.read import FROM, TO, period
from sync.collector.auth import chain_reader, storage_of
from sync.collector.db.storage import EXPORT_COLUMNS
from sync.collector.spreadsheet import csv_text
from sync.collector.tokens import Principal

router = APIRouter(prefix="/api/v1/export", tags=["export"])
MAX_LIMIT = 100_000
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
_FLAGS = ("suppressed", "clock_suspect")
DAILY_COLUMNS = (
    "store_id", "date", "responses", "satisfied", "csat", "ci_low", "ci_high",
    "happy_index", "suppressed", "face_1", "face_2", "face_3", "face_4", "face_5",
)


def parse_cursor(after: str) -> int:
    """The ``ingest_seq`` an ``after`` value stands for ("" or "0": from the start)."""
    if after in ("", "0"):
        return 0
    if not after.isdigit() or len(after) > 18:
        raise ValueError(f"after: {after!r} is not a cursor from X-Next-Cursor")
    return int(after)


def rating_dicts(rows: Iterable[Sequence[Any]]) -> Iterable[dict[str, Any]]:
    """Export rows as dicts with JSON types (flags as booleans)."""
    for row in rows:
        item = dict(zip(EXPORT_COLUMNS, row, strict=True))
        for flag in _FLAGS:
            item[flag] = bool(item[flag])
        yield item


def to_jsonl(items: Iterable[dict[str, Any]]) -> str:
    """One JSON object per line."""
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


def to_csv(
    items: Iterable[dict[str, Any]], columns: Sequence[str], header: bool = True
) -> str:
    """CSV text with ``columns`` in order (booleans as 0/1, None as empty).

    Text that a spreadsheet would run as a formula is neutralised
    (:mod:`sync.collector.spreadsheet`): the API, the dashboard's downloads
    and ``hymy-collector export`` all write CSV through here.
    """
    return csv_text(items, columns, header)


def render(items: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str,
           header: bool = True) -> str:
    """Rows as CSV or JSONL text."""
    return to_csv(items, columns, header) if fmt == "csv" else to_jsonl(items)


@router.get(
    "/ratings",
    summary="Raw ratings in ingest order, from a cursor",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}},
                     "description": "Rows; X-Next-Cursor and X-More headers for the next pull"}},
)
def export_ratings(
    request: Request,
    principal: Principal = Depends(chain_reader),
    after: str = Query("0", description="X-Next-Cursor of the previous pull (0: start)"),
    limit: int = Query(10_000, ge=1, le=MAX_LIMIT, description="Rows per pull"),
    format: Literal["csv", "jsonl"] = Query("csv", description="csv or jsonl"),
) -> Response:
    """Up to ``limit`` ratings stored after the cursor, oldest first.

    Columns: ``ingest_seq`` (the cursor), the kiosk's rating fields, then
    ``received_at`` and ``clock_suspect``.  Repeat with ``after`` set to
    ``X-Next-Cursor`` until ``X-More`` is ``false``; later pulls return only
    rows stored since.
    """
    try:
        cursor = parse_cursor(after)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    rows = storage_of(request).export_ratings(cursor, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = rows[-1][0] if rows else cursor
    body = render(rating_dicts(rows), EXPORT_COLUMNS, format)
    return Response(
        body,
        media_type=MEDIA_TYPES[format],
        headers={
            "X-Next-Cursor": str(next_cursor),
            "X-More": "true" if more else "false",
            "X-Row-Count": str(len(rows)),
        },
    )


@router.get(
    "/daily",
    summary="Daily figures of every store",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
)
def export_daily(
    request: Request,
    principal: Principal = Depends(chain_reader),
    start: str | None = FROM,
    end: str | None = TO,
    store: str | None = Query(None, description="Only this store"),
    format: Literal["csv", "jsonl"] = Query("csv", description="csv or jsonl"),
) -> Response:
    """One row per store and local day that had taps: CSAT figures and counts per face."""
    start, end = period(start, end, utc_now().date())
    rows = reports.daily_export_rows(storage_of(request), start, end, store)
    return Response(render(rows, DAILY_COLUMNS, format), media_type=MEDIA_TYPES[format])
