"""A small fault-injecting HTTP proxy for the sync tests.

It sits on loopback between the uploader and a real collector process.  Each
request is matched against a script of faults (first in, first out, for the
path it names); requests without a scripted fault pass straight through.
Every request is logged with its arrival time, so tests can see the backoff.

Faults:

- ``PASS``: forward and relay the answer.
- ``Respond(status, headers)``: answer without forwarding (429 + Retry-After, 500...).
- ``CUT_REQUEST``: read half the request body, then close (the collector never sees it).
- ``LOSE_ANSWER``: forward (the collector commits), then close without answering.
- ``CUT_ANSWER``: forward, relay the headers and half the body, then close.
- ``Delay(seconds)``: forward, hold the answer that long, then relay it.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import socket
import socketserver
import struct
import threading
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Respond:
    """Answer the request ourselves with this status (the collector never sees it)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    #: The request's body as sent (empty when it was cut).
    body: bytes = b""
    body: bytes = b'{"detail": "injected by faultproxy"}'

    @property
    def name(self) -> str:
        return f"respond {self.status}"


@dataclass(frozen=True)
class Delay:
    """Forward, then hold the collector's answer for ``seconds``."""

    seconds: float

    @property
    def name(self) -> str:
        return f"delay {self.seconds}"


PASS = "pass"  # noqa: S105 - a fault name, not a password
CUT_REQUEST = "cut request"
LOSE_ANSWER = "lose answer"
CUT_ANSWER = "cut answer"


@dataclass
class Entry:
    """One request seen by the proxy."""

    at: float
    method: str
    path: str
    fault: str
    status: int | None = None
    answer: bytes = b""
    #: The request's headers, names as sent.
    headers: dict[str, str] = field(default_factory=dict)
    #: The request's body as sent (empty when it was cut).
    body: bytes = b""


class FaultProxy:
    """A threaded HTTP/1.1 proxy to ``127.0.0.1:upstream_port`` with scripted faults."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.faults: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self.log: list[Entry] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.connection, self.rfile)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, path: str, *faults: object) -> None:
        """Script faults for the next requests to ``path`` (exact path, no query)."""
        with self._lock:
            self.faults[path].extend(faults)

    def requests(self, path: str | None = None) -> list[Entry]:
        """The log, optionally only one path's requests."""
        with self._lock:
            return [e for e in self.log if path is None or e.path == path]

    def _next_fault(self, path: str) -> object:
        with self._lock:
            queue = self.faults.get(path)
            return queue.popleft() if queue else PASS

    def _handle(self, sock: socket.socket, rfile) -> None:
        request_line = rfile.readline(65537).decode("latin-1").strip()
        if not request_line:
            return
        method, target, _version = request_line.split(" ", 2)
        headers: list[tuple[str, str]] = []
        while True:
            line = rfile.readline(65537).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        length = int(next((v for k, v in headers if k.lower() == "content-length"), "0"))
        path = target.split("?", 1)[0]
        fault = self._next_fault(path)
        name = fault if isinstance(fault, str) else fault.name
        entry = Entry(time.monotonic(), method, path, name, headers=dict(headers))
        with self._lock:
            self.log.append(entry)
        if fault == CUT_REQUEST:
            rfile.read(length // 2)
            _abort(sock)
            return
        body = rfile.read(length) if length else b""
        entry.body = body
        if isinstance(fault, Respond):
            entry.status = fault.status
            self._send(sock, fault.status, "Injected", list(fault.headers.items()), fault.body)
            return
        try:
            status, reason, answer_headers, answer = self._forward(method, target, headers, body)
        except OSError:
            _abort(sock)  # the collector is down: look like it to the client
            return
        entry.status, entry.answer = status, answer
        if fault == LOSE_ANSWER:
            _abort(sock)
        elif fault == CUT_ANSWER:
            self._send(sock, status, reason, answer_headers, answer, cut=True)
        else:
            if isinstance(fault, Delay):
                time.sleep(fault.seconds)
            self._send(sock, status, reason, answer_headers, answer)

    def _forward(self, method, target, headers, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        try:
            conn.request(method, target, body=body or None, headers=dict(headers))
            response = conn.getresponse()
            answer = response.read()
            return response.status, response.reason, response.getheaders(), answer
        finally:
            conn.close()

    @staticmethod
    def _send(sock, status, reason, headers, body, cut=False) -> None:
        skip = {"content-length", "transfer-encoding", "connection"}
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{k}: {v}" for k, v in headers if k.lower() not in skip]
        lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        head = "\r\n".join(lines).encode("latin-1")
        with contextlib.suppress(OSError):
            if cut:
                # A clean close half-way through: the client sees a short body.
                sock.sendall(head + body[: len(body) // 2])
                sock.shutdown(socket.SHUT_RDWR)
            else:
                sock.sendall(head + body)


def _abort(sock: socket.socket) -> None:
    """Close a connection the rude way (RST), like a cable pulled or a process killed."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
