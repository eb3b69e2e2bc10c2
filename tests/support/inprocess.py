"""The collector app under uvicorn in a thread of the test process, on loopback.

For tests that must run the collector's code in this process: mutation testing
(mutmut swaps the functions of the imported modules, which a server started
as a subprocess would never see), or a test that replaces a part of the app.
The requests are real HTTP over 127.0.0.1; :func:`call` can send them from
another loopback address (127.0.0.2, ...), which the server sees as another
client.  With ``uds=PATH`` the app listens on a Unix socket instead, as behind
a reverse proxy, where the app sees no client address at all.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import wait_until_up
from tests.support.collector import free_port, wait_healthy


@dataclass
class Answer:
    """One HTTP answer: status, headers (lower-case names) and the body as JSON."""

    status: int
    headers: dict[str, str]
    body: Any

    @property
    def detail(self) -> str:
        """The error message of an error answer (``{"detail": ...}``)."""
        return self.body["detail"]


@dataclass
class InProcess:
    """A running in-process collector: its URL, its app and the app's storage."""

    url: str
    port: int | None
    app: Any
    uds: Path | None = None
    log: list[logging.LogRecord] = field(default_factory=list)

    @property
    def storage(self) -> Any:
        return self.app.state.storage

    def call(self, method: str, path: str, token: str | None = None, *,
             json_body: Any = None, source: str = "127.0.0.1") -> Answer:
        """Send one request from the loopback address ``source`` (or over the Unix socket)."""
        if self.uds is not None:
            return exchange(UnixConnection(self.uds), method, path, token, json_body)
        return call(self.port, method, path, token, json_body=json_body, source=source)

    def log_of(self, path: str) -> list[dict[str, Any]]:
        """The fields of the request log lines written so far for ``path``."""
        return [vars(record) for record in self.log
                if record.getMessage() == "request" and getattr(record, "path", None) == path]


def call(port: int, method: str, path: str, token: str | None = None, *,
         json_body: Any = None, source: str = "127.0.0.1") -> Answer:
    """One HTTP request to 127.0.0.1:``port`` from ``source``; the answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                            source_address=(source, 0))
    return exchange(connection, method, path, token, json_body)


class UnixConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket."""

    def __init__(self, path: Path) -> None:
        super().__init__("localhost", timeout=30)
        self.unix_path = str(path)

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def exchange(connection: http.client.HTTPConnection, method: str, path: str,
             token: str | None, json_body: Any) -> Answer:
    """Send one request on ``connection`` and close it; the answer."""
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    body = None
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        raw = answer.read()
        names = {name.lower(): value for name, value in answer.getheaders()}
    finally:
        connection.close()
    parsed = json.loads(raw) if raw and "json" in names.get("content-type", "") else raw
    return Answer(answer.status, names, parsed)


class _Keep(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def collector_in_process(database: Path, *, uds: Path | None = None,
                         **settings: Any) -> Iterator[InProcess]:
    """Serve a collector app on ``database`` (SQLite) with ``settings`` overridden.

    Its ``hymy.collector`` log records are kept in :attr:`InProcess.log`.
    """
    import uvicorn

    from sync.collector.app import create_app
    from sync.collector.settings import Settings

    app = create_app(Settings(database=str(database), **settings))
    port = None if uds else free_port()
    where = {"uds": str(uds)} if uds else {"host": "127.0.0.1", "port": port}
    server = uvicorn.Server(uvicorn.Config(app, **where, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    running = InProcess(f"http://127.0.0.1:{port}", port, app, uds)
    keep = _Keep(running.log)
    logger = logging.getLogger("hymy.collector")
    logger.addHandler(keep)
    thread.start()
    try:
        if uds is None:
            wait_until_up(running.url)
        else:
            _wait_for_socket(uds)
        yield running
    finally:
        server.should_exit = True
        thread.join(10)
        logger.removeHandler(keep)


def collector_fixture(folder: str) -> Any:
    """A module-scoped ``collector`` fixture: one collector in this process (its
    database in a temp folder named ``folder``), shared by a test module's kiosks.

    In a test module: ``collector = collector_fixture("delivery")``.
    """

    @pytest.fixture(scope="module", name="collector")
    def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
        with collector_in_process(tmp_path_factory.mktemp(folder) / "c.db") as running:
            yield running

    return collector


def _wait_for_socket(path: Path, timeout: float = 30.0) -> None:
    wait_healthy(
        lambda: exchange(UnixConnection(path), "GET", "/healthz", None, None).status == 200,
        timeout, 0.05, TimeoutError(f"no collector on {path}"))
