"""The kiosk's background SyncThread against a real collector, and the status it keeps.

A real kiosk ``Store``, a real collector in this process and the fault proxy
between them.  What staff would see is checked: the saved ``sync_status``
after each kind of outcome, when the next attempt is due, pausing after a
refusal until "Sync now", and that the queue empties with nothing lost.
"""

from __future__ import annotations

import errno
import itertools
import logging
import sqlite3
import threading
import time
from datetime import timedelta

import pytest

from sync.clock import parse_utc, utc_now
from sync.uploader import STATUS_KEY, Backoff, SyncThread
from sync.uploader.client import BATCHES_PATH, SURVEY_PATH
from sync.uploader.result import PushResult
from sync.uploader.thread import _conflict_note, is_disk_full
from tests.support import sync as support
from tests.support.faultproxy import Delay, Respond
from tests.support.inprocess import collector_fixture
from tests.support.uploading import (
    batch_body,
    held,
    kiosk_store,
    lost_and_doubled,
    proxied_kiosk,
    tap,
)

_kiosks = itertools.count(1)
collector = collector_fixture("thread")


def wait_for(predicate, timeout: float = 5.0) -> None:
    """Wait for what takes well under a second; a broken thread fails in seconds."""
    support.wait_for(predicate, timeout=timeout)


@pytest.fixture
def kiosk(collector, tmp_path):
    """A fresh kiosk on the shared collector: its id, token, store, a proxy, its folder."""
    with proxied_kiosk(collector, tmp_path, f"t{next(_kiosks)}") as fresh:
        yield fresh


class Thread:
    """A SyncThread on the kiosk's database, with every status it reported."""

    def __init__(self, kiosk, **options):
        kiosk_id, token, _store, proxy, folder = kiosk
        self.statuses: list[dict] = []
        self.opened: list = []

        def factory():
            outbox = kiosk_store(folder, "s1", kiosk_id)
            self.opened.append(outbox)
            return outbox

        options.setdefault("backoff", Backoff(base=0.05, rng=lambda: 1.0))
        options.setdefault("outbox_factory", factory)
        self.thread = SyncThread(options.pop("outbox_factory"), proxy.url, token,
                                 on_status=self.statuses.append, **options)

    def __enter__(self) -> SyncThread:
        self.thread.start()
        return self.thread

    def __exit__(self, *exc) -> None:
        self.thread.stop()
        assert not self.thread.is_alive()


def seconds_until(moment: str) -> float:
    return (parse_utc(moment) - utc_now()).total_seconds()


def test_a_backlog_is_delivered_in_paced_batches_and_the_status_says_so(collector, kiosk):
    kiosk_id, _token, store, proxy, _ = kiosk
    ids = tap(store, 25)
    before = utc_now()
    run = Thread(kiosk, interval=3600, batch_size=10, batch_pause=0.5)
    with run as thread:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
    assert lost_and_doubled(ids, held(collector, kiosk_id)) == (0, 0)
    times = [entry.at for entry in proxy.requests(BATCHES_PATH)]
    assert times[1] - times[0] >= 0.5 and times[2] - times[1] >= 0.5  # rested between
    assert len(proxy.requests(BATCHES_PATH)) == 3 and len(proxy.requests(SURVEY_PATH)) == 1
    saved = store.get_state(STATUS_KEY)
    assert saved == thread.status
    assert saved["last_result"] == {"batches": 3, "sent": 25, "accepted": 25, "duplicate": 0,
                                    "conflict": 0, "rejected": 0, "requeued": 0,
                                    "clock_offset_s": saved["clock_offset_s"]}
    assert isinstance(saved["clock_offset_s"], float)
    assert (saved["pending"], saved["rejected"], saved["last_error"]) == (0, 0, None)
    assert (saved["paused"], saved["syncing"], saved["token_rejected"]) == (False, False, False)
    assert saved["disk_full"] is False
    assert parse_utc(saved["last_attempt_at"]) >= before.replace(microsecond=0) - timedelta(1e-3)
    assert parse_utc(saved["last_sync_at"]) >= parse_utc(saved["last_attempt_at"])
    assert 3590 < seconds_until(saved["next_attempt_at"]) <= 3600
    assert store.get_state("survey")["version"] == 0
    first = run.statuses[0]
    assert first["syncing"] is True and first["last_attempt_at"] == saved["last_attempt_at"]
    assert run.statuses[-1] == saved


