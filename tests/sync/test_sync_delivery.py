"""Exactly-once delivery with real processes: a collector on loopback, kills and faults.

Every scenario ends with :func:`tests.support.sync.assert_exactly_once`: each kiosk rating
is synced locally and stored once at the collector (export ids unique and equal
to the kiosk's), the kiosk's received count matches, the collector's daily
figures equal the kiosk's own (both from ``sync.metrics``) and
``hymy-collector check`` finds the roll-ups consistent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest

import sync.wire
from sync import uploader as up
from sync.clock import format_utc, utc_now
from sync.uploader import SyncThread, Uploader
from tests.support.faultproxy import (
    CUT_ANSWER,
    CUT_REQUEST,
    LOSE_ANSWER,
    Delay,
    FaultProxy,
    Respond,
)
from tests.support.sync import (
    BIN,
    RecordingBackoff,
    assert_exactly_once,
    copy_store,
    open_store,
    record_taps,
    synced_count,
    wait_for,
    write_config,
)

pytestmark = pytest.mark.timeout(120)
BATCHES = "/api/v1/batches"
SURVEY = "/api/v1/survey"


def sync_thread(db: Path, url: str, token: str, **options) -> SyncThread:
    options.setdefault("interval", 0.3)
    options.setdefault("backoff", RecordingBackoff(base=0.1, cap=1.0))
    thread = SyncThread(lambda: open_store(db), url, token, **options)
    thread.start()
    return thread


def pending(db: Path) -> int:
    store = open_store(db)
    try:
        return store.stats()["pending"]
    finally:
        store.close()


def saved_status(db: Path) -> dict:
    store = open_store(db)
    try:
        return store.get_state(up.STATUS_KEY)
    finally:
        store.close()


def test_backlog_recorded_while_collector_down_arrives_exactly_once(sync_collector, sync_backlog):
    statuses: list[dict] = []
    thread = sync_thread(sync_backlog, sync_collector.url, sync_collector.kiosk_token,
                         on_status=statuses.append)
    try:
        wait_for(lambda: sum(1 for s in statuses
                             if s["last_error"] and "unreachable" in s["last_error"]) >= 3,
                 what="failed attempts while the collector is down")
        assert pending(sync_backlog) == 10_000
        sync_collector.start()
        wait_for(lambda: pending(sync_backlog) == 0, timeout=60, interval=0.2,
                 what="backlog delivered")
        wait_for(lambda: thread.status["last_error"] is None and not thread.status["syncing"])
    finally:
        thread.stop()
    assert assert_exactly_once(sync_collector, sync_backlog) == 10_000
    status = saved_status(sync_backlog)
    assert status["last_sync_at"] and status["pending"] == 0 and not status["token_rejected"]
    assert abs(status["clock_offset_s"]) < 5
    delays = thread.backoff.delays
    assert len(delays) >= 3 and all(0 <= d <= 1.0 for d, _ in delays)


def test_collector_sigkilled_mid_batch_then_restarted(sync_collector, sync_backlog):
    sync_collector.start()
    thread = sync_thread(sync_backlog, sync_collector.url, sync_collector.kiosk_token,
                         batch_size=250)
    try:
        for threshold in (1_000, 4_000, 7_000):
            wait_for(lambda t=threshold: synced_count(sync_backlog) >= t, timeout=60,
                     interval=0.005, what=f"{threshold} synced")
            sync_collector.kill()  # most likely inside a batch: uploads run back to back
            time.sleep(0.5)
            sync_collector.start()
        wait_for(lambda: pending(sync_backlog) == 0, timeout=60, interval=0.2,
                 what="backlog delivered")
    finally:
        thread.stop()
    assert assert_exactly_once(sync_collector, sync_backlog) == 10_000


def test_uploader_sigkilled_mid_sync_then_rerun(sync_collector, sync_backlog, tmp_path):
    sync_collector.start()
    kills = 0
    with FaultProxy(sync_collector.port) as proxy:
        # Each answer held 30 ms, so the upload lasts long enough to be killed
        # mid-way however fast the machine is.
        proxy.add(BATCHES, *[Delay(0.03)] * 400)
        config = write_config(tmp_path / "kiosk.toml", sync_backlog, proxy.url,
                              sync_collector.kiosk_token, batch_size=50)
        command = [str(BIN / "hymy-kiosk"), "sync", "--config", str(config), "--no-progress"]
        for threshold in (1_500, 4_000, 7_000):
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                wait_for(lambda t=threshold, p=process: synced_count(sync_backlog) >= t
                         or p.poll() is not None,
                         timeout=60, interval=0.005, what=f"{threshold} synced")
                if process.poll() is None:
                    os.kill(process.pid, signal.SIGKILL)
                    kills += 1
            finally:
                process.wait(10)
        assert kills >= 2, "the uploader finished before it could be killed"
        assert pending(sync_backlog) > 0
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "0 left pending" in done.stdout
    assert assert_exactly_once(sync_collector, sync_backlog) == 10_000
    status = saved_status(sync_backlog)
    assert status["pending"] == 0 and status["last_error"] is None


def test_misbehaving_server_backoff_then_exactly_once(sync_collector, tmp_path):
    db = tmp_path / "kiosk.db"
    record_taps(db, 3_000, seed=7)
    sync_collector.start()
    faults = [
        Respond(429, {"Retry-After": "1"}),
        Respond(500),
        CUT_REQUEST,
        LOSE_ANSWER,  # the collector committed, the kiosk never heard
        Respond(503, {"Retry-After": "1"}),
        CUT_ANSWER,  # committed again, the answer cut half-way
        Respond(502),
        "pass",
        LOSE_ANSWER,
        Respond(504),
    ]
    with FaultProxy(sync_collector.port) as proxy:
        proxy.add(BATCHES, *faults)
        backoff = RecordingBackoff(base=0.1, cap=1.0)
        thread = sync_thread(db, proxy.url, sync_collector.kiosk_token, batch_size=300,
                             backoff=backoff)
        try:
            wait_for(lambda: pending(db) == 0 and not proxy.faults[BATCHES], timeout=60,
                     interval=0.1, what="delivery through the faults")
            wait_for(lambda: thread.status["last_error"] is None)
        finally:
            thread.stop()
        log = proxy.requests(BATCHES)
    assert assert_exactly_once(sync_collector, db) == 3_000
    # One backoff delay per failure (the 500 too, as the spacing of the next regular sync).
    assert len(backoff.delays) >= 9
    assert sum(1 for _, retry_after in backoff.delays if retry_after == 1) == 2
    for index, entry in enumerate(log[:-1]):
        if entry.fault in ("respond 429", "respond 503"):
            gap = log[index + 1].at - entry.at
            assert gap >= 0.9, f"Retry-After ignored after {entry.fault}: {gap:.2f} s"
    # The lost answers were batches the collector had stored: their resend was a duplicate.
    answers = [json.loads(e.answer) for e in log if e.status == 200 and e.fault == "pass"]
    assert sum(a["duplicate"] for a in answers) >= 300


def test_revoked_token_stops_syncing_and_says_so(sync_collector, tmp_path):
    db = tmp_path / "kiosk.db"
    record_taps(db, 20, seed=2)
    sync_collector.start()
    with FaultProxy(sync_collector.port) as proxy:
        thread = sync_thread(db, proxy.url, sync_collector.kiosk_token, interval=0.1)
        try:
            wait_for(lambda: pending(db) == 0, what="first sync")
            sync_collector.admin(["token", "revoke", str(sync_collector.token_id("kiosk"))])
            store = open_store(db)
            for score in (1, 5, 4):
                store.record_tap(score, 5, "fi", interval=0)
            store.close()
            wait_for(lambda: thread.status["token_rejected"], what="token rejected")
            wait_for(lambda: (saved_status(db) or {}).get("token_rejected"))
            requests_then = len(proxy.requests())
            time.sleep(1.0)
            assert len(proxy.requests()) == requests_then, "kept syncing with a revoked token"
            thread.trigger()  # "Sync now" tries again, and is refused again
            wait_for(lambda: len(proxy.requests()) > requests_then)
            wait_for(lambda: thread.status["token_rejected"] and not thread.status["syncing"])
        finally:
            thread.stop()
    status = saved_status(db)
    assert status["token_rejected"] and "token rejected" in status["last_error"]
    assert status["paused"] and status["next_attempt_at"] is None
    assert status["pending"] == 3 and pending(db) == 3
    config = write_config(tmp_path / "kiosk.toml", db, sync_collector.url,
                          sync_collector.kiosk_token)
    done = subprocess.run([str(BIN / "hymy-kiosk"), "sync", "--config", str(config)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert "token rejected" in done.stderr and "Traceback" not in done.stderr


def test_survey_is_fetched_when_it_changes_and_kept(sync_collector, tmp_path):
    db = tmp_path / "kiosk.db"
    sync_collector.start()
    survey_file = tmp_path / "survey.toml"
    survey_file.write_text(
        'scale = 4\nreasons = ["queue", "staff"]\n[questions]\nfi = "Miten meni?"\n'
        'en = "How was it?"\n[reason_labels.en]\nqueue = "Queue"\nstaff = "Service"\n'
    )
    with FaultProxy(sync_collector.port) as proxy:
        thread = sync_thread(db, proxy.url, sync_collector.kiosk_token, interval=0.1)
        try:
            wait_for(lambda: len(proxy.requests(SURVEY)) >= 2, what="survey fetches")
            first = open_store(db)
            assert first.get_state(up.SURVEY_KEY)["version"] == 0  # the built-in default
            first.close()
            sync_collector.admin(["survey", "set", "s1", str(survey_file)])
            thread.trigger()

            def survey_version():
                store = open_store(db)
                try:
                    return (store.get_state(up.SURVEY_KEY) or {}).get("version")
                finally:
                    store.close()

            wait_for(lambda: survey_version() == 1, what="new survey")
            seen = len(proxy.requests(SURVEY))
            wait_for(lambda: len(proxy.requests(SURVEY)) >= seen + 2)
        finally:
            thread.stop()
        statuses = [e.status for e in proxy.requests(SURVEY)]
    assert statuses[0] == 200 and 304 in statuses and statuses.count(200) == 2
    sync_collector.kill()
    offline = open_store(db)  # an offline start still has the last known survey
    survey = offline.get_state(up.SURVEY_KEY)
    assert survey["scale"] == 4 and survey["questions"]["en"] == "How was it?"
    assert survey["reason_labels"]["en"]["staff"] == "Service"
    assert offline.get_state(up.SURVEY_ETAG_KEY)
    offline.close()


def test_a_tap_during_a_sync_does_not_wait_for_the_network(sync_collector, tmp_path):
    db = tmp_path / "kiosk.db"
    record_taps(db, 500, seed=3)
    sync_collector.start()
    ui = open_store(db)

    def tap_times(n: int) -> list[float]:
        times = []
        for _ in range(n):
            started = time.perf_counter()
            ui.record_tap(4, 5, "fi", interval=0)
            times.append(time.perf_counter() - started)
        return times

    try:
        baseline = tap_times(20)
        with FaultProxy(sync_collector.port) as proxy:
            proxy.add(BATCHES, Delay(2.0))  # the collector's answer takes 2 s to come back
            thread = sync_thread(db, proxy.url, sync_collector.kiosk_token, interval=3600)
            try:
                wait_for(lambda: proxy.requests(BATCHES) and thread.status["syncing"])
                during = tap_times(40)
                assert thread.status["syncing"], "the sync was not in flight during the taps"
                wait_for(lambda: pending(db) == 0 and not thread.status["syncing"])
            finally:
                thread.stop()
    finally:
        ui.close()
    assert max(during) < max(baseline) + 0.25, (max(baseline), max(during))
    assert sum(during) < 2.0  # 40 taps took far less than the one request in flight


def test_kiosk_clock_off_is_flagged_and_its_dates_kept(sync_collector, tmp_path, monkeypatch):
    """A kiosk clock 10 minutes slow: the collector flags, the kiosk's local_date stays."""
    db = tmp_path / "kiosk.db"
    store = open_store(db)
    kiosk_now = utc_now() - timedelta(minutes=10)
    monkeypatch.setattr(sync.wire, "utc_now", lambda: utc_now() - timedelta(minutes=10))
    tap = store.record_tap(5, 5, "fi", interval=0, now=kiosk_now)
    sync_collector.start()
    try:
        result = Uploader(store, sync_collector.url, sync_collector.kiosk_token).push_all()
    finally:
        store.close()
    assert 590 <= result.clock_offset_s <= 620
    (row,) = sync_collector.export()[0]
    assert row["clock_suspect"] is True
    assert row["local_date"] == tap.local_date and row["created_at"] == tap.created_at
    assert 590 <= sync_collector.kiosk()["clock_offset_s"] <= 620


