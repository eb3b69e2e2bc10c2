"""Ingest against a real collector: store, read back, idempotency, per-item rejection,
heartbeats, clock offsets, seq gaps and the survey endpoint."""

from __future__ import annotations

import http.client
import json
import socket
import time
from datetime import timedelta

import pytest

from sync.clock import utc_now
from sync.metrics import summarize_scores
from sync.wire import encode
from tests.support.collector import Collector, batch, rating


def test_ingest_and_read_back(collector_store):
    scores = [5, 5, 4, 3, 2, 1, 5, 4]
    ratings = collector_store.ratings(scores)
    answer = collector_store.post(ratings)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["accepted"], result["duplicate"], result["conflict"], result["rejected"]) == (
        8, 0, 0, 0)
    assert result["items"] == []
    day = ratings[0]["local_date"]
    row = collector_store.daily(day, day)[day]
    expected = summarize_scores(scores, 5).as_dict()
    assert row["responses"] == 8
    assert row["satisfied"] == 5
    assert row["csat"] == expected["csat"] == 62.5
    assert (row["ci_low"], row["ci_high"]) == (expected["ci_low"], expected["ci_high"])
    assert row["counts"] == {"1": 1, "2": 1, "3": 1, "4": 2, "5": 3}
    summary = collector_store.get("/summary", **{"from": day, "to": day}).json()
    assert summary["responses"] == 8 and summary["csat"] == 62.5


def test_gzip_batch_is_accepted(collector_store):
    answer = collector_store.post(batch(collector_store.ratings([5, 4, 1])), gzip_body=True)
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 3


def test_same_batch_twice_is_stored_once(collector_server, collector_store):
    body = batch(collector_store.ratings([5, 4, 3, 2]))
    first = collector_store.post(body).json()
    before = collector_server.count()
    second = collector_store.post(body).json()
    assert first["accepted"] == 4
    assert (second["accepted"], second["duplicate"]) == (0, 4)
    assert {item["status"] for item in second["items"]} == {"duplicate"}
    assert collector_server.count() == before
    day = body["ratings"][0]["local_date"]
    assert collector_store.daily(day, day)[day]["responses"] == 4
    assert collector_store.kiosk()["received"] == 4


def test_overlapping_batches_store_each_rating_once(collector_store):
    ratings = collector_store.ratings([5] * 15)
    first = collector_store.post(ratings[:10]).json()
    second = collector_store.post(ratings[5:]).json()
    assert (first["accepted"], first["duplicate"]) == (10, 0)
    assert (second["accepted"], second["duplicate"]) == (5, 5)
    assert [item["seq"] for item in second["items"]] == [6, 7, 8, 9, 10]
    day = ratings[0]["local_date"]
    assert collector_store.daily(day, day)[day]["responses"] == 15


def test_same_id_with_new_content_is_a_conflict_and_the_first_stays(
    collector_server, collector_store
):
    original = collector_store.ratings([5])[0]
    assert collector_store.post([original]).json()["accepted"] == 1
    changed = dict(original, score=1)
    result = collector_store.post([changed]).json()
    assert (result["accepted"], result["conflict"]) == (0, 1)
    assert result["items"][0]["status"] == "conflict"
    assert "score" in result["items"][0]["reason"]
    stored = [r for r in collector_server.export()[0] if r["id"] == original["id"]]
    assert len(stored) == 1 and stored[0]["score"] == 5
    day = original["local_date"]
    assert collector_store.daily(day, day)[day]["counts"]["1"] == 0


#: A batch body as tests write it (the general reader) and as kiosks do (the one-pass reader).
FORMS = {
    "json.dumps": lambda body: json.dumps(body).encode(),
    "kiosk encode": lambda body: encode(body, compress=False)[0],
}


@pytest.mark.parametrize("form", FORMS)
def test_an_id_sent_again_with_a_new_seq_is_a_conflict_and_the_rest_is_stored(
    collector_server, collector_store, form
):
    original = collector_store.ratings([5])[0]
    assert collector_store.post([original]).json()["accepted"] == 1
    later = collector_store.ratings([4, 3])
    moved = dict(original, seq=later[-1]["seq"] + 1)  # above every seq stored for the kiosk
    answer = collector_store.post(FORMS[form](batch([*later, moved])))
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["accepted"], result["duplicate"], result["conflict"]) == (2, 0, 1)
    assert [(item["id"], item["seq"], item["status"]) for item in result["items"]] == [
        (original["id"], moved["seq"], "conflict")]
    assert "seq" in result["items"][0]["reason"]
    day = original["local_date"]
    assert collector_store.daily(day, day)[day]["responses"] == 3
    assert collector_store.kiosk()["received"] == 3
    assert collector_server.cli("check").returncode == 0


