"""Backups taken while kiosks upload, and a restore that serves them again.

SQLite: ``hymy-collector backup PATH`` (SQLite's online backup API) runs while
a kiosk posts batches without pause.  PostgreSQL: the documented path,
``pg_dump --format=custom`` while ingest runs, ``pg_restore`` into a new
database.  In both cases:

- the copy passes ``PRAGMA integrity_check`` (SQLite) and ``hymy-collector
  check`` (roll-ups and seq tracking agree with the raw ratings);
- it holds every rating acknowledged before the backup started, each once,
  and nothing that was never acknowledged;
- a collector started on the copy serves it: the export, the kiosk's token
  (a re-sent rating is a ``duplicate``, a new one is ``accepted``).
"""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
import uuid

import pytest
import requests

from sync.clock import format_utc, local_date, utc_now, zone
from sync.wire import encode, make_batch
from tests.support.collector import Collector
from tests.support.fleet import TIMEZONE, register
from tests.support.sizes import SIZES, percentile, record

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(600)]


class Ingest(threading.Thread):
    """One kiosk posting 20-rating batches back to back; remembers what was acknowledged."""

    def __init__(self, url: str, token: str, store_id: str, kiosk_id: str):
        super().__init__(daemon=True)
        self.url, self.token, self.store_id, self.kiosk_id = url, token, store_id, kiosk_id
        self.acked: list[str] = []
        self.sent: list[dict] = []
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.halt = threading.Event()
        self.lock = threading.Lock()

    def rows(self, first_seq: int, n: int) -> list[dict]:
        now = utc_now()
        return [{"id": str(uuid.uuid4()), "seq": first_seq + i, "store_id": self.store_id,
                 "kiosk_id": self.kiosk_id, "score": 1 + (first_seq + i) % 5, "scale": 5,
                 "created_at": format_utc(now), "local_date": local_date(now, zone(TIMEZONE)),
                 "lang": "fi", "reason": None, "suppressed": 0, "survey_version": 0}
                for i in range(n)]

    def post(self, rows: list[dict]) -> requests.Response:
        data, headers = encode(make_batch(rows))
        return requests.post(self.url + "/api/v1/batches", data=data, timeout=30,
                             headers={"Authorization": f"Bearer {self.token}", **headers})

    def run(self) -> None:
        seq = 1
        deadline = time.monotonic() + 300
        while not self.halt.is_set() and time.monotonic() < deadline:
            rows = self.rows(seq, 20)
            started = time.perf_counter()
            try:
                answer = self.post(rows)
            except requests.RequestException as error:
                self.errors.append(str(error))
                return
            if answer.status_code != 200 or answer.json()["accepted"] != len(rows):
                self.errors.append(f"HTTP {answer.status_code}: {answer.text}")
                return
            with self.lock:
                self.latencies.append(time.perf_counter() - started)
                self.sent += rows
                self.acked += [row["id"] for row in rows]
            seq += len(rows)

    def acknowledged(self) -> set[str]:
        with self.lock:
            return set(self.acked)


def take_backup(backend: str, collector: Collector, tmp_path, request) -> tuple[str, float]:
    """Back up the live database the documented way; the copy's --database value."""
    started = time.monotonic()
    if backend == "sqlite":
        copy = tmp_path / "backup.db"
        done = collector.cli("backup", str(copy), check=False)
        assert done.returncode == 0, done.stderr
        assert "Backed up" in done.stdout
        return str(copy), time.monotonic() - started
    server = request.getfixturevalue("postgres_server")
    dump = tmp_path / "hymy.dump"
    done = subprocess.run([server.tool("pg_dump"), "--format=custom", "--file", str(dump),
                           collector.database], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    elapsed = time.monotonic() - started
    restored = server.create_database("hymy_restore")
    done = subprocess.run([server.tool("pg_restore"), "--no-owner", "--dbname", restored,
                           str(dump)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return restored, elapsed


def test_backup_while_ingest_runs_then_restore(tmp_path, collector_database, backend, request):
    workdir = tmp_path / "live"
    workdir.mkdir()
    collector = Collector(workdir, collector_database)
    collector.start()
    token = register(collector, "bk", ["bk-1"])["bk-1"]
    ingest = Ingest(collector.url, token, "bk", "bk-1")
    try:
        ingest.start()
        time.sleep(SIZES.backup_seconds / 2)
        before = ingest.acknowledged()
        during_start = len(ingest.latencies)
        copy, backup_seconds = take_backup(backend, collector, tmp_path, request)
        during = ingest.latencies[during_start:]
        time.sleep(SIZES.backup_seconds / 2)
        ingest.halt.set()
        ingest.join(60)
        assert not ingest.errors, ingest.errors[:3]
    finally:
        collector.stop()
    assert len(before) > 0 and len(ingest.acknowledged()) > len(before)

    if backend == "sqlite":
        with sqlite3.connect(copy) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    restored = Collector(restored_dir, copy)
    check = restored.cli("check", check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    restored.start()
    try:
        ids = [row["id"] for row in restored.export()[0]]
        doubled = len(ids) - len(set(ids))
        lost = len(before - set(ids))
        assert doubled == 0, f"{doubled} ratings stored twice"
        assert lost == 0, f"{lost} acknowledged ratings missing"
        assert set(ids) <= ingest.acknowledged() | {row["id"] for row in ingest.sent}
        kiosk = Ingest(restored.url, token, "bk", "bk-1")
        first = next(row for row in ingest.sent if row["id"] in before)
        again = kiosk.post([first]).json()
        assert (again["accepted"], again["duplicate"]) == (0, 1)
        fresh = kiosk.post(kiosk.rows(10_000_000, 1)).json()
        assert fresh["accepted"] == 1
    finally:
        restored.stop()
    record(f"backup_{backend}", acknowledged_before=len(before), in_backup=len(ids),
           acknowledged_total=len(ingest.acknowledged()), rows_lost=lost, rows_doubled=doubled,
           backup_seconds=round(backup_seconds, 2), batches_during_backup=len(during),
           ingest_p99_ms_during_backup=round(percentile(during, 0.99) * 1000, 1))
