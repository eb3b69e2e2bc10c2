"""Timestamps stay UTC whatever the machine's own time zone, to the millisecond,
and both spellings of RFC 3339's UTC designator are read."""

from datetime import UTC, datetime, timedelta

import pytest

from sync.clock import format_utc, local_day_bounds, parse_utc, utc_now, zone


def test_now_is_an_aware_utc_instant(kathmandu_os_clock):
    now = utc_now()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_format_utc_writes_utc_on_a_machine_that_is_not(kathmandu_os_clock):
    helsinki = datetime(2026, 1, 15, 23, 59, 59, 999_999, tzinfo=zone("Europe/Helsinki"))
    assert format_utc(helsinki) == "2026-01-15T21:59:59.999Z"
    assert format_utc(datetime(2026, 1, 15, 21, 59, 59, 999_999, tzinfo=UTC)) == (
        "2026-01-15T21:59:59.999Z")


@pytest.mark.parametrize(("microsecond", "text"), [
    (0, ".000Z"), (999, ".000Z"), (1_000, ".001Z"), (12_345, ".012Z"), (999_999, ".999Z"),
])
def test_format_utc_truncates_to_the_millisecond(microsecond, text):
    moment = datetime(2026, 1, 15, 21, 59, 59, microsecond, tzinfo=UTC)
    assert format_utc(moment) == "2026-01-15T21:59:59" + text


def test_parse_utc_returns_utc_on_a_machine_that_is_not(kathmandu_os_clock):
    moment = parse_utc("2026-01-15T22:30:00.000Z")
    assert moment.tzinfo is UTC
    assert (moment.date().isoformat(), moment.hour) == ("2026-01-15", 22)
    shifted = parse_utc("2026-01-16T00:30:00+02:00")
    assert shifted.tzinfo is UTC and shifted.hour == 22


@pytest.mark.parametrize("text", ["2026-01-15T22:30:00.000Z", "2026-01-15T22:30:00.000z",
                                  "2026-01-15T22:30:00.000+00:00"])
def test_both_utc_designators_are_read(text):
    assert parse_utc(text) == datetime(2026, 1, 15, 22, 30, tzinfo=UTC)


def test_local_day_bounds_are_utc_instants(kathmandu_os_clock):
    start, end = local_day_bounds("2026-01-16", zone("Europe/Helsinki"))
    assert (start.tzinfo, end.tzinfo) == (UTC, UTC)
    assert (start.isoformat(), end.isoformat()) == (
        "2026-01-15T22:00:00+00:00", "2026-01-16T22:00:00+00:00")
