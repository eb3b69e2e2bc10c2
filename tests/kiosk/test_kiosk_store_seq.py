"""The kiosk store's seq and suppression state after migration m003.

``seq`` is the rowid and a tap reads the next seq and the last counted tap
from the newest rows instead of keeping counters in ``state``.  These tests
would fail if a seq were ever reused or skipped, after prunes, reopening, two
connections, or the in-place migration of a database written by the previous
schema (a ``seq`` UNIQUE column and ``next_seq`` / ``last_counted_at`` in
``state``).
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from kiosk.store import COLUMNS, Store, _utc_text, migrations
from sync.clock import format_utc, local_date, parse_utc, zone

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
TZ = "Europe/Helsinki"
ONE_SECOND = 1 / 86400  # in days, for prune(retention_days)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def open_store(path: Path) -> Store:
    return Store(path, "s1", "k1", TZ)


@pytest.fixture
def store(tmp_path: Path):
    opened = open_store(tmp_path / "kiosk.db")
    yield opened
    opened.close()


def all_seqs(store: Store) -> list[int]:
    return [row[0] for row in store.db.execute("SELECT seq FROM ratings ORDER BY seq")]


# -- a tap writes nothing but its row ---------------------------------------------


def test_a_tap_writes_only_its_row(store: Store):
    for i in range(5):
        store.record_tap(5, 5, "fi", interval=2, now=at(i))
    assert store.db.execute("SELECT count(*) FROM state").fetchone()[0] == 0
    assert all_seqs(store) == [1, 2, 3, 4, 5]
    # seq is the rowid itself: no index of its own.
    assert store.db.execute("SELECT count(*) FROM ratings WHERE rowid = seq").fetchone()[0] == 5
    indexes = {row[1] for row in store.db.execute("PRAGMA index_list(ratings)")}
    assert indexes == {"ratings_unsynced", "ratings_local_date", "ratings_rejected",
                       "sqlite_autoindex_ratings_1"}  # the last one is id UNIQUE


def test_id_stays_unique_and_not_null(store: Store):
    tap = store.record_tap(5, 5, "fi", now=T0)
    for bad_id in (tap.id, None):
        with pytest.raises(sqlite3.IntegrityError):
            store.db.execute(
                "INSERT INTO ratings (id, seq, store_id, kiosk_id, score, scale, created_at, "
                "local_date, lang) VALUES (?, 99, 's1', 'k1', 5, 5, 'x', 'y', 'fi')", [bad_id])


# -- seq: gapless, never reused ----------------------------------------------------


def test_pruning_every_row_never_reuses_a_seq(tmp_path: Path):
    path = tmp_path / "kiosk.db"
    store = open_store(path)
    taps = [store.record_tap(5, 5, "fi", interval=0, now=at(i)) for i in range(3)]
    store.mark_synced([tap.id for tap in taps], at=at(5))
    assert store.prune(1, now=at(2 * 86400)) == 3
    assert all_seqs(store) == []
    assert store.stats()["last_seq"] == 3
    store.close()
    store = open_store(path)  # the floor is on disk, not in this object
    assert store.stats()["last_seq"] == 3
    assert store.record_tap(5, 5, "fi", interval=0, now=at(3 * 86400)).seq == 4
    assert store.stats()["last_seq"] == 4
    store.close()


def test_prune_tap_rounds_hand_out_each_seq_once_in_order(tmp_path: Path):
    path = tmp_path / "kiosk.db"
    handed_out: list[int] = []
    clock = 0.0
    for round_ in range(6):
        store = open_store(path)
        for _ in range(1 + round_ % 3):
            clock += 60
            handed_out.append(store.record_tap(4, 5, "fi", interval=5, now=at(clock)).seq)
        ids = [row["id"] for row in store.pending(100, now=at(clock + 600))]
        if round_ % 2:  # leave the newest unsynced now and then
            ids = ids[:-1]
        store.mark_synced(ids, at=at(clock))
        clock += 86400
        store.prune(0.5, now=at(clock))  # every synced row so far goes
        assert store.stats()["last_seq"] == handed_out[-1]
        store.close()
    assert handed_out == list(range(1, len(handed_out) + 1))


def test_two_connections_tapping_at_once_share_one_gapless_seq(tmp_path: Path):
    path = tmp_path / "kiosk.db"
    open_store(path).close()
    seqs: list[int] = []
    errors: list[BaseException] = []

    def tap_many() -> None:
        store = open_store(path)
        try:
            for _ in range(150):
                seqs.append(store.record_tap(3, 5, "fi", interval=0).seq)
        except Exception as error:
            errors.append(error)
        finally:
            store.close()

    threads = [threading.Thread(target=tap_many) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(seqs) == list(range(1, 301))
    store = open_store(path)
    assert all_seqs(store) == list(range(1, 301))
    store.close()


# -- suppression: as before, also across prunes -------------------------------------


def test_suppression_still_counts_from_a_pruned_counted_tap(store: Store):
    """The old counter survived prunes; the newest counted row must seem to, too."""
    first = store.record_tap(5, 5, "fi", interval=5, now=at(0))
    store.mark_synced([first.id], at=at(1))
    assert store.prune(ONE_SECOND, now=at(2)) == 1
    assert store.record_tap(5, 5, "fi", interval=5, now=at(3)).suppressed  # 3 s after it
    assert not store.record_tap(5, 5, "fi", interval=5, now=at(5.5)).suppressed
    assert store.record_tap(5, 5, "fi", interval=5, now=at(6)).suppressed  # after 5.5 now
    assert all_seqs(store) == [2, 3, 4]


def test_a_second_prune_does_not_move_the_last_counted_tap_back(store: Store):
    older = store.record_tap(5, 5, "fi", interval=5, now=at(0))
    newer = store.record_tap(5, 5, "fi", interval=5, now=at(10))
    assert not older.suppressed and not newer.suppressed
    store.mark_synced([newer.id], at=at(10))
    assert store.prune(ONE_SECOND, now=at(11.5)) == 1  # the newest, counted row goes
    store.mark_synced([older.id], at=at(11.5))
    assert store.prune(ONE_SECOND, now=at(11.5)) == 1  # then the older one
    # 12 s is 2 s after the last counted tap (10 s), not 12 s after the first.
    tap = store.record_tap(5, 5, "fi", interval=5, now=at(12))
    assert (tap.seq, tap.suppressed) == (3, True)


def test_a_backward_clock_jump_counts_the_tap(store: Store):
    store.record_tap(5, 5, "fi", interval=5, now=at(100))
    assert not store.record_tap(5, 5, "fi", interval=5, now=at(50)).suppressed
    assert store.record_tap(5, 5, "fi", interval=5, now=at(52)).suppressed


# -- migration m003 on a database written by the previous schema --------------------


def old_database(path: Path, taps: list[dict], pruned: list[int] = ()) -> dict:
    """A kiosk database as the code before m003 left it: schema m001 + m002, rows
    inserted and counters kept the way its ``record_tap`` did, then the rows
    whose seq is in ``pruned`` deleted the way its ``prune`` did."""
    db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
    db.conn.isolation_level = ""
    migrations.apply(db, stop_before="m003_seq_rowid")
    db.conn.isolation_level = None
    assert "seq INTEGER NOT NULL UNIQUE" in db.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'ratings'").fetchone()[0]
    tz = zone(TZ)
    last_counted = None
    for seq, tap in enumerate(taps, start=1):
        moment = at(tap["t"])
        created_at = format_utc(moment)
        suppressed = last_counted is not None and 0 <= (
            moment - last_counted).total_seconds() < tap.get("interval", 5)
        db.execute(
            "INSERT INTO ratings (id, seq, store_id, kiosk_id, score, scale, created_at, "
            "local_date, lang, reason, suppressed, survey_version, synced_at, "
            "awaiting_reason, rejected_reason) VALUES (?, ?, 's1', 'k1', ?, 5, ?, ?, 'fi', "
            "?, ?, 2, ?, ?, ?)",
            [f"id-{seq}", seq, tap.get("score", 4), created_at, local_date(moment, tz),
             tap.get("reason"), int(suppressed), tap.get("synced_at"),
             tap.get("awaiting", 0), tap.get("rejected")],
        )
        db.execute("INSERT OR REPLACE INTO state VALUES ('next_seq', ?)", [json.dumps(seq + 1)])
        if not suppressed:
            last_counted = moment
            db.execute("INSERT OR REPLACE INTO state VALUES ('last_counted_at', ?)",
                       [json.dumps(created_at)])
    db.execute("INSERT INTO state VALUES ('sync_status', ?)", [json.dumps({"ok": True})])
    for seq in pruned:
        db.execute("DELETE FROM ratings WHERE seq = ?", [seq])
    rows = {row["id"]: row for row in db.query("SELECT * FROM ratings")}
    db.close()
    return rows


OLD_TAPS = [
    {"t": 0, "synced_at": "2026-01-15T12:01:00.000Z"},
    {"t": 2, "synced_at": "2026-01-15T12:01:00.000Z"},  # suppressed
    {"t": 10, "score": 1, "reason": "queue", "synced_at": "2026-01-15T12:01:00.000Z"},
    {"t": 20, "score": 2, "rejected": "future date"},
    {"t": 30, "score": 1, "awaiting": 1},
    {"t": 31},  # suppressed, pending
    {"t": 40, "score": 5},
]


def test_migration_keeps_every_row_and_value(tmp_path: Path):
    path = tmp_path / "kiosk.db"
    before = old_database(path, OLD_TAPS)
    store = open_store(path)
    after = {row["id"]: row for row in store.db.query("SELECT * FROM ratings")}
    # m004 then gives each row its kind (csat: the only one there was) and no followup
    assert after == {rid: {**row, "kind": "csat", "followup": None} for rid, row in before.items()}
    assert list(next(iter(after.values()))) == list(COLUMNS)  # same columns, same order
    assert [after[f"id-{n}"]["suppressed"] for n in range(1, 8)] == [0, 1, 0, 0, 0, 1, 0]
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.db.execute("SELECT count(*) FROM ratings WHERE rowid = seq").fetchone()[0] == 7
    # pending, synced and rejected ratings are what they were
    assert store.stats() == {"pending": 3, "oldest_pending_at": "2026-01-15T12:00:30.000Z",
                             "rejected": 1, "last_seq": 7}
    assert [row["seq"] for row in store.pending(10, now=at(31))] == [6, 7]  # 5 awaits
    assert [row["seq"] for row in store.pending(10, now=at(3600))] == [5, 6, 7]
    assert store.get_state("sync_status") == {"ok": True}
    # new taps continue the seq, and suppression from the last counted tap (40 s)
    assert store.record_tap(5, 5, "fi", interval=5, now=at(43)).seq == 8
    assert store.db.execute("SELECT suppressed FROM ratings WHERE seq = 8").fetchone()[0] == 1
    tap = store.record_tap(5, 5, "fi", interval=5, now=at(46))
    assert (tap.seq, tap.suppressed) == (9, False)
    assert all_seqs(store) == list(range(1, 10))
    store.close()
    # migrated once: opening again changes nothing
    again = open_store(path)
    assert all_seqs(again) == list(range(1, 10))
    assert [m.name for m in migrations.applied(again.db)][-2:] == [
        "m003_seq_rowid", "m004_kind_followup"]
    again.close()


def test_migration_after_old_prunes_keeps_seq_and_suppression(tmp_path: Path):
    """The old prune may have deleted the newest rows: their seqs stay used."""
    path = tmp_path / "kiosk.db"
    taps = [{"t": t, "synced_at": "2026-01-15T12:01:00.000Z"} for t in (0, 10, 12)]
    old_database(path, taps, pruned=[2, 3])  # seq 2 was the last counted (10 s)
    store = open_store(path)
    assert all_seqs(store) == [1]
    assert store.stats()["last_seq"] == 3
    assert store.db.execute(
        "SELECT count(*) FROM state WHERE key = 'last_counted_at'").fetchone()[0] == 0
    tap = store.record_tap(5, 5, "fi", interval=5, now=at(14))  # 4 s after 10 s
    assert (tap.seq, tap.suppressed) == (4, True)
    tap = store.record_tap(5, 5, "fi", interval=5, now=at(15))
    assert (tap.seq, tap.suppressed) == (5, False)
    store.close()


def test_migration_of_a_fully_pruned_old_database(tmp_path: Path):
    path = tmp_path / "kiosk.db"
    old_database(path, [{"t": 0, "synced_at": "2026-01-15T12:01:00.000Z"}], pruned=[1])
    store = open_store(path)
    assert (all_seqs(store), store.stats()["last_seq"]) == ([], 1)
    assert store.record_tap(5, 5, "fi", interval=5, now=at(1)).suppressed
    assert store.record_tap(5, 5, "fi", interval=5, now=at(6)).seq == 3
    store.close()


def test_migration_of_an_empty_old_database(tmp_path: Path):
    path = tmp_path / "kiosk.db"
    old_database(path, [])
    store = open_store(path)
    assert store.stats()["last_seq"] == 0
    tap = store.record_tap(5, 5, "fi", interval=5, now=at(0))
    assert (tap.seq, tap.suppressed) == (1, False)
    store.close()


# -- the tap path's quicker helpers are the shared ones, exactly ----------------------


def test_utc_text_is_format_utc():
    rng = random.Random(6)
    zones = [UTC, zone(TZ), zone("America/St_Johns"), zone("Asia/Kathmandu")]
    moments = [datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=UTC),
               datetime(2026, 1, 1, 0, 0, 0, 999, tzinfo=UTC),
               datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
               datetime(999, 1, 1, 12, tzinfo=UTC)]
    for _ in range(2000):
        moments.append(datetime(2000, 1, 1, tzinfo=UTC) + timedelta(
            microseconds=rng.randrange(60 * 365 * 86400 * 10**6)))
    for moment in moments:
        local = moment.astimezone(rng.choice(zones))
        assert _utc_text(moment) == _utc_text(local) == format_utc(moment), moment
        if moment.year >= 1000:  # parse_utc cannot read earlier years either
            text = format_utc(moment)
            assert datetime.fromisoformat(text) == parse_utc(text)


def test_tap_ids_are_time_ordered_version_7_uuids(tmp_path):
    store = Store(tmp_path / "k.db", "s1", "k1", "Europe/Helsinki")
    start = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    taps = [store.record_tap(5, 5, "fi", now=start + timedelta(milliseconds=3 * i))
            for i in range(300)]
    store.close()
    ids = [tap.id for tap in taps]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    # Later taps sort after earlier ones (the index grows at its end) ...
    assert ids == sorted(ids)
    # ... and the first 48 bits are the tap's time in milliseconds.
    assert int(ids[0].replace("-", "")[:12], 16) == int(start.timestamp() * 1000)
