"""The batch format at its edges: the first and last plausible moments, what a
refused rating's verdict echoes back, whole-batch verdicts word for word, the
shapes' declaration, the kiosk's bytes and ids, and the one-pass fast paths.
"""

from __future__ import annotations

import gzip
import json
import uuid
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from sync import wire
from sync.clock import format_utc
from sync.wire import (
    MAX_BATCH_RATINGS,
    RATING_SHAPES,
    SHAPES,
    BadBatch,
    Batch,
    KioskStatus,
    Rating,
    Rejection,
    all_ours,
    decode_batch,
    encode,
    make_batch,
    new_rating_id,
    parse_rating,
    shape,
)

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
SENT = "2026-06-01T12:00:00.000Z"


@pytest.fixture
def now(monkeypatch):
    """The collector's clock reads NOW."""
    monkeypatch.setattr(wire, "utc_now", lambda: NOW)
    return NOW


def raw(seq: int = 1, **changes) -> dict:
    return {
        "id": str(uuid.uuid4()), "seq": seq, "store_id": "s1", "kiosk_id": "k1", "score": 4,
        "scale": 5, "created_at": "2026-05-31T22:30:00.123Z", "local_date": "2026-06-01",
        "lang": "fi", "reason": None, "suppressed": False, "survey_version": 2,
    } | changes


def body(ratings: list, **envelope) -> bytes:
    return json.dumps({"format": 1, "sent_at": SENT, "status": None, "ratings": ratings}
                      | envelope).encode()


def verdict(rating: dict) -> str | None:
    """parse_rating's and decode_batch's verdict on one rating (they must agree)."""
    try:
        parse_rating(rating)
        alone = None
    except ValueError as error:
        alone = str(error)
    _batch, found = decode_batch(body([raw(1), rating]))
    assert type(found[0]) is Rating
    in_batch = found[1].reason if isinstance(found[1], Rejection) else None
    assert in_batch == alone
    return alone


def refusal(data: bytes) -> tuple[str, str]:
    with pytest.raises(BadBatch) as refused:
        decode_batch(data)
    return refused.value.kind, str(refused.value)


# -- plausible moments ----------------------------------------------------------------


@pytest.mark.parametrize(("created_at", "local_date", "plausible"), [
    ("2020-01-01T00:00:00.000Z", "2020-01-01", True),
    ("2019-12-31T23:59:59.999Z", "2020-01-01", False),
    (format_utc(NOW), "2026-06-01", True),
    (format_utc(NOW + timedelta(hours=23)), "2026-06-02", True),
    (format_utc(NOW + timedelta(days=1)), "2026-06-02", True),
    (format_utc(NOW + timedelta(days=1, milliseconds=1)), "2026-06-02", False),
])
def test_a_rating_is_plausible_from_2020_to_a_day_ahead_of_the_collector(
        now, created_at, local_date, plausible):
    found = verdict(raw(created_at=created_at, local_date=local_date))
    if plausible:
        assert found is None
    else:
        assert found == f"created_at {created_at!r} is not a plausible time"


@pytest.mark.parametrize(("local_date", "near"), [
    ("2026-05-30", True), ("2026-05-31", True), ("2026-06-01", True),
    ("2026-05-29", False), ("2026-06-02", False), ("2026-06-03", False),
])
def test_the_local_day_is_at_most_a_day_from_the_utc_day(now, local_date, near):
    found = verdict(raw(created_at="2026-05-31T22:30:00.123Z", local_date=local_date))
    assert found == (None if near else "local_date is more than a day away from created_at")


# -- what a refused rating echoes -----------------------------------------------------


@pytest.mark.parametrize(("given", "echoed"), [
    ({"id": "a" * 100, "seq": 2**63 - 1}, ("a" * 64, 2**63 - 1)),
    ({"id": "b" * 64, "seq": -(2**63 - 1)}, ("b" * 64, -(2**63 - 1))),
    ({"id": "x", "seq": 2**63}, ("x", None)),
    ({"id": "x", "seq": -(2**63)}, ("x", None)),
    ({"id": "x", "seq": 1000}, ("x", 1000)),
    ({"id": "x", "seq": "7"}, ("x", None)),
    ({"id": "x", "seq": True}, ("x", None)),
    ({"id": "x", "seq": 1.0}, ("x", None)),
    ({"id": "bad\x00id", "seq": 3}, (None, 3)),
    ({"id": 5, "seq": None}, (None, None)),
])
def test_a_rating_refused_by_its_types_echoes_a_sane_id_and_seq(now, given, echoed):
    _batch, found = decode_batch(body([raw(1), raw(score="x") | given]))
    assert (found[1].id, found[1].seq) == echoed


