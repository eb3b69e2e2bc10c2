"""Bulk exports for office and admin tokens: raw ratings and daily figures.

``GET /api/v1/export/ratings?after=CURSOR`` returns ratings in ingest order.
The cursor is the last row's ``ingest_seq`` (also sent as ``X-Next-Cursor``);
pass it back to get the rows stored since, and nothing is missed or repeated
even while kiosks deliver old taps late: a late tap gets a new ``ingest_seq``.
``hymy-collector export`` writes the same rows to a file.

Formats: ``csv`` (``dialect=plain``, the default, or ``excel-nordic``),
``jsonl``, ``xlsx`` and ``parquet``; the columns are declared once in
:mod:`sync.collector.columns` and documented in docs/export.md.  XLSX and
Parquet files are streamed from pages of rows, so memory stays flat; so are
CSV and JSON Lines, their lines built by the database
(:mod:`sync.collector.db.lines`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from sync.clock import utc_now
from sync.collector import columns, reports
from sync.collector.api.read import FROM, TO, period
from sync.collector.auth import chain_reader
from sync.collector.db.storage import Storage
from sync.collector.rating_pages import (
    RATING_COLUMNS as RATING_COLUMNS,  # where the dashboard and tests look for it
)
from sync.collector.rating_pages import (
    StoreNames,
    parse_cursor,
    rating_columns,
    rating_dicts,
    text_pages,
    to_jsonl,
)
from sync.collector.reads import reads_of
from sync.collector.spreadsheet import DIALECTS, PLAIN, Dialect, csv_text
from sync.collector.tokens import Principal
from sync.collector.xlsx import XLSX_MEDIA_TYPE, Sheet, xlsx_chunks

router = APIRouter(prefix="/api/v1/export", tags=["export"])
MAX_LIMIT = 100_000
#: Rows read from the database at a time for a streamed file (a Parquet row group).
PAGE = 10_000
#: Bytes a streamed CSV or JSON Lines answer sends at a time, at least.
CHUNK = 256 * 1024
Format = Literal["csv", "jsonl", "xlsx", "parquet"]
DialectName = Literal["plain", "excel-nordic"]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson",
    "xlsx": XLSX_MEDIA_TYPE, "parquet": "application/vnd.apache.parquet",
}
#: Formats sent as a streamed file rather than text built in one piece.
FILES = frozenset({"xlsx", "parquet"})
DAILY_COLUMNS = columns.names(columns.DAILY_COLUMNS)
FORMAT = Query("csv", description="csv, jsonl, xlsx or parquet")
DIALECT = Query(None, description="format=csv only: plain (default: comma, dot decimals) "
                                  "or excel-nordic (;, decimal commas, UTF-8 BOM)")
_RESPONSES = {200: {"content": {media.split(";")[0]: {} for media in MEDIA_TYPES.values()},
                    "description": "Rows; X-Next-Cursor and X-More headers for the next pull"}}


class ClosingStream(StreamingResponse):
    """A streamed export that closes its source when the answer ends, sent or not.

    Starlette stops reading a body when the client goes away but leaves the
    generator open; an export's page generator holds a pool of threads and the
    pages made ahead, which then lived on until Python's cycle collector found
    them (every dropped pull left its threads behind).  Closing it runs its
    ``finally``: the pages not begun are dropped and its threads end.
    """

    def __init__(self, content: Iterator[bytes], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.source = content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:  # the thread that read the last page has finished: closing is safe
            close = getattr(self.source, "close", None)  # a generator's (an iterator may have none)
            if close is not None:
                with anyio.CancelScope(shield=True):  # also when this request is cancelled
                    await run_in_threadpool(close)


def to_csv(
    items: Iterable[dict[str, Any]], columns: Sequence[str], header: bool = True,
    dialect: Dialect = PLAIN,
) -> str:
    """CSV text with ``columns`` in order (booleans as 0/1, None as empty).

    Text that a spreadsheet would run as a formula is neutralised
    (:mod:`sync.collector.spreadsheet`): the API, the dashboard's downloads
    and ``hymy-collector export`` all write CSV through here.
    """
    return csv_text(items, columns, header, dialect)


def render(items: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str,
           header: bool = True, dialect: Dialect = PLAIN) -> str:
    """Rows as CSV or JSONL text."""
    return to_csv(items, columns, header, dialect) if fmt == "csv" else to_jsonl(items)


def file_chunks(fmt: str, view: str, header: Sequence[columns.Column],
                pages: Iterable[Sequence[dict[str, Any]]]) -> Iterator[bytes]:
    """Pages of rows as an XLSX workbook (sheet ``view``) or a Parquet file, in chunks."""
    if fmt == "xlsx":
        columns_of = ([[item.get(column.name) for item in page] for column in header]
                      for page in pages)
        return xlsx_chunks([Sheet(view, header, columns_of)])
    from sync.collector.parquet import parquet_chunks  # pyarrow loads when first asked for

    return parquet_chunks(header, pages)


def ratings_file(fmt: str, stores: StoreNames, pages: Iterable[list[tuple]]) -> Iterator[bytes]:
    """Pages of stored rating rows as an XLSX workbook (sheet ``ratings``, written a
    column at a time) or a Parquet file, in chunks."""
    if fmt == "xlsx":
        columns_of = (rating_columns(page, stores) for page in pages)
        return xlsx_chunks([Sheet("ratings", columns.RATING_COLUMNS, columns_of)])
    dicts = (list(rating_dicts(page, stores)) for page in pages)
    return file_chunks(fmt, "ratings", columns.RATING_COLUMNS, dicts)


@dataclass(frozen=True)
class ExportAsked:
    """What every export route is asked, by an office or admin token: the file to send
    (query ``format`` and, for CSV, ``dialect``) from the collector's storage."""

    storage: Storage
    format: Format
    dialect_name: DialectName | None

    def dialect(self) -> Dialect:
        """The CSV dialect asked for (plain when none); 422 when it comes with another
        format.  The route calls it among its own checks, so their order stays its own."""
        if self.dialect_name is not None and self.format != "csv":
            raise HTTPException(
                422, f"dialect: applies to format=csv only, not format={self.format}")
        return DIALECTS[self.dialect_name or PLAIN.name]


