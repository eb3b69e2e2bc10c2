"""The staff screen's figures (kiosk.today), without a display."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.i18n import load_strings
from kiosk.store import Store
from kiosk.today import alert_for, percent, today_figures, when
from sync.metrics import MIN_RESPONSES, ces_figure, nps_figure

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
    assert figures.value == "60%"  # 3 of 5 in the top two faces, by sync.metrics
    assert figures.interval.startswith("95% interval: 23\u2013")
    assert figures.counts == [(1, 1), (2, 1), (3, 0), (4, 1), (5, 2)]
    assert figures.reasons == [("Queue", 2)]
    assert (figures.pending, figures.rejected) == (7, 0)
    assert figures.last_sync == "Never"
    # five responses are too few for a figure: the note with the count, no Happy Index
    assert (figures.too_few, figures.happy_index) == (True, "")
    assert figures.note == "5 responses \u2013 too few for a figure (from 30)"


def test_a_figure_from_the_threshold_up(store: Store):
    for minutes in range(MIN_RESPONSES):
        store.record_tap(1 + minutes % 5, 5, "fi", interval=0, now=NOW + timedelta(minutes=minutes))
    figures = today_figures(store, STRINGS["en"], "en", 5, now=NOW + timedelta(hours=1))
    assert (figures.responses, figures.too_few, figures.note) == (MIN_RESPONSES, False, "")
    assert figures.value == "40%" and figures.happy_index.startswith("Happy Index: ")


def test_no_responses_yet(store: Store):
    figures = today_figures(store, STRINGS["fi"], "fi", 3, now=NOW)
    assert (figures.value, figures.interval, figures.happy_index) == (
        "\u2013", "Ei vielä vastauksia", "")
    assert figures.counts == [(1, 0), (2, 0), (3, 0)]


def taps(store: Store, kind: str, scale: int, scores: list[int], start: int = 0) -> None:
    """Counted taps of ``kind`` today (a minute apart from ``start``)."""
    for minutes, score in enumerate(scores, start):
        store.record_tap(score, scale, "fi", interval=0, kind=kind,
                         now=NOW + timedelta(minutes=minutes))


def test_an_nps_kiosk_shows_todays_nps_not_an_empty_csat(store: Store):
    scores = [10, 9, 9, 8, 7, 6, 3, 10] * 4  # 32: from the threshold up
    taps(store, "nps", 11, scores)
    figures = today_figures(store, STRINGS["fi"], "fi", 5, kind="nps",
                            now=NOW + timedelta(hours=1))
    found = nps_figure((score, 1) for score in scores)
    assert (figures.kind, figures.kind_name, figures.responses) == ("nps", "NPS", 32)
    assert figures.value == "25" == f"{found.value:.0f}"  # 16 promoters - 8 detractors of 32
    assert figures.interval == (f"95 %:n luottamusväli: {round(found.ci_low)} \u2013 "
                                f"{round(found.ci_high)}").replace("-", "\u2212")
    assert figures.interval.endswith(": \u22124 \u2013 50")  # the real minus, as the dashboard
    assert (figures.too_few, figures.note, figures.happy_index, figures.also) == (
        False, "", "", "")


def test_a_ces_kiosk_of_few_answers_is_dimmed_with_its_count(store: Store):
    taps(store, "ces", 7, [6, 7, 5, 2])
    figures = today_figures(store, STRINGS["en"], "en", 5, kind="ces",
                            now=NOW + timedelta(hours=1))
    found = ces_figure([(6, 1), (7, 1), (5, 1), (2, 1)])
    assert (figures.kind_name, figures.value) == ("CES", "5.0")
    assert figures.interval == f"95% interval: {found.ci_low:.1f} \u2013 {found.ci_high:.1f}"
    assert figures.too_few and figures.note == "4 responses \u2013 too few for a figure (from 30)"


def test_a_day_whose_survey_changed_names_the_other_kind(store: Store):
    taps(store, "csat", 5, [5, 4, 1])
    taps(store, "nps", 11, [10, 0], start=10)
    figures = today_figures(store, STRINGS["en"], "en", 5, kind="nps",
                            now=NOW + timedelta(hours=1))
    assert (figures.kind, figures.value, figures.responses) == ("nps", "0", 5)
    assert figures.also == "CSAT 67%, n = 3"
    # a kiosk asking CSAT whose answers today are all NPS shows the NPS it has
    store.db.execute("DELETE FROM ratings WHERE kind = 'csat'")
    figures = today_figures(store, STRINGS["en"], "en", 5, now=NOW + timedelta(hours=1))
    assert (figures.kind, figures.value, figures.also) == ("nps", "0", "")


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


def test_the_staff_screen_names_a_config_the_collector_disagrees_with(store: Store):
    """Issue 14: the example store_id left in is shown, both values, above a sync error."""
    for _ in range(2):
        store.record_tap(3, 5, "fi", interval=0, now=NOW)
    store.mark_rejected({row["id"]: "store_id 's1' does not match this kiosk's token"
                         for row in store.pending(10, now=NOW)})
    store.set_state("sync_status", {"last_error": "collector rejected"})
    store.set_state("collector_kiosk", {"store_id": "sto", "store_name": "Stockholm",
                                        "kiosk_id": "k1", "timezone": "Europe/Stockholm"})
    figures = today_figures(store, STRINGS["en"], "en", 5, sync_enabled=True, now=NOW)
    assert figures.rejected == 2
    assert figures.alert == ("Kiosk config differs from the collector: store_id s1 \u2260 sto,"
                             " timezone Europe/Helsinki \u2260 Europe/Stockholm")
    assert figures.alert_level == "danger"
    store.set_state("collector_kiosk", {"store_id": "s1", "store_name": "Helsinki",
                                        "kiosk_id": "k1", "timezone": "Europe/Stockholm"})
    figures = today_figures(store, STRINGS["en"], "en", 5, sync_enabled=True, now=NOW)
    assert figures.alert_level == "warn" and "timezone" in figures.alert


def test_resend_rejected_keeps_ids_and_seqs_and_takes_the_current_ids(tmp_path: Path):
    old = Store(tmp_path / "kiosk.db", "helsinki-kamppi", "k1", "Europe/Helsinki")
    taps = [old.record_tap(4, 5, "fi", interval=0, now=NOW + timedelta(minutes=i))
            for i in range(3)]
    old.mark_rejected({tap.id: "store_id 'helsinki-kamppi' does not match" for tap in taps})
    old.close()
    fixed = Store(tmp_path / "kiosk.db", "sto", "k1", "Europe/Helsinki")
    try:
        fixed.set_state("collector_kiosk", {"store_id": "sto", "store_name": "Stockholm",
                                            "kiosk_id": "k1", "timezone": "Europe/Stockholm"})
        assert fixed.use_collector_zone() == "Europe/Stockholm"
        assert fixed.rejected_reasons() == [("store_id 'helsinki-kamppi' does not match", 3)]
        assert fixed.resend_rejected(moved_only=True) == 3
        assert fixed.resend_rejected(moved_only=True) == 0
        rows = fixed.pending(10, now=NOW + timedelta(hours=1))
        assert [(r["id"], r["seq"], r["store_id"], r["local_date"]) for r in rows] == [
            (tap.id, tap.seq, "sto", "2026-01-15") for tap in taps]  # 23:30 in Stockholm
        assert fixed.stats()["rejected"] == 0
        [entry] = fixed.get_state("resent_rejected")
        assert entry["ratings"] == 3 and entry["store_id"] == "sto"
    finally:
        fixed.close()
