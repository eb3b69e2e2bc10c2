"""Lines formatted by the database (sync/collector/db/lines.py) have the bytes of the
row-by-row writers: CSV in both dialects and JSON Lines, page by page, on a chain with
every awkward case - half-hour and 45-minute zones, DST days, formula-like cells, names
and reasons with commas, quotes, line breaks, backslashes, control characters and
unicode, empty fields, every question kind, times not in the wire's shape - on SQLite
and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from sync.collector import Storage
from sync.collector.api.export import render
from sync.collector.rating_pages import RATING_COLUMNS, StoreNames, rating_dicts, text_pages
from sync.collector.spreadsheet import DIALECTS
from tests.support.mixed_chain import fill_awkward


@pytest.fixture
def awkward_chain(chain_storage: Callable[..., Storage]) -> Storage:
    """The mixed chain plus ratings of every kind with awkward reasons."""
    return fill_awkward(chain_storage({}))


def wanted_text(storage: Storage, fmt: str, dialect: str) -> str:
    """The whole export as the row-by-row writers make it."""
    rows = storage.export_ratings(0, 10**9)
    return render(rating_dicts(rows, StoreNames(storage)), RATING_COLUMNS, fmt,
                  dialect=DIALECTS[dialect])


@pytest.mark.parametrize("page", [7, 500, 5000])
def test_database_lines_have_the_bytes_of_the_row_by_row_writers(awkward_chain, page):
    total = awkward_chain.count_after(0)
    for fmt, dialect in (("csv", "plain"), ("csv", "excel-nordic"), ("jsonl", "plain")):
        pages = list(text_pages(awkward_chain, StoreNames(awkward_chain), 0, None, fmt,
                                DIALECTS[dialect], page=page))
        assert b"".join(text for text, _, _ in pages) == wanted_text(
            awkward_chain, fmt, dialect).encode()
        assert sum(rows for _, _, rows in pages) == total
        assert pages[-1][1] == awkward_chain.db.query(
            "SELECT MAX(ingest_seq) AS top FROM ratings")[0]["top"]


def test_a_window_stops_at_its_count_and_an_empty_one_is_the_header(awkward_chain):
    stores = StoreNames(awkward_chain)
    pages = list(text_pages(awkward_chain, stores, 10, 25, "csv", page=10))
    assert [rows for _, _, rows in pages] == [0, 10, 10, 5]
    assert pages[-1][1] == 35
    last = awkward_chain.count_after(0)
    assert [text for text, _, _ in text_pages(awkward_chain, stores, last, None, "csv")] == [
        (",".join(RATING_COLUMNS) + "\n").encode()]
    assert list(text_pages(awkward_chain, stores, last, None, "jsonl")) == []


def test_an_export_stopped_early_leaves_no_thread_or_page_behind(awkward_chain):
    """A client gone after the first page: the pages made ahead are dropped, the threads
    that made them end, and the pages read so far were the first ones, in order."""
    pages = text_pages(awkward_chain, StoreNames(awkward_chain), 0, None, "jsonl", page=7)
    first, second = next(pages), next(pages)
    assert [first[1], first[2], second[1], second[2]] == [7, 7, 14, 7]
    assert b'"ingest_seq": 1,' in first[0] and b'"ingest_seq": 8,' in second[0]
    pages.close()
    assert [thread.name for thread in threading.enumerate()
            if thread.name.startswith("hymy-export")] == []
