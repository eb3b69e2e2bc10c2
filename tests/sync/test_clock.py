"""Store-local days: the date a tap belongs to is the store's, not UTC's."""

from datetime import UTC, datetime

import pytest

from sync.clock import (
    format_utc,
    local_date,
    local_day_bounds,
    local_hour,
    local_words,
    parse_utc,
    zone,
)

HELSINKI = zone("Europe/Helsinki")


def test_late_evening_utc_in_january_is_the_next_day_in_helsinki():
    tap = datetime(2026, 1, 15, 22, 30, tzinfo=UTC)
    assert local_date(tap, HELSINKI) == "2026-01-16"
    assert local_hour(tap, HELSINKI) == 0


def test_dst_days_have_23_and_25_hours():
    start, end = local_day_bounds("2026-03-29", HELSINKI)
    assert (end - start).total_seconds() == 23 * 3600
    start, end = local_day_bounds("2026-10-25", HELSINKI)
    assert (end - start).total_seconds() == 25 * 3600


def test_timestamps_round_trip_with_milliseconds():
    text = format_utc(datetime(2026, 1, 2, 3, 4, 5, 678999, tzinfo=UTC))
    assert text == "2026-01-02T03:04:05.678Z"
    assert parse_utc(text) == datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert parse_utc("2026-01-02T05:04:05+02:00") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_naive_timestamp_is_refused():
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_utc("2026-01-02T03:04:05")


def test_unknown_zone_has_a_clear_error():
    with pytest.raises(ValueError, match="unknown IANA time zone 'Mars/Olympus'"):
        zone("Mars/Olympus")


def test_a_collectors_utc_instant_is_told_in_local_words():
    message = ("this enrollment code was already used at 2026-12-03T07:45:45.954Z;"
               " a newer one expired at 2026-07-03T23:15:00.000Z, stamped 2026-07-03T23:15:00Z")
    assert local_words(message, HELSINKI) == (
        "this enrollment code was already used on 3 Dec 2026 at 09:45 (EET);"
        " a newer one expired on 4 Jul 2026 at 02:15 (EEST), stamped 4 Jul 2026 at 02:15 (EEST)")
    assert local_words("no time here: 2026-12-03", HELSINKI) == "no time here: 2026-12-03"
