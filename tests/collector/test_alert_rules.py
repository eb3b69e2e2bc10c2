"""The funnel rule, opening hours and per-store thresholds, as pure functions (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.collector import alerts
from sync.collector.settings import Settings

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def window(unhappy: int, responses: int) -> list[tuple[datetime, bool]]:
    """``responses`` taps a minute apart, the first ``unhappy`` of them unhappy."""
    return [(T0 + timedelta(minutes=i), i < unhappy) for i in range(responses)]


# -- the funnel rule ------------------------------------------------------------------

def test_nine_of_twenty_unhappy_at_a_store_with_twelve_percent_is_an_alert():
    found = alerts.above_funnel(window(9, 20), 0.12)
    assert found is not None
    assert (found.responses, found.unhappy, found.expected) == (20, 9, 0.12)
    assert found.limit == pytest.approx(0.338, abs=1e-3)
    assert found.sigmas == pytest.approx(4.54, abs=0.01)
    assert (found.start, found.end) == (T0, T0 + timedelta(minutes=19))


def test_two_of_four_or_three_of_six_is_inside_the_funnel():
    assert alerts.above_funnel(window(2, 4), 0.15) is None  # fewer than 5 responses
    assert alerts.above_funnel(window(4, 4), 0.15) is None
    assert alerts.above_funnel(window(3, 6), 0.15) is None  # under 0.15 + 3 SE = 0.59
    assert alerts.above_funnel(window(6, 6), 0.15) is not None


def test_a_few_taps_at_a_rarely_unhappy_store_need_the_exact_tail_too():
    # 3 of 10 at 5% is above the normal limit (0.257) but happens 1 time in 87.
    assert alerts.above_funnel(window(3, 10), 0.05) is None
    assert alerts.above_funnel(window(5, 10), 0.05) is not None


def test_no_baseline_no_funnel_alert_and_the_sigmas_are_a_threshold():
    assert alerts.above_funnel(window(9, 20), None) is None
    strict = alerts.Rules(funnel_sigmas=5)
    assert alerts.above_funnel(window(9, 20), 0.12, strict) is None
    assert alerts.above_funnel(window(14, 20), 0.12, strict) is not None


def test_recent_takes_the_minutes_up_to_now():
    taps = window(0, 60)
    now = T0 + timedelta(minutes=45)
    chosen = alerts.recent(taps, now, 30)
    assert [t for t, _ in chosen] == [T0 + timedelta(minutes=m) for m in range(16, 46)]


def test_burst_since_reports_only_windows_that_ended_since_the_last_look():
    taps = [(T0 + timedelta(minutes=m), u) for m, u in ((0, True), (3, False), (6, True),
                                                        (9, False), (40, False))]
    assert alerts.burst_since(taps, T0 + timedelta(minutes=5), T0 + timedelta(minutes=10))
    assert alerts.burst_since(taps, T0 + timedelta(minutes=10),
                              T0 + timedelta(minutes=15)) is None


# -- opening hours --------------------------------------------------------------------

def test_opening_hours_read_days_ranges_and_whole_hours():
    slots = alerts.parse_opening_hours("mon-fri 9-21, sat 10-18")
    assert len(slots) == 5 * 12 + 8
    assert (0, 9) in slots and (4, 20) in slots and (0, 21) not in slots
    assert (5, 10) in slots and (5, 18) not in slots and not any(d == 6 for d, _ in slots)
    assert alerts.format_opening_hours(slots) == "mon-fri 9-21; sat 10-18"
    assert alerts.parse_opening_hours("MON-FRI 09:00-21:00; Sat 10-18") == slots


def test_opening_hours_past_midnight_all_day_and_closed():
    late = alerts.parse_opening_hours("fri 22-2")
    assert late == {(4, 22), (4, 23), (5, 0), (5, 1)}
    assert alerts.format_opening_hours(late) == "fri 22-24; sat 0-2"
    assert len(alerts.parse_opening_hours("mon-sun 0-24")) == 168
    assert alerts.parse_opening_hours("sat-mon 10-12") == {(d, h) for d in (5, 6, 0)
                                                          for h in (10, 11)}
    assert alerts.parse_opening_hours("sun closed") == frozenset()
    assert alerts.format_opening_hours(frozenset()) == "mon-sun closed"
    assert alerts.parse_opening_hours("mon-sun closed") == frozenset()


@pytest.mark.parametrize(("text", "says"), [
    ("", "no opening hours given"),
    ("monday 9-21", "cannot read opening hours 'monday 9-21'"),
    ("mon 9", "whole hours like 'mon-fri 9-21; sat 10-18; sun closed'"),
    ("mon 9:30-17", "whole hours"),
    ("mon 25-3", "hours are 0-24"),
    ("mon 9-9", "opens before it closes"),
    ("xyz-fri 9-17", "'xyz' is not a day; use mon, tue"),
])
def test_bad_opening_hours_say_what_is_wrong(text, says):
    with pytest.raises(ValueError, match=None) as error:
        alerts.parse_opening_hours(text)
    assert says in str(error.value)


def test_set_opening_hours_replace_the_inferred_ones_for_silent_time():
    from sync.clock import zone

    helsinki = zone("Europe/Helsinki")
    seen = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # Monday 07:00 local
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # Monday 12:00 local
    opening = alerts.parse_opening_hours("mon-fri 9-21")
    assert alerts.silent_open_hours(seen, now, helsinki, set(opening)) == 3.0


# -- per-store thresholds and the rules in use ---------------------------------------------

def test_a_store_overrides_only_the_thresholds_it_sets():
    chain = alerts.Rules(silent_hours=2.0, burst_share=0.5)
    mine = alerts.for_store(chain, {"silent_hours": 4.0, "burst_share": None,
                                    "opening_hours": "mon 9-17"})
    assert (mine.silent_hours, mine.burst_share, mine.funnel_sigmas) == (4.0, 0.5, 3.0)
    assert alerts.for_store(chain, {"rate_alpha": 1e-3}).rate_alpha == 1e-3
    assert alerts.for_store(chain, {}) is chain


def test_settled_values_are_checked_and_canonical():
    assert alerts.settled("Mon-Fri 9-21 , sat 10-18") == {
        "opening_hours": "mon-fri 9-21; sat 10-18"}
    assert alerts.settled("") == {"opening_hours": None}  # back to inferred hours
    assert alerts.settled(silent_hours=3, burst_share=None) == {"silent_hours": 3}
    assert alerts.settled(reset=True, funnel_sigmas=3.5) == {
        "silent_hours": None, "funnel_sigmas": 3.5, "funnel_min_responses": None,
        "burst_share": None, "burst_min_responses": None, "rate_alpha": None}
    with pytest.raises(ValueError, match="burst_share must be above 0 and at most 1, not 1.5"):
        alerts.settled(burst_share=1.5)
    assert alerts.settled(burst_share=1, rate_alpha=0.499) == {"burst_share": 1,
                                                                "rate_alpha": 0.499}
    with pytest.raises(ValueError, match="rate_alpha must be above 0 and below 0.5, not 0.5"):
        alerts.settled(rate_alpha=0.5)
    with pytest.raises(ValueError, match="silent_hours must be above 0, not 0"):
        alerts.settled(silent_hours=0)
    with pytest.raises(ValueError, match="cannot read opening hours"):
        alerts.settled("weekdays")


def test_the_rules_in_use_come_from_one_setting():
    assert alerts.Rules().rules == ("rate", "silent", "baseline")
    assert alerts.parse_rule_names(" burst , silent ") == ("burst", "silent")
    chosen = alerts.rules_from(Settings(alert_rules="burst,baseline", alert_funnel_sigmas=2.5))
    assert chosen.uses("burst") and not chosen.uses("funnel") and chosen.funnel_sigmas == 2.5
    with pytest.raises(ValueError, match="alert_rules: unknown alert rule 'noisy'"):
        Settings.from_env({"HYMY_ALERT_RULES": "funnel,noisy"})
    with pytest.raises(ValueError, match="alert_funnel_sigmas must be positive"):
        Settings.from_env({"HYMY_ALERT_FUNNEL_SIGMAS": "0"})
    assert alerts.rules_from(Settings.from_env({"HYMY_ALERT_RATE_ALPHA": "1e-3"})).rate_alpha \
        == 1e-3
    with pytest.raises(ValueError, match="alert_rate_alpha must be above 0 and below 1, not 2"):
        Settings.from_env({"HYMY_ALERT_RATE_ALPHA": "2"})
