"""``make demo`` seeds what issue #16 promises the dashboard shows: regions, touchpoints and
all three question kinds (CSAT at the checkout, CES at the service desk, NPS at the exit).

The demo's own seeding step (``kiosk.demo.seed``, the real ``hymy-collector demo`` in a
subprocess, a real SQLite file), made small: two stores, three days.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from kiosk import demo
from sync.collector import Database, Storage
from sync.metrics import kind_of
from tests.support import stop_group


def kinds_by_touchpoint(storage: Storage, store_id: str) -> dict[str | None, set[str]]:
    """Which question kinds a store's ratings of the last week were, per touchpoint."""
    today = date.today()
    found: dict[str | None, set[str]] = defaultdict(set)
    for point, scale, _score, _suppressed, n in storage.touchpoint_counts(
            store_id, (today - timedelta(days=7)).isoformat(),
            (today + timedelta(days=1)).isoformat()):
        if n:
            found[point].add(kind_of(scale))
    return dict(found)


def test_the_demo_seeds_regions_and_each_kind_at_its_touchpoint(tmp_path: Path):
    tokens = demo.seed(tmp_path / "data", ("--stores", "2", "--days", "3"))
    assert tokens["demo_kiosk"]
    storage = Storage(Database(str(tmp_path / "data" / "collector.db"), create=False))
    try:
        for store_id in ("hki-kamppi", "hki-itakeskus"):
            assert kinds_by_touchpoint(storage, store_id) == {
                "checkout": {"csat"}, "service_desk": {"ces"}, "exit": {"nps"}}, store_id
        assert storage.store("hki-kamppi")["region_id"] == "helsinki"
        tree = storage.region_tree()
        assert tree.regions["helsinki"]["parent_id"] == "uusimaa"
        kiosks = {k["id"]: k["touchpoint"] for k in storage.kiosks("hki-kamppi")}
        assert kiosks[demo.KIOSK] == "checkout"
    finally:
        storage.db.close()


def test_the_demo_says_how_to_log_in_and_stops_on_ctrl_c(tmp_path: Path):
    """What `make demo` prints is the newcomer's only guide: every login, and how to stop."""
    tokens = demo.seed(tmp_path / "data", ("--stores", "2", "--days", "3"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    shown = subprocess.Popen(
        [sys.executable, "-c", "import signal, sys; signal.signal(signal.SIGINT,"
         " signal.default_int_handler); from kiosk.demo import main; sys.exit(main())",
         "--data", str(tmp_path / "data"), "--port", str(port), "--no-kiosk"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)  # a group of its own: the collector it starts goes with it
    lines = []
    try:
        for line in shown.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        output = "".join(lines)
        assert tokens["office"] in output and tokens["admin"] in output, output
        assert tokens["staff"]["token"] in output
        assert "'Sign in with an access token'" in output  # where on the login page they go
        shown.send_signal(signal.SIGINT)
        assert shown.wait(timeout=30) == 0
        with socket.socket() as probe:  # the collector went with it
            assert probe.connect_ex(("127.0.0.1", port)) != 0
    finally:
        stop_group(shown)


def test_the_kiosk_keeps_http_connection_chatter_out_of_its_log():
    """Kivy passes DEBUG records on; urllib3's per-request lines would flood the journal."""
    level = subprocess.run(
        [sys.executable, "-c", "import logging, kiosk.app;"
         " print(logging.getLogger('urllib3').getEffectiveLevel())"],
        capture_output=True, text=True, check=True, env={**os.environ, "KIVY_NO_CONSOLELOG": "1"})
    assert int(level.stdout.split()[-1]) >= logging.WARNING
