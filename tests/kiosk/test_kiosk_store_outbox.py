"""The kiosk's outbox as the uploader drains it: what leaves the queue, what
comes back, what stays out, and the figures the staff screen shows of it.

Every count here is read back from the database, not taken on trust.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kiosk.store import Store

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)


def tap_many(store: Store, count: int) -> list[str]:
    """``count`` counted taps a second apart; their ids in seq order."""
    store.db.execute("PRAGMA synchronous = OFF")  # durability is not under test here
    ids = [store.record_tap(1 + i % 5, 5, "fi", interval=0, now=T0 + timedelta(seconds=i)).id
           for i in range(count)]
    store.db.execute("PRAGMA synchronous = FULL")
    return ids


def unsynced_seqs(store: Store) -> list[int]:
    return [row[0] for row in store.db.execute(
        "SELECT seq FROM ratings WHERE synced_at IS NULL ORDER BY seq").fetchall()]


def test_marking_more_ids_than_one_statement_takes_marks_each_once(store: Store):
    ids = tap_many(store, 1201)  # three chunks of at most 500
    assert store.mark_synced(ids, at=LATER) == 1201
    assert unsynced_seqs(store) == []
    assert store.db.execute(
        "SELECT count(*) FROM ratings WHERE synced_at = '2026-01-15T13:00:00.000Z'"
    ).fetchone()[0] == 1201
    # The collector acknowledging them again (a lost response) changes nothing.
    assert store.mark_synced(ids, at=LATER + timedelta(hours=1)) == 0
    assert store.stats()["pending"] == 0


def test_marking_some_ids_leaves_the_rest_queued(store: Store):
    ids = tap_many(store, 6)
    assert store.mark_synced([ids[1], ids[4], "not-a-rating"], at=LATER) == 2
    assert unsynced_seqs(store) == [1, 3, 4, 6]
    assert [row["seq"] for row in store.pending(10, now=LATER)] == [1, 3, 4, 6]


def test_rejected_ratings_leave_the_queue_with_the_collectors_reason(store: Store):
    ids = tap_many(store, 4)
    store.mark_rejected({ids[0]: "future date", ids[2]: "unknown kiosk"})
    rows = {row["seq"]: row["rejected_reason"]
            for row in store.db.query("SELECT seq, rejected_reason FROM ratings")}
    assert rows == {1: "future date", 2: None, 3: "unknown kiosk", 4: None}
    assert [row["seq"] for row in store.pending(10, now=LATER)] == [2, 4]
    stats = store.stats()
    assert (stats["pending"], stats["rejected"], stats["last_seq"]) == (2, 2, 4)
    assert stats["oldest_pending_at"] == "2026-01-15T12:00:01.000Z"


def test_requeue_sends_back_only_synced_ratings_in_the_ranges(store: Store):
    ids = tap_many(store, 10)
    store.mark_synced(ids[:6], at=LATER)  # seq 1..6 synced
    store.mark_rejected({ids[6]: "bad score"})  # seq 7 rejected; 8..10 still pending
    assert store.requeue([(2, 4), (6, 9)]) == 4  # 2, 3, 4 and 6
    assert [row["seq"] for row in store.pending(20, now=LATER)] == [2, 3, 4, 6, 8, 9, 10]
    assert unsynced_seqs(store) == [2, 3, 4, 6, 7, 8, 9, 10]
    # Sending the same ranges back again finds nothing more to requeue.
    assert store.requeue([(2, 4), (6, 9)]) == 0
    assert store.requeue([]) == 0


def test_stats_of_an_empty_store(store: Store):
    assert store.stats() == {"pending": 0, "oldest_pending_at": None, "rejected": 0,
                             "last_seq": 0}
