"""The uploader against a real collector: every rating once, whatever the network does.

A real kiosk ``Store`` in a temp folder, a real collector app in this process
(``tests/support/inprocess.py``) and the fault proxy between them
(``tests/support/faultproxy.py``).  Rows lost and doubled are measured from
the collector's database, not taken from the uploader's own counts.
"""

from __future__ import annotations

import itertools
import logging

import pytest

from sync import __version__
from sync.uploader import Fatal, Retryable, TokenRejected, Uploader
from sync.uploader.client import BATCHES_PATH, SURVEY_PATH
from sync.uploader.retry import Backoff
from tests.support import uploading
from tests.support.faultproxy import (
    CUT_ANSWER,
    CUT_REQUEST,
    LOSE_ANSWER,
    Delay,
    Respond,
)
from tests.support.inprocess import collector_fixture
from tests.support.uploading import batch_body, held, lost_and_doubled, proxied_kiosk, tap

collector = collector_fixture("delivery")
_kiosks = itertools.count(1)


@pytest.fixture
def kiosk(collector, tmp_path):
    """A fresh kiosk (its own id on the shared collector), its store, and a proxy."""
    with proxied_kiosk(collector, tmp_path, f"k{next(_kiosks)}") as fresh:
        yield fresh.store, fresh.kiosk_id, fresh.token, fresh.proxy


def uploader(store, proxy, token, **options) -> Uploader:
    options.setdefault("backoff", Backoff(rng=lambda: 0.0))
    return Uploader(store, proxy.url + "/", token, **options)


def test_a_backlog_goes_in_batches_and_arrives_once(collector, kiosk):
    store, kiosk_id, token, proxy = kiosk
    ids = tap(store, 23)
    progress = []
    result = uploader(store, proxy, token, batch_size=10).push_all(progress=progress.append)
    stored = held(collector, kiosk_id)
    assert lost_and_doubled(ids, stored) == (0, 0)
    assert [row["id"] for row in stored] == ids
    assert (result.batches, result.sent, result.accepted, result.duplicate) == (3, 23, 23, 0)
    assert (result.conflict, result.rejected, result.requeued) == (0, 0, 0)
    assert progress == [10, 10, 3]
    assert store.stats()["pending"] == 0
    sent = proxy.requests(BATCHES_PATH)
    assert [entry.status for entry in sent] == [200, 200, 200]
    for entry in sent:
        assert entry.method == "POST"
        assert entry.headers["Authorization"] == f"Bearer {token}"
        assert entry.headers["User-Agent"] == f"hymy-kiosk/{__version__}"
        assert entry.headers["Content-Encoding"] == "gzip"
    bodies = [batch_body(entry.body) for entry in sent]
    assert [[r["id"] for r in body["ratings"]] for body in bodies] == [ids[:10], ids[10:20],
                                                                       ids[20:]]
    # The status each batch carries: the queue as it was when the batch left.
    rows = store.db.execute("SELECT created_at FROM ratings ORDER BY seq").fetchall()
    assert [(b["status"]["pending"], b["status"]["oldest_pending_at"]) for b in bodies] == [
        (23, rows[0][0]), (13, rows[10][0]), (3, rows[20][0])]
    assert {b["status"]["last_seq"] for b in bodies} == {23}
    assert {b["status"]["app_version"] for b in bodies} == {__version__}


def test_plain_json_when_compression_is_off_and_the_app_version_is_sent(collector, kiosk):
    store, kiosk_id, token, proxy = kiosk
    ids = tap(store, 2)
    uploader(store, proxy, token, compress=False, app_version="9.9.9").push_all()
    entry, = proxy.requests(BATCHES_PATH)
    assert "Content-Encoding" not in entry.headers
    assert entry.headers["User-Agent"] == "hymy-kiosk/9.9.9"
    body = batch_body(entry.body)
    assert entry.body.startswith(b"{") and body["status"]["app_version"] == "9.9.9"
    assert lost_and_doubled(ids, held(collector, kiosk_id)) == (0, 0)


