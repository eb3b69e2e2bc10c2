"""The office page's downloads: the browser has a session cookie, not a bearer token.

- ``GET /office/export/daily.csv|.xlsx?from&to``: daily figures of every
  store, as the API's ``/api/v1/export/daily``.
- ``GET /office/export/ratings.csv|.xlsx?from&to``: every rating with a local
  date in the period, streamed in time order.

A CSV is in the dialect Excel expects in the reader's language (``;``, a BOM
and decimal commas where numbers have a decimal comma: fi, sv, de; plain
commas in en) unless ``?dialect=plain`` or ``?dialect=excel-nordic`` says
otherwise.  An XLSX workbook has typed cells and is built a row at a time
(:func:`sync.collector.xlsx.write_xlsx`).

Office and admin users only (:func:`~sync.collector.web.access.chain_reader_page`).
A file is never of another period than the one asked for: a bad period (or
dialect) is a plain-text 400, decided before the first byte is sent (a
streamed file cannot turn into an error later).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from babel.numbers import get_decimal_symbol
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from sync.collector import columns, reports
from sync.collector.api.export import (
    DAILY_COLUMNS,
    MEDIA_TYPES,
    ClosingStream,
    StoreNames,
    attachment,
    file_chunks,
    ratings_file,
    to_csv,
)
from sync.collector.db.storage import EXPORT_COLUMNS, Storage
from sync.collector.rating_pages import period_text
from sync.collector.reads import reads_of
from sync.collector.spreadsheet import DIALECTS, Dialect, dialect_for
from sync.collector.web.access import Refused, chain_reader_page
from sync.collector.web.render import SECURITY_HEADERS, Page, secure_headers
from sync.collector.web.views import chain_today, checked_period

router = APIRouter(include_in_schema=False)


class BadDownload(Refused):
    """A download asked for a period the dashboard does not show, or an unknown
    dialect: 400, as plain text."""

    def answer(self, request: Request) -> Response:
        answer = Response(f"{self}\n", 400, media_type="text/plain; charset=utf-8")
        return secure_headers(answer)


@dataclass(frozen=True)
class Download:
    """What a download asked for: its period and, for a CSV, its dialect; and the
    storage it reads (the replica while it keeps up)."""

    start: str
    end: str
    dialect: Dialect
    storage: Storage

    def headers(self, view: str, extension: str) -> dict[str, str]:
        """An attachment named for the view and period, with the pages' security
        headers, never cached."""
        headers = attachment(f"hymy-{view}-{self.start}-{self.end}.{extension}")
        headers.update(SECURITY_HEADERS)
        headers["Cache-Control"] = "no-store"
        return headers


def download_request(request: Request, ctx: Page = Depends(chain_reader_page)) -> Download:
    """The period and dialect of the file to send; :class:`BadDownload` for a bad one.

    ``ctx`` is asked for first, so that login and role are checked first; its
    language decides the dialect when the link does not.
    """
    storage = reads_of(request)
    today = chain_today(storage)
    q = request.query_params
    try:
        start, end = checked_period(q.get("from"), q.get("to"), today)
    except ValueError as error:
        raise BadDownload(str(error)) from None
    asked = q.get("dialect")
    if asked is None:
        return Download(start, end, dialect_for(get_decimal_symbol(ctx.t.locale)), storage)
    if asked not in DIALECTS:
        raise BadDownload(f"dialect: {asked!r} is not one of {', '.join(DIALECTS)}")
    return Download(start, end, DIALECTS[asked], storage)


def daily_rows(asked: Download) -> list[dict[str, Any]]:
    """Every store's daily figures in the period, by store and date, with store names."""
    storage = asked.storage
    rows = reports.daily_export_rows(storage, asked.start, asked.end)
    rows.sort(key=lambda r: (r["store_id"], r["date"]))
    return StoreNames(storage).name_rows(rows)


def period_rows(asked: Download) -> Iterator[list[tuple]]:
    """Every rating with a local date in the period, in time order, a page of stored
    rows at a time (from the storage the download reads: the replica while it keeps up)."""
    storage = asked.storage
    time_at = EXPORT_COLUMNS.index("created_at")
    cursor = ("", 0)
    while batch := storage.ratings_in_period(asked.start, asked.end, cursor):
        cursor = (batch[-1][time_at], batch[-1][0])
        yield batch


@router.get("/office/export/daily.csv")
def export_daily_csv(request: Request, asked: Download = Depends(download_request)) -> Response:
    """Daily figures of every store for the period, as the API's ``/export/daily``."""
    text = to_csv(daily_rows(asked), DAILY_COLUMNS, dialect=asked.dialect)
    return Response(text, media_type=MEDIA_TYPES["csv"], headers=asked.headers("daily", "csv"))


@router.get("/office/export/daily.xlsx")
def export_daily_xlsx(request: Request, asked: Download = Depends(download_request)) -> Response:
    """The daily figures as an XLSX workbook (sheet ``daily``)."""
    chunks = file_chunks("xlsx", "daily", columns.DAILY_COLUMNS, [daily_rows(asked)])
    return StreamingResponse(chunks, media_type=MEDIA_TYPES["xlsx"],
                             headers=asked.headers("daily", "xlsx"))


@router.get("/office/export/ratings.csv")
def export_ratings_csv(
    request: Request, asked: Download = Depends(download_request)
) -> Response:
    """Every rating with a local date in the period, streamed in time order: lines built
    and joined by the database, as the API's and ``hymy-collector export``'s."""
    text = period_text(asked.storage, StoreNames(asked.storage), asked.start, asked.end, "csv",
                       asked.dialect)
    return ClosingStream(text, media_type=MEDIA_TYPES["csv"],
                         headers=asked.headers("ratings", "csv"))


@router.get("/office/export/ratings.xlsx")
def export_ratings_xlsx(
    request: Request, asked: Download = Depends(download_request)
) -> Response:
    """Every rating with a local date in the period as an XLSX workbook (sheet ``ratings``)."""
    chunks = ratings_file("xlsx", StoreNames(asked.storage), period_rows(asked))
    return StreamingResponse(chunks, media_type=MEDIA_TYPES["xlsx"],
                             headers=asked.headers("ratings", "xlsx"))
