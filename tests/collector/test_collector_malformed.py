"""Malformed input of every kind: a clear 4xx with a reason, nothing stored, never a 500."""

from __future__ import annotations

import gzip
import json

import pytest

from sync.wire import MAX_BATCH_RATINGS, MAX_BODY_BYTES
from tests.support.collector import batch, rating


def _envelope(**changes):
    body = batch([rating(1)])
    body.update(changes)
    return json.dumps(body).encode()


def _without(key):
    body = batch([rating(1)])
    del body[key]
    return json.dumps(body).encode()


MALFORMED = {
    "not json": (b"{not json", {}, 400),
    "empty body": (b"", {}, 400),
    "not utf-8": (b'{"sent_at": "\xff\xfe"}', {}, 400),
    "json array": (b"[]", {}, 422),
    "json string": (b'"hello"', {}, 422),
    "no ratings": (_without("ratings"), {}, 422),
    "ratings not a list": (_envelope(ratings={"id": 1}), {}, 422),
    "no sent_at": (_without("sent_at"), {}, 422),
    "sent_at not a time": (_envelope(sent_at="yesterday"), {}, 422),
    "sent_at a number": (_envelope(sent_at=12), {}, 422),
    "status wrong type": (_envelope(status=[1, 2]), {}, 422),
    "status pending negative": (_envelope(status={"pending": -1}), {}, 422),
    "unknown format version": (_envelope(format=2), {}, 422),
    # JSON, but not an object with a UTC time in sent_at: the wrong shape
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, {}, 422),
    "huge integer": (b'{"sent_at": 1' + b"0" * 5000 + b"}", {}, 422),
    "deeply nested object": (b'{"sent_at": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", {}, 422),
    "broken gzip": (b"\x1f\x8b\x08\x00garbage", {"Content-Encoding": "gzip"}, 400),
    "truncated gzip": (gzip.compress(_envelope())[:-12], {"Content-Encoding": "gzip"}, 400),
    "brotli": (_envelope(), {"Content-Encoding": "br"}, 415),
    "form data": (b"a=1", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
    "too many ratings": (
        json.dumps(batch([rating(i + 1) for i in range(MAX_BATCH_RATINGS + 1)])).encode(),
        {}, 413),
    "gzip bomb": (gzip.compress(b" " * (MAX_BODY_BYTES * 4)), {"Content-Encoding": "gzip"}, 413),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_batch_is_refused_and_nothing_stored(collector_server, collector_store, name):
    data, headers, status = MALFORMED[name]
    before = collector_server.count()
    answer = collector_store.post(data, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    detail = answer.json()["detail"]
    assert isinstance(detail, str) and len(detail) > 5
    assert collector_server.count() == before
    kiosk = collector_store.kiosk()
    assert kiosk["last_seen"] is None and kiosk["received"] == 0


def test_body_over_the_size_limit_is_413(collector_server, collector_store):
    before = collector_server.count()
    oversized = b'{"ratings": [], "sent_at": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    answer = collector_store.post(oversized)
    assert answer.status_code == 413
    assert "smaller batches" in answer.json()["detail"]
    assert collector_server.count() == before


def test_chunked_body_over_the_size_limit_is_413(collector_server, collector_store):
    def chunks():
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    answer = collector_server.request("POST", "/api/v1/batches", collector_store.kiosk_token,
                                      data=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "missing"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "missing"),
        ({"Authorization": "Bearer hymy_not-a-real-token"}, "unknown"),
        ({"Authorization": "Bearer "}, "missing"),
    ],
)
def test_missing_or_unknown_token_is_401_and_nothing_stored(
    collector_server, collector_store, headers, why
):
    before = collector_server.count()
    answer = collector_server.request(
        "POST", "/api/v1/batches", data=json.dumps(batch(collector_store.ratings([5]))),
        headers={"Content-Type": "application/json", **headers},
    )
    assert answer.status_code == 401
    assert why in answer.json()["detail"]
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert collector_server.count() == before


def test_revoked_token_is_401(collector_server, collector_store):
    made = collector_server.request("POST", "/api/v1/tokens", collector_server.admin_token,
                                    json={"role": "office"}).json()
    assert collector_server.request("GET", "/api/v1/stores", made["token"]).status_code == 200
    revoked = collector_server.request("DELETE", f"/api/v1/tokens/{made['id']}",
                                       collector_server.admin_token)
    assert revoked.status_code == 204
    assert collector_server.request("GET", "/api/v1/stores", made["token"]).status_code == 401


@pytest.mark.parametrize(
    ("path", "params", "needle"),
    [
        ("/daily", {"from": "2026-13-01"}, "from"),
        ("/daily", {"from": "yesterday"}, "from"),
        ("/daily", {"to": "2026-02-30"}, "to"),
        ("/daily", {"from": "2026-03-02", "to": "2026-03-01"}, "after"),
        ("/daily", {"from": "2000-01-01", "to": "2026-01-01"}, "at most"),
        ("/summary", {"from": "20260101"}, "from"),
        ("/heatmap", {"to": "2026-1-1"}, "to"),
        ("/reasons", {"from": "2026-01-01T00:00"}, "from"),
    ],
)
def test_bad_periods_are_422_with_a_reason(collector_store, path, params, needle):
    answer = collector_store.get(path, **params)
    assert answer.status_code == 422
    assert needle in answer.json()["detail"]


@pytest.mark.parametrize(
    ("path", "params", "needle"),
    [
        ("/api/v1/export/ratings", {"after": "abc"}, "after"),
        ("/api/v1/export/ratings", {"after": "-5"}, "after"),
        ("/api/v1/export/ratings", {"limit": "0"}, "limit"),
        ("/api/v1/export/ratings", {"limit": "many"}, "limit"),
        ("/api/v1/export/ratings", {"format": "xml"}, "format"),
        ("/api/v1/export/daily", {"format": "xls"}, "format"),  # xlsx is one since #17
        ("/api/v1/ranking", {"order": "luck"}, "order"),
        ("/api/v1/ranking", {"min_responses": "-1"}, "min_responses"),
        ("/api/v1/ranking", {"from": "01.01.2026"}, "from"),
    ],
)
def test_bad_query_parameters_are_422(collector_server, path, params, needle):
    answer = collector_server.request("GET", path, collector_server.office_token, params=params)
    assert answer.status_code == 422
    assert needle in answer.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"id": "x y", "name": "Bad", "timezone": "Europe/Helsinki"}, 422),
        ({"id": "ok-id", "name": "Bad", "timezone": "Mars/Olympus"}, 422),
        ({"id": "ok-id2", "name": "Bad"}, 422),
    ],
)
def test_bad_admin_input_is_422(collector_server, body, status):
    answer = collector_server.request("POST", "/api/v1/stores", collector_server.admin_token,
                                      json=body)
    assert answer.status_code == status
    assert answer.json()["detail"]


def test_existing_store_is_409_and_unknown_store_404(collector_server, collector_store):
    again = collector_server.request(
        "POST", "/api/v1/stores", collector_server.admin_token,
        json={"id": collector_store.store_id, "name": "Again", "timezone": "Europe/Helsinki"})
    assert again.status_code == 409
    missing = collector_server.request("GET", "/api/v1/stores/no-such-store/daily",
                                       collector_server.office_token)
    assert missing.status_code == 404
    kiosk = collector_server.request("POST", "/api/v1/stores/no-such-store/kiosks",
                                     collector_server.admin_token, json={"id": "k-x"})
    assert kiosk.status_code == 404
