"""The verdict on each rating of an upload, in place: another store's or kiosk's,
a reason no survey offered, refused envelopes, and what the answer adds
(clock offset, missing seqs).

These call :func:`read_batch`, :func:`offered_reasons_only` and
:func:`handle_batch` on a real database in this process.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi import HTTPException

from sync.clock import utc_now
from sync.collector.api import ingest
from sync.collector.db.connection import Database
from sync.collector.db.storage import Storage
from sync.collector.tokens import Principal
from sync.survey import Survey
from sync.wire import MAX_BATCH_RATINGS, Rating, encode, make_batch
from tests.support.collector import batch, rating

KIOSK = Principal(1, "kiosk", "s1", "k1")


@pytest.fixture
def storage(tmp_path):
    db = Database(str(tmp_path / "c.db"))
    db.migrate()
    made = Storage(db)
    made.add_store("s1", "Store", "Europe/Helsinki")
    made.add_kiosk("k1", "s1")
    yield made
    db.close()


def body(ratings: list, **kwargs) -> bytes:
    return json.dumps(batch(ratings, **kwargs)).encode()


def answer(storage: Storage, data: bytes) -> dict:
    return json.loads(ingest.handle_batch(storage, KIOSK, data).model_dump_json())


def verdicts(rejected) -> list[tuple[int, str | None, int | None, str, str | None]]:
    return [(index, item.id, item.seq, item.status, item.reason) for index, item in rejected]


# -- whose ratings --------------------------------------------------------------------


@pytest.mark.parametrize("form", ["kiosk encode", "json.dumps"])
def test_a_rating_naming_another_store_or_kiosk_is_rejected_in_a_valid_batch(form):
    ratings = [rating(1, store_id="s1", kiosk_id="k1"), rating(2, store_id="s2"),
               rating(3), rating(4, kiosk_id="k9"), rating(5, store_id=None, kiosk_id="k1")]
    data = (encode(make_batch(ratings), compress=False)[0] if form == "kiosk encode"
            else body(ratings))
    _batch, valid, rejected = ingest.read_batch(data, KIOSK)
    assert [(index, r.seq) for index, r in valid] == [(0, 1), (2, 3), (4, 5)]
    assert all(type(r) is Rating for _, r in valid)
    assert verdicts(rejected) == [
        (1, ratings[1]["id"], 2, "rejected", "store_id 's2' does not match this kiosk's token"),
        (3, ratings[3]["id"], 4, "rejected", "kiosk_id 'k9' does not match this kiosk's token"),
    ]


def test_ratings_naming_no_store_or_this_one_are_kept_beside_an_invalid_one():
    ratings = [rating(1, score=9), rating(2), rating(3, store_id="s1", kiosk_id="k1"),
               rating(4, store_id=None, kiosk_id=None)]
    _batch, valid, rejected = ingest.read_batch(body(ratings), KIOSK)
    assert [index for index, _ in valid] == [1, 2, 3]
    assert [(index, item.seq, item.reason) for index, item in rejected] == [
        (0, 1, "score 9 is outside a 5-face scale")]


def test_a_usual_batch_is_every_rating_in_order():
    ratings = [rating(i + 1, store_id=("s1", None)[i % 2], kiosk_id=("k1", None)[i % 3 % 2])
               for i in range(12)]
    batch_, valid, rejected = ingest.read_batch(body(ratings), KIOSK)
    assert rejected == [] and [index for index, _ in valid] == list(range(12))
    assert [r for _, r in valid] == batch_.ratings


@pytest.mark.parametrize(("data", "status", "detail"), [
    (b"{", 400, "body is not valid JSON: "),
    (b'{"sent_at": "2026-01-16T06:01:02.345Z", "ratings": [], "ratings": []}', 400,
     "body is not valid JSON: key 'ratings' appears twice in one object"),
    (body([rating(1)] * (MAX_BATCH_RATINGS + 1)), 413,
     f"{MAX_BATCH_RATINGS + 1} ratings in one batch; send at most {MAX_BATCH_RATINGS}"),
    (b'{"sent_at": "yesterday", "ratings": []}', 422,
     "sent_at: must be a UTC time like 2026-01-15T22:30:00.123Z"),
])
def test_a_batch_refused_as_a_whole_is_its_status_and_verdict(data, status, detail):
    with pytest.raises(HTTPException) as refused:
        ingest.read_batch(data, KIOSK)
    assert refused.value.status_code == status
    assert refused.value.detail.startswith(detail), refused.value.detail


# -- reasons --------------------------------------------------------------------------


def test_a_reason_no_survey_offered_is_rejected_in_place(storage):
    storage.set_survey("s1", Survey(questions={"en": "How was it?"}, reasons=["sauna"]))
    ratings = [rating(1, reason="elevator"), rating(2, score=0), rating(3, reason="sauna"),
               rating(4, store_id="s2"), rating(5, reason="elevator"), rating(6, reason="queue"),
               rating(7, reason="wifi")]
    result = answer(storage, body(ratings))
    assert (result["accepted"], result["rejected"]) == (2, 5)
    offers = "is not a follow-up reason that any survey of store 's1' offers"
    assert [(item["seq"], item["reason"]) for item in result["items"]] == [
        (1, f"reason 'elevator' {offers}"),
        (2, "score 0 is outside a 5-face scale"),
        (4, "store_id 's2' does not match this kiosk's token"),
        (5, f"reason 'elevator' {offers}"),
        (7, f"reason 'wifi' {offers}"),
    ]
    assert [item["id"] for item in result["items"]] == [
        ratings[i]["id"] for i in (0, 1, 3, 4, 6)]
    assert {item["status"] for item in result["items"]} == {"rejected"}
    with storage.db.connection() as conn:
        assert conn.rows("SELECT seq, reason FROM ratings ORDER BY seq") == [
            (3, "sauna"), (6, "queue")]


def test_built_in_reasons_need_no_look_up(storage, monkeypatch):
    asked = []
    keys = storage.reason_keys
    monkeypatch.setattr(storage, "reason_keys", lambda store: asked.append(store) or keys(store))
    valid = [(0, Rating(**rating(1, reason="queue"))), (1, Rating(**rating(2)))]
    assert ingest.offered_reasons_only(storage, KIOSK, valid, []) == (valid, [])
    assert asked == []
    valid.append((2, Rating(**rating(3, reason="sauna"))))
    kept, refused = ingest.offered_reasons_only(storage, KIOSK, valid, [])
    assert asked == ["s1"] and kept == valid[:2]
    assert verdicts(refused) == [(2, valid[2][1].id, 3, "rejected", "reason 'sauna' is not a"
                                  " follow-up reason that any survey of store 's1' offers")]


def test_reasons_offered_by_a_survey_are_kept_with_the_rejections_given(storage):
    storage.set_survey("s1", Survey(questions={"en": "How was it?"}, reasons=["sauna"]))
    valid = [(1, Rating(**rating(2, reason="sauna")))]
    given = [(0, ingest.ItemResult(id="x", seq=1, status="rejected", reason="no"))]
    assert ingest.offered_reasons_only(storage, KIOSK, valid, given) == (valid, given)


# -- what the answer adds -------------------------------------------------------------


def test_the_answer_gives_the_clock_offset_and_the_missing_seqs(storage):
    late = answer(storage, body([rating(3)], sent_at=utc_now() - timedelta(minutes=10),
                                status={"last_seq": 6}))
    assert (late["accepted"], late["items"]) == (1, [])
    assert 599 <= late["clock_offset_s"] <= 660
    assert late["missing"] == [[1, 2], [4, 6]]
    heartbeat = answer(storage, body([], status={"last_seq": 6}))
    assert heartbeat["accepted"] == 0 and abs(heartbeat["clock_offset_s"]) < 60
    assert heartbeat["missing"] == [[1, 2], [4, 6]]


def test_duplicates_and_conflicts_are_listed_in_place_with_their_reasons(storage):
    first = [rating(1, score=5), rating(2, score=4)]
    answer(storage, body(first))
    again = [rating(3), {**first[1], "score": 2}, rating(4, score=0), first[0], rating(5)]
    result = answer(storage, body(again))
    assert (result["accepted"], result["duplicate"], result["conflict"], result["rejected"]) \
        == (2, 1, 1, 1)
    assert [(item["id"], item["seq"], item["status"]) for item in result["items"]] == [
        (first[1]["id"], 2, "conflict"), (again[2]["id"], 4, "rejected"),
        (first[0]["id"], 1, "duplicate")]
    assert "score" in result["items"][0]["reason"] and result["items"][2]["reason"] is None
