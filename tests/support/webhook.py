"""A real HTTP receiver on loopback that keeps every request (a webhook's far end).

``with webhook_receiver([500, 200]) as hook:`` answers the first request 500,
the next 200 (the last status repeats); ``hook.url`` is where to POST and
``hook.requests`` what arrived: method, path, headers (lower-case names) and
raw body, in order.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.collector import wait_healthy


@dataclass
class Received:
    """One request as it arrived."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Hook:
    """What the receiver got, and how it answers."""

    statuses: list[int]
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, received: Received) -> int:
        with self.lock:
            self.requests.append(received)
            return self.statuses[min(len(self.requests), len(self.statuses)) - 1]

    def wait(self, count: int = 1, timeout: float = 30.0) -> list[Received]:
        """The first ``count`` requests, waiting for them to arrive."""
        wait_healthy(lambda: len(self.requests) >= count, timeout, 0.05,
                     AssertionError(f"{count} request(s) expected in {timeout} s"))
        with self.lock:
            return list(self.requests)


@contextmanager
def webhook_receiver(statuses: list[int] | None = None) -> Iterator[Hook]:
    """Run the receiver on a free loopback port for the duration of the block."""
    hook = Hook(statuses or [200])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = hook.answer(Received("POST", self.path,
                                          {k.lower(): v for k, v in self.headers.items()}, body))
            text = b"ok" if status < 300 else b"receiver broken"
            self.send_response(status)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