def export_asked(
    request: Request,
    principal: Principal = Depends(chain_reader),
    format: Format = FORMAT,
    dialect: DialectName | None = DIALECT,
) -> ExportAsked:
    """The token check and the ``format`` and ``dialect`` queries of every export route;
    FastAPI lists a dependency's queries after the route's own (``from``/``to``...)."""
    return ExportAsked(reads_of(request), format, dialect)


@dataclass(frozen=True)
class Pull:
    """``after`` (not yet parsed: see :func:`parse_cursor`) and ``limit`` of a ratings pull."""

    after: str
    limit: int


def pull_window(
    after: str = Query("0", description="X-Next-Cursor of the previous pull (0: start)"),
    limit: int = Query(10_000, ge=1, le=MAX_LIMIT, description="Rows per pull"),
) -> Pull:
    """A dependency, like :func:`sync.collector.api.read.kiosk_filter`: FastAPI checks a
    route's dependencies in order before its own queries, so ahead of :func:`export_asked`
    a bad ``limit`` is still named before a bad ``format``."""
    return Pull(after, limit)


def attachment(name: str) -> dict[str, str]:
    """Headers that make a browser or ``curl -OJ`` save the body as ``name``."""
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def window_rows(storage: Storage, after: int, count: int,
                page: int = PAGE) -> Iterator[list[tuple]]:
    """The ``count`` ratings after the cursor ``after``, as stored rows, ``page`` at a time."""
    done = 0
    while done < count and (rows := storage.export_ratings(after, min(page, count - done))):
        after, done = rows[-1][0], done + len(rows)
        yield rows