def test_a_rating_refused_by_a_rule_echoes_its_id_and_seq_in_either_pass(now):
    odd = [raw(2, id="nope"), raw(3, score=5, scale=3)]
    one_pass = decode_batch(body([raw(1), *odd]))[1]
    by_one = decode_batch(body([raw(1, score="x"), *odd]))[1]
    for found in (one_pass, by_one):
        assert [(r.id, r.seq) for r in found[1:]] == [("nope", 2), (odd[1]["id"], 3)]
        assert [r.reason for r in found[1:]] == [
            "id: must be a lowercase UUID like 0190c3f2-7a1b-7c3d-8e4f-0123456789ab",
            "score 5 is outside a 3-face scale"]


def test_a_rating_the_decoder_cannot_nest_is_rejected_on_its_own(now, monkeypatch):
    """msgspec raises RecursionError past its nesting limit; the envelope reaches
    that limit first today, so the rating's own guard is tried with a decoder
    that refuses one rating so."""

    class Shallow:
        def decode(self, data):
            if b"deep" in bytes(data):
                raise RecursionError
            return wire.msgspec.json.decode(data, type=Rating)

    monkeypatch.setattr(wire, "_RATING", Shallow())
    deep = raw(7) | {"extra": "deep"}
    _batch, found = decode_batch(body([raw(1, score="x"), deep, raw(8)]))
    assert found[1] == Rejection(deep["id"], 7, "rating is nested too deeply")
    assert type(found[2]) is Rating and found[2].seq == 8


def test_exactly_the_most_ratings_a_batch_may_hold_are_judged_one_by_one(now):
    ratings = [raw(i + 1) for i in range(MAX_BATCH_RATINGS)]
    ratings[9] = raw(10, score="x")
    _batch, found = decode_batch(body(ratings))
    assert len(found) == MAX_BATCH_RATINGS
    assert [i for i, r in enumerate(found) if type(r) is not Rating] == [9]


def test_a_batch_judged_one_by_one_keeps_its_envelope(now):
    status = {"app_version": "2.0", "pending": 4, "oldest_pending_at": SENT, "last_seq": 9}
    batch, found = decode_batch(body([raw(1, score="x")], status=status))
    assert (batch.format, batch.sent_at, batch.ratings) == (1, SENT, [])
    assert batch.status == KioskStatus(**status)
    assert isinstance(found[0], Rejection)


# -- whole-batch verdicts -------------------------------------------------------------


def test_whole_batch_verdicts_word_for_word(now):
    assert refusal(body([raw()]).replace(b'"fi"', b'"\xff"')) == ("json", "body is not UTF-8 text")
    deep = b"[" * 5000 + b"]" * 5000
    assert refusal(b'{"sent_at": "' + SENT.encode() + b'", "extra": ' + deep + b', "ratings": []}'
                   ) == ("json", "body is not valid JSON: nested too deeply")
    # The first pass fails on a rating's type, the second on the nesting.
    nested = body([raw(score="x"), raw(2)]).replace(b"2}]", b'2, "x": ' + deep + b"}]")
    assert nested.count(deep) == 1
    assert refusal(nested) == ("json", "body is not valid JSON: nested too deeply")
    kind, detail = refusal(body([raw(score="x")])[:-2] + b",]}")
    assert kind == "json" and detail.startswith("body is not valid JSON: JSON is malformed")
    key = "k" * 50
    twice = body([]).replace(b'"ratings"', f'"{key}": 1, "{key}": 2, "ratings"'.encode())
    assert refusal(twice) == (
        "json", f"body is not valid JSON: key {'k' * 40!r} appears twice in one object")


# -- declarations ---------------------------------------------------------------------


def test_every_shaped_field_of_each_struct_is_found():
    utc = SHAPES[wire.UtcTime.__metadata__[0].extra_json_schema["pattern"]]
    assert [name for name, _ in wire._shaped_fields(Rating)] == [
        "id", "created_at", "local_date", "lang", "reason"]
    assert wire._shaped_fields(Rating) == RATING_SHAPES
    assert dict(RATING_SHAPES)["created_at"] is utc
    assert dict(RATING_SHAPES)["reason"].pattern.pattern == wire.REASON_KEY
    assert wire._shaped_fields(KioskStatus) == [("oldest_pending_at", utc)]
    assert wire._shaped_fields(Batch) == [("sent_at", utc)]


