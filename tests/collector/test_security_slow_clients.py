"""Slow clients cannot block uploads (issue 13a), on a real server on loopback.

One kiosk's token used to be enough to stop every kiosk: upload slots were
taken before the body was read, and nothing timed out a slow body, so 64
connections trickling bodies made every other upload a 429.  Now a process
slot counts only while a batch is stored, each kiosk may have
``max_uploads_per_kiosk`` uploads open, a body must arrive within
``body_timeout_s`` (else 408) and headers within ``header_timeout_s``.
"""

from __future__ import annotations

import http.client
import json
import socket
import time

import pytest

from tests.support.collector import Collector, batch

BODY_TIMEOUT_S = 2.0
HEADER_TIMEOUT_S = 2.0
SETTINGS = {
    "HYMY_MAX_INGEST_REQUESTS": "4",
    "HYMY_MAX_UPLOADS_PER_KIOSK": "2",
    "HYMY_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
    "HYMY_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A collector with small limits and short deadlines."""
    collector = Collector(tmp_path_factory.mktemp("slow-clients"))
    collector.start(env=SETTINGS)
    yield collector
    collector.stop()


def start_upload(collector: Collector, token: str, body: bytes, sent: int) -> socket.socket:
    """A raw connection that sent an upload's headers and the first ``sent`` body bytes."""
    head = (f"POST /api/v1/batches HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    sock = socket.create_connection(("127.0.0.1", collector.port), timeout=20)
    sock.sendall(head.encode() + body[:sent])
    return sock


def answer_of(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the answer on a raw connection."""
    answer = http.client.HTTPResponse(sock)
    answer.begin()
    return answer.status, dict(answer.getheaders()), answer.read()


def test_slow_uploads_from_one_kiosk_do_not_block_other_kiosks(server):
    attacker, victim = server.new_store(), server.new_store()
    body = json.dumps(batch(attacker.ratings([5, 4]))).encode()
    # As many trickling uploads as the process has slots, all with one token.
    slow = [start_upload(server, attacker.kiosk_token, body, 10) for _ in range(4)]
    started = time.monotonic()
    try:
        time.sleep(0.5)  # every one of them is past its token check
        answer = victim.post(victim.ratings([5, 3, 1]))
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == 3
        statuses = []
        for sock in slow:
            sock.sendall(body[10:11])  # still trickling
            status, headers, text = answer_of(sock)
            statuses.append(status)
            if status == 429:  # beyond this kiosk's own two
                assert int(headers["retry-after"]) > 0
                assert "retry" in json.loads(text)["detail"]
            else:
                assert status == 408
                assert "longer than" in json.loads(text)["detail"]
        assert sorted(statuses) == [408, 408, 429, 429]
        assert time.monotonic() - started < BODY_TIMEOUT_S + 3
    finally:
        for sock in slow:
            sock.close()
    # The slow kiosk's slots are free again.
    assert attacker.post(attacker.ratings([2])).json()["accepted"] == 1


def test_a_kiosk_past_its_own_upload_cap_gets_429_then_carries_on(server):
    store = server.new_store()
    bodies = [json.dumps(batch(store.ratings([5, 4]))).encode() for _ in range(2)]
    open_ = [start_upload(server, store.kiosk_token, body, 10) for body in bodies]
    try:
        time.sleep(0.5)
        busy = store.post(store.ratings([3]))
        assert busy.status_code == 429
        assert int(busy.headers["Retry-After"]) > 0
        for sock, body in zip(open_, bodies, strict=True):
            sock.sendall(body[10:])
            status, _, text = answer_of(sock)
            assert status == 200 and json.loads(text)["accepted"] == 2
    finally:
        for sock in open_:
            sock.close()
    assert store.post(store.ratings([1])).json()["accepted"] == 1


def test_slow_headers_are_cut_off(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /api/v1/batches HTTP/1.1\r\n")
        closed = False
        while time.monotonic() - started < HEADER_TIMEOUT_S + 5:
            try:
                sock.sendall(b"X")  # one byte of a header line now and then
                sock.settimeout(0.3)
                if sock.recv(4096) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except OSError:  # reset
                closed = True
                break
        assert closed, "the server kept a connection whose headers never ended"
        assert time.monotonic() - started < HEADER_TIMEOUT_S + 2


def test_an_idle_keep_alive_connection_is_closed_at_the_header_deadline(server):
    store = server.new_store()
    body = json.dumps(batch(store.ratings([4]))).encode()
    with start_upload(server, store.kiosk_token, body, len(body)) as sock:
        assert answer_of(sock)[0] == 200
        sock.settimeout(HEADER_TIMEOUT_S + 10)
        started = time.monotonic()
        assert sock.recv(4096) == b""  # closed: keep-alive 5 s or the header deadline
        assert time.monotonic() - started < HEADER_TIMEOUT_S + 2
