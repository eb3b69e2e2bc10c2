"""Incremental export: a stable cursor that never misses or repeats a row, even while
kiosks keep uploading (late taps included)."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import timedelta

from sync.clock import utc_now
from tests.support.collector import batch, rating


def test_pages_follow_the_cursor_without_gaps_or_repeats(collector_server, collector_store):
    _, start = collector_server.export()
    ratings = collector_store.ratings([5, 4, 3, 2, 1] * 5)
    collector_store.post(ratings)
    seen, after, pages = [], start, 0
    while True:
        answer = collector_server.request(
            "GET", "/api/v1/export/ratings", collector_server.office_token,
            params={"after": after, "limit": 7, "format": "jsonl"})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/x-ndjson")
        lines = answer.text.splitlines()
        assert int(answer.headers["X-Row-Count"]) == len(lines) <= 7
        seen += [json.loads(line) for line in lines]
        after = answer.headers["X-Next-Cursor"]
        pages += 1
        if answer.headers["X-More"] == "false":
            break
    assert pages == 4
    assert [row["id"] for row in seen] == [r["id"] for r in ratings]
    sequence = [row["ingest_seq"] for row in seen]
    assert sequence == sorted(sequence) and len(set(sequence)) == len(sequence)
    assert str(sequence[-1]) == after
    nothing, same = collector_server.export(after)
    assert nothing == [] and same == after


def test_late_taps_appear_after_the_cursor(collector_server, collector_store):
    _, cursor = collector_server.export()
    collector_store.post(collector_store.ratings([5]))
    first, cursor = collector_server.export(cursor)
    late = rating(next(collector_store.seq), at=utc_now() - timedelta(days=20),
                  tz=collector_store.timezone)
    collector_store.post([late])
    second, _ = collector_server.export(cursor)
    assert len(first) == 1
    assert [row["id"] for row in second] == [late["id"]]
    assert second[0]["local_date"] == late["local_date"]


def test_csv_export_has_the_kiosk_columns(collector_server, collector_store):
    _, cursor = collector_server.export()
    sent = collector_store.ratings([3], reason="queue")
    collector_store.post(sent)
    answer = collector_server.request("GET", "/api/v1/export/ratings",
                                      collector_server.office_token,
                                      params={"after": cursor, "format": "csv"})
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == [
        "ingest_seq", "id", "seq", "store_id", "kiosk_id", "score", "scale", "created_at",
        "local_date", "lang", "reason", "suppressed", "survey_version", "received_at",
        "clock_suspect", "store_name", "local_time", "question_kind", "followup"]
    row = rows[0]
    assert (row["id"], row["store_id"], row["kiosk_id"]) == (
        sent[0]["id"], collector_store.store_id, collector_store.kiosk_id)
    assert (row["score"], row["reason"], row["suppressed"], row["clock_suspect"]) == (
        "3", "queue", "0", "0")


def test_daily_export(collector_server, collector_store):
    sent = collector_store.ratings([5, 5, 1], at=utc_now() - timedelta(hours=1))
    sent.append(rating(next(collector_store.seq), 1, suppressed=True, tz=collector_store.timezone,
                       at=utc_now() - timedelta(hours=1)))
    collector_store.post(sent)
    day = sent[0]["local_date"]
    answer = collector_server.request(
        "GET", "/api/v1/export/daily", collector_server.office_token,
        params={"from": day, "to": day, "store": collector_store.store_id, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 1
    row = rows[0]
    assert (row["store_id"], row["date"], row["responses"], row["satisfied"]) == (
        collector_store.store_id, day, "3", "2")
    assert (row["csat"], row["suppressed"], row["face_1"], row["face_5"]) == ("66.7", "1", "1", "2")


def test_cursor_misses_nothing_while_kiosks_upload(collector_server):
    stores = [collector_server.new_store() for _ in range(3)]
    _, cursor = collector_server.export()
    sent: list[str] = []
    sent_lock = threading.Lock()
    done = threading.Event()
    errors: list[str] = []

    def upload(store):
        try:
            for number in range(25):
                late = number % 4 == 3  # every fourth batch holds taps from last week
                at = utc_now() - timedelta(days=7 if late else 0, minutes=1)
                ratings = store.ratings([1 + number % 5] * 20, at=at)
                answer = store.post(batch(ratings))
                if answer.status_code != 200 or answer.json()["accepted"] != 20:
                    errors.append(answer.text)
                with sent_lock:
                    sent.extend(item["id"] for item in ratings)
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(repr(error))

    uploaders = [threading.Thread(target=upload, args=(store,)) for store in stores]
    for thread in uploaders:
        thread.start()
    pulled: list[dict] = []

    def pull_until_done():
        nonlocal cursor
        while True:
            finished = done.is_set()
            answer = collector_server.request(
                "GET", "/api/v1/export/ratings", collector_server.office_token,
                params={"after": cursor, "limit": 37, "format": "jsonl"})
            assert answer.status_code == 200
            pulled.extend(json.loads(line) for line in answer.text.splitlines())
            cursor = answer.headers["X-Next-Cursor"]
            if finished and answer.headers["X-More"] == "false":
                return

    puller = threading.Thread(target=pull_until_done)
    puller.start()
    for thread in uploaders:
        thread.join()
    done.set()
    puller.join(60)
    assert not errors, errors[:3]
    ids = [row["id"] for row in pulled]
    assert len(ids) == len(set(ids)), "a row was exported twice"
    assert set(ids) == set(sent), "a row was missed"
    sequence = [row["ingest_seq"] for row in pulled]
    assert sequence == sorted(sequence)
