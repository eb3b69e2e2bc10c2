"""Bad bodies a kiosk would never send: a 4xx with a reason, nothing stored, no 5xx.

``test_collector_malformed.py`` has the common cases (not JSON, broken and
truncated gzip, a gzip bomb, 100 000 nested arrays, form data, too many
ratings, a body over the limit).  These are the rest: strict-JSON violations
(NaN, Infinity, a key twice, UTF-16), 100 000 nested objects, data after the
gzip stream, more content types and encodings, a lying Content-Length, and a
few hundred random byte strings and mangled real batches.  After each, the
collector has stored nothing and seen no contact from the kiosk.
"""

from __future__ import annotations

import gzip
import json
import random
import socket

import pytest

from tests.support.collector import Collector, batch, rating
from tests.support.fleet import register
from tests.support.sizes import FULL, record

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(600)]
tried: dict[str, int] = {}


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    collector = Collector(tmp_path_factory.mktemp("malformed"))
    collector.start()
    token = register(collector, "mal", ["mal-1"])["mal-1"]
    yield collector, token
    collector.stop()


def good(n: int = 2) -> bytes:
    return json.dumps(batch([rating(i + 1, tz="Europe/Helsinki") for i in range(n)])).encode()


def post(target, data: bytes, headers: dict[str, str] | None = None):
    collector, token = target
    return collector.request("POST", "/api/v1/batches", token, data=data,
                             headers={"Content-Type": "application/json", **(headers or {})})


def assert_nothing_stored(target) -> None:
    collector, _ = target
    assert collector.count() == 0
    kiosks = collector.request("GET", "/api/v1/stores/mal/kiosks", collector.office_token)
    assert kiosks.json()["kiosks"][0]["last_seen"] is None


STRICT = {
    "NaN in the envelope": (good().replace(b'"format": 1', b'"format": NaN'), {}),
    "Infinity as a score": (good().replace(b'"score": 5', b'"score": Infinity', 1), {}),
    "-Infinity as a seq": (good().replace(b'"seq": 1', b'"seq": -Infinity', 1), {}),
    "key twice in a rating": (good(1).replace(b'"score": 5', b'"score": 5, "score": 1'), {}),
    "key twice in the envelope": (b'{"ratings": [], "ratings": [], "sent_at": "x"}', {}),
    "UTF-16 JSON": (good().decode().encode("utf-16"), {}),
    "UTF-8 BOM": (b"\xef\xbb\xbf" + good(), {}),
    "bad UTF-8 in a rating after one missing a field": (
        b'"lang": "\xa1'.join(good().replace(b'"local_date"', b'"local_d\xc7\x8bate"', 1)
                              .rsplit(b'"lang": "', 1)), {}),
    "lone surrogate escape in a key": (b'{"\\ud800": 1, "ratings": []}', {}),
    "100 000 nested objects": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, {}),
    "data after the gzip stream": (gzip.compress(good()) + b"garbage",
                                   {"Content-Encoding": "gzip"}),
    "two gzip members": (gzip.compress(good()) + gzip.compress(good()),
                         {"Content-Encoding": "gzip"}),
    "gzip of gzip": (gzip.compress(gzip.compress(good())), {"Content-Encoding": "gzip"}),
    "plain body labelled gzip": (good(), {"Content-Encoding": "gzip"}),
    "empty gzip": (b"", {"Content-Encoding": "gzip"}),
    "gzip, gzip": (gzip.compress(gzip.compress(good())), {"Content-Encoding": "gzip, gzip"}),
    "deflate": (good(), {"Content-Encoding": "deflate"}),
    "text/plain": (good(), {"Content-Type": "text/plain"}),
    "application/xml": (b"<batch/>", {"Content-Type": "application/xml"}),
    "multipart": (b"--x\r\n\r\n" + good() + b"\r\n--x--",
                  {"Content-Type": "multipart/form-data; boundary=x"}),
    "only whitespace": (b" \n\t " * 1000, {}),
    "a NUL byte": (b"\x00", {}),
    "JSON null": (b"null", {}),
    "truncated JSON": (good()[:-7], {}),
    "huge number": (b'{"ratings": [], "sent_at": "2026-01-01T00:00:00Z", "format": 1'
                    + b"0" * 100_000 + b"}", {}),
}


