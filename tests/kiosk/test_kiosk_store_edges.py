"""The kiosk store at its edges: a failed tap leaves nothing half-done, the
default suppression interval, a kiosk whose operating system is not on UTC,
the staff screen's default day, a database in a new folder, and the space an
upgrade gives back.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

import kiosk.store
from kiosk.store import Store, StoreError, migrations

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def rows(store: Store) -> list[tuple]:
    return store.db.execute("SELECT seq, score, suppressed FROM ratings ORDER BY seq").fetchall()


def test_the_returned_tap_is_the_stored_row(store: Store):
    tap = store.record_tap(2, 5, "fi", now=T0 + timedelta(milliseconds=250))
    [row] = store.db.query("SELECT id, seq, score, created_at, local_date, suppressed "
                           "FROM ratings")
    assert (tap.id, tap.seq, tap.score, tap.created_at, tap.local_date, tap.suppressed) == (
        row["id"], row["seq"], row["score"], row["created_at"], row["local_date"],
        bool(row["suppressed"]))
    assert (tap.score, tap.created_at) == (2, "2026-01-15T12:00:00.250Z")


def test_the_default_interval_is_five_seconds(store: Store):
    store.record_tap(5, 5, "fi", now=T0)
    assert store.record_tap(5, 5, "fi", now=T0 + timedelta(seconds=4.9)).suppressed
    assert not store.record_tap(5, 5, "fi", now=T0 + timedelta(seconds=5.5)).suppressed
    assert rows(store) == [(1, 5, 0), (2, 5, 1), (3, 5, 0)]


def test_a_second_tap_at_the_same_instant_is_suppressed(store: Store):
    store.record_tap(5, 5, "fi", now=T0)
    assert store.record_tap(1, 5, "fi", now=T0).suppressed
    assert rows(store) == [(1, 5, 0), (2, 1, 1)]


def test_a_busy_database_is_a_store_error_that_says_so(store: Store, tmp_path: Path):
    store.record_tap(5, 5, "fi", now=T0)
    store.db.execute("PRAGMA busy_timeout = 0")  # fail now rather than in 10 s
    other = sqlite3.connect(tmp_path / "kiosk.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreError, match="local database is busy or unwritable: database is"):
        store.record_tap(4, 5, "fi", now=T0 + timedelta(seconds=10))
    other.execute("ROLLBACK")
    other.close()
    assert store.record_tap(3, 5, "fi", now=T0 + timedelta(seconds=20)).seq == 2
    assert rows(store) == [(1, 5, 0), (2, 3, 0)]


def test_a_refused_insert_rolls_back_and_the_next_tap_is_stored(store: Store):
    store.record_tap(5, 5, "fi", now=T0)
    store.db.execute("CREATE TRIGGER refuse BEFORE INSERT ON ratings "
                     "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END")
    with pytest.raises(StoreError, match="local database write failed: refused by a trigger"):
        store.record_tap(4, 5, "fi", now=T0 + timedelta(seconds=10))
    assert not store.db.conn.in_transaction
    store.db.execute("DROP TRIGGER refuse")
    assert store.record_tap(3, 5, "fi", now=T0 + timedelta(seconds=20)).seq == 2
    assert rows(store) == [(1, 5, 0), (2, 3, 0)]


def test_a_naive_clock_is_refused_and_leaves_the_store_usable(store: Store):
    store.record_tap(5, 5, "fi", now=T0)
    with pytest.raises(TypeError, match="offset-naive and offset-aware"):
        store.record_tap(4, 5, "fi", now=datetime(2026, 1, 15, 12, 0, 10))
    assert not store.db.conn.in_transaction
    assert store.record_tap(3, 5, "fi", now=T0 + timedelta(seconds=20)).seq == 2
    assert rows(store) == [(1, 5, 0), (2, 3, 0)]


def test_a_kiosk_whose_os_is_not_on_utc_still_writes_utc(store: Store, kathmandu_os_clock):
    helsinki = T0.astimezone(kiosk.store.zone("Europe/Helsinki"))
    tap = store.record_tap(5, 5, "fi", now=helsinki)
    assert tap.created_at == "2026-01-15T12:00:00.000Z"
    assert store.db.execute("SELECT created_at FROM ratings").fetchone()[0] == tap.created_at


def test_the_staff_screen_shows_the_store_local_today(store: Store, monkeypatch):
    # 23:30 UTC is already the 16th in Helsinki.
    late = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)
    monkeypatch.setattr(kiosk.store, "utc_now", lambda: late)
    store.record_tap(5, 5, "fi", interval=0)
    store.record_tap(1, 5, "fi", interval=0, now=late - timedelta(hours=2))  # the 15th
    summary, _reasons = store.day_summary()
    assert (summary.responses, summary.counts) == (1, {5: 1})


def test_a_database_in_a_folder_that_does_not_exist_yet(tmp_path: Path):
    path = tmp_path / "var" / "lib" / "hymy" / "kiosk.db"
    opened = Store(path, "s1", "k1", "Europe/Helsinki")
    opened.record_tap(5, 5, "fi", now=T0)
    opened.close()
    assert sqlite3.connect(path).execute("SELECT count(*) FROM ratings").fetchone() == (1,)


def test_an_upgrade_gives_the_space_of_its_copy_back(tmp_path: Path):
    path = tmp_path / "kiosk.db"
    db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
    db.conn.isolation_level = ""
    migrations.apply(db, stop_before="m003_seq_rowid")
    db.conn.isolation_level = None
    db.execute("BEGIN")
    db.conn.executemany(
        "INSERT INTO ratings (id, seq, store_id, kiosk_id, score, scale, created_at, "
        "local_date, lang) VALUES (?, ?, 's1', 'k1', 5, 5, '2026-01-15T12:00:00.000Z', "
        "'2026-01-15', 'fi')", [(f"id-{seq}", seq) for seq in range(1, 3001)])
    db.execute("COMMIT")
    db.close()
    upgraded = Store(path, "s1", "k1", "Europe/Helsinki")
    assert upgraded.stats()["last_seq"] == 3000
    # m003 copied 3000 rows through the WAL; opening checkpointed and truncated it.
    assert (tmp_path / "kiosk.db-wal").stat().st_size == 0
    upgraded.close()
