"""The batch format: what a kiosk sends and what the collector accepts, item by item."""

import gzip
import json
import re
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.wire import RATING_FIELDS, decode_batch, encode, make_batch, parse_rating
from tests.support.wire_cases import RATING_CASES


def rating(**changes):
    base = {
        "id": str(uuid.uuid4()), "seq": 1, "store_id": "s1", "kiosk_id": "k1", "score": 4,
        "scale": 5, "created_at": "2026-01-15T22:30:00.123Z", "local_date": "2026-01-16",
        "lang": "fi", "reason": None, "suppressed": False, "survey_version": None,
    }
    return base | changes


def test_a_good_rating_parses():
    parsed = parse_rating(rating())
    assert parsed.score == 4 and parsed.local_date == "2026-01-16"


@pytest.mark.parametrize(("changes", "reason"), RATING_CASES)
def test_bad_ratings_are_refused_with_a_reason(changes, reason):
    if reason is None:
        parsed = parse_rating(rating(**changes))
        assert all(getattr(parsed, name) == value
                   for name, value in changes.items() if name in RATING_FIELDS)
        return
    with pytest.raises(ValueError, match="^" + re.escape(reason)):
        parse_rating(rating(**changes))


def test_non_object_rating_is_refused():
    with pytest.raises(ValueError, match="JSON object"):
        parse_rating(["not", "an", "object"])


def test_make_batch_carries_exactly_the_table_fields_and_round_trips_gzip():
    row = rating(synced_at=None, awaiting_reason=0, rejected_reason=None, suppressed=1)
    body = make_batch([row], status={"pending": 1})
    data, headers = encode(body)
    assert headers["Content-Encoding"] == "gzip"
    sent = json.loads(gzip.decompress(data))["ratings"][0]
    assert list(sent) == list(RATING_FIELDS) and sent["suppressed"] is True
    _batch, ratings = decode_batch(gzip.decompress(data))
    assert ratings[0].id == row["id"] and ratings[0].suppressed is True


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(RATING_FIELDS), st.one_of(
    st.none(), st.integers(-10, 10), st.text(max_size=30), st.booleans())))
def test_arbitrary_input_is_parsed_or_refused_with_valueerror(raw):
    try:
        parse_rating(raw)
    except ValueError as error:
        assert str(error)


def test_new_rating_ids_are_unique_within_a_millisecond_and_sort_by_time():
    from datetime import UTC, datetime, timedelta
    from uuid import UUID

    from sync.wire import new_rating_id

    moment = datetime(2026, 11, 22, 9, 0, 0, 123000, tzinfo=UTC)
    same_ms = {new_rating_id(moment) for _ in range(5000)}
    assert len(same_ms) == 5000
    assert {UUID(text).version for text in same_ms} == {7}
    later = new_rating_id(moment + timedelta(milliseconds=1))
    assert all(text < later for text in same_ms)
    assert new_rating_id(moment, random_bits=42) == new_rating_id(moment, random_bits=42)
    assert parse_rating(rating(id=later)).id == later