@pytest.mark.parametrize("name", list(STRICT))
def test_strict_json_and_encodings(target, name):
    data, headers = STRICT[name]
    answer = post(target, data, headers)
    tried[name] = 1
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["detail"]
    assert_nothing_stored(target)


RAW_HEADERS = {
    "declared length over the limit": (b"Content-Length: 99999999999", 413),
    "negative Content-Length": (b"Content-Length: -5", 400),
    "two Content-Lengths": (b"Content-Length: 1\r\nContent-Length: 2", 400),
    "Content-Length not a number": (b"Content-Length: 12abc", 400),
    "a 100 KiB header": (b"X-Padding: " + b"a" * 100_000 + b"\r\nContent-Length: 1", 400),
}


@pytest.mark.parametrize("name", list(RAW_HEADERS))
def test_lying_or_broken_headers(target, name):
    """Sent over a raw socket: HTTP clients refuse to send such headers."""
    collector, token = target
    header, status = RAW_HEADERS[name]
    with socket.create_connection(("127.0.0.1", collector.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/batches HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Bearer " + token.encode() + b"\r\n"
            b"Content-Type: application/json\r\n" + header + b"\r\n\r\n{")
        head = sock.recv(4096).decode("latin-1")
    tried[name] = 1
    assert head.startswith(f"HTTP/1.1 {status}"), head[:200]
    assert_nothing_stored(target)


def mangle(rng: random.Random, data: bytes) -> bytes:
    """A real batch with a few random bytes flipped, cut, or inserted."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        action = rng.random()
        at = rng.randrange(len(data) or 1)
        if action < 0.4 and data:
            data[at] = rng.randrange(256)
        elif action < 0.7:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 5)))
        else:
            del data[at: at + rng.randint(1, 20)]
    return bytes(data)


def test_random_garbage_and_mangled_batches(target):
    """Random bytes are always refused; a mangled real batch is refused or, when some
    of its ratings survived intact, exactly those are stored."""
    collector, _ = target
    own = (collector, register(collector, "mal2", ["mal2-1"])["mal2-1"])
    rng = random.Random(5)
    rounds = 2000 if FULL else 300
    statuses: dict[int, int] = {}
    accepted = 0
    from_random = 0
    base = good(3)
    for index in range(rounds):
        kind = index % 4
        if kind == 0:
            data, headers = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300))), {}
        elif kind == 1:
            data, headers = mangle(rng, base), {}
        elif kind == 2:
            data, headers = mangle(rng, gzip.compress(base)), {"Content-Encoding": "gzip"}
        else:
            data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
            headers = {"Content-Encoding": "gzip"}
        answer = post(own, data, headers)
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        assert answer.status_code < 500, (data[:100], answer.text)
        if kind in (0, 3):
            if answer.status_code == 200:
                from_random += answer.json()["accepted"]
            assert 400 <= answer.status_code < 500, (data[:100], answer.text)
        elif answer.status_code == 200:
            accepted += answer.json()["accepted"]
    stored = [row for row in collector.export()[0] if row["store_id"] == "mal2"]
    assert len(stored) == accepted  # a mangled id can be a new valid UUID
    check = collector.cli("check", check=False)
    assert check.returncode == 0, check.stdout
    tried["random garbage and mangled batches"] = rounds
    record("bad_input", named_cases=len(STRICT) + len(RAW_HEADERS), random_bodies=rounds,
           statuses={str(k): v for k, v in sorted(statuses.items())},
           stored_from_random_bytes=from_random, stored_from_mangled=accepted)
