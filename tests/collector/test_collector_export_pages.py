"""The column-at-a-time export writers give, page for page, the bytes of the row-by-row
ones they replaced: CSV (both dialects) and JSON Lines, on a mixed chain - zones with
half-hour and 45-minute offsets, DST changes in and out, formula-like cells, odd names,
empty optional fields, a time not in the wire's shape - on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sync.collector import Storage
from sync.collector.api.export import render
from sync.collector.rating_pages import RATING_COLUMNS, StoreNames, rating_dicts, ratings_text
from sync.collector.spreadsheet import DIALECTS
from tests.support.mixed_chain import fill


@pytest.fixture
def mixed_chain(chain_storage: Callable[..., Storage]) -> Storage:
    """A chain of awkward stores and ratings (:mod:`tests.support.mixed_chain`)."""
    return fill(chain_storage({}))


@pytest.mark.parametrize("page", [7, 500, 5000])
def test_every_page_has_the_bytes_of_the_row_by_row_writers(mixed_chain, page):
    stores = StoreNames(mixed_chain)
    after, pages = 0, 0
    while rows := mixed_chain.export_ratings(after, page):
        after, first = rows[-1][0], pages == 0
        for fmt, dialect in (("csv", "plain"), ("csv", "excel-nordic"), ("jsonl", "plain")):
            wanted = render(rating_dicts(rows, StoreNames(mixed_chain)), RATING_COLUMNS, fmt,
                            first, DIALECTS[dialect])
            assert ratings_text(rows, stores, fmt, first, DIALECTS[dialect]) == wanted, \
                (fmt, dialect, rows[0][0])
        pages += 1
    assert after == mixed_chain.count_after(0) > 1500
    assert pages >= 1


def test_an_empty_page_is_the_header_alone(mixed_chain):
    stores = StoreNames(mixed_chain)
    assert ratings_text([], stores, "csv") == ",".join(RATING_COLUMNS) + "\n"
    assert ratings_text([], stores, "csv", dialect=DIALECTS["excel-nordic"]).startswith(
        "\ufeffingest_seq;id;")
    assert ratings_text([], stores, "jsonl") == ""