def test_cli_unreachable_collector_is_one_line_and_exit_1(tmp_path, sync_backlog_template):
    db = copy_store(sync_backlog_template, tmp_path / "kiosk.db")
    config = write_config(tmp_path / "kiosk.toml", db, "http://127.0.0.1:9", "hymy_x")
    done = subprocess.run(
        [str(BIN / "hymy-kiosk"), "sync", "--config", str(config), "--retry-for", "3"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert errors[-1] == ("hymy-kiosk: sync: collector unreachable at http://127.0.0.1:9 "
                          "(connection refused)")
    assert all(line.startswith("hymy-kiosk: ") for line in errors)  # no traceback
    assert "retrying in" in errors[0]
    assert "10000 left pending" in done.stdout
    status = saved_status(db)
    assert "unreachable" in status["last_error"] and status["pending"] == 10_000
    assert status["last_attempt_at"] <= format_utc(utc_now())


def test_cli_progress_and_summary(sync_collector, tmp_path):
    db = tmp_path / "kiosk.db"
    record_taps(db, 1_200, seed=5)
    store = open_store(db)
    bad = store.record_tap(3, 5, "fi", interval=0)
    store.db.execute("UPDATE ratings SET local_date = '1999-01-01' WHERE id = ?", [bad.id])
    store.close()
    sync_collector.start()
    config = write_config(tmp_path / "kiosk.toml", db, sync_collector.url,
                          sync_collector.kiosk_token, batch_size=500)
    done = subprocess.run(
        [str(BIN / "hymy-kiosk"), "sync", "--config", str(config), "--progress"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 4, done.stderr  # a rating was rejected (issue 14)
    assert "1201/1201" in done.stderr  # the tqdm bar
    assert done.stdout.strip() == (
        "sent 1201: 1200 new, 0 duplicate, 0 conflict, 1 rejected; 0 left pending"
    )
    assert "the collector rejected 1 rating(s):\n  1 x local_date" in done.stderr
    assert "hymy-kiosk resend-rejected --config" in done.stderr
    store = open_store(db)
    try:
        assert store.stats()["rejected"] == 1
        (reason,) = store.db.execute(
            "SELECT rejected_reason FROM ratings WHERE id = ?", [bad.id]).fetchone()
        assert "local_date" in reason
    finally:
        store.close()
