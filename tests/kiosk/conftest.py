"""Fixtures for the kiosk's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh kiosk store (a real SQLite file in WAL mode) for store s1, kiosk k1."""
    opened = Store(tmp_path / "kiosk.db", "s1", "k1", "Europe/Helsinki")
    yield opened
    opened.close()
