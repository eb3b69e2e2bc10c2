"""What each way a sync can fail tells the staff screen, over real sockets where it can.

The uploader turns every failure into one short line (``SyncError``): a TLS
error points at ``sync.ca_bundle``, a bad URL at ``sync.url``, a network
failure says in a few words what happened.  The retry policy's edges
(``Retry-After`` forms, the backoff's ceiling) are checked with explicit values.
"""

from __future__ import annotations

import errno
import socket
import threading
from datetime import UTC, datetime

import pytest
import requests

from sync.uploader import Backoff, Fatal, Retryable, SyncError, Uploader, parse_retry_after
from sync.uploader.client import Client, check_status, network_reason, one_line
from sync.uploader.result import PushResult
from tests.support.uploading import kiosk_store, tap


@pytest.fixture
def store(tmp_path):
    outbox = kiosk_store(tmp_path)
    tap(outbox, 2)
    yield outbox
    outbox.close()


class OneShotServer:
    """A loopback TCP server that reads one request and then does ``answer(conn)``."""

    def __init__(self, answer):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            while True:
                conn, _ = self.sock.accept()
                with conn:
                    conn.recv(65536)
                    self.answer(conn)
        except OSError:
            return

    def close(self):
        self.sock.close()


def failure(store, answer, expected: type[Exception] = Retryable, scheme: str = "http",
            call: str = "push_once") -> tuple[str, str]:
    """Run the uploader's ``call`` for ``store`` against a :class:`OneShotServer` that does
    ``answer``; the server's URL and the message of the ``expected`` error it must raise."""
    server = OneShotServer(answer)
    url = f"{scheme}://127.0.0.1:{server.port}"
    try:
        with pytest.raises(expected) as failed:
            getattr(Uploader(store, url, "hymy_x"), call)()
    finally:
        server.close()
    return url, str(failed.value)


def test_tls_to_a_server_that_does_not_speak_it_is_retried_with_a_hint(store):
    url, message = failure(store, lambda conn: conn.sendall(b"HTTP/1.1 400 Bad\r\n\r\n"),
                           scheme="https")
    assert message.startswith(f"TLS error talking to {url} (")
    assert message.endswith("); if the collector uses a private CA, set sync.ca_bundle")
    assert "\n" not in message and store.stats()["pending"] == 2


def test_a_ca_bundle_that_is_not_there_names_the_setting(store, tmp_path):
    missing = str(tmp_path / "nope.pem")
    with pytest.raises(Fatal) as failed:
        Uploader(store, "https://127.0.0.1:9", "hymy_x", ca_bundle=missing).push_once()
    message = str(failed.value)
    assert message.startswith(f"sync.ca_bundle {missing!r} cannot be used (")
    assert message.endswith("); point it at the PEM file of the collector's CA")


def test_the_ca_bundle_is_what_requests_verify_with():
    assert Client("https://c.example", "t", ca_bundle="/etc/ca.pem").verify == "/etc/ca.pem"
    assert Client("https://c.example", "t").verify is True
    assert Client("https://c.example", "t", ca_bundle="").verify is True


def test_another_os_error_is_not_blamed_on_the_ca_bundle():
    class Broken(requests.Session):
        def request(self, *args, **kwargs):
            raise OSError(errno.EMFILE, "Too many open files")

    with pytest.raises(OSError, match="Too many open files"):
        Client("http://c.example", "t", session=Broken()).request("GET", "/x")


@pytest.mark.parametrize("url", ["collector.example.com", "ftp://collector.example.com",
                                 "http://"])
def test_a_url_that_is_not_http_is_fatal_and_names_the_setting(store, url):
    with pytest.raises(Fatal) as failed:
        Uploader(store, url, "hymy_x").push_once()
    assert str(failed.value) == f"sync.url {url.rstrip('/')!r} is not a valid http(s) URL"


def test_a_server_that_closes_without_answering(store):
    url, message = failure(store, lambda conn: None)
    assert message == f"collector unreachable at {url} (connection closed without an answer)"


def test_an_answer_shorter_than_it_says_is_cut_off(store):
    url, message = failure(store, lambda conn: conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
        b"Connection: close\r\n\r\n{\"accepted\""))
    assert message == f"collector unreachable at {url} (answer cut off)"
    assert store.stats()["pending"] == 2


@pytest.mark.parametrize(("error", "reason"), [
    (requests.exceptions.ConnectTimeout("pool: timed out"), "connection timed out"),
    (requests.exceptions.ReadTimeout("pool: read timed out"), "no answer in time"),
    (requests.exceptions.ChunkedEncodingError("broken"), "answer cut off"),
    (requests.ConnectionError(OSError(errno.ECONNREFUSED, "Connection Refused")),
     "connection refused"),
])
def test_network_reasons_in_a_few_words(error, reason):
    assert network_reason(error) == reason


def test_a_reason_is_found_through_causes_and_wrapped_reasons():
    class Wrapper(Exception):
        def __init__(self, reason):
            super().__init__("wrapped")
            self.reason = reason

    deep = requests.ConnectionError(Wrapper(OSError(errno.EHOSTUNREACH, "No Route To Host")))
    assert network_reason(deep) == "no route to host"
    try:
        try:
            raise OSError(errno.ENETUNREACH, "Network is unreachable")
        except OSError as inner:
            raise requests.ConnectionError("failed") from inner
    except requests.ConnectionError as outer:
        assert network_reason(outer) == "network is unreachable"
    try:
        try:
            raise OSError(errno.ECONNRESET, "Connection reset")
        except OSError:
            raise requests.ConnectionError("failed") from None
    except requests.ConnectionError as outer:
        assert network_reason(outer) == "connection reset"  # found through __context__
    no_words = requests.ConnectionError(OSError())
    assert network_reason(no_words) == "ConnectionError"  # nothing better than its name


