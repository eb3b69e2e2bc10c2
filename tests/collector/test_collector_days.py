"""Store-local days and hours: late-evening UTC taps, DST days of 23 and 25 hours."""

from __future__ import annotations

from datetime import timedelta

from sync.clock import utc_now
from tests.support.collector import batch, rating


def _cells(store, day):
    cells = store.get("/heatmap", **{"from": day, "to": day}).json()["cells"]
    return {(cell["day"], cell["hour"]): cell["responses"] for cell in cells if cell["responses"]}


def test_late_evening_utc_tap_belongs_to_the_next_helsinki_day(collector_store):
    tap = rating(next(collector_store.seq), at="2026-01-15T22:30:00Z", tz="Europe/Helsinki")
    assert tap["local_date"] == "2026-01-16"
    assert collector_store.post([tap]).json()["accepted"] == 1
    days = collector_store.daily("2026-01-15", "2026-01-16")
    assert days["2026-01-15"]["responses"] == 0
    assert days["2026-01-16"]["responses"] == 1
    assert _cells(collector_store, "2026-01-16") == {("Fri", 0): 1}


def test_new_york_evening_stays_on_its_own_date(collector_server):
    store = collector_server.new_store("America/New_York")
    tap = rating(1, at="2026-01-16T03:00:00Z", tz="America/New_York")
    assert tap["local_date"] == "2026-01-15"
    store.post([tap])
    assert store.daily("2026-01-15", "2026-01-16")["2026-01-15"]["responses"] == 1
    assert _cells(store, "2026-01-15") == {("Thu", 22): 1}


def test_spring_forward_day_has_no_three_oclock(collector_store):
    # 2026-03-29 in Helsinki: 03:00 EET jumps to 04:00 EEST (a 23-hour day).
    taps = [rating(next(collector_store.seq), at=at, tz="Europe/Helsinki")
            for at in ("2026-03-28T22:30:00Z", "2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z",
                       "2026-03-29T20:30:00Z")]
    assert {tap["local_date"] for tap in taps} == {"2026-03-29"}
    collector_store.post(taps)
    assert _cells(collector_store, "2026-03-29") == {
        ("Sun", 0): 1, ("Sun", 2): 1, ("Sun", 4): 1, ("Sun", 23): 1}
    assert collector_store.daily("2026-03-29", "2026-03-29")["2026-03-29"]["responses"] == 4


def test_fall_back_day_has_three_oclock_twice(collector_store):
    # 2026-10-25 in Helsinki: 04:00 EEST goes back to 03:00 EET (a 25-hour day).
    taps = [rating(next(collector_store.seq), at=at, tz="Europe/Helsinki")
            for at in ("2026-10-24T21:30:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z",
                       "2026-10-25T21:59:59Z", "2026-10-25T22:00:00Z")]
    assert [tap["local_date"] for tap in taps] == ["2026-10-25"] * 4 + ["2026-10-26"]
    collector_store.post(taps)
    assert _cells(collector_store, "2026-10-25") == {("Sun", 0): 1, ("Sun", 3): 2, ("Sun", 23): 1}
    days = collector_store.daily("2026-10-25", "2026-10-26")
    assert (days["2026-10-25"]["responses"], days["2026-10-26"]["responses"]) == (4, 1)


def test_kiosk_local_date_is_kept_even_when_its_clock_is_off(collector_server, collector_store):
    # A kiosk ten minutes slow says 23:55 on the 15th; the collector never moves it.
    tap = rating(next(collector_store.seq), at="2026-01-15T21:55:00Z", tz="Europe/Helsinki")
    result = collector_store.post(batch([tap], sent_at=utc_now() - timedelta(minutes=10))).json()
    assert result["clock_offset_s"] > 300
    assert collector_store.daily("2026-01-15", "2026-01-15")["2026-01-15"]["responses"] == 1
    stored = next(r for r in collector_server.export()[0] if r["id"] == tap["id"])
    assert stored["local_date"] == "2026-01-15" and stored["clock_suspect"] is True


def test_default_period_ends_on_the_store_local_today(collector_server):
    store = collector_server.new_store("Pacific/Kiritimati")  # UTC+14
    answer = store.get("/daily").json()
    today = (utc_now() + timedelta(hours=14)).date().isoformat()
    assert answer["to"] == today
    assert len(answer["days"]) == 30
    assert [row["date"] for row in answer["days"]][-1] == today
