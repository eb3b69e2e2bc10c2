"""Fixtures for the kiosk's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.store import Store
from tests.support.kiosk_window import Kiosk


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh kiosk store (a real SQLite file in WAL mode) for store s1, kiosk k1."""
    opened = Store(tmp_path / "kiosk.db", "s1", "k1", "Europe/Helsinki")
    yield opened
    opened.close()


@pytest.fixture
def start_kiosk(xvfb_display: str, tmp_path: Path):
    """Start the real kiosk app (:class:`Kiosk`) with these settings; all stopped after."""
    started: list[Kiosk] = []

    def start(**settings: Any) -> Kiosk:
        kiosk = Kiosk(tmp_path, xvfb_display, **settings)
        started.append(kiosk)
        return kiosk

    yield start
    for kiosk in started:
        kiosk.stop()
