"""``POST /api/v1/batches`` and ``GET /api/v1/survey`` in this process: statuses,
Retry-After, the upload slots a kiosk and the process hold, the log line's
counts and the survey's ETag.

The app is :func:`~sync.collector.app.create_app`'s, called as ASGI in the
test's own process (:mod:`tests.support.asgi`), tokens and all.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from sync.clock import utc_now
from sync.collector.api import ingest
from sync.collector.app import create_app
from sync.collector.db.storage import Storage
from sync.collector.settings import Settings
from sync.survey import DEFAULT_SURVEY, Survey
from sync.wire import MAX_BATCH_RATINGS, encode, make_batch
from tests.support.asgi import Answer, call, call_async
from tests.support.asgi import run as run_async
from tests.support.collector import batch, rating


@dataclass
class Collector:
    """An app on a fresh database: store s1 with kiosks k1 and k2."""

    app: Any
    storage: Storage
    k1: str
    k2: str

    @property
    def state(self) -> Any:
        return self.app.state

    def post(self, body: bytes, token: str | None = None,
             headers: dict[str, str] | None = None) -> Answer:
        return call(self.app, "POST", "/api/v1/batches", {
            "Authorization": f"Bearer {token or self.k1}", "Content-Type": "application/json",
            **(headers or {})}, body)

    def survey(self, headers: dict[str, str] | None = None) -> Answer:
        return call(self.app, "GET", "/api/v1/survey",
                    {"Authorization": f"Bearer {self.k1}", **(headers or {})})

    def stored(self) -> int:
        with self.storage.db.connection() as conn:
            return conn.scalar("SELECT COUNT(*) FROM ratings")


@pytest.fixture
def collector(tmp_path) -> Iterator[Collector]:
    app = create_app(Settings(database=str(tmp_path / "c.db"), body_timeout_s=0.3))
    storage = app.state.storage
    storage.add_store("s1", "Store", "Europe/Helsinki")
    made = Collector(app, storage, storage.add_kiosk("k1", "s1").token,
                     storage.add_kiosk("k2", "s1").token)
    yield made
    storage.db.close()


@pytest.fixture
def log_lines() -> Iterator[list[logging.LogRecord]]:
    """The collector's request log records while the test runs."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    log = logging.getLogger("hymy.collector")
    log.addHandler(handler)
    yield records
    log.removeHandler(handler)


def body(ratings: list[dict], **kwargs: Any) -> bytes:
    return json.dumps(batch(ratings, **kwargs)).encode()


def mine(seq: int, **changes: Any) -> dict:
    return rating(seq, store_id="s1", kiosk_id="k1", **changes)


def slots_free(collector: Collector) -> bool:
    return collector.state.ingest_in_flight == 0 and not collector.state.uploads_by_kiosk


# -- an upload ------------------------------------------------------------------------


def test_an_upload_is_stored_and_its_counts_are_answered_and_logged(collector, log_lines):
    first = [mine(1, score=5), mine(2, score=3)]
    answer = collector.post(body(first))
    assert answer.status == 200 and answer.headers["content-type"] == "application/json"
    assert answer.json()["accepted"] == 2
    again = [first[0], {**first[1], "score": 1}, mine(3), mine(4, score=9)]
    answer = collector.post(body(again, sent_at=utc_now() - timedelta(minutes=10)))
    result = answer.json()
    assert (result["accepted"], result["duplicate"], result["conflict"], result["rejected"]) \
        == (1, 1, 1, 1)
    assert [(item["seq"], item["status"]) for item in result["items"]] == [
        (1, "duplicate"), (2, "conflict"), (4, "rejected")]
    assert 599 <= result["clock_offset_s"] <= 660
    assert collector.stored() == 3
    lines = [r for r in log_lines if r.getMessage() == "request"]
    assert [(r.status, r.accepted, r.duplicate, r.conflict, r.rejected) for r in lines] == [
        (200, 2, 0, 0, 0), (200, 1, 1, 1, 1)]
    assert slots_free(collector)


def test_a_gzip_upload_is_stored(collector):
    data, headers = encode(make_batch([mine(1), mine(2)]))
    answer = collector.post(data, headers=headers)
    assert (answer.status, answer.json()["accepted"]) == (200, 2)
    assert collector.stored() == 2


def test_the_answer_lists_missing_seqs_from_the_kiosks_status(collector):
    answer = collector.post(body([mine(2)], status={"last_seq": 5}))
    assert answer.json()["missing"] == [[1, 1], [3, 5]]


@pytest.mark.parametrize(("data", "headers", "status", "detail"), [
    (b"{", {}, 400, "body is not valid JSON"),
    (body([mine(1)] * (MAX_BATCH_RATINGS + 1)), {}, 413, "send at most 5000"),
    (b"{}", {"Content-Encoding": "br"}, 415, "Content-Encoding 'br' not supported"),
    (b"{}", {"Content-Type": "text/plain"}, 415, "Content-Type must be application/json"),
    (b'{"sent_at": "yesterday", "ratings": []}', {}, 422, "sent_at: must be a UTC time"),
    (gzip.compress(b"{}")[:-3], {"Content-Encoding": "gzip"}, 400, "gzip body is truncated"),
])
def test_a_batch_refused_as_a_whole_stores_nothing_and_frees_its_slot(
        collector, data, headers, status, detail):
    answer = collector.post(data, headers=headers)
    assert answer.status == status and detail in answer.json()["detail"], answer.body
    assert collector.stored() == 0 and slots_free(collector)


