"""``decode_batch``: one pass over a whole batch, and each rating's verdict when one fails.

:class:`sync.wire.Rating` is the one declaration of a rating on the wire.  A
batch is decoded and checked in one msgspec pass; only when that fails are
the ratings decoded one by one, and each gets the verdict :func:`parse_rating`
gives it alone.  Old kiosks' bodies are read as they are, byte for byte.
"""

import gzip
import json
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync import wire
from sync.clock import format_utc, utc_now
from sync.wire import (
    MAX_BATCH_RATINGS,
    RATING_FIELDS,
    BadBatch,
    Batch,
    Rating,
    Rejection,
    decode_batch,
    encode,
    make_batch,
    parse_rating,
)
from tests.support.wire_cases import RATING_CASES

#: A batch exactly as the kiosks of 2026-11 (sync.wire before the msgspec
#: Rating) encoded it: it must keep being accepted as it is.
OLD_KIOSK_BODY = (
    b'{"format":1,"sent_at":"2026-01-16T06:01:02.345Z","status":{"app_version":"1.4.0",'
    b'"pending":3,"oldest_pending_at":"2026-01-15T22:30:00.123Z","last_seq":43},"ratings":['
    b'{"id":"0190c3f2-7a1b-7c3d-8e4f-0123456789ab","seq":41,"store_id":"s1","kiosk_id":"k1",'
    b'"score":5,"scale":5,"created_at":"2026-01-15T22:30:00.123Z","local_date":"2026-01-16",'
    b'"lang":"fi","reason":null,"suppressed":false,"survey_version":0},'
    b'{"id":"0190c3f2-7a1b-7c3d-8e4f-0123456789ac","seq":42,"store_id":"s1","kiosk_id":"k1",'
    b'"score":1,"scale":5,"created_at":"2026-01-15T22:31:05.007Z","local_date":"2026-01-16",'
    b'"lang":"sv-FI","reason":"queue","suppressed":false,"survey_version":3},'
    b'{"id":"b383d61a-ed8f-42dc-9f0e-0123456789ab","seq":43,"store_id":"s1","kiosk_id":"k1",'
    b'"score":2,"scale":3,"created_at":"2026-01-16T06:00:59.999Z","local_date":"2026-01-16",'
    b'"lang":"en","reason":null,"suppressed":true,"survey_version":null}]}'
)
OLD_KIOSK_HEARTBEAT = (
    b'{"format":1,"sent_at":"2026-01-16T06:01:02.345Z","status":null,"ratings":[]}'
)
#: The kiosk table rows behind OLD_KIOSK_BODY.
OLD_ROWS = [
    {**rating, "suppressed": int(rating["suppressed"]), "synced_at": None, "awaiting_reason": 0}
    for rating in json.loads(OLD_KIOSK_BODY)["ratings"]
]
OLD_STATUS = json.loads(OLD_KIOSK_BODY)["status"]


def kiosk_rating(**changes):
    return {
        "id": str(uuid.uuid4()), "seq": 7, "store_id": "s1", "kiosk_id": "k1", "score": 4,
        "scale": 5, "created_at": "2026-01-15T22:30:00.123Z", "local_date": "2026-01-16",
        "lang": "fi", "reason": None, "suppressed": False, "survey_version": 3,
        "kind": "csat", "followup": None,
    } | changes


def as_new(row: dict) -> dict:
    """An old kiosk's row as today's kiosk holds it: a CSAT question, no unanswered follow-up."""
    return {"kind": "csat", "followup": None} | row


def kiosk_batch(n: int) -> list[dict]:
    return [kiosk_rating(seq=i + 1, score=1 + i % 5, reason=("queue", None, "staff")[i % 3],
                         survey_version=(None, 0, 7)[i % 3], store_id=(None, "s1")[i % 2],
                         suppressed=i % 11 == 0, lang=("fi", "sv", "en-GB")[i % 3])
            for i in range(n)]


def body_of(ratings, status=None) -> bytes:
    return json.dumps({"format": 1, "sent_at": format_utc(utc_now()), "status": status,
                       "ratings": ratings}).encode()


def alone(raw):
    """What parse_rating says about one rating: its Rating, or the reason it is refused."""
    try:
        return parse_rating(raw)
    except ValueError as error:
        return str(error)


def verdicts(data: bytes) -> list:
    """decode_batch's verdicts in parse_rating's terms."""
    _batch, ratings = decode_batch(data)
    return [r.reason if isinstance(r, Rejection) else r for r in ratings]


# -- old kiosks, new kiosks ------------------------------------------------------------