def test_a_cause_chain_that_loops_ends_in_the_first_line_of_the_error():
    first = requests.ConnectionError("first line\nsecond line")
    second = RuntimeError("again")
    first.__cause__, second.__cause__ = second, first
    assert network_reason(first) == "first line"


def test_one_line_is_the_first_line_at_most_200_characters():
    assert one_line(ValueError("a\nb")) == "a"
    assert one_line(ValueError()) == "ValueError"
    assert one_line(ValueError("x" * 300)) == "x" * 200


def answer(status: int, body: bytes = b"", headers: dict | None = None) -> requests.Response:
    made = requests.Response()
    made.status_code = status
    made._content = body
    made.headers.update(headers or {})
    return made


@pytest.mark.parametrize("status", [200, 201, 204, 299, 304])
def test_success_and_not_modified_pass(status):
    assert check_status(answer(status)) is None


@pytest.mark.parametrize(("body", "shown"), [
    (b'{"detail": "no"}', "HTTP 300: no"),
    (b'{"detail": ""}', "HTTP 300"),
    (b'["a list"]', "HTTP 300"),
    (b"<html>", "HTTP 300"),
    (b'{"detail": {"field": "x"}}', "HTTP 300: {'field': 'x'}"),
])
def test_an_error_detail_is_shown_when_there_is_one(body, shown):
    with pytest.raises(Fatal) as failed:
        check_status(answer(300, body))
    assert str(failed.value) == f"collector refused the request ({shown})"


def test_a_sync_error_starts_with_no_result():
    error = SyncError("x", status=500)
    assert (error.status, error.result) == (500, None)
    assert Retryable("y").retry_after is None and Retryable("y").status is None


# -- retry policy ------------------------------------------------------------------


def test_retry_after_in_its_two_forms_and_bad_values():
    now = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(" 120 ") == 120.0
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after("Thu, 15 Jan 2026 12:00:30 GMT", now=lambda: now) == 30.0
    assert parse_retry_after("Thu, 15 Jan 2026 11:00:00 GMT", now=lambda: now) == 0.0
    assert parse_retry_after("Thu, 15 Jan 2026 12:00:30 -0000", now=lambda: now) is None
    for bad in ("", None, "soon", "1.5", "-5", "Thu, 45 Jan 2026 12:00:30 GMT"):
        assert parse_retry_after(bad, now=lambda: now) is None, bad


def test_a_retry_after_date_is_read_against_the_utc_clock():
    later = datetime.now(UTC).timestamp() + 3600
    header = datetime.fromtimestamp(later, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 3590 < parse_retry_after(header) <= 3600


def test_the_backoff_ceiling_stops_doubling_at_two_to_the_62():
    backoff = Backoff(base=1.0, cap=float("inf"), rng=lambda: 1.0)
    for _ in range(70):
        delay = backoff.next_delay()
    assert delay == 2.0 ** 62 and backoff.failures == 70


def test_the_default_backoff_is_one_second_doubling_to_five_minutes():
    backoff = Backoff(rng=lambda: 1.0)
    assert (backoff.base, backoff.cap) == (1.0, 300.0)
    assert [backoff.next_delay() for _ in range(10)][-2:] == [256.0, 300.0]
    assert Backoff().next_delay() < 1.0  # random.random() is under 1


def test_retry_after_is_a_floor_capped_at_an_hour():
    backoff = Backoff(rng=lambda: 0.0)
    assert backoff.next_delay(retry_after=3600.0) == 3600.0
    assert backoff.next_delay(retry_after=3601.0) == 3600.0
    assert backoff.next_delay(retry_after=0.0) == 0.0


# -- results -------------------------------------------------------------------------


def test_results_add_up_and_the_last_clock_offset_and_missing_ranges_win():
    total = PushResult(batches=1, sent=3, accepted=2, duplicate=1, clock_offset_s=0.5,
                       conflicts=["a"], missing=[(1, 2)])
    total.add(PushResult(batches=2, sent=5, accepted=1, duplicate=1, conflict=2, rejected=1,
                         requeued=4, conflicts=["b", "c"], missing=[(7, 9)]))
    assert total.as_dict() == {"batches": 3, "sent": 8, "accepted": 3, "duplicate": 2,
                               "conflict": 2, "rejected": 1, "clock_offset_s": 0.5,
                               "requeued": 4}
    assert total.conflicts == ["a", "b", "c"] and total.missing == [(7, 9)]
    total.add(PushResult(clock_offset_s=-1.25))
    assert total.clock_offset_s == -1.25 and total.missing == []


def test_a_body_cut_inside_the_http_library_is_an_answer_cut_off():
    import http.client

    from urllib3.exceptions import ProtocolError

    cut = ProtocolError("Connection broken", http.client.IncompleteRead(b"{", 99))
    assert network_reason(requests.ConnectionError(cut)) == "answer cut off"


def test_a_survey_that_is_not_json_says_why(store):
    _, message = failure(store, lambda conn: conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n"
        b"Connection: close\r\n\r\n<html>"), Fatal, call="fetch_survey")
    assert message == ("survey from the collector is unusable: "
                       "Expecting value: line 1 column 1 (char 0)")