def test_a_shape_is_registered_with_what_it_must_look_like():
    pattern = r"^ab+\Z"
    try:
        meta = shape(pattern, "a then b's", max_length=4)
        assert SHAPES[pattern].looks_like == "a then b's"
        assert SHAPES[pattern].fits("abb") and not SHAPES[pattern].fits("abba")
        assert SHAPES[pattern].fits(None)
        assert (meta.description, meta.extra_json_schema, meta.max_length, meta.pattern) == (
            "a then b's", {"pattern": pattern}, 4, None)
    finally:
        SHAPES.pop(pattern, None)


def test_all_ours_allows_no_store_or_kiosk_but_the_tokens():
    def ratings(*pairs):
        return [Rating(**raw(i + 1, store_id=s, kiosk_id=k)) for i, (s, k) in enumerate(pairs)]

    assert all_ours(ratings(("s1", "k1"), (None, None), ("s1", None), (None, "k1")), "s1", "k1")
    assert all_ours(ratings(("s1", "k1")), "s1", "k1")
    assert all_ours([], "s1", "k1")
    assert not all_ours(ratings(("s1", "k1"), ("s2", "k1")), "s1", "k1")
    assert not all_ours(ratings(("s1", "k1"), ("s1", "k2")), "s1", "k1")
    assert not all_ours(ratings(("s2", "k2")), "s1", "k1")


# -- the kiosk's side -----------------------------------------------------------------


def test_the_kiosk_sends_json_gzipped_at_level_5():
    rows = [raw(i + 1, score=1 + i % 5) for i in range(200)]
    data, headers = encode(make_batch(rows))
    assert headers == {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    plain = gzip.decompress(data)
    deflate = zlib.compressobj(5, zlib.DEFLATED, -zlib.MAX_WBITS)
    assert data[10:-8] == deflate.compress(plain) + deflate.flush()
    assert encode(make_batch(rows), compress=False)[1] == {"Content-Type": "application/json"}


def test_a_rating_id_is_a_uuid7_of_the_taps_millisecond_and_the_random_bits():
    moment = datetime(2026, 11, 22, 9, 0, 0, 123000, tzinfo=UTC)
    millis = 1795338000123
    assert int(moment.timestamp() * 1000) == millis
    bits = 0xABC << 62 | 0x1234_5678_9ABC_DEF0
    made = uuid.UUID(new_rating_id(moment, random_bits=bits))
    assert (made.version, made.variant) == (7, uuid.RFC_4122)
    assert made.int >> 80 == millis
    assert made.int >> 64 & 0xFFF == 0xABC
    assert made.int & (2**62 - 1) == 0x1234_5678_9ABC_DEF0
    time_hex = f"{millis:012x}"
    assert str(made) == f"{time_hex[:8]}-{time_hex[8:]}-7abc-9234-56789abcdef0"
    zero = new_rating_id(moment, random_bits=0)
    assert zero == f"{time_hex[:8]}-{time_hex[8:]}-7000-8000-000000000000"


# -- the one pass ---------------------------------------------------------------------


def test_a_body_as_kiosks_encode_it_is_not_read_twice(now, monkeypatch):
    def twice(data):
        raise AssertionError("read a second time")

    monkeypatch.setattr(wire, "_no_key_twice", twice)
    data = encode(make_batch([raw(1), raw(2, score=5, scale=3)]), compress=False)[0]
    _batch, found = decode_batch(data)
    assert type(found[0]) is Rating and found[1].reason == "score 5 is outside a 3-face scale"


def test_a_batch_whose_shapes_fit_is_asked_only_the_rules_across_fields(now, monkeypatch):
    def each_shape(*args):
        raise AssertionError("shapes matched rating by rating")

    monkeypatch.setattr(wire, "problem", each_shape)
    _batch, found = decode_batch(body([raw(1), raw(2, score=5, scale=4), raw(3)]))
    assert [r.reason if isinstance(r, Rejection) else None for r in found] == [
        None, "score 5 is outside a 4-face scale", None]