def test_without_a_pause_a_backlog_goes_at_once(kiosk):
    _, _, store, _, _ = kiosk
    tap(store, 30)
    started = time.monotonic()
    with Thread(kiosk, interval=3600, batch_size=10, batch_pause=0) as thread:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
    assert time.monotonic() - started < 3
    assert store.stats()["pending"] == 0


def test_sync_now_wakes_the_thread_and_stop_ends_it_promptly(collector, kiosk):
    kiosk_id, _, store, _, _ = kiosk
    with Thread(kiosk, interval=3600) as thread:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
        ids = tap(store, 2)
        thread.trigger()
        wait_for(lambda: len(held(collector, kiosk_id)) == 2)
        started = time.monotonic()
        thread.stop()
        assert time.monotonic() - started < 2 and not thread.is_alive()
    assert lost_and_doubled(ids, held(collector, kiosk_id)) == (0, 0)


def test_a_heartbeat_every_interval(kiosk):
    _, _, _, proxy, _ = kiosk
    with Thread(kiosk, interval=0.1, fetch_survey=False) as thread:
        wait_for(lambda: len(proxy.requests(BATCHES_PATH)) >= 3)
    assert proxy.requests(SURVEY_PATH) == [] and thread.cycles >= 3


def test_a_rejected_token_pauses_until_sync_now(collector, kiosk):
    kiosk_id, _, store, proxy, _ = kiosk
    ids = tap(store, 2)
    proxy.add(BATCHES_PATH, Respond(401, {}, b'{"detail": "unknown or revoked token"}'))
    run = Thread(kiosk, interval=0.05)
    with run as thread:
        wait_for(lambda: thread.status["token_rejected"] and not thread.status["syncing"])
        time.sleep(0.3)
        assert thread.cycles == 1  # paused, not retrying
        saved = store.get_state(STATUS_KEY)
        assert saved["paused"] is True and saved["next_attempt_at"] is None
        assert saved["last_error"] == (
            "token rejected by the collector (HTTP 401: unknown or revoked token); "
            "check sync.token (hymy-collector kiosk add)")
        assert saved["pending"] == 2 and saved["last_sync_at"] is None
        thread.trigger()  # "Sync now"
        wait_for(lambda: not thread.status["token_rejected"] and thread.cycles >= 2)
        wait_for(lambda: not thread.status["syncing"])
        assert thread.status["paused"] is False and thread.status["last_error"] is None
    assert lost_and_doubled(ids, held(collector, kiosk_id)) == (0, 0)


def test_a_rejected_token_on_the_survey_pauses_too(kiosk):
    _, _, store, proxy, _ = kiosk
    proxy.add(SURVEY_PATH, Respond(403, {}, b'{"detail": "no"}'))
    with Thread(kiosk, interval=0.05) as thread:
        wait_for(lambda: thread.status["paused"])
        time.sleep(0.2)
        assert thread.cycles == 1 and thread.status["token_rejected"] is True


def test_a_survey_the_collector_cannot_give_does_not_stop_syncing(kiosk):
    _, _, store, proxy, _ = kiosk
    tap(store, 1)
    proxy.add(SURVEY_PATH, Respond(500))
    with Thread(kiosk, interval=3600) as thread:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
    status = thread.status
    assert status["last_error"] is None and status["paused"] is False
    assert status["last_result"]["accepted"] == 1
    assert seconds_until(status["next_attempt_at"]) > 3590