def test_a_body_that_stops_arriving_is_408_and_frees_its_slot(collector):
    answer = run_async(asyncio.wait_for(call_async(
        collector.app, "POST", "/api/v1/batches",
        {"Authorization": f"Bearer {collector.k1}", "Content-Type": "application/json"},
        [body([mine(1)])[:20]], complete=False), 10))
    assert answer.status == 408 and answer.headers["connection"] == "close"
    assert answer.json()["detail"] == (
        "the body took longer than 0.3 s to arrive; send it again")
    assert collector.stored() == 0 and slots_free(collector)


# -- upload slots ---------------------------------------------------------------------


def test_a_kiosk_with_all_its_uploads_open_gets_429_and_retry_after(collector):
    cap = collector.state.settings.max_uploads_per_kiosk
    collector.state.uploads_by_kiosk["k1"] = cap
    busy = collector.post(body([mine(1)]))
    assert (busy.status, busy.headers["retry-after"]) == (429, "2")
    assert busy.json()["detail"] == "this kiosk has too many uploads open; retry shortly"
    assert collector.state.uploads_by_kiosk == {"k1": cap}
    assert collector.stored() == 0
    # Another kiosk of the store still uploads, and holds no slot afterwards.
    assert collector.post(body([rating(1, kiosk_id="k2")]), collector.k2).status == 200
    assert collector.state.uploads_by_kiosk == {"k1": cap}


def test_an_upload_beside_an_open_one_of_its_kiosk_is_stored_and_gives_its_slot_back(
        collector, monkeypatch):
    seen = []
    handle = ingest.handle_batch

    def watched(*args):
        seen.append((dict(collector.state.uploads_by_kiosk), collector.state.ingest_in_flight))
        return handle(*args)

    monkeypatch.setattr(ingest, "handle_batch", watched)
    collector.state.uploads_by_kiosk["k1"] = collector.state.settings.max_uploads_per_kiosk - 1
    collector.state.ingest_in_flight = 3
    answer = collector.post(body([mine(1)]))
    assert (answer.status, answer.json()["accepted"]) == (200, 1)
    assert seen == [({"k1": collector.state.settings.max_uploads_per_kiosk}, 4)]
    assert dict(collector.state.uploads_by_kiosk) == {
        "k1": collector.state.settings.max_uploads_per_kiosk - 1}
    assert collector.state.ingest_in_flight == 3


def test_the_process_cap_counts_uploads_being_stored_and_answers_429(collector):
    cap = collector.state.settings.max_ingest_requests
    collector.state.ingest_in_flight = cap
    busy = collector.post(body([mine(1)]))
    assert (busy.status, busy.headers["retry-after"]) == (429, "2")
    assert busy.json()["detail"] == "too many uploads at once; retry shortly"
    assert collector.state.ingest_in_flight == cap and not collector.state.uploads_by_kiosk
    assert collector.stored() == 0
    collector.state.ingest_in_flight = cap - 1
    assert collector.post(body([mine(1)])).status == 200
    assert collector.state.ingest_in_flight == cap - 1


def test_a_slot_is_given_back_when_storing_fails(collector, monkeypatch):
    def broken(*args):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(ingest, "handle_batch", broken)
    with pytest.raises(RuntimeError, match="simulated bug"):  # re-raised once answered 500
        collector.post(body([mine(1)]))
    assert slots_free(collector)


# -- the survey -----------------------------------------------------------------------


def test_the_survey_comes_with_its_etag_and_an_unchanged_one_is_304(collector):
    first = collector.survey()
    etag = DEFAULT_SURVEY.etag()
    assert first.status == 200 and first.json() == DEFAULT_SURVEY.body()
    assert (first.headers["etag"], first.headers["cache-control"]) == (etag, "no-cache")
    for asked in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        unchanged = collector.survey({"If-None-Match": asked})
        assert (unchanged.status, unchanged.body) == (304, b""), asked
        assert (unchanged.headers["etag"], unchanged.headers["cache-control"]) == (
            etag, "no-cache")
    collector.storage.set_survey("s1", Survey(scale=3, questions={"en": "How was it?"},
                                              reasons=["sauna"]))
    changed = collector.survey({"If-None-Match": etag})
    assert changed.status == 200 and changed.json()["reasons"] == ["sauna"]
    assert changed.headers["etag"] == collector.storage.survey("s1").etag() != etag


@pytest.mark.parametrize(("header", "matches"), [
    ('"1-abc"', True),
    ('W/"1-abc"', True),
    (' "0-xyz" , W/"1-abc" ', True),
    ("*", True),
    ('"0-xyz", *', True),
    ('"0-xyz",W/"1-abc"', True),
    ('"0-xyz",*', True),
    ("", False),
    ('"1-abd"', False),
    ("1-abc", False),
    ('W/W/"1-abc"', False),
    ('"1-abc"W/', False),
    ('"0-xyz", "2-abc"', False),
])
def test_if_none_match_names_the_etag_weak_or_strong_or_any(header, matches):
    assert ingest.etag_matches(header, '"1-abc"') is matches


# -- the schema the docs show ---------------------------------------------------------


def test_the_batch_schema_is_named_in_the_openapi_document(collector):
    document = collector.app.openapi()
    served = document["paths"]["/api/v1/batches"]["post"]["requestBody"]
    assert served["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Batch"}
    schemas = document["components"]["schemas"]
    batch = schemas["Batch"]
    assert batch["required"] == ["sent_at", "ratings"]
    assert batch["properties"]["ratings"]["items"] == {"$ref": "#/components/schemas/Rating"}
    assert "score" in schemas["Rating"]["properties"]
    status = batch["properties"]["status"]["anyOf"]
    assert status == [{"$ref": "#/components/schemas/KioskStatus"}, {"type": "null"}]
    assert "disk_free_bytes" in schemas["KioskStatus"]["properties"]
