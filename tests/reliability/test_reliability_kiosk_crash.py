"""Crash the real kiosk app with SIGKILL at random moments while a shopper taps.

The app runs under Xvfb exactly as ``hymy-kiosk --config`` runs it, with a
scripted shopper inside (``tests/support/kiosk_tapper.py``) that presses
the app's own face, reason and skip buttons one frame at a time and appends
every tap that reached the thank-you screen to an acknowledgement file.  The
test SIGKILLs the process at random moments (some during start-up, most in
the middle of tapping), restarts it on the same database and carries on
until ``SIZES.kiosk_taps`` taps were acknowledged.  Then:

- every acknowledged tap is in the database, with its score and its reason;
- ``seq`` is 1..N without a gap or a repeat, and the next seq follows on;
- at most one stored tap per kill was never acknowledged (the one in flight);
- ``PRAGMA integrity_check`` says ok.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.pin import hash_pin
from kiosk.store import Store
from tests.support import ROOT
from tests.support.sizes import SIZES, record

TAPPER = ROOT / "tests" / "support" / "kiosk_tapper.py"

pytestmark = [pytest.mark.ui, pytest.mark.reliability, pytest.mark.timeout(900)]


def write_config(folder: Path) -> Path:
    values = {
        "store_id": "s1", "kiosk_id": "k1", "timezone": "Europe/Helsinki",
        "database": "kiosk.db", "staff_pin_hash": hash_pin("2468", iterations=1000),
        "fullscreen": False, "thanks_delay": 0.5, "response_interval": 0,
        "reasons": ["queue", "staff", "prices", "other"], "followup_faces": [1, 2],
    }
    path = folder / "kiosk.toml"
    path.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()))
    return path


def acknowledged(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def test_sigkill_at_random_moments_loses_no_acknowledged_tap(xvfb_display, tmp_path):
    rng = random.Random(int(os.environ.get("HYMY_RELIABILITY_SEED", "7")))
    taps, kills_planned = SIZES.kiosk_taps, SIZES.kiosk_kills
    config = write_config(tmp_path)
    acks, log_path = tmp_path / "acks.jsonl", tmp_path / "kiosk.log"
    env = {**os.environ, "DISPLAY": xvfb_display, "KIVY_HOME": str(tmp_path / "kivy"),
           "KIVY_NO_ARGS": "1", "HYMY_KIOSK_SIZE": "800x480"}
    deadline = time.monotonic() + 780
    kills = {"start-up": 0, "tapping": 0}
    started = time.monotonic()

    def launch(seed: int) -> subprocess.Popen:
        with log_path.open("ab") as log:
            return subprocess.Popen(
                [sys.executable, str(TAPPER), "--config", str(config), "--acks", str(acks),
                 "--taps", str(taps), "--seed", str(seed)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_acks(process: subprocess.Popen, count: int) -> None:
        while count_lines(acks) < count:
            if process.poll() is not None:
                pytest.fail(f"kiosk exited ({process.returncode}):\n"
                            + log_path.read_text(errors="replace")[-3000:])
            assert time.monotonic() < deadline, f"only {count_lines(acks)} of {count} taps"
            time.sleep(0.005)

    def kill(process: subprocess.Popen) -> None:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)

    per_life = max(2, 2 * taps // (kills_planned + 1))
    for life in range(kills_planned):
        base = count_lines(acks)
        if base >= taps - 1:
            break
        process = launch(seed=life)
        try:
            if rng.random() < 0.2:  # somewhere in start-up: imports, migration, window
                time.sleep(rng.uniform(0.05, 2.0))
                kills["start-up"] += 1
            else:
                wait_acks(process, min(taps - 1, base + rng.randint(1, per_life)))
                time.sleep(rng.uniform(0, 0.05))  # mid-frame, mid-commit, mid-ack
                kills["tapping"] += 1
        finally:
            kill(process)
    last = launch(seed=kills_planned)
    try:
        wait_acks(last, taps)
        time.sleep(rng.uniform(0, 0.3))
    finally:
        kill(last)  # the final thank-you is on screen: pull the plug once more
    kills["tapping"] += 1
    elapsed = time.monotonic() - started

    done = acknowledged(acks)
    with sqlite3.connect(tmp_path / "kiosk.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = {row[0]: row[1:] for row in db.execute(
            "SELECT id, seq, score, reason FROM ratings")}
        seqs = sorted(seq for seq, _, _ in rows.values())
    store = Store(tmp_path / "kiosk.db", "s1", "k1", "Europe/Helsinki")
    next_seq = store.stats()["last_seq"] + 1
    store.close()
    assert len(done) >= taps
    missing = [ack for ack in done if ack["id"] not in rows]
    assert not missing, f"{len(missing)} acknowledged taps lost, e.g. {missing[:3]}"
    for ack in done:
        seq, score, reason = rows[ack["id"]]
        assert (seq, score) == (ack["seq"], ack["score"]), ack
        if ack["reason"] is not None:
            assert reason == ack["reason"], ack
    assert seqs == list(range(1, len(seqs) + 1)), "seq has a gap or a repeat"
    assert next_seq == len(seqs) + 1
    total_kills = sum(kills.values())
    unacknowledged = len(rows) - len(done)
    assert 0 <= unacknowledged <= total_kills
    record("kiosk_crash", taps_acknowledged=len(done), rows_stored=len(rows),
           stored_not_acknowledged=unacknowledged, kills=total_kills,
           kills_in_start_up=kills["start-up"], kills_while_tapping=kills["tapping"],
           with_reason=sum(1 for ack in done if ack["reason"]), rows_lost=len(missing),
           seconds=round(elapsed, 1))
