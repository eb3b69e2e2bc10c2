"""How the collector reads an upload's body: its encoding and type, its size
while it arrives and once gunzipped, and the deadline for the whole of it.

These call :func:`read_body`, :func:`read_body_within` and :func:`gunzip` in
this process with the body cut into chunks as a slow or a lying client would
send it; tests/collector/test_collector_ingest.py posts to a real server.
"""

from __future__ import annotations

import asyncio
import gzip
import time
import tracemalloc
import zlib

import pytest
from fastapi import HTTPException
from starlette.requests import Request

from sync.collector.api.ingest import gunzip, read_body, read_body_within
from sync.wire import MAX_BODY_BYTES
from tests.support.asgi import run as run_async

LIMIT = 1000


class Upload:
    """An upload request whose body arrives in ``chunks``, then (with ``hang``) never ends."""

    def __init__(self, chunks: list[bytes], headers: dict[str, str] | None = None,
                 hang: bool = False) -> None:
        self.chunks = list(chunks)
        self.hang = hang
        self.received = 0
        raw = [(name.lower().encode(), value.encode("latin-1"))
               for name, value in (headers or {}).items()]
        self.request = Request({"type": "http", "method": "POST", "path": "/api/v1/batches",
                                "headers": raw, "query_string": b""}, self.receive)

    async def receive(self) -> dict:
        self.received += 1
        if not self.chunks:
            if self.hang:
                await asyncio.Event().wait()
            return {"type": "http.request", "body": b"", "more_body": False}
        chunk = self.chunks.pop(0)
        return {"type": "http.request", "body": chunk,
                "more_body": bool(self.chunks) or self.hang}


def read(chunks: list[bytes], headers: dict[str, str] | None = None,
         limit: int = LIMIT) -> bytes:
    return run_async(read_body(Upload(chunks, headers).request, limit))


def refused(chunks: list[bytes], headers: dict[str, str] | None = None,
            limit: int = LIMIT) -> tuple[int, str]:
    with pytest.raises(HTTPException) as error:
        read(chunks, headers, limit)
    return error.value.status_code, error.value.detail


# -- encoding and type ------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    {},
    {"Content-Encoding": "identity"},
    {"Content-Encoding": ""},
    {"Content-Encoding": "  "},
    {"Content-Encoding": " Identity "},
    {"Content-Type": "application/json"},
    {"Content-Type": "Application/JSON; charset=utf-8"},
    {"Content-Type": "application/vnd.hymy+json"},
])
def test_a_plain_json_body_is_read_as_it_is(headers):
    assert read([b'{"ratings":', b" []}"], headers) == b'{"ratings": []}'


@pytest.mark.parametrize("encoding", ["gzip", "GZIP", " gzip "])
def test_a_gzip_body_is_gunzipped(encoding):
    data = gzip.compress(b'{"ratings": []}')
    assert read([data[:7], data[7:]], {"Content-Encoding": encoding}) == b'{"ratings": []}'


@pytest.mark.parametrize(("encoding", "detail"), [
    ("br", "Content-Encoding 'br' not supported; use gzip"),
    (" Deflate", "Content-Encoding 'deflate' not supported; use gzip"),
    ("gzip, br", "Content-Encoding 'gzip, br' not supported; use gzip"),
])
def test_another_content_encoding_is_415(encoding, detail):
    assert refused([b"{}"], {"Content-Encoding": encoding}) == (415, detail)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_that_is_not_json_is_415(content_type):
    assert refused([b"{}"], {"Content-Type": content_type}) == (
        415, "Content-Type must be application/json")


# -- size -------------------------------------------------------------------------------


def test_a_body_of_exactly_the_limit_is_read_whole():
    body = b"x" * LIMIT
    assert read([body], {"Content-Length": str(LIMIT)}) == body
    assert read([body[:400], body[400:800], body[800:]]) == body


def test_a_body_over_the_limit_is_413_while_it_arrives():
    too_big = f"body is larger than {LIMIT} bytes; send smaller batches"
    assert refused([b"x" * (LIMIT + 1)]) == (413, too_big)
    # No chunk is over the limit, their sum is.
    assert refused([b"x" * 400, b"x" * 400, b"x" * 201]) == (413, too_big)