def test_network_trouble_backs_off_then_delivers(collector, kiosk):
    kiosk_id, _, store, proxy, _ = kiosk
    ids = tap(store, 1)
    proxy.add(BATCHES_PATH, Respond(503), Respond(503))
    run = Thread(kiosk, interval=3600, backoff=Backoff(base=0.2, rng=lambda: 1.0))
    with run as thread:
        wait_for(lambda: any(s["last_error"] for s in run.statuses))
        failed = next(s for s in run.statuses if s["last_error"])
        assert failed["last_error"] == "collector busy (HTTP 503: injected by faultproxy)"
        assert 0 < seconds_until(failed["next_attempt_at"]) <= 0.2
        assert failed["paused"] is False and failed["pending"] == 1
        wait_for(lambda: len(held(collector, kiosk_id)) == 1)
        wait_for(lambda: not thread.status["syncing"])
    times = [entry.at for entry in proxy.requests(BATCHES_PATH)]
    assert len(times) == 3 and times[1] - times[0] >= 0.2 and times[2] - times[1] >= 0.4
    assert thread.status["last_error"] is None and thread.backoff.failures == 0
    assert lost_and_doubled(ids, held(collector, kiosk_id)) == (0, 0)


def test_sync_now_does_not_jump_a_servers_retry_after(kiosk):
    _, _, _, proxy, _ = kiosk
    proxy.add(BATCHES_PATH, Respond(429, {"Retry-After": "1"}))
    with Thread(kiosk, interval=3600) as thread:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
        thread.trigger()
        time.sleep(0.4)
        assert thread.cycles == 1
        wait_for(lambda: thread.cycles == 2, timeout=5)
        wait_for(lambda: not thread.status["syncing"])
    assert thread.status["last_error"] is None


def test_sync_now_cuts_a_plain_backoff_short(kiosk):
    _, _, _, proxy, _ = kiosk
    proxy.add(BATCHES_PATH, Respond(503))
    with Thread(kiosk, interval=3600, backoff=Backoff(base=60, rng=lambda: 1.0)) as thread:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
        assert 55 < seconds_until(thread.status["next_attempt_at"]) <= 60
        thread.trigger()
        wait_for(lambda: thread.cycles == 2, timeout=3)


@pytest.mark.parametrize("status", [400, 422])
def test_a_refused_request_pauses_until_sync_now(kiosk, status):
    _, _, store, proxy, _ = kiosk
    tap(store, 1)
    proxy.add(BATCHES_PATH, Respond(status, {}, b'{"detail": "bad batch"}'))
    with Thread(kiosk, interval=0.05) as thread:
        wait_for(lambda: thread.status["paused"])
        time.sleep(0.2)
        assert thread.cycles == 1
    saved = store.get_state(STATUS_KEY)
    assert saved["last_error"] == (f"collector refused the request (HTTP {status}: bad batch); "
                                   "automatic sync paused until 'Sync now'")
    assert saved["next_attempt_at"] is None and saved["token_rejected"] is False


def test_a_server_error_is_tried_again_at_the_next_regular_sync(kiosk):
    _, _, store, proxy, _ = kiosk
    tap(store, 1)
    proxy.add(BATCHES_PATH, Respond(500))
    with Thread(kiosk, interval=30, backoff=Backoff(base=0.01, rng=lambda: 1.0)) as thread:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
    status = thread.status
    assert status["last_error"] == (
        "collector refused the request (HTTP 500: injected by faultproxy)")
    assert status["paused"] is False
    assert 25 < seconds_until(status["next_attempt_at"]) <= 30
    with Thread(kiosk, interval=0.01, backoff=Backoff(base=60, rng=lambda: 1.0)) as again:
        proxy.add(BATCHES_PATH, Respond(500))
        wait_for(lambda: again.cycles == 1 and not again.status["syncing"])
    assert 55 < seconds_until(again.status["next_attempt_at"]) <= 60  # spaced out further


def test_batches_delivered_before_a_failure_count_as_a_sync(collector, kiosk):
    kiosk_id, _, store, proxy, _ = kiosk
    ids = tap(store, 3)
    proxy.add(BATCHES_PATH, "pass", Respond(401, {}, b'{"detail": "revoked"}'))
    with Thread(kiosk, interval=3600, batch_size=2) as thread:
        wait_for(lambda: thread.status["paused"])
    status = thread.status
    assert status["last_sync_at"] is not None
    assert status["last_result"]["batches"] == 1 and status["last_result"]["accepted"] == 2
    assert status["pending"] == 1
    assert lost_and_doubled(ids[:2], held(collector, kiosk_id)) == (0, 0)