def test_nothing_pending_is_one_heartbeat(collector, kiosk):
    store, kiosk_id, token, proxy = kiosk
    result = uploader(store, proxy, token).push_all()
    assert (result.batches, result.sent, result.accepted) == (1, 0, 0)
    entry, = proxy.requests(BATCHES_PATH)
    body = batch_body(entry.body)
    assert body["ratings"] == [] and body["status"]["pending"] == 0
    # A figure the kiosk has not (no oldest tap when none is pending) is left out.
    assert "oldest_pending_at" not in body["status"] and body["status"]["last_seq"] == 0
    seen = collector.storage.db.query("SELECT last_seen FROM kiosks WHERE id = ?",
                                      (kiosk_id,))
    assert seen[0]["last_seen"] is not None


@pytest.mark.parametrize("fault", [LOSE_ANSWER, CUT_ANSWER, CUT_REQUEST])
def test_a_lost_or_cut_exchange_is_sent_again_and_stored_once(collector, kiosk, fault):
    store, kiosk_id, token, proxy = kiosk
    ids = tap(store, 7)
    proxy.add(BATCHES_PATH, fault)
    sleeps = []
    result = uploader(store, proxy, token, sleep=sleeps.append).push_all(deadline=float("inf"))
    stored = held(collector, kiosk_id)
    assert lost_and_doubled(ids, stored) == (0, 0)
    assert len(proxy.requests(BATCHES_PATH)) == 2 and sleeps == [0.0]
    if fault == CUT_REQUEST:  # the collector never saw the first copy
        assert (result.accepted, result.duplicate) == (7, 0)
    else:  # it stored the first copy; the second is answered "duplicate"
        assert (result.accepted, result.duplicate) == (0, 7)
    assert store.stats()["pending"] == 0


@pytest.mark.parametrize(("fault", "reason"), [
    (LOSE_ANSWER, "connection reset by peer"),
    (CUT_ANSWER, "answer cut off"),
])
def test_without_a_deadline_a_network_failure_is_raised_and_nothing_marked(
        collector, kiosk, fault, reason):
    store, kiosk_id, token, proxy = kiosk
    tap(store, 3)
    proxy.add(BATCHES_PATH, fault)
    with pytest.raises(Retryable) as failed:
        uploader(store, proxy, token).push_all()
    assert str(failed.value) == f"collector unreachable at {proxy.url} ({reason})"
    assert failed.value.retry_after is None and failed.value.status is None
    assert failed.value.result.batches == 0
    assert store.stats()["pending"] == 3  # nothing marked: all go again


def test_a_slow_answer_is_a_timeout(collector, kiosk):
    store, _, token, proxy = kiosk
    tap(store, 1)
    proxy.add(BATCHES_PATH, Delay(1.0))
    with pytest.raises(Retryable) as failed:
        uploader(store, proxy, token, timeout=(5, 0.3)).push_once()
    assert str(failed.value) == f"collector unreachable at {proxy.url} (no answer in time)"
    assert store.stats()["pending"] == 1


def test_a_closed_port_is_unreachable(kiosk, tmp_path):
    from tests.support.collector import free_port

    store, _, _, _ = kiosk
    tap(store, 1)
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(Retryable) as failed:
        Uploader(store, url, "hymy_x").push_once()
    assert str(failed.value) == f"collector unreachable at {url} (connection refused)"


def test_busy_answers_wait_at_least_retry_after_then_deliver(collector, kiosk):
    store, kiosk_id, token, proxy = kiosk
    ids = tap(store, 4)
    proxy.add(BATCHES_PATH, Respond(429, {"Retry-After": "7"}), Respond(503))
    sleeps = []
    result = uploader(store, proxy, token, sleep=sleeps.append).push_all(deadline=float("inf"))
    assert sleeps == [7.0, 0.0]
    assert result.accepted == 4 and lost_and_doubled(ids, held(collector, kiosk_id)) == (0, 0)


