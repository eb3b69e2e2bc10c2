"""Ratings a restored collector lacks are sent again once, and the status block
each batch carries, checked against a real collector in this process.

``test_sync_restore.py`` does the restore with the real CLI and server
processes; here the same healing is driven through ``Uploader.push_all`` so
that its counts (``requeued``, ``sent``) are compared with what the
collector's database holds afterwards.
"""

from __future__ import annotations

import itertools
import logging

import pytest

from sync.uploader import Backoff, Fatal, Uploader
from sync.uploader.client import BATCHES_PATH
from tests.support.faultproxy import Respond
from tests.support.inprocess import collector_fixture
from tests.support.uploading import batch_body, held, lost_and_doubled, proxied_kiosk, tap

_kiosks = itertools.count(1)
collector = collector_fixture("restore")


@pytest.fixture
def kiosk(collector, tmp_path):
    with proxied_kiosk(collector, tmp_path, f"r{next(_kiosks)}") as (kiosk_id, token, store,
                                                                     proxy, _):
        yield kiosk_id, store, Uploader(store, proxy.url, token, backoff=Backoff(rng=lambda: 0)), \
            proxy


def lose(collector, kiosk_id: str, first: int, last: int) -> None:
    """What restoring an older backup leaves: these seqs gone, roll-ups to match."""
    storage = collector.storage
    with storage.db.transaction(serialize=True) as conn:
        conn.execute("DELETE FROM ratings WHERE kiosk_id = ? AND seq BETWEEN ? AND ?",
                     (kiosk_id, first, last))
    storage.check(repair=True)


def test_ratings_the_collector_lost_are_sent_again_once(collector, kiosk):
    kiosk_id, store, uploader, proxy = kiosk
    ids = tap(store, 6)
    assert uploader.push_all().accepted == 6
    lose(collector, kiosk_id, 2, 4)
    assert len(held(collector, kiosk_id)) == 3
    ids += tap(store, 2)
    result = uploader.push_all()
    stored = held(collector, kiosk_id)
    assert lost_and_doubled(ids, stored) == (0, 0) and len(stored) == 8
    assert (result.requeued, result.sent, result.accepted, result.duplicate) == (3, 5, 5, 0)
    assert result.batches == 2
    sent = [[r["seq"] for r in batch_body(e.body)["ratings"]]
            for e in proxy.requests(BATCHES_PATH)]
    assert sent[-2:] == [[7, 8], [2, 3, 4]]
    # Healed: the next push finds nothing missing and sends nothing again.
    again = uploader.push_all()
    assert (again.requeued, again.sent, again.batches) == (0, 0, 1)


def test_missing_ratings_the_kiosk_no_longer_keeps_end_the_push(collector, kiosk):
    kiosk_id, store, uploader, _ = kiosk
    tap(store, 5)
    uploader.push_all()
    store.db.execute("DELETE FROM ratings WHERE seq BETWEEN 2 AND 3")  # pruned long ago
    lose(collector, kiosk_id, 2, 3)
    result = uploader.push_all()
    assert (result.requeued, result.sent, result.batches) == (0, 0, 1)
    assert result.missing == [(2, 3)]