def test_an_old_kiosks_body_is_read_as_it_is_in_one_pass():
    batch, ratings = decode_batch(OLD_KIOSK_BODY)
    assert ratings is batch.ratings  # the one pass, nothing judged on its own
    assert [tuple(getattr(r, f) for f in RATING_FIELDS) for r in ratings] == [
        tuple(bool(row[f]) if f == "suppressed" else row[f] for f in RATING_FIELDS)
        for row in map(as_new, OLD_ROWS)]
    assert (batch.sent_at, batch.status.last_seq, batch.status.oldest_pending_at) == (
        "2026-01-16T06:01:02.345Z", 43, "2026-01-15T22:30:00.123Z")
    heartbeat, none = decode_batch(OLD_KIOSK_HEARTBEAT)
    assert (heartbeat.sent_at, heartbeat.status, none) == ("2026-01-16T06:01:02.345Z", None, [])


def test_the_kiosk_encodes_with_the_same_struct_byte_for_byte(monkeypatch):
    monkeypatch.setattr(wire, "utc_now", lambda: datetime(2026, 1, 16, 6, 1, 2, 345000, UTC))
    batch = make_batch(OLD_ROWS, OLD_STATUS)
    assert type(batch) is Batch and all(type(r) is Rating for r in batch.ratings)
    body = encode(batch, compress=False)[0]
    # Today's kiosk says which question each rating answers; otherwise the old body.
    old = json.loads(OLD_KIOSK_BODY)
    old["ratings"] = [as_new(r) | {"kind": "csat", "followup": None} for r in old["ratings"]]
    assert json.loads(body) == old
    assert body.startswith(OLD_KIOSK_BODY[:OLD_KIOSK_BODY.index(b'"ratings"')])
    assert wire._JSON.encode(decode_batch(body)[0]) == body  # the collector's one pass
    assert encode(make_batch([]), compress=False)[0] == OLD_KIOSK_HEARTBEAT
    data, headers = encode(batch)
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(data) == body


def test_a_kiosk_batch_round_trips():
    rows = kiosk_batch(500)
    batch, ratings = decode_batch(encode(make_batch(rows, {"pending": 3}), compress=False)[0])
    assert ratings is batch.ratings
    assert [tuple(getattr(r, f) for f in RATING_FIELDS) for r in ratings] == [
        tuple(row[f] for f in RATING_FIELDS) for row in rows]


def test_the_kiosk_builds_batches_of_ratings_the_collector_refuses():
    """make_batch checks nothing: the collector's verdict comes back, the kiosk sets it aside."""
    odd = kiosk_rating(score=5, scale=3, created_at="2019-01-01T00:00:00.000Z")
    data = encode(make_batch([odd]), compress=False)[0]
    assert verdicts(data) == ["score 5 is outside a 3-face scale"]


# -- one rating's verdict, alone or in a batch -------------------------------------------

@pytest.mark.parametrize(("change", "verdict"), RATING_CASES)
def test_one_odd_rating_among_good_ones_gets_its_own_verdict(change, verdict):
    raws = kiosk_batch(40)
    raws[17] = {**raws[17], **change}
    found = verdicts(body_of(raws))
    assert found == [alone(raw) for raw in raws]
    if verdict is None:
        assert type(found[17]) is Rating
    else:
        assert isinstance(found[17], str) and found[17].startswith(verdict), found[17]
    assert all(type(rating) is Rating for i, rating in enumerate(found) if i != 17)


def test_missing_fields_and_non_objects():
    raws = kiosk_batch(4)
    raws[0] = {k: v for k, v in raws[0].items() if k not in ("store_id", "reason", "suppressed")}
    del raws[1]["lang"]
    raws += [["not", "an", "object"], "x", None]
    found = verdicts(body_of(raws))
    assert type(found[0]) is Rating and found[0].suppressed is False
    assert found[1] == "Object missing required field `lang`"
    assert found[4:] == ["rating must be a JSON object"] * 3
    _batch, ratings = decode_batch(body_of([[1], {"id": "x", "seq": 3}]))
    assert [(r.id, r.seq) for r in ratings] == [(None, None), ("x", 3)]  # echoed when sane


def test_a_rule_across_fields_broken_in_one_rating_of_a_big_batch_is_found():
    """The one pass asks ``problem`` of every rating, not only of the first few."""
    for change in ({"score": 5, "scale": 3}, {"local_date": "2026-01-18"},
                   {"created_at": "2019-06-01T00:00:00.000Z", "local_date": "2019-06-01"},
                   {"local_date": "2026-02-30"}):
        raws = kiosk_batch(500)
        raws[321] = {**raws[321], **change}
        found = verdicts(body_of(raws))
        assert [i for i, r in enumerate(found) if type(r) is not Rating] == [321], change


VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 8), st.integers(2**53 - 2, 2**53 + 1),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
    st.sampled_from(["fi", "sv-FI", "queue", "2026-01-16", "2026-01-17", "2026-02-29",
                     "2026-01-15T22:30:00.123Z", "2026-01-15T22:30:00Z", str(uuid.uuid4())]),
)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(st.lists(st.tuples(st.integers(0, 29),
                          st.dictionaries(st.sampled_from(RATING_FIELDS), VALUES, max_size=3)),
                max_size=4))
def test_any_mutated_ratings_get_the_verdicts_they_get_alone(changes):
    raws = kiosk_batch(30)
    for where, change in changes:
        raws[where] = {**raws[where], **change}
    try:
        data = body_of(raws)
    except ValueError:  # a lone surrogate: not JSON a kiosk can send
        return
    found = verdicts(data)
    assert found == [alone(raw) for raw in raws]
    for rating in found:
        assert type(rating) is Rating or (isinstance(rating, str) and rating)


# -- the batch as a whole -------------------------------------------------------------


@pytest.mark.parametrize(("data", "kind", "detail"), [
    (OLD_KIOSK_BODY.replace(b'"score":', b'"score":1,"score":', 1), "json",
     "body is not valid JSON: key 'score' appears twice in one object"),
    (OLD_KIOSK_BODY.replace(b'"sent_at":', b'"sent_at":"x","sent_at":', 1), "json",
     "appears twice"),
    (b'{"sent_at": "2026-01-16T06:01:02.345Z", "ratings": [], "ratings": []}', "json",
     "appears twice"),
    (OLD_KIOSK_BODY.replace(b'"lang":"fi"', b'"lang":NaN', 1), "json", "not valid JSON"),
    (b"\xff" + OLD_KIOSK_BODY, "json", "not valid JSON"),
    (OLD_KIOSK_BODY.replace(b'"fi"', b'"\xff"', 1), "json", "not UTF-8"),
    (OLD_KIOSK_BODY.replace(b'"fi"', b'"\\ud800"', 1), "json", "not valid JSON"),
    (OLD_KIOSK_BODY[:-1], "json", "not valid JSON"),
    (b"[]", "shape", "body {format, sent_at, status, ratings} must be a JSON object"),
    (b'{"sent_at": "2026-01-16T06:01:02.345Z"}', "shape", "missing required field `ratings`"),
    (b'{"sent_at": "yesterday", "ratings": []}', "shape", "sent_at: must be a UTC time"),
    (b'{"format": 2, "sent_at": "2026-01-16T06:01:02.345Z", "ratings": []}', "shape",
     "format: Invalid enum value 2"),
    (b'{"sent_at": "2026-01-16T06:01:02.345Z", "ratings": [], "status": {"pending": -1}}',
     "shape", "status.pending: Expected `int` >= 0"),
    (b'{"sent_at": "2026-01-16T06:01:02.345Z", "ratings": {}}', "shape",
     "ratings: Expected `array`, got `object`"),
    (b'{"sent_at": "2026-02-30T06:01:02.345Z", "ratings": []}', "shape",
     "sent_at: '2026-02-30T06:01:02.345Z' is not a real time"),
    (b'{"sent_at": "2026-02-30T06:01:02.345Z", "ratings": [1]}', "shape", "not a real time"),
    (b'{"sent_at": "2026-01-16T06:01:02.345Z", "ratings": [],'
     b' "status": {"oldest_pending_at": "0000-00-00T00:00:00.000Z"}}', "shape",
     "status.oldest_pending_at: '0000-00-00T00:00:00.000Z' is not a real time"),
])
def test_a_batch_refused_as_a_whole(data, kind, detail):
    with pytest.raises(BadBatch) as refused:
        decode_batch(data)
    assert refused.value.kind == kind and detail in str(refused.value)


def test_more_ratings_than_allowed_is_too_large():
    data = body_of(kiosk_batch(1) * (MAX_BATCH_RATINGS + 1))
    with pytest.raises(BadBatch) as refused:
        decode_batch(data)
    assert refused.value.kind == "size" and "at most 5000" in str(refused.value)


def test_a_key_twice_in_a_rating_that_fails_is_still_the_batchs_400():
    data = body_of([kiosk_rating(score=9)]).replace(b'"seq": 7', b'"seq": 7, "seq": 8', 1)
    with pytest.raises(BadBatch, match="appears twice"):
        decode_batch(data)


def test_status_keys_a_kiosk_does_not_send_are_ignored():
    batch, _ = decode_batch(body_of([], {"pending": 3, "battery": 80}))
    assert batch.status.pending == 3 and batch.status.app_version is None
