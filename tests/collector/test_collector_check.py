"""``hymy-collector check`` recounts in SQL what ingest counted in Python: they agree on
every zone (half-hour offsets and DST steps inside an hour included), a planted
difference in any roll-up or seq counter is named and ``--repair`` puts it right, and
a terminal sees a progress bar."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from pathlib import Path

import pytest

from sync.collector import Database, Storage
from tests.support.mixed_chain import fill

BIN = Path(sys.executable).parent


@pytest.fixture
def mixed_chain(chain_storage: Callable[..., Storage]) -> Storage:
    """A chain of awkward stores and ratings (:mod:`tests.support.mixed_chain`)."""
    return fill(chain_storage({}))


def test_recount_agrees_with_ingest_on_every_zone(mixed_chain):
    assert mixed_chain.check() == []


def test_planted_differences_are_named_and_repaired(mixed_chain):
    with mixed_chain.db.transaction(serialize=True) as conn:
        conn.execute("UPDATE hourly_counts SET n = n + 1 WHERE store_id = 'del'"
                     " AND local_date = (SELECT MIN(local_date) FROM hourly_counts"
                     " WHERE store_id = 'del')")
        conn.execute("DELETE FROM reason_counts WHERE store_id = 'ktm'")
        conn.execute("DELETE FROM ratings WHERE kiosk_id = 'lhi-k' AND seq = 5")
        # Helsinki's hours are counted in SQL (Delhi's minute by minute): one of its
        # rows moved to an hour no tap had is a missing row and an extra one.
        moved = conn.rows("SELECT local_date, hour, scale, score, n FROM hourly_counts"
                          " WHERE store_id = 'hki' ORDER BY local_date, hour, scale, score")[0]
        conn.execute("UPDATE hourly_counts SET hour = 99 WHERE store_id = 'hki'"
                     " AND local_date = ? AND hour = ? AND scale = ? AND score = ?", moved[:4])
    problems = mixed_chain.check()
    text = "\n".join(problems)
    assert "hourly_counts ('del'," in text
    day, hour, scale, score, n = moved
    assert f"hourly_counts ('hki', '{day}', {hour}, {scale}, {score}): stored 0, ratings say {n}" \
        in problems
    assert f"hourly_counts ('hki', '{day}', 99, {scale}, {score}): stored {n}, ratings say 0" \
        in problems
    assert "reason_counts ('ktm'," in text
    assert "daily_counts ('lhi'," in text and "running_counts ('lhi'," in text
    assert [line for line in problems if line.startswith("kiosk ")] == [
        f"kiosk lhi-k: stored max_seq/received/gaps {top}/{top}/0 ranges,"
        f" ratings say {top}/{top - 1}/1 ranges"
        for top in [mixed_chain.db.query("SELECT max_seq FROM kiosks WHERE id = 'lhi-k'")[0]
                    ["max_seq"]]
    ]
    assert mixed_chain.check(repair=True) == problems
    assert mixed_chain.check() == []
    gaps = mixed_chain.db.query("SELECT gap_start, gap_end FROM seq_gaps WHERE kiosk_id = 'lhi-k'")
    assert gaps == [{"gap_start": 5, "gap_end": 5}]


def test_a_terminal_sees_a_progress_bar(tmp_path):
    database = tmp_path / "collector.db"
    db = Database(str(database))
    db.migrate()
    fill(Storage(db))
    db.close()
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 wide
    done = subprocess.run([str(BIN / "hymy-collector"), "check", "--database", str(database)],
                          stdout=subprocess.PIPE, stderr=follower, timeout=120, check=True)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal is closed once everything is read
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert b"check" in shown and b"5/5" in shown and b"stored roll-ups done" in shown
    assert done.stdout.decode().strip() == "ok: roll-ups match"


def test_a_seq_taken_twice_is_a_gap_not_a_full_count(mixed_chain):
    """Two ratings with one seq (a kiosk restored from an old backup) and none with the
    next: as many ratings as the highest seq, yet a range is missing."""
    with mixed_chain.db.transaction(serialize=True) as conn:
        conn.execute("UPDATE ratings SET seq = 4 WHERE kiosk_id = 'hki-k' AND seq = 5")
    top = mixed_chain.db.query("SELECT max_seq FROM kiosks WHERE id = 'hki-k'")[0]["max_seq"]
    assert mixed_chain.check() == [
        f"kiosk hki-k: stored max_seq/received/gaps {top}/{top}/0 ranges,"
        f" ratings say {top}/{top}/1 ranges"
    ]
    mixed_chain.check(repair=True)
    gaps = mixed_chain.db.query("SELECT gap_start, gap_end FROM seq_gaps WHERE kiosk_id = 'hki-k'")
    assert gaps == [{"gap_start": 5, "gap_end": 5}]
