"""Fixtures for the collector's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from sync.collector import Database, Storage


@pytest.fixture
def chain_storage(collector_database: str) -> Iterator[Callable[..., Storage]]:
    """Make a migrated :class:`Storage` on the test's database (either backend) with
    stores (id -> time zone), each with a kiosk ``<store>-<suffix>`` per suffix."""
    opened: list[Database] = []

    def make(stores: dict[str, str], kiosks: tuple[str, ...] = ("k",)) -> Storage:
        db = Database(collector_database)
        db.migrate()
        opened.append(db)
        storage = Storage(db)
        for store_id, zone in stores.items():
            storage.add_store(store_id, f"Store {store_id}", zone)
            for suffix in kiosks:
                storage.add_kiosk(f"{store_id}-{suffix}", store_id)
        return storage

    yield make
    for db in opened:
        db.close()
