"""The office's ratings CSV download goes the export's fast way (lines built and a page
joined by the database, as the API and ``hymy-collector export``) and keeps the bytes of
the row-by-row writers, in time order: on the mixed chain with every awkward case (odd
zones, DST days, formula-like cells, hostile names and reasons), in both dialects, on
SQLite and PostgreSQL; in-process."""

from __future__ import annotations

import pytest

from sync.collector import Storage
from sync.collector.app import create_app
from sync.collector.db.storage import EXPORT_COLUMNS
from sync.collector.rating_pages import RATING_COLUMNS, StoreNames, rating_dicts
from sync.collector.settings import Settings
from sync.collector.spreadsheet import DIALECTS, csv_text
from tests.support.asgi import call, session_cookie
from tests.support.mixed_chain import fill_awkward

_CREATED = EXPORT_COLUMNS.index("created_at")


@pytest.fixture
def awkward_app(collector_database):
    """An app over the awkward chain, and an office token."""
    app = create_app(Settings(database=collector_database))
    fill_awkward(app.state.storage)
    return app, app.state.storage.add_token("office").token


def wanted(storage: Storage, start: str, end: str, dialect: str) -> tuple[bytes, list]:
    """The period's ratings, in time order, as the row-by-row writers make them; the rows."""
    rows, cursor = [], ("", 0)
    while page := storage.ratings_in_period(start, end, cursor, limit=97):
        rows += page
        cursor = (page[-1][_CREATED], page[-1][0])
    return csv_text(rating_dicts(rows, StoreNames(storage)), RATING_COLUMNS, True,
                    DIALECTS[dialect]).encode(), rows


@pytest.mark.parametrize("start, end, least", [
    ("2025-03-01", "2025-11-30", 1500),  # the whole chain
    ("2025-03-30", "2025-03-30", 50),  # Helsinki's spring-forward day (local dates)
])
@pytest.mark.parametrize("dialect", ["plain", "excel-nordic"])
def test_the_ratings_download_has_the_bytes_of_the_row_by_row_writers(
        awkward_app, dialect, start, end, least):
    app, token = awkward_app
    answer = call(app, "GET", f"/office/export/ratings.csv?from={start}&to={end}"
                  f"&dialect={dialect}", session_cookie(app, token))
    assert answer.status == 200
    text, rows = wanted(app.state.storage, start, end, dialect)
    assert answer.body == text
    assert len(rows) >= least
    assert {row[EXPORT_COLUMNS.index("local_date")] for row in rows} <= {start, end} \
        or start != end