def test_a_conflict_is_reported_to_staff(collector, kiosk):
    kiosk_id, _, store, _, _ = kiosk
    tap(store, 1)
    row = store.pending(1)[0]
    # The collector already holds another rating under this id.
    with Thread(kiosk, interval=3600) as thread:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
    store.db.execute("UPDATE ratings SET synced_at = NULL, score = ? WHERE id = ?",
                     (1 + row["score"] % 5, row["id"]))
    with Thread(kiosk, interval=3600) as thread:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
    status = thread.status
    assert status["last_result"]["conflict"] == 1
    assert status["last_error"] == ("1 rating(s) differed from the collector's copy; "
                                    "the collector's copy was kept")
    assert len(held(collector, kiosk_id)) == 1


def test_conflict_note():
    assert _conflict_note(PushResult()) is None
    assert _conflict_note(PushResult(conflict=2)).startswith("2 rating(s) differed")


def test_the_last_sync_time_survives_a_restart_and_the_rest_starts_fresh(kiosk):
    _, _, store, _, _ = kiosk
    store.set_state(STATUS_KEY, {"last_sync_at": "2026-01-01T00:00:00.000Z",
                                 "last_error": "old trouble", "paused": True})
    run = Thread(kiosk, interval=3600, fetch_survey=False)
    run.thread.backoff = Backoff(base=0.05, rng=lambda: 1.0)
    with run as thread:
        wait_for(lambda: len(run.statuses) >= 1)
        first = run.statuses[0]
        assert first["last_sync_at"] == "2026-01-01T00:00:00.000Z"
        assert first["last_error"] is None and first["paused"] is False
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
    assert thread.status["last_sync_at"] != "2026-01-01T00:00:00.000Z"


def test_a_store_that_cannot_be_opened_is_reported_and_tried_again(kiosk):
    kiosk_id, _, _, _, folder = kiosk
    attempts = []

    def factory():
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise sqlite3.OperationalError("unable to open database file")
        return kiosk_store(folder, "s1", kiosk_id)

    run = Thread(kiosk, interval=3600, outbox_factory=factory,
                 backoff=Backoff(base=0.1, rng=lambda: 1.0))
    with run as thread:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
    assert run.statuses[0]["last_error"] == (
        "cannot open the local store: unable to open database file")
    assert len(attempts) == 3 and attempts[2] - attempts[1] >= 0.2
    assert thread.status["last_error"] is None


def test_the_thread_closes_its_store_when_it_ends(kiosk):
    run = Thread(kiosk, interval=3600)
    with run as thread:
        wait_for(lambda: thread.cycles == 1)
    outbox, = run.opened
    with pytest.raises(sqlite3.ProgrammingError):
        outbox.db.execute("SELECT 1")


def test_a_failing_close_or_status_callback_does_not_break_the_thread(kiosk):
    _, _, store, _, folder = kiosk

    class Unclosable:
        def __init__(self):
            self.inner = kiosk_store(folder, "s1", kiosk[0])

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def close(self):
            self.inner.close()
            raise OSError("cannot close")

    def shout(_status):
        raise RuntimeError("screen gone")

    thread = SyncThread(Unclosable, kiosk[3].url, kiosk[1], interval=0.05, on_status=shout)
    thread.start()
    wait_for(lambda: thread.cycles >= 2)
    thread.stop()
    assert not thread.is_alive()
    assert store.get_state(STATUS_KEY)["last_sync_at"] is not None


