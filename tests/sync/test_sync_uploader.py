"""The uploader's rules without a network: backoff, verdicts, errors, the thread's status.

The HTTP layer is a fake session that answers like the collector (or badly);
the outbox is a real kiosk Store in a temp file.  The real-process scenarios
are in test_sync_delivery.py.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from datetime import UTC, datetime

import pytest
import requests

from kiosk.store import Store
from sync.uploader import (
    STATUS_KEY,
    SURVEY_ETAG_KEY,
    SURVEY_KEY,
    Backoff,
    Fatal,
    Outbox,
    Retryable,
    SyncThread,
    TokenRejected,
    Uploader,
    parse_retry_after,
)
from tests.support import ROOT

# -- Backoff ---------------------------------------------------------------


def test_backoff_is_full_jitter_doubling_to_the_cap():
    seen = []
    backoff = Backoff(base=1.0, cap=300.0, rng=lambda: 1.0)
    for _ in range(12):
        seen.append(backoff.next_delay())
    assert seen == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]


def test_backoff_jitter_spreads_over_zero_to_ceiling():
    backoff = Backoff(base=1.0, cap=300.0, rng=lambda: 0.25)
    assert [backoff.next_delay() for _ in range(4)] == [0.25, 0.5, 1.0, 2.0]
    zero = Backoff(rng=lambda: 0.0)
    assert zero.next_delay() == 0.0


def test_backoff_honours_retry_after_as_a_floor_and_resets():
    backoff = Backoff(rng=lambda: 0.5)
    assert backoff.next_delay(retry_after=7) == 7
    assert backoff.next_delay(retry_after=0.1) == 1.0  # jitter already longer
    backoff.reset()
    assert backoff.next_delay() == 0.5
    assert Backoff(rng=lambda: 0.5).next_delay(retry_after=10**9) == 3600


def test_backoff_survives_many_failures():
    backoff = Backoff(rng=lambda: 1.0)
    for _ in range(2000):
        delay = backoff.next_delay()
    assert delay == 300


def test_parse_retry_after_seconds_and_http_date():
    now = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Thu, 15 Jan 2026 12:00:30 GMT", now=lambda: now) == 30
    assert parse_retry_after("Thu, 15 Jan 2026 11:00:00 GMT", now=lambda: now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# -- a fake collector --------------------------------------------------------


def response(status: int, body: object = None, headers: dict | None = None) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = json.dumps(body).encode() if body is not None else b""
    answer.headers.update(headers or {})
    answer.url = "http://collector.test"
    return answer


class FakeCollector:
    """A requests.Session stand-in that stores ratings by id like the real collector."""

    def __init__(self):
        self.ratings: dict[str, dict] = {}
        self.script: list = []  # responses or exceptions to use before normal service
        self.calls: list[tuple[str, str, dict]] = []
        self.reject: dict[str, str] = {}
        self.survey = {"version": 3, "scale": 4, "questions": {"fi": "Miten meni?"},
                       "reasons": ["queue", "staff"], "reason_labels": {}}
        self.identity = {"store_id": "s1", "store_name": "Test", "kiosk_id": "k1",
                         "timezone": "Europe/Helsinki"}

    def request(self, method, url, headers=None, data=None, timeout=None, verify=None):
        body = None
        if data is not None:
            raw = gzip.decompress(data) if headers.get("Content-Encoding") == "gzip" else data
            body = json.loads(raw)
        self.calls.append((method, url, body, dict(headers)))
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, BaseException):
                raise step
            if step is not None:
                return step
        if url.endswith("/api/v1/kiosk"):
            return response(200, self.identity)
        if url.endswith("/api/v1/survey"):
            etag = f'"{self.survey["version"]}"'
            if headers.get("If-None-Match") == etag:
                return response(304)
            return response(200, self.survey, {"ETag": etag})
        counts = {"accepted": 0, "duplicate": 0, "conflict": 0, "rejected": 0}
        items = []
        for rating in body["ratings"]:
            if rating["id"] in self.reject:
                status = "rejected"
                items.append({"id": rating["id"], "status": status,
                              "reason": self.reject[rating["id"]]})
            elif rating["id"] in self.ratings:
                status = "duplicate"
                items.append({"id": rating["id"], "status": status})
            else:
                status = "accepted"
                self.ratings[rating["id"]] = rating
            counts[status] += 1
        return response(200, {**counts, "items": items, "clock_offset_s": 0.5})

    def batches(self):
        return [c for c in self.calls if c[1].endswith("/api/v1/batches")]


@pytest.fixture
def store(tmp_path):
    db = Store(tmp_path / "kiosk.db", "s1", "k1", "Europe/Helsinki")
    yield db
    db.close()


def taps(store: Store, n: int) -> None:
    for i in range(n):
        store.record_tap(1 + i % 5, 5, "fi", interval=0)


def make(store: Store, fake: FakeCollector, **options) -> Uploader:
    options.setdefault("backoff", Backoff(rng=lambda: 0.0))
    return Uploader(store, "http://collector.test/", "tok", session=fake, **options)


def test_store_satisfies_the_outbox_protocol(store):
    outbox: Outbox = store
    assert outbox.stats()["pending"] == 0


def test_push_all_sends_in_seq_order_and_marks_synced(store):
    taps(store, 25)
    fake = FakeCollector()
    result = make(store, fake, batch_size=10).push_all()
    assert (result.batches, result.sent, result.accepted) == (3, 25, 25)
    seqs = [r["seq"] for _, _, body, _ in fake.batches() for r in body["ratings"]]
    assert seqs == list(range(1, 26))
    assert store.stats()["pending"] == 0
    first = fake.batches()[0]
    assert first[3]["Authorization"] == "Bearer tok"
    assert first[2]["status"]["pending"] == 25 and first[2]["status"]["app_version"]
    assert first[2]["status"]["oldest_pending_at"] is not None
    assert result.clock_offset_s == 0.5


def test_nothing_pending_sends_a_heartbeat(store):
    fake = FakeCollector()
    result = make(store, fake).push_all()
    assert result.sent == 0 and len(fake.batches()) == 1
    assert fake.batches()[0][2]["ratings"] == []


def test_verdicts_duplicate_conflict_rejected(store):
    taps(store, 4)
    rows = store.pending(10)
    fake = FakeCollector()
    fake.ratings[rows[0]["id"]] = rows[0]
    fake.reject[rows[1]["id"]] = "score: outside the scale"
    conflict = {"accepted": 1, "duplicate": 1, "conflict": 1, "rejected": 1, "items": [
        {"id": rows[0]["id"], "status": "duplicate"},
        {"id": rows[1]["id"], "status": "rejected", "reason": "score: outside the scale"},
        {"id": rows[2]["id"], "status": "conflict", "reason": "differs"},
    ]}
    fake.script = [response(200, conflict)]
    result = make(store, fake).push_all()
    assert (result.accepted, result.duplicate, result.conflict, result.rejected) == (1, 1, 1, 1)
    assert result.conflicts == [rows[2]["id"]]
    stats = store.stats()
    assert stats["pending"] == 0 and stats["rejected"] == 1
    kept = store.db.execute(
        "SELECT rejected_reason, synced_at FROM ratings WHERE id = ?", [rows[1]["id"]]
    ).fetchone()
    assert kept == ("score: outside the scale", None)


def test_rejected_ratings_never_block_the_queue(store):
    taps(store, 6)
    fake = FakeCollector()
    fake.reject = {row["id"]: "bad" for row in store.pending(6)[:3]}
    make(store, fake, batch_size=3).push_all()
    assert len(fake.ratings) == 3 and store.stats() | {} == store.stats()
    assert store.stats()["pending"] == 0 and store.stats()["rejected"] == 3


@pytest.mark.parametrize("status", [401, 403])
def test_token_rejected_marks_nothing(store, status):
    taps(store, 3)
    fake = FakeCollector()
    fake.script = [response(status, {"detail": "unknown token"})]
    words = "token rejected" if status == 401 else "refuses this kiosk's uploads"
    with pytest.raises(TokenRejected, match=f"{words}.*unknown token"):
        make(store, fake).push_all()
    assert store.stats()["pending"] == 3


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retryable_statuses(store, status):
    taps(store, 2)
    fake = FakeCollector()
    fake.script = [response(status, None, {"Retry-After": "7"})]
    with pytest.raises(Retryable) as caught:
        make(store, fake).push_once()
    assert caught.value.status == status and caught.value.retry_after == 7
    assert store.stats()["pending"] == 2


@pytest.mark.parametrize("status", [400, 404, 409, 422, 500, 501])
def test_other_statuses_are_not_retried(store, status):
    taps(store, 2)
    fake = FakeCollector()
    fake.script = [response(status, {"detail": "nope"})]
    sleeps = []
    uploader = make(store, fake, sleep=sleeps.append)
    with pytest.raises(Fatal, match="nope"):
        uploader.push_all(deadline=time.monotonic() + 3600)
    assert len(fake.batches()) == 1 and sleeps == []
    assert store.stats()["pending"] == 2


@pytest.mark.parametrize(
    "failure",
    [requests.ConnectionError("refused"), requests.ReadTimeout("slow"),
     requests.exceptions.ChunkedEncodingError("cut mid-body")],
)
def test_network_errors_are_retried_with_backoff_until_the_deadline(store, failure):
    taps(store, 3)
    fake = FakeCollector()
    fake.script = [failure, failure, response(503, None, {"Retry-After": "2"})]
    sleeps = []
    backoff = Backoff(rng=lambda: 1.0)
    uploader = make(store, fake, sleep=sleeps.append, backoff=backoff)
    result = uploader.push_all(deadline=time.monotonic() + 60)
    assert sleeps == [1.0, 2.0, 4.0]  # the third honours Retry-After 2, jitter gave 4
    assert result.accepted == 3 and store.stats()["pending"] == 0
    assert backoff.failures == 0  # reset after the success


def test_retry_gives_up_at_the_deadline_and_reports_progress(store):
    taps(store, 4)
    fake = FakeCollector()
    fake.script = [None, requests.ConnectionError("down")] + [requests.ConnectionError("x")] * 9
    uploader = make(store, fake, batch_size=2, sleep=lambda s: None,
                    backoff=Backoff(rng=lambda: 1.0))
    with pytest.raises(Retryable, match="unreachable") as caught:
        uploader.push_all(deadline=time.monotonic() + 5)
    assert caught.value.result.sent == 2
    assert store.stats()["pending"] == 2


def garbled_answer() -> requests.Response:
    answer = response(200)
    answer._content = b'{"accepted": 2, "dupl'
    return answer


@pytest.mark.parametrize(("answer", "error", "message"), [
    (garbled_answer, Retryable, "unreadable"),
    (lambda: response(200, {"accepted": 1, "duplicate": 0, "conflict": 0, "rejected": 0,
                            "items": []}), Fatal, "does not match"),
], ids=["unreadable", "does-not-add-up"])
def test_an_answer_it_cannot_use_marks_nothing(store, answer, error, message):
    taps(store, 2)
    fake = FakeCollector()
    fake.script = [answer()]
    with pytest.raises(error, match=message):
        make(store, fake).push_once()
    assert store.stats()["pending"] == 2


def test_413_halves_the_batch(store):
    taps(store, 8)
    fake = FakeCollector()
    fake.script = [response(413), response(413)]
    uploader = make(store, fake, batch_size=8)
    result = uploader.push_all()
    assert uploader.batch_size == 2 and result.accepted == 8
    assert [len(b[2]["ratings"]) for b in fake.batches()] == [8, 4, 2, 2, 2, 2]


def test_413_on_a_single_rating_rejects_it_locally(store):
    taps(store, 2)
    fake = FakeCollector()
    fake.script = [response(413), response(413)]
    result = make(store, fake, batch_size=2).push_all()
    assert result.rejected == 1 and result.accepted == 1
    assert store.stats() | {"last_seq": 0} == {
        "pending": 0, "oldest_pending_at": None, "rejected": 1, "last_seq": 0}


def test_survey_is_fetched_with_etag_and_kept(store):
    fake = FakeCollector()
    uploader = make(store, fake)
    assert uploader.fetch_survey() is True
    assert store.get_state(SURVEY_KEY)["version"] == 3
    assert store.get_state(SURVEY_ETAG_KEY) == '"3"'
    assert uploader.fetch_survey() is False
    assert fake.calls[-1][3]["If-None-Match"] == '"3"'
    fake.survey = dict(fake.survey, version=4, scale=3)
    assert uploader.fetch_survey() is True
    assert store.get_state(SURVEY_KEY)["scale"] == 3


def test_a_bad_or_missing_survey_keeps_the_last_known_one(store):
    fake = FakeCollector()
    uploader = make(store, fake)
    uploader.fetch_survey()
    store.set_state(SURVEY_ETAG_KEY, "stale")
    fake.script = [response(200, {"version": "x"}), response(404, {"detail": "no survey"})]
    with pytest.raises(Fatal, match="unusable"):
        uploader.fetch_survey()
    assert uploader.fetch_survey() is False
    assert store.get_state(SURVEY_KEY)["version"] == 3


def test_bad_url_is_fatal(store):
    with pytest.raises(Fatal, match="not a valid"):
        Uploader(store, "collector.example.com", "tok").push_once()


# -- the thread ----------------------------------------------------------------


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def start_thread(tmp_path, fake, **options) -> SyncThread:
    def factory():
        return Store(tmp_path / "kiosk.db", "s1", "k1", "Europe/Helsinki")

    options.setdefault("backoff", Backoff(base=0.05, rng=lambda: 1.0))
    thread = SyncThread(factory, "http://collector.test", "tok",
                        uploader_options={"session": fake}, **options)
    thread.start()
    return thread


def test_thread_syncs_heartbeats_and_writes_status(store, tmp_path):
    taps(store, 5)
    fake = FakeCollector()
    statuses = []
    thread = start_thread(tmp_path, fake, interval=0.1, on_status=statuses.append)
    try:
        wait_for(lambda: len(fake.batches()) >= 3)
    finally:
        thread.stop()
    assert not thread.is_alive()
    assert len(fake.ratings) == 5 and store.stats()["pending"] == 0
    assert [len(b[2]["ratings"]) for b in fake.batches()[:3]] == [5, 0, 0]
    saved = store.get_state(STATUS_KEY)
    assert saved["last_sync_at"] and saved["last_error"] is None
    assert saved["pending"] == 0 and saved["token_rejected"] is False
    assert saved["clock_offset_s"] == 0.5
    assert store.get_state(SURVEY_KEY)["version"] == 3
    assert any(s["syncing"] for s in statuses)


def test_thread_trigger_wakes_it_early(store, tmp_path):
    fake = FakeCollector()
    thread = start_thread(tmp_path, fake, interval=3600)
    try:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
        taps(store, 2)
        thread.trigger()
        wait_for(lambda: len(fake.ratings) == 2)
    finally:
        thread.stop()


def test_thread_pauses_on_token_rejection_until_triggered(store, tmp_path):
    taps(store, 2)
    fake = FakeCollector()
    fake.script = [response(401, {"detail": "token revoked"})]
    thread = start_thread(tmp_path, fake, interval=0.05)
    try:
        wait_for(lambda: thread.status["token_rejected"])
        time.sleep(0.3)
        assert thread.cycles == 1  # paused, not retrying
        saved = store.get_state(STATUS_KEY)
        assert saved["token_rejected"] and "token rejected" in saved["last_error"]
        assert saved["next_attempt_at"] is None and saved["pending"] == 2
        thread.trigger()  # "Sync now"
        wait_for(lambda: len(fake.ratings) == 2)
        wait_for(lambda: not thread.status["token_rejected"])
    finally:
        thread.stop()


def test_thread_backs_off_on_retryable_errors(store, tmp_path):
    taps(store, 1)
    fake = FakeCollector()
    fake.script = [requests.ConnectionError("down")] * 3
    thread = start_thread(tmp_path, fake, interval=3600,
                          backoff=Backoff(base=0.1, rng=lambda: 1.0))
    try:
        wait_for(lambda: len(fake.ratings) == 1)
    finally:
        thread.stop()
    assert thread.cycles == 4 and thread.status["last_error"] is None


def test_thread_trigger_waits_for_retry_after(store, tmp_path):
    fake = FakeCollector()
    fake.script = [response(429, None, {"Retry-After": "1"})]
    thread = start_thread(tmp_path, fake, interval=3600)
    try:
        wait_for(lambda: thread.cycles == 1 and not thread.status["syncing"])
        thread.trigger()
        time.sleep(0.3)
        assert thread.cycles == 1  # "Sync now" does not jump a server's Retry-After
        wait_for(lambda: thread.cycles == 2, timeout=5)
    finally:
        thread.stop()


def test_thread_survives_a_full_disk(store, tmp_path):
    """A local write failure is reported on the status, the thread carries on."""
    taps(store, 300)

    def full_factory():
        outbox = Store(tmp_path / "kiosk.db", "s1", "k1", "Europe/Helsinki")
        pages = outbox.db.execute("PRAGMA page_count").fetchone()[0]
        outbox.db.execute(f"PRAGMA max_page_count = {pages}")
        return outbox

    fake = FakeCollector()
    statuses = []
    thread = SyncThread(full_factory, "http://collector.test", "tok", interval=0.05,
                        backoff=Backoff(base=0.05, rng=lambda: 1.0),
                        uploader_options={"session": fake}, on_status=statuses.append)
    thread.start()
    try:
        wait_for(lambda: any(s["last_error"] and "full" in s["last_error"] for s in statuses))
        wait_for(lambda: thread.cycles >= 2)
        assert thread.is_alive() and thread.status["disk_full"]
    finally:
        thread.stop()
    assert store.stats()["pending"] == 300  # nothing marked, all will be sent again


def test_stop_is_prompt_while_sleeping(tmp_path):
    fake = FakeCollector()
    thread = start_thread(tmp_path, fake, interval=3600)
    wait_for(lambda: thread.cycles == 1)
    started = time.monotonic()
    thread.stop()
    assert not thread.is_alive() and time.monotonic() - started < 2
    assert threading.active_count() >= 1


def test_a_rejection_without_id_is_matched_by_seq(store):
    taps(store, 2)
    rows = store.pending(2)
    fake = FakeCollector()
    fake.script = [response(200, {"accepted": 1, "duplicate": 0, "conflict": 0, "rejected": 1,
                                  "items": [{"id": None, "seq": rows[1]["seq"],
                                             "status": "rejected", "reason": "bad"}]})]
    make(store, fake).push_once()
    assert store.stats()["rejected"] == 1 and store.stats()["pending"] == 0


def test_an_unidentified_rejection_marks_nothing(store):
    taps(store, 2)
    fake = FakeCollector()
    fake.script = [response(200, {"accepted": 1, "duplicate": 0, "conflict": 0, "rejected": 1,
                                  "items": [{"id": None, "status": "rejected"}]})]
    with pytest.raises(Fatal, match="which 1"):
        make(store, fake).push_once()
    assert store.stats()["pending"] == 2


def test_sync_never_imports_the_kiosk_or_kivy():
    import subprocess
    import sys

    code = ("import sys, sync.uploader; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('kiosk', 'kivy')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_docs_describe_every_status_key_and_sync_option():

    from kiosk.cli import sync as sync_command
    from sync.uploader import initial_status

    docs = (ROOT / "docs" / "sync.md").read_text()
    missing = [key for key in initial_status() if f"`{key}`" not in docs]
    missing += [option for param in sync_command.params for option in param.opts
                if option.startswith("--") and option != "--config" and option not in docs]
    assert not missing, f"not documented in docs/sync.md: {missing}"