def test_a_busy_collector_says_how_long_to_wait(kiosk):
    store, _, token, proxy = kiosk
    tap(store, 1)
    proxy.add(BATCHES_PATH, Respond(429, {"Retry-After": "12"}, b'{"detail": "slow down"}'))
    with pytest.raises(Retryable) as failed:
        uploader(store, proxy, token).push_once()
    assert str(failed.value) == "collector busy (HTTP 429: slow down)"
    assert (failed.value.status, failed.value.retry_after) == (429, 12.0)


def test_retries_stop_at_the_deadline_and_report_what_was_delivered(collector, kiosk):
    store, kiosk_id, token, proxy = kiosk
    ids = tap(store, 5)
    proxy.add(BATCHES_PATH, "pass", Respond(502), Respond(502))
    clock = [100.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock[0] += seconds

    up = uploader(store, proxy, token, batch_size=2, sleep=sleep, monotonic=lambda: clock[0],
                  backoff=Backoff(base=4.0, rng=lambda: 1.0))
    with pytest.raises(Retryable) as failed:
        up.push_all(deadline=106.0)  # waits 4 s (100 + 4 <= 106), not 8 more (104 + 8 > 106)
    assert sleeps == [4.0]
    assert str(failed.value) == "collector busy (HTTP 502: injected by faultproxy)"
    assert (failed.value.result.batches, failed.value.result.accepted) == (1, 2)
    assert lost_and_doubled(ids[:2], held(collector, kiosk_id)) == (0, 0)
    assert store.stats()["pending"] == 3


def test_a_retry_may_end_exactly_at_the_deadline(kiosk):
    store, _, token, proxy = kiosk
    tap(store, 1)
    proxy.add(BATCHES_PATH, Respond(503))
    sleeps = []
    up = uploader(store, proxy, token, sleep=sleeps.append, monotonic=lambda: 10.0,
                  backoff=Backoff(base=2.0, rng=lambda: 1.0))
    assert up.push_all(deadline=12.0).accepted == 1
    assert sleeps == [2.0]


def test_success_resets_the_backoff(kiosk):
    store, _, token, proxy = kiosk
    tap(store, 3)
    proxy.add(BATCHES_PATH, Respond(503), "pass", Respond(503))
    sleeps = []
    backoff = Backoff(base=1.0, rng=lambda: 1.0)
    up = uploader(store, proxy, token, batch_size=1, sleep=sleeps.append, backoff=backoff)
    assert up.push_all(deadline=float("inf")).accepted == 3
    assert sleeps == [1.0, 1.0] and backoff.failures == 0


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_token_stops_and_marks_nothing(collector, kiosk, status):
    store, kiosk_id, token, proxy = kiosk
    tap(store, 2)
    proxy.add(BATCHES_PATH, Respond(status, {}, b'{"detail": "no"}'))
    with pytest.raises(TokenRejected) as failed:
        uploader(store, proxy, token).push_all(deadline=float("inf"))
    assert str(failed.value) == {
        401: "token rejected by the collector (HTTP 401: no); "
             "check sync.token (hymy-collector kiosk add)",
        403: "the collector refuses this kiosk's uploads (HTTP 403: no)",
    }[status]
    assert failed.value.status == status and failed.value.result.batches == 0
    assert store.stats()["pending"] == 2 and held(collector, kiosk_id) == []


def test_a_revoked_token_is_rejected_by_the_real_collector(collector, kiosk):
    store, kiosk_id, token, proxy = kiosk
    tap(store, 1)
    token_id = collector.storage.db.query(
        "SELECT id FROM tokens WHERE kiosk_id = ?", (kiosk_id,))[0]["id"]
    collector.storage.revoke_token(token_id)
    with pytest.raises(TokenRejected, match=r"HTTP 401: unknown or revoked token\)"):
        uploader(store, proxy, token).push_once()
    assert store.stats()["pending"] == 1


def test_a_retired_kiosk_is_told_how_to_be_restored_not_to_check_its_token(collector, kiosk):
    store, kiosk_id, token, proxy = kiosk
    tap(store, 1)
    collector.storage.retire_kiosk(kiosk_id)
    try:
        with pytest.raises(TokenRejected) as failed:
            uploader(store, proxy, token).push_once()
    finally:
        collector.storage.retire_kiosk(kiosk_id, retired=False)
    message = str(failed.value)
    assert message.startswith("the collector refuses this kiosk's uploads (HTTP 403: "
                              f"kiosk '{kiosk_id}' was retired at ")
    assert f"hymy-collector kiosk restore {kiosk_id}" in message
    assert "sync.token" not in message and store.stats()["pending"] == 1


@pytest.mark.parametrize("status", [400, 404, 409, 422, 500, 501])
def test_other_refusals_are_fatal_and_not_retried(kiosk, status):
    store, _, token, proxy = kiosk
    tap(store, 1)
    proxy.add(BATCHES_PATH, Respond(status, {}, b"not json"))
    sleeps = []
    with pytest.raises(Fatal) as failed:
        uploader(store, proxy, token, sleep=sleeps.append).push_all(deadline=float("inf"))
    assert str(failed.value) == f"collector refused the request (HTTP {status})"
    assert failed.value.status == status and sleeps == []
    assert len(proxy.requests(BATCHES_PATH)) == 1 and store.stats()["pending"] == 1


def test_a_long_detail_is_cut_to_200_characters(kiosk):
    store, _, token, proxy = kiosk
    tap(store, 1)
    proxy.add(BATCHES_PATH, Respond(400, {}, b'{"detail": "' + b"x" * 300 + b'"}'))
    with pytest.raises(Fatal) as failed:
        uploader(store, proxy, token).push_once()
    assert str(failed.value) == f"collector refused the request (HTTP 400: {'x' * 200})"


def too_large_twice(kiosk, taps: int, batch_size: int) -> tuple[list[str], Uploader]:
    """``taps`` taps, a collector that answers the next two batches 413 (too large), and
    an uploader of ``batch_size``: the tap ids and the uploader."""
    store, _, token, proxy = kiosk
    ids = tap(store, taps)
    proxy.add(BATCHES_PATH, Respond(413), Respond(413))
    return ids, uploader(store, proxy, token, batch_size=batch_size)


def test_a_413_halves_the_batch_until_it_fits(collector, kiosk):
    _, kiosk_id, _, proxy = kiosk
    ids, up = too_large_twice(kiosk, taps=9, batch_size=8)
    result = up.push_all()
    assert [len(batch_body(e.body)["ratings"]) for e in proxy.requests(BATCHES_PATH)] == [
        8, 4, 2, 2, 2, 2, 1]
    assert up.batch_size == 2 and result.accepted == 9
    assert lost_and_doubled(ids, held(collector, kiosk_id)) == (0, 0)


def test_a_single_rating_too_large_is_set_aside_not_lost_silently(collector, kiosk):
    store, kiosk_id, _, _ = kiosk
    ids, up = too_large_twice(kiosk, taps=2, batch_size=2)
    first = up.push_once()
    assert (first.batches, first.sent, first.rejected, first.accepted) == (1, 1, 1, 0)
    assert first.rejected_reasons == {"too large for the collector (HTTP 413)": 1}
    reason = store.db.execute("SELECT rejected_reason FROM ratings WHERE id = ?",
                              (ids[0],)).fetchone()[0]
    assert reason == "too large for the collector (HTTP 413)"
    assert up.push_once().accepted == 1
    assert [row["id"] for row in held(collector, kiosk_id)] == [ids[1]]
    assert store.stats()["rejected"] == 1 and store.stats()["pending"] == 0


def test_an_empty_heartbeat_refused_as_too_large_is_fatal(kiosk):
    store, _, token, proxy = kiosk
    proxy.add(BATCHES_PATH, Respond(413))
    with pytest.raises(Fatal) as failed:
        uploader(store, proxy, token).push_once()
    assert failed.value.status == 413


def test_an_unreadable_answer_is_retried_and_marks_nothing(kiosk):
    store, _, token, proxy = kiosk
    tap(store, 2)
    proxy.add(BATCHES_PATH, Respond(200, {}, b'{"accepted": "many"}'))
    with pytest.raises(Retryable) as failed:
        uploader(store, proxy, token).push_once()
    assert str(failed.value) == ("collector answer unreadable (HTTP 200): 4 validation errors"
                                 " for BatchResult")  # pydantic's first line
    assert store.stats()["pending"] == 2


def test_the_survey_is_fetched_once_and_then_only_when_it_changes(collector, kiosk):
    store, kiosk_id, token, proxy = kiosk
    up = uploader(store, proxy, token)
    assert up.fetch_survey() is True
    default = store.get_state("survey")
    assert default["version"] == 0
    first = proxy.requests(SURVEY_PATH)[0]
    assert "If-None-Match" not in first.headers and first.headers["Accept"] == "application/json"
    etag = store.get_state("survey_etag")
    assert etag
    assert up.fetch_survey() is False  # 304
    second = proxy.requests(SURVEY_PATH)[1]
    assert second.headers["If-None-Match"] == etag and second.status == 304
    from sync.survey import parse_survey

    collector.storage.set_survey("s1", parse_survey(
        {"scale": 3, "questions": {"fi": "Miten meni?"}}))
    assert up.fetch_survey() is True
    assert store.get_state("survey")["scale"] == 3 and store.get_state("survey_etag") != etag


# -- batch sizes, verdicts, progress ----------------------------------------------


@pytest.mark.parametrize(("asked", "sizes"), [(1, [1, 1, 1]), (0, [1, 1, 1]), (2, [2, 1])])
def test_the_batch_size_is_at_least_one(kiosk, asked, sizes):
    store, _, token, proxy = kiosk
    tap(store, 3)
    uploader(store, proxy, token, batch_size=asked).push_all()
    assert [len(batch_body(e.body)["ratings"]) for e in proxy.requests(BATCHES_PATH)] == sizes


def test_a_backlog_that_fills_its_last_batch_exactly_ends_without_a_heartbeat(collector, kiosk):
    store, kiosk_id, token, proxy = kiosk
    ids = tap(store, 20)
    progress = []
    result = uploader(store, proxy, token, batch_size=10).push_all(progress=progress.append)
    assert len(proxy.requests(BATCHES_PATH)) == 2 and progress == [10, 10]
    assert result.batches == 2 and lost_and_doubled(ids, held(collector, kiosk_id)) == (0, 0)


def test_a_heartbeat_reports_no_progress(kiosk):
    store, _, token, proxy = kiosk
    progress = []
    assert uploader(store, proxy, token).push_all(progress=progress.append).batches == 1
    assert progress == []


def test_a_413_tries_the_single_rating_alone_before_setting_it_aside(collector, kiosk):
    store, kiosk_id, token, proxy = kiosk
    ids = tap(store, 2)
    proxy.add(BATCHES_PATH, Respond(413), Respond(413))
    up = uploader(store, proxy, token, batch_size=2)
    assert up.push_all().rejected == 1
    assert [len(batch_body(e.body)["ratings"]) for e in proxy.requests(BATCHES_PATH)] == [
        2, 1, 1]
    assert [row["id"] for row in held(collector, kiosk_id)] == [ids[1]]


def test_a_conflicting_rating_leaves_the_queue_and_is_named(collector, kiosk):
    store, kiosk_id, token, proxy = kiosk
    ids = tap(store, 2)
    uploader(store, proxy, token).push_all()
    store.db.execute("UPDATE ratings SET synced_at = NULL, score = score % 5 + 1 WHERE id = ?",
                     (ids[0],))
    result = uploader(store, proxy, token).push_all()
    assert (result.conflict, result.conflicts, result.accepted) == (1, [ids[0]], 0)
    assert store.stats()["pending"] == 0
    assert lost_and_doubled(ids, held(collector, kiosk_id)) == (0, 0)


def scripted(body: str) -> Respond:
    return Respond(200, {"Content-Type": "application/json"}, body.encode())


def test_a_rejection_without_a_reason_is_kept_with_a_default_one(kiosk):
    store, _, token, proxy = kiosk
    ids = tap(store, 2)
    proxy.add(BATCHES_PATH, scripted(
        '{"accepted": 1, "duplicate": 0, "conflict": 0, "rejected": 1,'
        f' "items": [{{"id": "{ids[1]}", "status": "rejected"}}]}}'))
    result = uploader(store, proxy, token).push_once()
    assert (result.accepted, result.rejected) == (1, 1)
    reasons = store.db.execute("SELECT id, rejected_reason, synced_at IS NOT NULL FROM ratings"
                               " ORDER BY seq").fetchall()
    assert reasons == [(ids[0], None, 1), (ids[1], "rejected by the collector", 0)]


def test_verdicts_for_unknown_ratings_are_skipped_not_fatal(kiosk):
    store, _, token, proxy = kiosk
    ids = tap(store, 2)
    rows = store.pending(2)
    proxy.add(BATCHES_PATH, scripted(
        '{"accepted": 1, "duplicate": 0, "conflict": 0, "rejected": 1, "items": ['
        '{"id": null, "seq": 999, "status": "rejected", "reason": "?"},'
        '{"id": "nobody", "status": "conflict", "reason": "?"},'
        f'{{"id": null, "seq": {rows[1]["seq"]}, "status": "rejected", "reason": "bad"}}]}}'))
    result = uploader(store, proxy, token).push_once()
    assert result.conflicts == [] and result.rejected == 1
    kept = store.db.execute("SELECT rejected_reason FROM ratings WHERE id = ?",
                            (ids[1],)).fetchone()
    assert kept == ("bad",)


def test_an_answer_that_does_not_add_up_marks_nothing(kiosk):
    store, _, token, proxy = kiosk
    tap(store, 3)
    proxy.add(BATCHES_PATH, scripted(
        '{"accepted": 1, "duplicate": 1, "conflict": 0, "rejected": 0, "items": []}'))
    with pytest.raises(Fatal) as failed:
        uploader(store, proxy, token).push_once()
    assert str(failed.value) == ("collector answer does not match the batch (sent 3, "
                                 "answered 2); nothing marked")
    assert store.stats()["pending"] == 3


def test_a_survey_whose_copy_was_lost_is_fetched_whole(kiosk):
    store, _, token, proxy = kiosk
    up = uploader(store, proxy, token)
    assert up.fetch_survey() is True
    first = store.get_state("survey")
    store.set_state("survey", None)  # the etag survived, the survey did not
    assert up.fetch_survey() is True
    assert store.get_state("survey") == first
    assert "If-None-Match" not in proxy.requests(SURVEY_PATH)[1].headers


def test_an_unusable_survey_is_fatal_and_keeps_the_last_one(kiosk):
    store, _, token, proxy = kiosk
    up = uploader(store, proxy, token)
    up.fetch_survey()
    first = store.get_state("survey")
    store.set_state("survey_etag", "stale")
    proxy.add(SURVEY_PATH, scripted('{"version": "x"}'), Respond(200, {}, b"<html>"),
              Respond(404, {}, b'{"detail": "no survey"}'))
    for _ in range(2):
        with pytest.raises(Fatal) as failed:
            up.fetch_survey()
        assert str(failed.value).startswith("survey from the collector is unusable: ")
    assert up.fetch_survey() is False  # no survey for this store: keep what we have
    assert store.get_state("survey") == first
    proxy.add(SURVEY_PATH, Respond(500))
    with pytest.raises(Fatal):
        up.fetch_survey()


def test_a_survey_without_an_etag_is_saved_each_time_it_changes(kiosk):
    store, _, token, proxy = kiosk
    body = '{"version": 5, "scale": 3, "questions": {"fi": "Miten meni?"}}'
    proxy.add(SURVEY_PATH, scripted(body), scripted(body))
    up = uploader(store, proxy, token)
    assert up.fetch_survey() is True
    assert store.get_state("survey_etag") is None and store.get_state("survey")["version"] == 5
    assert up.fetch_survey() is False  # the same survey again: nothing changed
    assert "If-None-Match" not in proxy.requests(SURVEY_PATH)[1].headers


def test_default_timeouts_are_five_seconds_to_connect_and_thirty_to_answer(kiosk):
    store, _, token, proxy = kiosk
    up = Uploader(store, proxy.url, token)
    assert up.client.timeout == (5, 30) and up.compress is True and up.batch_size == 500


def test_the_kiosk_log_says_what_happened_to_each_rating(kiosk, caplog):
    store, _, token, proxy = kiosk
    ids = tap(store, 3)
    proxy.add(BATCHES_PATH, Respond(413), Respond(503), scripted(
        '{"accepted": 0, "duplicate": 0, "conflict": 1, "rejected": 0,'
        f' "items": [{{"id": "{ids[0]}", "status": "conflict", "reason": "differs"}}]}}'),
        scripted('{"accepted": 0, "duplicate": 0, "conflict": 0, "rejected": 1,'
                 f' "items": [{{"id": "{ids[1]}", "status": "rejected", "reason": "bad"}}]}}'))
    up = uploader(store, proxy, token, batch_size=2, sleep=lambda _s: None)
    with caplog.at_level(logging.INFO, logger="sync.uploader"):
        up.push_all(deadline=float("inf"))
        up.fetch_survey()
    lines = [record.getMessage() for record in caplog.records]
    assert lines[:4] == [
        "collector said 413; batch size now 1",
        "collector busy (HTTP 503: injected by faultproxy); retrying in 0.0 s",
        f"rating {ids[0]} conflicts with the collector's copy: differs",
        f"collector rejected 1 rating(s) (first {ids[1]}): bad",
    ]
    assert lines[-1] == f"survey version {store.get_state('survey')['version']} saved"
    assert {record.levelname for record in caplog.records[:4]} == {"WARNING"}


def test_ratings_rejected_for_one_reason_are_counted_together(collector, kiosk, tmp_path):
    _, kiosk_id, token, proxy = kiosk
    # A kiosk whose config names another store than its token's.
    elsewhere = uploading.kiosk_store(tmp_path / "other", "s2", kiosk_id)
    try:
        tap(elsewhere, 3)
        result = uploader(elsewhere, proxy, token).push_once()
    finally:
        elsewhere.close()
    (reason,) = result.rejected_reasons
    assert "store_id" in reason and result.rejected_reasons[reason] == 3
    assert result.rejected == 3 and held(collector, kiosk_id) == []


def test_a_heartbeat_right_after_a_backlog_says_nothing_is_pending(kiosk):
    store, _, token, proxy = kiosk
    tap(store, 3)
    up = uploader(store, proxy, token, batch_size=2)
    assert up.push_all().accepted == 3
    assert up.push_once().batches == 1  # an empty batch: the queue's count is not taken again
    last = batch_body(proxy.requests(BATCHES_PATH)[-1].body)
    assert last["ratings"] == [] and last["status"]["pending"] == 0
    assert "oldest_pending_at" not in last["status"]