def test_a_full_disk_is_reported_and_the_thread_carries_on(kiosk):
    kiosk_id, _, store, _, folder = kiosk
    tap(store, 300)

    def full():
        outbox = kiosk_store(folder, "s1", kiosk_id)
        pages = outbox.db.execute("PRAGMA page_count").fetchone()[0]
        outbox.db.execute(f"PRAGMA max_page_count = {pages}")
        return outbox

    run = Thread(kiosk, interval=10, outbox_factory=full)
    with run as thread:
        wait_for(lambda: thread.cycles >= 1 and not thread.status["syncing"])
    status = thread.status
    assert status["disk_full"] is True
    assert status["last_error"] == "local database write failed: database or disk is full"
    assert 9 < seconds_until(status["next_attempt_at"]) <= 10
    assert store.stats()["pending"] == 300  # nothing marked, all will be sent again


@pytest.mark.parametrize(("error", "full"), [
    (OSError(errno.ENOSPC, "No space left on device"), True),
    (OSError(errno.EACCES, "Permission denied"), False),
    (sqlite3.OperationalError("database or disk is full"), True),
    (sqlite3.OperationalError("database is locked"), False),
    (ValueError("nothing to do with disks"), False),
])
def test_what_counts_as_a_full_disk(error, full):
    assert is_disk_full(error) is full


def test_a_full_disk_is_found_however_it_is_wrapped():
    full = sqlite3.OperationalError("disk I/O")
    full.sqlite_errorname = "SQLITE_FULL"
    assert is_disk_full(full)
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("saving failed") from inner
    except RuntimeError as outer:
        assert is_disk_full(outer)
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise RuntimeError("while handling it") from None
    except RuntimeError as hidden:
        assert is_disk_full(hidden)  # still found through __context__
    loop = RuntimeError("a")
    loop.__cause__ = RuntimeError("b")
    loop.__cause__.__cause__ = loop
    assert not is_disk_full(loop)


def test_the_kiosk_log_says_why_sync_failed_and_what_comes_next(kiosk, caplog):
    _, _, store, proxy, _ = kiosk
    tap(store, 1)
    proxy.add(BATCHES_PATH, Respond(503), Respond(500), Respond(401, {}, b'{"detail": "no"}'),
              Respond(422, {}, b'{"detail": "bad"}'))
    proxy.add(SURVEY_PATH, Respond(500))
    run = Thread(kiosk, interval=0.05, backoff=Backoff(base=0.1, rng=lambda: 1.0))
    with caplog.at_level(logging.INFO, logger="sync.uploader"), run as thread:
        wait_for(lambda: thread.status["token_rejected"] and not thread.status["syncing"])
        thread.trigger()
        wait_for(lambda: thread.cycles == 4 and thread.status["paused"])
        thread.trigger()
        wait_for(lambda: thread.cycles == 5 and not thread.status["syncing"])
    lines = [(r.levelname, r.getMessage()) for r in caplog.records
             if r.name == "sync.uploader.thread"]
    assert lines == [
        ("WARNING", "sync failed: collector busy (HTTP 503: injected by faultproxy); "
                    "next try in 0.1 s"),
        ("WARNING", "sync failed: collector refused the request (HTTP 500: injected by "
                    "faultproxy); next try in 0.2 s"),
        ("ERROR", "token rejected by the collector (HTTP 401: no); check sync.token "
                  "(hymy-collector kiosk add); sync paused until 'Sync now'"),
        ("ERROR", "collector refused the request (HTTP 422: bad); sync paused until "
                  "'Sync now'"),
        ("WARNING", "survey not refreshed: collector refused the request (HTTP 500: "
                    "injected by faultproxy)"),
    ]
    assert thread.status["last_error"] is None


