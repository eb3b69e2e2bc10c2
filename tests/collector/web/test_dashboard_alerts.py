"""Alert rules of the office page: unhappy bursts, silent kiosks, below baseline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sync.clock import zone
from sync.collector import alerts

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, 12:00 in Helsinki
HELSINKI = zone("Europe/Helsinki")


def taps(*spec: tuple[float, bool]) -> list[tuple[datetime, bool]]:
    """(minutes after T0, unhappy) pairs as sorted taps."""
    return [(T0 + timedelta(minutes=m), u) for m, u in spec]


def test_unhappy_faces_are_the_bottom_ones():
    assert [alerts.is_unhappy(s, 5) for s in range(1, 6)] == [True, True, False, False, False]
    assert [alerts.is_unhappy(s, 4) for s in range(1, 5)] == [True, True, False, False]
    assert [alerts.is_unhappy(s, 3) for s in range(1, 4)] == [True, False, False]


def test_happyornot_starting_rule_half_unhappy_of_four_within_15_minutes():
    found = alerts.unhappy_bursts(taps((0, True), (3, False), (6, True), (9, False)))
    assert len(found) == 1
    assert (found[0].responses, found[0].unhappy) == (4, 2)
    assert found[0].start == T0 and found[0].end == T0 + timedelta(minutes=9)


def test_no_alert_below_the_share_or_the_count_or_outside_the_window():
    assert not alerts.unhappy_bursts(taps((0, True), (3, False), (6, False), (9, False)))
    assert not alerts.unhappy_bursts(taps((0, True), (3, True), (6, True)))
    spread = taps((0, True), (10, True), (20, False), (30, False))
    assert not alerts.unhappy_bursts(spread)  # never 4 taps within 15 minutes


def test_overlapping_windows_merge_into_one_incident():
    burst = taps(*[(2 * i, i % 2 == 0) for i in range(10)])  # 10 taps, every other unhappy
    found = alerts.unhappy_bursts(burst)
    assert len(found) == 1
    assert found[0].responses == 10 and found[0].unhappy == 5
    two = taps((0, True), (1, True), (2, True), (3, True),
               (60, True), (61, True), (62, True), (63, False))
    assert len(alerts.unhappy_bursts(two)) == 2


def test_open_hours_need_two_of_the_same_weekday():
    rows = [("2026-02-23", 9, 5, 5, 3), ("2026-02-16", 9, 5, 4, 1),  # Mondays 09
            ("2026-02-23", 22, 5, 1, 1),                              # one late Monday
            ("2026-02-24", 9, 5, 5, 0)]                               # zero counts
    assert alerts.open_hours(rows) == {(0, 9)}


def test_silent_time_counts_only_opening_hours():
    opening = {(0, h) for h in range(9, 21)}  # Mondays 09-21 local
    seen = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)  # 09:30 local
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)   # 12:00 local
    assert alerts.silent_open_hours(seen, now, HELSINKI, opening) == 2.5
    overnight = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)  # Sunday 20:00 local: closed
    monday_9 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert alerts.silent_open_hours(overnight, monday_9, HELSINKI, opening) == 0
    assert alerts.silent_open_hours(now, seen, HELSINKI, opening) == 0


def test_silent_time_across_a_dst_change():
    opening = {(6, h) for h in range(0, 24)}  # open all Sunday
    start = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # Helsinki springs forward at 01:00 UTC
    end = start + timedelta(hours=4)
    assert abs(alerts.silent_open_hours(start, end, HELSINKI, opening) - 4) < 1e-9


def test_below_baseline_needs_the_upper_bound_under_the_baseline():
    base = {"responses": 2000, "csat": 80.0}
    assert alerts.below_baseline({"responses": 300, "csat": 70, "ci_high": 75}, base, 100)
    assert not alerts.below_baseline({"responses": 300, "csat": 76, "ci_high": 81}, base, 100)
    assert not alerts.below_baseline({"responses": 0, "csat": None, "ci_high": None}, base, 100)
    thin = {"responses": 50, "csat": 90.0}
    assert not alerts.below_baseline({"responses": 300, "csat": 70, "ci_high": 75}, thin, 100)


def test_baseline_period_is_the_28_days_before():
    assert alerts.baseline_period("2026-03-01") == ("2026-02-01", "2026-02-28")