def test_a_declared_length_over_the_limit_is_413_before_the_body_is_read():
    upload = Upload([b"x" * 10], {"Content-Length": str(LIMIT + 1)})
    with pytest.raises(HTTPException) as error:
        run_async(read_body(upload.request, LIMIT))
    assert (error.value.status_code, error.value.detail) == (
        413, f"body is larger than {LIMIT} bytes; send smaller batches")
    assert upload.received == 0


def test_a_declared_length_under_the_truth_does_not_let_more_through():
    assert refused([b"x" * 600, b"x" * 600], {"Content-Length": "5"})[0] == 413


@pytest.mark.parametrize("declared", ["abc", "-1", "1e3", " 12", "0x10"])
def test_a_content_length_that_is_not_a_number_is_400(declared):
    assert refused([b"{}"], {"Content-Length": declared}) == (
        400, "Content-Length is not a number")


def test_the_default_limit_is_the_wire_formats():
    body = b" " * MAX_BODY_BYTES
    assert run_async(read_body(Upload([body]).request)) == body
    with pytest.raises(HTTPException) as error:
        run_async(read_body(Upload([body, b" "]).request))
    assert error.value.status_code == 413


def test_a_gzip_body_that_inflates_over_the_limit_is_413():
    bomb = gzip.compress(b"0" * (LIMIT + 1))
    assert len(bomb) < LIMIT
    assert refused([bomb], {"Content-Encoding": "gzip"}) == (
        413, f"decompressed body is larger than {LIMIT} bytes")


# -- gunzip -----------------------------------------------------------------------------


def test_gunzip_gives_back_exactly_the_limit():
    data = bytes(range(256)) * 4
    assert gunzip(gzip.compress(data), len(data)) == data
    assert gunzip(gzip.compress(b""), 0) == b""


def test_gunzip_stops_at_the_limit():
    with pytest.raises(HTTPException) as error:
        gunzip(gzip.compress(b"a" * 10_000_000), 50)
    assert (error.value.status_code, error.value.detail) == (
        413, "decompressed body is larger than 50 bytes")


def test_a_gzip_bomb_is_never_inflated_in_memory():
    bomb = gzip.compress(b"\0" * 32 * 1024 * 1024, compresslevel=9)
    assert len(bomb) < 64 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(HTTPException) as error:
            gunzip(bomb, LIMIT)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.value.status_code == 413
    assert peak < 1024 * 1024, f"{peak} bytes allocated to refuse a {len(bomb)}-byte bomb"


@pytest.mark.parametrize(("data", "detail"), [
    (b"not gzip at all", "body is not valid gzip: "),
    (zlib.compress(b'{"ratings": []}'), "body is not valid gzip: "),
    (gzip.compress(b'{"ratings": []}')[:-6], "gzip body is truncated"),
    (b"", "gzip body is truncated"),
    (gzip.compress(b"{}") + gzip.compress(b"{}"),
     "data after the end of the gzip stream; send one gzip member"),
    (gzip.compress(b"{}") + b"\0", "data after the end of the gzip stream; send one gzip member"),
])
def test_a_broken_gzip_body_is_400(data, detail):
    with pytest.raises(HTTPException) as error:
        gunzip(data, LIMIT)
    assert error.value.status_code == 400 and error.value.detail.startswith(detail)
    if detail.endswith(": "):  # zlib's own words follow
        assert len(error.value.detail) > len(detail)


# -- the deadline -----------------------------------------------------------------------


def test_a_body_that_arrives_in_time_is_read():
    upload = Upload([b"{", b"}"])
    assert run_async(read_body_within(upload.request, 5)) == b"{}"


def test_a_body_that_does_not_arrive_in_time_is_408_and_the_connection_closed():
    upload = Upload([b'{"ratings": ['], hang=True)

    async def within_limits():
        return await asyncio.wait_for(read_body_within(upload.request, 0.25), 10)

    started = time.monotonic()
    with pytest.raises(HTTPException) as error:
        run_async(within_limits())
    waited = time.monotonic() - started
    assert error.value.status_code == 408
    assert error.value.detail == "the body took longer than 0.25 s to arrive; send it again"
    assert error.value.headers == {"Connection": "close"}
    assert 0.2 <= waited < 5