def test_local_trouble_is_logged_and_reported(kiosk, caplog):
    kiosk_id, _, _, _, folder = kiosk
    calls = []

    class Trouble:
        """A store that fails to open once, then cannot count its queue or close."""

        def __init__(self):
            calls.append(1)
            if len(calls) == 1:
                raise sqlite3.OperationalError("unable to open database file")
            self.inner = kiosk_store(folder, "s1", kiosk_id)

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def stats(self):
            raise sqlite3.OperationalError("database is locked")

        def close(self):
            self.inner.close()
            raise OSError("cannot close")

    statuses = []

    def on_status(status):
        statuses.append(status)
        raise RuntimeError("screen gone")

    thread = SyncThread(Trouble, kiosk[3].url, kiosk[1], interval=3600, on_status=on_status,
                        backoff=Backoff(base=0.01, rng=lambda: 1.0))
    with caplog.at_level(logging.DEBUG, logger="sync.uploader"):
        thread.start()
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
        thread.stop()
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert ("ERROR", "cannot open the local store for syncing") in messages
    assert ("ERROR", "on_status callback failed") in messages
    assert ("WARNING", "local store unavailable: database is locked") in messages
    assert ("DEBUG", "closing the sync outbox failed") in messages
    closing = next(r for r in caplog.records if r.getMessage().startswith("closing"))
    assert closing.exc_info[0] is OSError  # with the traceback, for whoever debugs it
    assert ("ERROR", "sync failed") in messages  # the batch's status block needs stats()
    assert thread.status["pending"] is None
    assert thread.status["last_error"] == "database is locked"
    assert thread.status["disk_full"] is False
    assert statuses[-1] == thread.status


def test_the_sync_thread_is_a_named_daemon_with_a_thirty_second_interval(kiosk):
    thread = SyncThread(lambda: None, "http://c.example", "t")
    assert thread.name == "hymy-sync" and thread.daemon is True
    assert thread.interval == 30 and thread.batch_pause == 0.02 and thread.fetch_survey is True


def test_the_thread_uploads_with_its_app_version_and_ca_bundle(kiosk, tmp_path):
    _, token, _, proxy, _ = kiosk
    with Thread(kiosk, interval=3600, app_version="7.7.7") as thread:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
    entry = proxy.requests(BATCHES_PATH)[0]
    assert entry.headers["User-Agent"] == "hymy-kiosk/7.7.7"
    assert batch_body(entry.body)["status"]["app_version"] == "7.7.7"
    missing = str(tmp_path / "nope.pem")
    https = SyncThread(lambda: kiosk_store(tmp_path / "other"), "https://127.0.0.1:9", token,
                       interval=3600, ca_bundle=missing)
    https.start()
    wait_for(lambda: https.status["paused"])
    https.stop()
    assert https.status["last_error"].startswith(f"sync.ca_bundle {missing!r} cannot be used")


def test_a_thread_whose_store_never_opened_stops_cleanly(kiosk, monkeypatch):
    crashes = []
    monkeypatch.setattr(threading, "excepthook", crashes.append)

    def never():
        raise sqlite3.OperationalError("unable to open database file")

    thread = SyncThread(never, kiosk[3].url, kiosk[1], backoff=Backoff(base=60))
    thread.start()
    wait_for(lambda: thread.status["last_error"] is not None)
    thread.stop()
    assert not thread.is_alive() and crashes == []


def test_a_delivered_batch_resets_the_backoff_even_if_a_later_one_fails(kiosk):
    _, _, store, proxy, _ = kiosk
    tap(store, 2)
    proxy.add(BATCHES_PATH, Respond(503), "pass", Respond(503))
    run = Thread(kiosk, interval=3600, batch_size=1, backoff=Backoff(base=10, rng=lambda: 1.0))
    with run as thread:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
        assert 5 < seconds_until(thread.status["next_attempt_at"]) <= 10
        thread.trigger()
        wait_for(lambda: thread.cycles == 2 and not thread.status["syncing"])
        # The collector took a batch: it is up, so the wait starts from the base again.
        assert 5 < seconds_until(thread.status["next_attempt_at"]) <= 10
        assert thread.status["last_result"]["accepted"] == 1


def test_stop_waits_at_most_five_seconds_for_an_exchange_in_flight(kiosk):
    _, _, store, proxy, _ = kiosk
    tap(store, 1)
    proxy.add(BATCHES_PATH, Delay(6.5))
    thread = SyncThread(lambda: kiosk_store(kiosk[4], "s1", kiosk[0]), proxy.url, kiosk[1])
    thread.start()
    wait_for(lambda: proxy.requests(BATCHES_PATH))
    started = time.monotonic()
    thread.stop()
    assert 4.9 <= time.monotonic() - started < 5.9 and thread.is_alive()
    thread.join(10)