@pytest.mark.parametrize("form", FORMS)
def test_an_id_another_kiosk_stored_is_a_conflict_and_the_rest_is_stored(
    collector_server, collector_store, form
):
    other = collector_server.new_store()
    taken = other.ratings([5])[0]
    assert other.post([taken]).json()["accepted"] == 1
    mine = collector_store.ratings([4, 2])
    clash = dict(collector_store.ratings([1])[0], id=taken["id"])
    answer = collector_store.post(FORMS[form](batch([*mine, clash])))
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["accepted"], result["conflict"]) == (2, 1)
    assert result["items"][0]["id"] == taken["id"]
    stored = [r for r in collector_server.export()[0] if r["id"] == taken["id"]]
    assert [(r["store_id"], r["score"]) for r in stored] == [(other.store_id, 5)]
    day = mine[0]["local_date"]
    assert collector_store.daily(day, day)[day]["counts"] == {"1": 0, "2": 1, "3": 0, "4": 1,
                                                              "5": 0}
    assert collector_store.kiosk()["received"] == 2


def test_repeated_id_inside_one_batch(collector_store):
    first = collector_store.ratings([4])[0]
    result = collector_store.post([first, dict(first), dict(first, score=2)]).json()
    assert (result["accepted"], result["duplicate"], result["conflict"]) == (1, 1, 1)


def test_invalid_ratings_are_rejected_one_by_one(collector_server, collector_store):
    good = collector_store.ratings([5, 4])
    now = utc_now()
    bad = [
        rating(50, score=6),
        rating(51, score=4, scale=3),
        rating(52, score=0),
        rating(53, id="not-a-uuid"),
        rating(54, at=now.replace(year=2019)),
        rating(55, at=now + timedelta(days=3)),
        dict(rating(56), local_date="2026-13-01"),
        dict(rating(57), local_date=(now - timedelta(days=5)).date().isoformat()),
        {key: value for key, value in rating(58).items() if key != "lang"},
        rating(59, store_id="some-other-store"),
        rating(60, kiosk_id="some-other-kiosk"),
        rating(61, score="5"),
        rating(62, score=True),
        rating(0),
        rating(64, reason="bad\u0000reason"),
        "not an object",
    ]
    before = collector_server.count()
    answer = collector_store.post(good + bad)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["accepted"], result["rejected"]) == (2, len(bad))
    assert [item["status"] for item in result["items"]] == ["rejected"] * len(bad)
    assert all(item["reason"] for item in result["items"])
    reasons = " | ".join(item["reason"] for item in result["items"])
    for needle in ("outside a 5-face", "outside a 3-face", "UUID", "plausible",
                   "store_id", "kiosk_id", "lang"):
        assert needle in reasons
    assert collector_server.count() == before + 2


def test_heartbeat_updates_kiosk_status_only(collector_server, collector_store):
    before = collector_server.count()
    status = {"app_version": "1.2.3", "pending": 7, "oldest_pending_at": "2026-01-01T10:00:00.000Z",
              "last_seq": 42}
    answer = collector_store.post(batch([], status=status))
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 0
    kiosk = collector_store.kiosk()
    assert kiosk["last_seen"] is not None
    assert kiosk["last_sync"] is None
    assert (kiosk["app_version"], kiosk["pending"], kiosk["reported_last_seq"]) == ("1.2.3", 7, 42)
    assert kiosk["oldest_pending_at"] == "2026-01-01T10:00:00.000Z"
    assert kiosk["unsent"] == 42
    assert collector_server.count() == before


def test_clock_offset_is_reported_and_far_off_clocks_flag_ratings(
    collector_server, collector_store
):
    ratings = collector_store.ratings([5, 3])
    slow = collector_store.post(batch(ratings, sent_at=utc_now() - timedelta(minutes=10)))
    offset = slow.json()["clock_offset_s"]
    assert 595 <= offset <= 640
    kiosk = collector_store.kiosk()
    assert kiosk["clock_suspect"] is True and 595 <= kiosk["clock_offset_s"] <= 640
    fine = collector_store.ratings([4])
    assert abs(collector_store.post(fine).json()["clock_offset_s"]) < 30
    exported = {r["id"]: r for r in collector_server.export()[0]}
    assert [exported[r["id"]]["clock_suspect"] for r in ratings] == [True, True]
    assert exported[fine[0]["id"]]["clock_suspect"] is False
    assert [exported[r["id"]]["local_date"] for r in ratings] == [r["local_date"] for r in ratings]


