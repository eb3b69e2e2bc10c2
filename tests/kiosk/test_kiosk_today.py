"""The staff screen's figures (kiosk.today), without a display."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.i18n import load_strings
from kiosk.store import Store
from kiosk.today import alert_for, percent, today_figures, when

NOW = datetime(2026, 1, 15, 22, 30, tzinfo=UTC)  # 00:30 on the 16th in Helsinki
STRINGS = load_strings(["fi", "en"])


@pytest.fixture
def store(tmp_path: Path):
    opened = Store(tmp_path / "kiosk.db", "s1", "k1", "Europe/Helsinki")
    yield opened
    opened.close()


def test_figures_for_the_store_local_day(store: Store):
    yesterday = NOW - timedelta(hours=1)  # 23:30 on the 15th, local
    store.record_tap(1, 5, "fi", interval=0, now=yesterday)
    for minutes, score in enumerate([5, 5, 4, 2, 1]):
        tap = store.record_tap(score, 5, "fi", interval=0, ask_reason=score <= 2,
                               now=NOW + timedelta(minutes=minutes))
        if score <= 2:
            store.set_reason(tap.id, "queue")
    store.record_tap(5, 5, "fi", interval=3600, now=NOW + timedelta(minutes=5))  # suppressed
    figures = today_figures(store, STRINGS["en"], "en", 5, now=NOW + timedelta(minutes=9))
    assert figures.date == "2026-01-16"
    assert (figures.responses, figures.suppressed) == (5, 1)
    assert figures.csat == "60%"  # 3 of 5 in the top two faces, by sync.metrics
    assert figures.interval.startswith("95% interval: 23\u2013")
    assert figures.counts == [(1, 1), (2, 1), (3, 0), (4, 1), (5, 2)]
    assert figures.reasons == [("Queue", 2)]
    assert (figures.pending, figures.rejected) == (7, 0)
    assert figures.last_sync == "Never"


def test_no_responses_yet(store: Store):
    figures = today_figures(store, STRINGS["fi"], "fi", 3, now=NOW)
    assert (figures.csat, figures.interval, figures.happy_index) == (
        "\u2013", "Ei vielä vastauksia", "")
    assert figures.counts == [(1, 0), (2, 0), (3, 0)]


def test_percent_follows_the_language():
    assert percent(82.4, "fi") == "82\u00a0%"
    assert percent(82.5, "en") == "83%"  # rounded half up, as on the dashboard
    assert percent(81.5, "sv") == "82\u00a0%" and percent(7, "de") == "7\u00a0%"


def test_last_sync_in_store_local_time(store: Store):
    assert when("2026-01-15T22:05:00.000Z", store, STRINGS["en"], NOW) == "00:05"
    assert when("2026-01-14T10:00:00.000Z", store, STRINGS["en"], NOW) == "2026-01-14 12:00"
    assert when(None, store, STRINGS["fi"], NOW) == "Ei koskaan"


@pytest.mark.parametrize(("status", "store_error", "enabled", "expected"), [
    ({}, "local database write failed: database or disk is full", True, ("Disk full", "danger")),
    ({}, "local database is busy", True, ("local database is busy", "danger")),
    ({"disk_full": True}, "", True, ("Disk full", "danger")),
    ({"token_rejected": True, "last_error": "401"}, "", True,
     ("Token rejected \u2013 contact your administrator", "danger")),
    ({"last_error": "collector unreachable"}, "", True,
     ("Sync error: collector unreachable", "warn")),
    ({"last_sync_at": "2026-01-15T22:00:00Z"}, "", True, ("Synced", "ok")),
    ({}, "", False, ("Offline", "muted")),
    ({}, "", True, ("", "muted")),
])
def test_the_most_important_alert_wins(status, store_error, enabled, expected):
    assert alert_for(status, store_error, enabled, STRINGS["en"]) == expected


def test_figures_show_the_sync_status_the_uploader_saved(store: Store):
    store.set_state("sync_status", {"last_sync_at": "2026-01-15T22:20:00.000Z",
                                    "last_error": None, "token_rejected": False})
    figures = today_figures(store, STRINGS["en"], "en", 5, sync_enabled=True, now=NOW)
    assert (figures.last_sync, figures.alert, figures.alert_level) == ("00:20", "Synced", "ok")
