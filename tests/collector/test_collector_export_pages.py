"""Every page an export writes - lines built and joined by the database, or read again
line by line where a row needs Python - has, page for page, the bytes the row-by-row
writers make of its rows: CSV (both dialects, the header first) and JSON Lines, on a
mixed chain - zones with half-hour and 45-minute offsets, DST changes in and out,
formula-like cells, odd names, empty optional fields, a time not in the wire's shape -
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sync.collector import Storage
from sync.collector.api.export import render
from sync.collector.rating_pages import RATING_COLUMNS, StoreNames, rating_dicts, text_pages
from sync.collector.spreadsheet import DIALECTS
from tests.support.mixed_chain import fill


@pytest.fixture
def mixed_chain(chain_storage: Callable[..., Storage]) -> Storage:
    """A chain of awkward stores and ratings (:mod:`tests.support.mixed_chain`)."""
    return fill(chain_storage({}))


@pytest.mark.parametrize("page", [7, 500, 5000])
def test_every_page_has_the_bytes_of_the_row_by_row_writers(mixed_chain, page):
    for fmt, dialect in (("csv", "plain"), ("csv", "excel-nordic"), ("jsonl", "plain")):
        pages = text_pages(mixed_chain, StoreNames(mixed_chain), 0, None, fmt,
                           DIALECTS[dialect], page=page)
        if fmt == "csv":
            header, _, _ = next(pages)
            assert header == render([], RATING_COLUMNS, fmt, True, DIALECTS[dialect]).encode()
        after, count = 0, 0
        for text, last, rows in pages:
            stored = mixed_chain.export_ratings(after, rows)
            wanted = render(rating_dicts(stored, StoreNames(mixed_chain)), RATING_COLUMNS, fmt,
                            False, DIALECTS[dialect])
            assert text == wanted.encode(), (fmt, dialect, after)
            assert 0 < rows <= page and last == stored[-1][0]
            after, count = last, count + 1
        assert after == mixed_chain.count_after(0) > 1500
        assert count == -(-after // page)


def test_an_empty_export_is_the_header_alone(mixed_chain):
    stores, last = StoreNames(mixed_chain), mixed_chain.count_after(0)
    assert [text for text, _, _ in text_pages(mixed_chain, stores, last, None, "csv")] == [
        (",".join(RATING_COLUMNS) + "\n").encode()]
    nordic = list(text_pages(mixed_chain, stores, last, None, "csv", DIALECTS["excel-nordic"]))
    assert len(nordic) == 1 and nordic[0][0].startswith("\ufeffingest_seq;id;".encode())
    assert list(text_pages(mixed_chain, stores, last, None, "jsonl")) == []


def test_every_page_as_columns_holds_the_row_by_row_values(mixed_chain):
    """The XLSX writer's pages (``rating_columns``: names and local times a column at a
    time) hold what :func:`rating_dicts` gives the same rows, flags as stored: half-hour
    zones, DST steps and the times not in the wire's shape included."""
    from operator import itemgetter

    from sync.collector.rating_pages import rating_columns

    stores, after, seen = StoreNames(mixed_chain), 0, 0
    while rows := mixed_chain.export_ratings(after, 250):
        wanted = list(rating_dicts(rows, stores))
        got = rating_columns(rows, stores)
        for name, column in zip(RATING_COLUMNS, got, strict=True):
            values = list(map(itemgetter(name), wanted))
            if name in ("suppressed", "clock_suspect"):
                column = [bool(value) for value in column]
            assert list(column) == values, name
        after, seen = rows[-1][0], seen + len(rows)
    assert seen == mixed_chain.count_after(0) > 1500
