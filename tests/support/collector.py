"""Helpers for the collector tests: a real server process, stores made per test, ratings.

:class:`Collector` runs ``python -m sync.collector serve`` on a free loopback
port with its own database and sets up admin and office tokens with the CLI.
:meth:`Collector.new_store` gives each test a fresh store, kiosk and staff
token (through the admin API), so tests share one server without sharing data.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from sync.clock import format_utc, local_date, parse_utc, utc_now, zone
from tests.support import ROOT, stop_process

_ids = itertools.count(1)
#: Databases written by released code (``tests/fixtures/make_upgrade_fixtures.py``).
UPGRADE_FIXTURES = ROOT / "tests" / "fixtures" / "upgrade"


def release_database(backend: str, folder: Path, request: Any, level: str = "003") -> str:
    """A collector database as release ``level`` left it, on ``backend`` (a copied SQLite
    file, or a restored ``pg_dump`` script on the session's PostgreSQL); its URL or path."""
    if backend == "sqlite":
        database = folder / "collector.db"
        shutil.copy(UPGRADE_FIXTURES / f"collector-{level}.db", database)
        return str(database)
    return request.getfixturevalue("postgres_server").restore(
        UPGRADE_FIXTURES / f"collector-{level}-postgresql.sql.gz")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(healthy: Callable[[], bool], timeout: float, pause: float,
                 failure: Exception) -> None:
    """Ask ``healthy()`` every ``pause`` seconds until it says yes; raise ``failure``
    after ``timeout`` seconds.  An OSError (nobody listening yet) counts as no."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if healthy():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise failure
        time.sleep(pause)


def run_cli(database: Path | str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``python -m sync.collector ARGS --database DATABASE`` in a subprocess."""
    done = subprocess.run(
        [sys.executable, "-m", "sync.collector", *args, "--database", str(database)],
        capture_output=True, text=True, timeout=120,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def rating(
    seq: int,
    score: int = 5,
    scale: int = 5,
    at: datetime | str | None = None,
    tz: str = "Europe/Helsinki",
    **overrides: Any,
) -> dict[str, Any]:
    """One rating as a kiosk sends it; ``local_date`` follows ``at`` in ``tz``."""
    moment = parse_utc(at) if isinstance(at, str) else (at or utc_now() - timedelta(minutes=5))
    item = {
        "id": str(uuid.uuid4()), "seq": seq, "score": score, "scale": scale,
        "created_at": format_utc(moment), "local_date": local_date(moment, zone(tz)),
        "lang": "fi", "reason": None, "suppressed": False, "survey_version": 0,
    }
    item.update(overrides)
    return item


def batch(ratings: list[dict[str, Any]], sent_at: datetime | None = None,
          status: dict[str, Any] | None = None) -> dict[str, Any]:
    """A batch body around ``ratings``."""
    return {"format": 1, "sent_at": format_utc(sent_at or utc_now()), "status": status,
            "ratings": ratings}


@dataclass
class Store:
    """A store made for one test: its kiosk and staff tokens, and a seq counter."""

    collector: Collector
    store_id: str
    timezone: str
    kiosk_id: str
    kiosk_token: str
    staff_token: str
    seq: itertools.count = field(default_factory=lambda: itertools.count(1))

    def ratings(self, scores: list[int], **kwargs: Any) -> list[dict[str, Any]]:
        """Ratings with the next seqs and these scores."""
        kwargs.setdefault("tz", self.timezone)
        return [rating(next(self.seq), score, **kwargs) for score in scores]

    def post(self, body: Any, token: str | None = None, gzip_body: bool = False,
             **kwargs: Any) -> requests.Response:
        """POST a batch body (a dict, a list of ratings, or raw bytes) as this kiosk."""
        if isinstance(body, list):
            body = batch(body)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
        if gzip_body:
            data = gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
        return self.collector.request("POST", "/api/v1/batches", token or self.kiosk_token,
                                      data=data, headers=headers, **kwargs)

    def get(self, path: str, token: str | None = None, **params: Any) -> requests.Response:
        """GET a path under /api/v1/stores/<this store> with the staff token."""
        return self.collector.request("GET", f"/api/v1/stores/{self.store_id}{path}",
                                      token or self.staff_token, params=params)

    def kiosk(self) -> dict[str, Any]:
        """This store's kiosk status from the read API."""
        answer = self.get("/kiosks")
        assert answer.status_code == 200, answer.text
        return answer.json()["kiosks"][0]

    def daily(self, start: str, end: str) -> dict[str, dict[str, Any]]:
        """Daily rows by date."""
        answer = self.get("/daily", **{"from": start, "to": end})
        assert answer.status_code == 200, answer.text
        return {row["date"]: row for row in answer.json()["days"]}


class Collector:
    """A running ``python -m sync.collector serve`` with admin and office tokens.

    ``database`` is a SQLite path or a ``postgresql://`` URL (the ``collector_database``
    fixture gives one of the backend under test); default ``workdir/collector.db``.
    """

    def __init__(self, workdir: Path, database: Path | str | None = None) -> None:
        self.workdir = workdir
        self.database = database or workdir / "collector.db"
        self.log_path = workdir / "collector.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_token = self.cli("token", "add", "--role", "admin").stdout.strip()
        self.office_token = self.cli("token", "add", "--role", "office").stdout.strip()
        self.session = requests.Session()
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run a ``hymy-collector`` command on this collector's database."""
        return run_cli(self.database, *args, check=check)

    def start(self, *args: str, env: dict[str, str] | None = None) -> None:
        """Start the server (extra ``serve`` args, extra environment) and wait for /healthz."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sync.collector", "serve", "--port", str(self.port),
                 "--database", str(self.database), *args],
                stdout=log, stderr=log, env={**os.environ, **(env or {})},
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()
            try:
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        raise AssertionError("collector did not start within 30 s")

    def stop(self) -> None:
        """SIGTERM the server (by its pid) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            stop_process(self.process)
        self.process = None

    def request(self, method: str, path: str, token: str | None = None,
                **kwargs: Any) -> requests.Response:
        """An HTTP request with an optional bearer token."""
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.url + path, headers=headers, **kwargs)

    def new_store(self, timezone: str = "Europe/Helsinki") -> Store:
        """A fresh store with one kiosk and a staff token, made through the admin API."""
        number = next(_ids)
        store_id, kiosk_id = f"t{number}-{uuid.uuid4().hex[:6]}", f"t{number}-kiosk"
        made = self.request("POST", "/api/v1/stores", self.admin_token,
                            json={"id": store_id, "name": f"Test {number}", "timezone": timezone})
        assert made.status_code == 201, made.text
        kiosk = self.request("POST", f"/api/v1/stores/{store_id}/kiosks", self.admin_token,
                             json={"id": kiosk_id})
        assert kiosk.status_code == 201, kiosk.text
        staff = self.request("POST", "/api/v1/tokens", self.admin_token,
                             json={"role": "staff", "store_id": store_id})
        assert staff.status_code == 201, staff.text
        return Store(self, store_id, timezone, kiosk_id, kiosk.json()["token"],
                     staff.json()["token"])

    def export(self, after: str = "0", limit: int = 100_000) -> tuple[list[dict], str]:
        """Every rating after a cursor (all pages, JSONL) and the final cursor."""
        rows = []
        while True:
            answer = self.request("GET", "/api/v1/export/ratings", self.office_token,
                                  params={"after": after, "limit": limit, "format": "jsonl"})
            assert answer.status_code == 200, answer.text
            rows += [json.loads(line) for line in answer.text.splitlines()]
            after = answer.headers["X-Next-Cursor"]
            if answer.headers["X-More"] == "false":
                return rows, after

    def count(self) -> int:
        """Number of ratings stored, through the export API."""
        return len(self.export()[0])


def app_of_stores(database: str, stores: dict[str, str], kiosk: bool = False) -> Any:
    """A collector app (in this process, :mod:`tests.support.asgi` calls it) on ``database``
    with ``stores`` (id -> name, on Helsinki time), each with a kiosk ``<id>-k`` if ``kiosk``."""
    from sync.collector.app import create_app
    from sync.collector.settings import Settings

    app = create_app(Settings(database=database))
    for store_id, name in stores.items():
        app.state.storage.add_store(store_id, name, "Europe/Helsinki")
        if kiosk:
            app.state.storage.add_kiosk(f"{store_id}-k", store_id)
    return app


def send_as_kiosk(storage: Any, kiosk_id: str, ratings: list[dict[str, Any]]) -> None:
    """A batch of ``ratings`` from the kiosk through the collector's real ingest, in this
    process (an empty batch: the kiosk called in with nothing to send)."""
    from sync.collector.api import ingest

    kiosk = storage.principal(storage.add_token("kiosk", kiosk_id=kiosk_id).token)
    answer = ingest.handle_batch(storage, kiosk, json.dumps(batch(ratings)).encode())
    assert answer.accepted == len(ratings), answer