@router.get(
    "/ratings",
    summary="Raw ratings in ingest order, from a cursor",
    response_class=Response,
    responses=_RESPONSES,
)
def export_ratings(
    pull: Pull = Depends(pull_window),
    asked: ExportAsked = Depends(export_asked),
) -> Response:
    """Up to ``limit`` ratings stored after the cursor, oldest first.

    Columns: ``ingest_seq`` (the cursor), the kiosk's rating fields,
    ``received_at`` and ``clock_suspect``, then ``store_name``,
    ``local_time``, ``question_kind`` and ``followup`` (docs/export.md).  Repeat with
    ``after`` set to ``X-Next-Cursor`` until ``X-More`` is ``false``; later
    pulls return only rows stored since.  XLSX and Parquet are streamed.  An XLSX
    pull always fits one sheet (``limit`` is at most 100 000; a sheet holds
    1 048 575 rows under its header): only the dashboard's download of a long
    period goes on to sheets ``ratings 2``, ``ratings 3``, ... (docs/export.md).
    """
    try:
        cursor = parse_cursor(pull.after)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    csv_dialect, format, limit = asked.dialect(), asked.format, pull.limit
    storage = asked.storage
    stores = StoreNames(storage)
    if format in FILES:
        count, last, more = storage.export_window(cursor, limit)
        pages = window_rows(storage, cursor, count)
        headers = cursor_headers(last, more, count)
        headers.update(attachment(f"hymy-ratings-after-{cursor}.{format}"))
        return ClosingStream(ratings_file(format, stores, pages),
                             media_type=MEDIA_TYPES[format], headers=headers)
    count, last, more = storage.export_window(cursor, limit)
    pages = text_pages(storage, stores, cursor, count, format, csv_dialect)
    return ClosingStream(text_chunks(pages), media_type=MEDIA_TYPES[format],
                         headers=cursor_headers(last, more, count))


def text_chunks(pages: Iterable[tuple[bytes, Any, int]]) -> Iterator[bytes]:
    """Pages of UTF-8 export text as chunks of at least :data:`CHUNK` bytes (the last
    one apart): a few large writes, not one per line or per small page."""
    waiting: list[bytes] = []
    size = 0
    for text, _, _ in pages:
        waiting.append(text)
        size += len(waiting[-1])
        if size >= CHUNK:
            yield b"".join(waiting)
            waiting, size = [], 0
    if waiting:
        yield b"".join(waiting)


def cursor_headers(next_cursor: int, more: bool, count: int) -> dict[str, str]:
    """The headers that tell a puller where the next pull starts and whether to make it."""
    return {"X-Next-Cursor": str(next_cursor), "X-More": "true" if more else "false",
            "X-Row-Count": str(count)}


@router.get(
    "/daily",
    summary="Daily figures of every store",
    response_class=Response,
    responses=_RESPONSES,
)
def export_daily(
    start: str | None = FROM,
    end: str | None = TO,
    store: str | None = Query(None, description="Only this store"),
    asked: ExportAsked = Depends(export_asked),
) -> Response:
    """One row per store and local day that had taps: CSAT figures, counts per face and
    the store's name."""
    csv_dialect, format = asked.dialect(), asked.format
    start, end = period(start, end, utc_now().date())
    storage = asked.storage
    rows = StoreNames(storage).name_rows(reports.daily_export_rows(storage, start, end, store))
    if format in FILES:
        return StreamingResponse(file_chunks(format, "daily", columns.DAILY_COLUMNS, [rows]),
                                 media_type=MEDIA_TYPES[format],
                                 headers=attachment(f"hymy-daily-{start}-{end}.{format}"))
    return Response(render(rows, DAILY_COLUMNS, format, dialect=csv_dialect),
                    media_type=MEDIA_TYPES[format])
