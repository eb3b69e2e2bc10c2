"""The office page's CSV downloads: the browser has a session cookie, not a bearer token.

- ``GET /office/export/daily.csv?from&to``: daily figures of every store, as
  the API's ``/api/v1/export/daily``.
- ``GET /office/export/ratings.csv?from&to``: every rating with a local date
  in the period, streamed in time order.

Office and admin users only (:func:`~sync.collector.web.access.chain_reader_page`).
A file is never of another period than the one asked for: a bad period is a
plain-text 400, decided before the first byte is sent (a streamed file cannot
turn into an error later).
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from sync.collector import reports
from sync.collector.api.export import DAILY_COLUMNS, rating_dicts, to_csv
from sync.collector.auth import storage_of
from sync.collector.db.storage import EXPORT_COLUMNS
from sync.collector.web.access import Refused, chain_reader_page
from sync.collector.web.render import SECURITY_HEADERS, Page, secure_headers
from sync.collector.web.views import chain_today, checked_period

router = APIRouter(include_in_schema=False)


class BadPeriod(Refused):
    """A download asked for a period the dashboard does not show: 400, as plain text."""

    def answer(self, request: Request) -> Response:
        answer = Response(f"{self}\n", 400, media_type="text/plain; charset=utf-8")
        return secure_headers(answer)


def download_period(request: Request, ctx: Page = Depends(chain_reader_page)) -> tuple[str, str]:
    """The ``from``/``to`` of the file to send; :class:`BadPeriod` for a bad one.

    ``ctx`` is unused but asked for, so that login and role are checked first.
    """
    today = chain_today(storage_of(request))
    q = request.query_params
    try:
        return checked_period(q.get("from"), q.get("to"), today)
    except ValueError as error:
        raise BadPeriod(str(error)) from None


def csv_headers(name: str) -> dict[str, str]:
    """An attachment named ``name`` with the pages' security headers, never cached."""
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    headers.update(SECURITY_HEADERS)
    headers["Cache-Control"] = "no-store"
    return headers


@router.get("/office/export/daily.csv")
def export_daily_csv(
    request: Request, period: tuple[str, str] = Depends(download_period)
) -> Response:
    """Daily figures of every store for the period, as the API's ``/export/daily``."""
    start, end = period
    rows = reports.daily_export_rows(storage_of(request), start, end)
    rows.sort(key=lambda r: (r["store_id"], r["date"]))
    return Response(to_csv(rows, DAILY_COLUMNS), media_type="text/csv; charset=utf-8",
                    headers=csv_headers(f"hymy-daily-{start}-{end}.csv"))


@router.get("/office/export/ratings.csv")
def export_ratings_csv(
    request: Request, period: tuple[str, str] = Depends(download_period)
) -> Response:
    """Every rating with a local date in the period, streamed in time order."""
    start, end = period
    storage = storage_of(request)
    time_at = EXPORT_COLUMNS.index("created_at")

    def rows() -> Iterable[str]:
        yield to_csv([], EXPORT_COLUMNS)
        cursor = ("", 0)
        while batch := storage.ratings_in_period(start, end, cursor):
            cursor = (batch[-1][time_at], batch[-1][0])
            yield to_csv(rating_dicts(batch), EXPORT_COLUMNS, header=False)

    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8",
                             headers=csv_headers(f"hymy-ratings-{start}-{end}.csv"))
