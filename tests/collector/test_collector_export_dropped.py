"""A client that drops an export midway (a BI tool timing out, a closed laptop) leaves
nothing behind: the export's page threads end with the answer, the collector answers
the next pull whole, and logs no error.

Each dropped pull used to leave its two page threads (and the pages made ahead)
alive until Python's cycle collector happened to run: in a demo collector, 24 idle
threads after a dozen dropped pulls.  The collector runs in this process so its
threads can be counted; the requests are real HTTP on loopback.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from tests.support.browser import login_session
from tests.support.collector import run_cli
from tests.support.inprocess import collector_in_process


def export_threads() -> int:
    """Threads of export page pools alive in this process."""
    return sum(thread.name.startswith("hymy-export") for thread in threading.enumerate())


def drop_after_first_bytes(port: int, path: str, token: str) -> None:
    """Ask for ``path``, read the first bytes of the answer and hang up."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           f"Authorization: Bearer {token}\r\n\r\n".encode())
        assert connection.recv(4096).startswith(b"HTTP/1.1 200")


def settle(timeout: float = 10.0) -> int:
    """The export threads left once the dropped answers have ended (0 at best)."""
    deadline = time.monotonic() + timeout
    while export_threads() and time.monotonic() < deadline:
        time.sleep(0.1)
    return export_threads()


def test_dropped_exports_leave_no_threads_and_the_next_pull_is_whole(tmp_path: Path):
    database = tmp_path / "collector.db"
    seeded = json.loads(run_cli(database, "demo", "--stores", "1", "--days", "60",
                                "--taps", "500", "--json").stdout)
    office = seeded["tokens"]["office"]
    with collector_in_process(database) as collector:
        total = collector.storage.count_after(0)
        assert total > 20_000  # pages of 10 000: a dropped pull has pages made ahead
        for query in ("format=csv", "format=jsonl", "format=csv&dialect=excel-nordic"):
            drop_after_first_bytes(collector.port, f"/api/v1/export/ratings?{query}", office)
        dashboard = login_session({"url": collector.url}, office)
        start = (date.today() - timedelta(days=90)).isoformat()
        with dashboard.get(f"{collector.url}/office/export/ratings.csv?from={start}",
                           stream=True, timeout=30) as download:
            assert download.status_code == 200
            next(download.iter_content(4096))
        assert settle() == 0

        whole = collector.call("GET", "/api/v1/export/ratings?limit=100000", office)
        assert whole.status == 200 and whole.headers["x-row-count"] == str(total)
        assert len(whole.body.splitlines()) == total + 1  # the header and every rating
        assert not [record.getMessage() for record in collector.log
                    if record.levelno >= logging.ERROR]