def test_seq_gaps_are_reported_and_filled_by_late_batches(collector_store):
    ratings = collector_store.ratings([5] * 10)
    collector_store.post(ratings[:3] + ratings[6:])
    kiosk = collector_store.kiosk()
    assert (kiosk["max_seq"], kiosk["contiguous_seq"], kiosk["missing"]) == (10, 3, 3)
    assert kiosk["missing_ranges"] == [[4, 6]]
    collector_store.post(ratings[4:5])
    kiosk = collector_store.kiosk()
    assert kiosk["missing_ranges"] == [[4, 4], [6, 6]] and kiosk["missing"] == 2
    collector_store.post(ratings[3:6])
    kiosk = collector_store.kiosk()
    assert (kiosk["contiguous_seq"], kiosk["missing"], kiosk["missing_ranges"]) == (10, 0, [])
    assert kiosk["received"] == 10


def test_survey_etag_and_admin_update(collector_server, collector_store):
    kiosk = collector_store.kiosk_token
    first = collector_server.request("GET", "/api/v1/survey", kiosk)
    assert first.status_code == 200
    assert first.json()["version"] == 0
    etag = first.headers["ETag"]
    unchanged = collector_server.request("GET", "/api/v1/survey", kiosk,
                                         headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == etag
    survey = {"scale": 3, "questions": {"fi": "Miten meni?", "en": "How was it?"},
              "reasons": ["queue", "staff"], "reason_labels": {"en": {"queue": "Queue"}}}
    put = collector_server.request("PUT", f"/api/v1/stores/{collector_store.store_id}/survey",
                                   collector_server.admin_token, json=survey)
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 1
    changed = collector_server.request("GET", "/api/v1/survey", kiosk,
                                       headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json() == {**survey, "version": 1}
    assert changed.headers["ETag"] != etag
    again = collector_server.request("PUT", f"/api/v1/stores/{collector_store.store_id}/survey",
                                     collector_server.admin_token, json=survey)
    assert again.json()["version"] == 2
    staff_view = collector_store.get("/survey")
    assert staff_view.status_code == 200 and staff_view.json()["version"] == 2
    bad = collector_server.request("PUT", f"/api/v1/stores/{collector_store.store_id}/survey",
                                   collector_server.admin_token,
                                   json={"scale": 7, "questions": {"en": "?"}})
    assert bad.status_code == 422 and "scale" in bad.json()["detail"]
    six = collector_server.request("PUT", f"/api/v1/stores/{collector_store.store_id}/survey",
                                   collector_server.admin_token,
                                   json={"scale": 6, "questions": {"en": "?"}})
    assert (six.status_code, six.json()["detail"]) == (422, (
        "scale: csat surveys have 3, 4 or 5 answers, not 6 (leave scale out or set it to 5)"))


def test_reasons_and_heatmap_read_back(collector_store):
    at = utc_now() - timedelta(hours=1)
    ratings = collector_store.ratings([1, 1, 2, 5], at=at)
    ratings[0]["reason"] = ratings[1]["reason"] = "queue"
    ratings[2]["reason"] = "staff"
    collector_store.post(ratings)
    day = ratings[0]["local_date"]
    found = collector_store.get("/reasons", **{"from": day, "to": day}).json()
    assert (found["responses"], found["with_reason"]) == (4, 3)
    assert [(r["reason"], r["responses"]) for r in found["reasons"]] == [("queue", 2), ("staff", 1)]
    assert found["reasons"][0]["share"] == 66.7
    cells = collector_store.get("/heatmap", **{"from": day, "to": day}).json()["cells"]
    assert len(cells) == 168
    assert sum(cell["responses"] for cell in cells) == 4


def test_too_many_uploads_at_once_get_429_with_retry_after(tmp_path, collector_database):
    # A slow body holds its own kiosk's upload slot (not the process's: see
    # tests/collector/test_security_slow_clients.py).
    collector = Collector(tmp_path, collector_database)
    collector.start(env={"HYMY_MAX_UPLOADS_PER_KIOSK": "1"})
    try:
        store = collector.new_store()
        body = json.dumps(batch(store.ratings([5, 4]))).encode()
        head = (f"POST /api/v1/batches HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {store.kiosk_token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        with socket.create_connection(("127.0.0.1", collector.port), timeout=20) as slow:
            slow.sendall(head.encode() + body[:10])  # holds the kiosk's only upload slot...
            time.sleep(0.5)  # ...once its token is checked, before the probes arrive
            deadline = time.monotonic() + 10
            while True:
                busy = store.post(store.ratings([3]))
                if busy.status_code == 429 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            assert busy.status_code == 429
            assert int(busy.headers["Retry-After"]) > 0
            assert "retry" in busy.json()["detail"]
            slow.sendall(body[10:])
            answer = http.client.HTTPResponse(slow)
            answer.begin()
            assert answer.status == 200
            assert json.loads(answer.read())["accepted"] == 2
        assert store.post(store.ratings([1])).json()["accepted"] == 1
    finally:
        collector.stop()
