"""``decode_kiosk_batch`` (one pass over a body as kiosks encode it) against the general path.

The collector reads a batch body exactly as :func:`sync.wire.encode` writes it
in one msgspec pass; anything else goes through strict ``json.loads`` and each
rating on its own.  Whenever the one-pass reader answers, its answer must be
the general path's: same envelope, same rows.  When it declines (None), the
general path decides, so a decline never changes a verdict.
"""

import json

import pytest
from fastapi import HTTPException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.collector.api.ingest import envelope, parse_batch
from sync.wire import (
    _DIGIT_AS_0,
    _HEX_AS_X,
    _TIME_ONLY,
    _TIME_SHAPE,
    _UUID_ONLY,
    _UUID_SHAPE,
    MAX_BATCH_RATINGS,
    RATING_FIELDS,
    RatingRow,
    _all_shaped,
    decode_kiosk_batch,
    encode,
    make_batch,
    parse_ratings,
)
from tests.sync.test_wire_fast import VALUES
from tests.sync.test_wire_fast_batch import kiosk_batch


def body(ratings, status=None):
    """The uncompressed bytes a kiosk sends for these ratings."""
    return encode(make_batch(ratings, status), compress=False)[0]


def verdict(read):
    """A reader's result, or the status and detail of the HTTP error it raises."""
    try:
        return read()
    except HTTPException as error:
        return error.status_code, error.detail


def agree(data):
    """The one-pass answer, checked against the general path when there is one."""
    fast = decode_kiosk_batch(data)
    if fast is not None:
        body, rows = fast
        assert verdict(lambda: envelope(body)) == verdict(lambda: parse_batch(data)[0])
        assert rows == parse_ratings(json.loads(data)["ratings"])
        assert all(type(row) is RatingRow for row in rows)
    return fast


def test_a_kiosk_batch_is_read_in_one_pass_with_the_general_paths_rows():
    ratings = kiosk_batch(500)
    fast = agree(body(ratings, {"pending": 3, "last_seq": 500, "app_version": "1.0"}))
    assert fast is not None
    assert [tuple(row) for row in fast[1]] == [tuple(r[f] for f in RATING_FIELDS)
                                               for r in ratings]


def test_a_heartbeat_is_read_in_one_pass():
    data = body([])  # once: two bodies may carry different sent_at milliseconds
    assert agree(data) == ({"format": 1, "sent_at": json.loads(data)["sent_at"],
                            "status": None, "ratings": []}, [])


@pytest.mark.parametrize("change", [
    # a key twice: the general path refuses the whole batch with 400
    lambda data: data.replace(b'"score":', b'"score":1,"score":', 1),
    lambda data: data.replace(b'"sent_at":', b'"sent_at":"x","sent_at":', 1),
    # not the kiosk's form, though valid: spaces, escapes, a field more, another order
    lambda data: data.replace(b'"seq":', b'"seq" :', 1),
    lambda data: data.replace(b'"fi"', b'"\\u0066i"', 1),
    lambda data: data.replace(b'"seq":', b'"extra":1,"seq":', 1),
    lambda data: data.replace(b'{"format":1,', b'{', 1).replace(b'}', b',"format":1}', 1),
    # broken or hostile bodies
    lambda data: data[:-1], lambda data: b"\xff" + data, lambda data: b"[" * 100_000,
    lambda data: data.replace(b'"lang":"fi"', b'"lang":NaN', 1),
])
def test_any_other_form_goes_the_general_way(change):
    data = change(body(kiosk_batch(5)))
    assert decode_kiosk_batch(data) is None


def test_a_key_twice_is_still_refused_by_the_endpoint_rules():
    data = body(kiosk_batch(3)).replace(b'"score":', b'"score":1,"score":', 1)
    assert verdict(lambda: parse_batch(data)) == (
        400, "body is not valid JSON: key 'score' appears twice in one object")


def test_a_lone_surrogate_is_escaped_so_only_its_rating_is_rejected():
    good, odd = kiosk_batch(2)
    data = body([good, {**odd, "reason": "\ud800"}])
    assert b"\\ud800" in data
    assert decode_kiosk_batch(data) is None
    rows = parse_ratings(parse_batch(data)[1])
    assert type(rows[0]) is RatingRow and isinstance(rows[1], ValueError)


def test_more_ratings_than_allowed_go_the_general_way_for_their_413():
    ratings = kiosk_batch(1) * (MAX_BATCH_RATINGS + 1)
    assert decode_kiosk_batch(body(ratings)) is None


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(st.integers(0, 9), st.dictionaries(st.sampled_from(RATING_FIELDS), VALUES, max_size=3))
def test_a_mutated_rating_among_good_ones_agrees_with_the_general_path(where, change):
    ratings = kiosk_batch(10)
    ratings[where] = {**ratings[where], **change}
    try:
        data = body(ratings)
    except (TypeError, ValueError):  # make_batch's bool() of an odd value, a lone surrogate
        return
    agree(data)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(st.dictionaries(st.text(max_size=8), VALUES, max_size=4) | st.none() | VALUES)
def test_any_status_block_agrees_with_the_general_path(status):
    try:
        data = encode({"format": 1, "sent_at": "2026-01-15T22:30:00.123Z", "status": status,
                       "ratings": kiosk_batch(2)}, compress=False)[0]
    except (TypeError, ValueError):
        return
    agree(data)


@settings(max_examples=500)
@given(st.integers(0, 36), st.characters(), st.sampled_from(["drop", "swap", "add"]))
def test_the_column_shape_checks_are_the_regexes(where, char, how):
    for good, placeholders, shape, pattern in (
        ("b383d61a-ed8f-42dc-9f0e-0123456789ab", _HEX_AS_X, _UUID_SHAPE, _UUID_ONLY),
        ("2026-01-15T22:30:00.123Z", _DIGIT_AS_0, _TIME_SHAPE, _TIME_ONLY),
    ):
        cut = min(where, len(good))
        value = {"drop": good[:cut] + good[cut + 1:], "swap": good[:cut] + char + good[cut + 1:],
                 "add": good[:cut] + char + good[cut:]}[how]
        expected = bool(pattern.fullmatch(value))
        assert _all_shaped((value,), placeholders, shape) == expected
        assert _all_shaped((good, value, good), placeholders, shape) == expected