def test_requeueing_happens_once_per_push(collector, kiosk):
    """A collector that still lacks them after one resend is not asked again and again."""
    kiosk_id, store, uploader, proxy = kiosk
    tap(store, 3)
    uploader.push_all()
    lose(collector, kiosk_id, 1, 3)
    with collector.storage.db.transaction(serialize=True) as conn:
        # The collector will refuse to store them again: a trigger drops the inserts.
        conn.execute(f"""CREATE TRIGGER drop_{kiosk_id} BEFORE INSERT ON ratings
                         WHEN NEW.kiosk_id = '{kiosk_id}' BEGIN SELECT RAISE(IGNORE); END""")
    try:
        result = uploader.push_all()
    finally:
        with collector.storage.db.transaction(serialize=True) as conn:
            conn.execute(f"DROP TRIGGER drop_{kiosk_id}")
    assert result.requeued == 3
    assert len(proxy.requests(BATCHES_PATH)) == 1 + 2  # first push, heartbeat, one resend


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("step", "recounted"), [(10.0, True), (9.9, False)])
def test_the_queue_is_recounted_every_ten_seconds_of_a_long_push(kiosk, step, recounted):
    """Between recounts the status subtracts what left; a recount sees new taps too."""
    _, store, uploader, proxy = kiosk
    clock = Clock()
    uploader._monotonic = clock
    tap(store, 6)

    def progress(_n):
        if not extra:
            extra.extend(tap(store, 1))  # a shopper taps while the backlog drains
            clock.now += step

    extra: list[str] = []
    uploader.batch_size = 2
    uploader.push_all(progress=progress)
    pending = [batch_body(e.body)["status"]["pending"] for e in proxy.requests(BATCHES_PATH)]
    if recounted:  # the second batch recounts (4 left + the new tap), the third subtracts
        assert pending == [6, 5, 3, 1]
    else:  # not yet ten seconds: only subtracted, the new tap is not seen
        assert pending == [6, 4, 2, 0]


def test_push_once_counts_the_queue_afresh(kiosk):
    _, store, uploader, proxy = kiosk
    uploader._monotonic = Clock()
    tap(store, 3)
    uploader.push_once()
    tap(store, 2)
    uploader.push_once()
    pending = [batch_body(e.body)["status"]["pending"] for e in proxy.requests(BATCHES_PATH)]
    assert pending == [3, 2]


def test_an_outbox_that_forgets_to_mark_stops_the_push(kiosk):
    _, store, uploader, _ = kiosk
    tap(store, 2)
    uploader.outbox.mark_synced = lambda ids: 0  # a store that does not record it
    uploader.batch_size = 1
    with pytest.raises(Fatal, match="the local store did not record the collector's answer"):
        uploader.push_all()


def test_ratings_lost_within_one_push_are_sent_again_in_it(collector, kiosk, caplog):
    """An answer that says the collector lacks a rating sent earlier in the same push
    (here scripted: the first batch never reaches the collector): that push sends it
    again, which the guard against an outbox that forgets to mark must allow."""
    kiosk_id, store, uploader, proxy = kiosk
    tap(store, 3)
    proxy.add(BATCHES_PATH, Respond(200, {"Content-Type": "application/json"},
                                    b'{"accepted": 3, "duplicate": 0, "conflict": 0,'
                                    b' "rejected": 0, "missing": [[2, 2]]}'))
    with caplog.at_level(logging.WARNING, logger="sync.uploader"):
        result = uploader.push_all()
    assert result.requeued == 1 and result.batches == 2
    sent = [[r["seq"] for r in batch_body(e.body)["ratings"]]
            for e in proxy.requests(BATCHES_PATH)]
    assert sent == [[1, 2, 3], [2]]
    assert [r.getMessage() for r in caplog.records] == [
        "collector lacks 1 rating(s) sent before (restored from a backup?); sending them again"]
    assert [row["seq"] for row in held(collector, kiosk_id)] == [2]


def test_an_outbox_that_forgets_to_mark_says_so_exactly(kiosk):
    _, store, uploader, _ = kiosk
    tap(store, 2)
    uploader.outbox.mark_synced = lambda ids: 0
    uploader.batch_size = 1
    with pytest.raises(Fatal) as failed:
        uploader.push_all()
    assert str(failed.value) == "the local store did not record the collector's answer"
    assert failed.value.result.batches == 1


def test_a_rejection_the_answer_does_not_identify_marks_nothing(kiosk):
    _, store, uploader, proxy = kiosk
    tap(store, 2)
    proxy.add(BATCHES_PATH, Respond(200, {"Content-Type": "application/json"},
                                    b'{"accepted": 1, "duplicate": 0, "conflict": 0,'
                                    b' "rejected": 1,'
                                    b' "items": [{"id": null, "status": "rejected"}]}'))
    with pytest.raises(Fatal) as failed:
        uploader.push_once()
    assert str(failed.value) == ("collector answer does not say which 1 rating(s) it "
                                 "rejected; nothing marked")
    assert store.stats()["pending"] == 2
