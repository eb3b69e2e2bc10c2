"""The column-at-a-time export writers give, page for page, the bytes of the row-by-row
ones they replaced: CSV (both dialects) and JSON Lines, on a mixed chain - zones with
half-hour and 45-minute offsets, DST changes in and out, formula-like cells, odd names,
empty optional fields, a time not in the wire's shape - on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from sync.clock import format_utc, local_date, zone
from sync.collector import Storage
from sync.collector.api.export import render
from sync.collector.rating_pages import RATING_COLUMNS, StoreNames, rating_dicts, ratings_text
from sync.collector.spreadsheet import DIALECTS

#: Store id -> (display name, zone): a Nordic store, half-hour and 45-minute zones, a
#: zone whose DST step is 30 minutes, one that steps at :30 UTC, and a hostile name.
STORES = {
    "hki": ('Kamppi, "Iso" Café', "Europe/Helsinki"),
    "del": ("Delhi\nMain", "Asia/Kolkata"),
    "ktm": ("Kathmandu", "Asia/Kathmandu"),
    "lhi": ("Lord Howe", "Australia/Lord_Howe"),
    "stj": ("St. John's", "America/St_Johns"),
    "bad": ("=HYPERLINK(\"http://x\")", "Europe/Stockholm"),
}
#: Moments around which taps cluster: DST changes of the zones above, and a quiet day.
AROUND = ("2025-03-30T01:00:00", "2025-10-26T01:00:00", "2025-03-09T05:30:00",
          "2025-04-05T15:00:00", "2025-10-04T15:30:00", "2025-06-10T12:00:00")
HOSTILE = ("=1+1", " @SUM(A1)", "-2", "+3", "\tx", "\uff1dcmd")


def mixed_rows(rng: random.Random) -> dict[str, list[tuple]]:
    """Rating rows (``ROW`` order) per kiosk: a few thousand, mostly ordinary."""
    per_kiosk: dict[str, list[tuple]] = {f"{store}-k": [] for store in STORES}
    for centre in AROUND:
        middle = datetime.fromisoformat(centre).replace(tzinfo=UTC)
        for _ in range(300):
            moment = middle + timedelta(seconds=rng.randint(-4 * 3600, 4 * 3600),
                                        milliseconds=rng.randint(0, 999))
            store = rng.choice([s for s in STORES if s != "bad"] * 20 + ["bad"])
            rows = per_kiosk[f"{store}-k"]
            created = format_utc(moment)
            reason = rng.choice([None, None, "queue", "", *(["=1+1"] if rng.random() < 0.01
                                                           else [])])
            rows.append((
                str(uuid.UUID(int=rng.getrandbits(128), version=4)), len(rows) + 1, store,
                f"{store}-k", rng.randint(1, 5), 5, created,
                local_date(moment, zone(STORES[store][1])), rng.choice(["fi", "sv-FI", "en"]),
                reason, int(rng.random() < 0.05), rng.choice([None, 1, 2]),
                created, int(rng.random() < 0.02),
            ))
    hki = per_kiosk["hki-k"]
    for text in HOSTILE:  # one page's worth of cells a spreadsheet could run
        row = list(hki[-1])
        row[0], row[1], row[9] = str(uuid.UUID(int=rng.getrandbits(128), version=4)), \
            len(hki) + 1, text
        hki.append(tuple(row))
    for created in ("2025-06-10T12:00:00Z", "2025-06-10T12:00:00.500+02:00"):  # not the wire's
        row = list(hki[-1])
        row[0], row[1], row[6] = str(uuid.UUID(int=rng.getrandbits(128), version=4)), \
            len(hki) + 1, created
        hki.append(tuple(row))
    return per_kiosk


@pytest.fixture
def mixed_chain(chain_storage: Callable[..., Storage]) -> Storage:
    """A chain of :data:`STORES` holding :func:`mixed_rows`."""
    storage = chain_storage({store: tz for store, (_, tz) in STORES.items()})
    for store, (name, _) in STORES.items():
        storage.rename_store(store, name)
    for kiosk_id, rows in mixed_rows(random.Random(18)).items():
        storage.bulk_insert(kiosk_id, rows)
    return storage


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