def test_the_thread_may_be_stopped_from_its_own_status_callback(kiosk, caplog):
    stopped = []

    def on_status(status):
        if not status["syncing"] and not stopped:
            stopped.append(True)
            thread.stop()

    thread = SyncThread(lambda: kiosk_store(kiosk[4], "s1", kiosk[0]), kiosk[3].url, kiosk[1],
                        interval=3600, on_status=on_status)
    with caplog.at_level(logging.ERROR, logger="sync.uploader"):
        thread.start()
        thread.join(5)
    assert not thread.is_alive() and stopped == [True]
    assert caplog.records == []


@pytest.mark.parametrize("failure", [Respond(503), Respond(500), Respond(422)])
def test_batches_delivered_before_any_failure_count_as_a_sync(collector, kiosk, failure):
    kiosk_id, _, store, proxy, _ = kiosk
    ids = tap(store, 3)
    proxy.add(BATCHES_PATH, "pass", failure)
    with Thread(kiosk, interval=3600, batch_size=2) as thread:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
    status = thread.status
    assert status["last_error"].startswith("collector ") and f"HTTP {failure.status}" in (
        status["last_error"])
    assert status["last_sync_at"] is not None and status["last_result"]["accepted"] == 2
    assert status["pending"] == 1 and thread.is_alive() is False
    assert lost_and_doubled(ids[:2], held(collector, kiosk_id)) == (0, 0)


def test_the_full_disk_flag_clears_when_a_sync_succeeds(kiosk):
    kiosk_id, _, store, _, folder = kiosk
    tap(store, 1)

    class FullOnce:
        failed = False

        def __init__(self):
            self.inner = kiosk_store(folder, "s1", kiosk_id)

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def mark_synced(self, ids):
            if not FullOnce.failed:
                FullOnce.failed = True
                raise sqlite3.OperationalError("database or disk is full")
            return self.inner.mark_synced(ids)

    with Thread(kiosk, interval=3600, outbox_factory=FullOnce) as thread:
        wait_for(lambda: thread.status["disk_full"] and not thread.status["syncing"])
        thread.trigger()
        wait_for(lambda: thread.cycles == 2 and not thread.status["syncing"])
    assert thread.status["disk_full"] is False and thread.status["last_error"] is None
    assert store.stats()["pending"] == 0


def test_the_default_batch_is_500_ratings(collector, kiosk):
    kiosk_id, _token, store, proxy, _ = kiosk
    ids = tap(store, 501)
    with Thread(kiosk, interval=3600) as thread:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"], timeout=30)
    sizes = [len(batch_body(entry.body)["ratings"]) for entry in proxy.requests(BATCHES_PATH)]
    assert sizes == [500, 1]
    assert lost_and_doubled(ids, held(collector, kiosk_id)) == (0, 0)


def test_an_error_without_a_first_line_is_named_by_its_type(kiosk):
    kiosk_id, _token, store, _proxy, folder = kiosk
    tap(store, 1)

    class Blank:
        """A local store whose queue cannot be read, with a message that starts on line 2."""

        def __init__(self):
            self.inner = kiosk_store(folder, "s1", kiosk_id)

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def pending(self, *args, **kwargs):
            raise LookupError("\nthe details on the second line")

    with Thread(kiosk, interval=3600, outbox_factory=Blank) as thread:
        wait_for(lambda: thread.cycles >= 1 and not thread.status["syncing"])
    assert thread.status["last_error"] == "LookupError"
    assert store.stats()["pending"] == 1


def test_rejected_reasons_add_up_across_batches():
    total = PushResult(rejected=2, rejected_reasons={"x": 2})
    total.add(PushResult(rejected=4, rejected_reasons={"x": 3, "y": 1}))
    total.add(PushResult())
    assert total.rejected == 6 and total.rejected_reasons == {"x": 5, "y": 1}
