"""What only the PostgreSQL backend has to get right: shared migrations, lost
connections, passwords in URLs.  The rest of the collector suite runs on both
backends (``[postgresql]`` test ids)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.collector import Collector

pytestmark = pytest.mark.postgres


def test_processes_starting_together_on_a_new_database_migrate_it_once(postgres_server):
    url = postgres_server.create_database()
    code = ("import sys; from sync.collector.db.connection import Database;"
            " db = Database(sys.argv[1]); print(len(db.migrate())); db.close()")
    processes = [subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(6)]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    applied = sorted(int(out.strip()) for out, _ in outputs)
    assert applied[:-1] == [0] * 5 and applied[-1] >= 2


def test_connections_closed_by_the_server_are_replaced_unnoticed(postgres_server,
                                                                tmp_path: Path):
    url = postgres_server.create_database()
    collector = Collector(tmp_path, url)
    collector.start("--workers", "1")
    try:
        store = collector.new_store()
        assert store.post(store.ratings([5, 4])).json()["accepted"] == 2
        name = url.rsplit("/", 1)[1]
        # What a database restart or failover does to every pooled connection
        # (waiting up to 10 s until each server process has gone).
        postgres_server.admin("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
                              f" WHERE datname = '{name}' AND pid <> pg_backend_pid()")
        answers = [store.post(store.ratings([3])) for _ in range(5)]
        assert [answer.status_code for answer in answers] == [200] * 5, [a.text for a in answers]
        assert store.kiosk()["received"] == 7
        assert collector.request("GET", "/healthz").status_code == 200
    finally:
        collector.stop()
