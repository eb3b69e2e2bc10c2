"""The collector's SQLite settings on a real file, and the ingest fast paths' verdicts.

``Database._open`` applies ``SQLITE_TUNING`` on every connection while keeping
WAL and ``synchronous=FULL``; the benchmarks' bare baselines use the same
settings.  ``handle_batch`` takes shortcuts for the usual batch (every rating
valid, new and once); a batch that is not usual must get the same answer as
before: duplicates and conflicts within the batch, against stored ratings, and
rejections keep their positions.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
import uuid

import pytest

from sync.collector.api import ingest
from sync.collector.db.connection import SQLITE_TUNING, Database
from sync.collector.db.storage import Storage
from sync.collector.tokens import Principal
from sync.wire import Rating, decode_batch
from tests.support import ROOT
from tests.support.collector import batch, rating

EXPECTED = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
            "cache_size": -16384, "wal_autocheckpoint": 10000}


def pragmas(conn: sqlite3.Connection) -> dict:
    return {name: conn.execute(f"PRAGMA {name}").fetchone()[0] for name in EXPECTED}


def test_every_pooled_connection_is_tuned_and_durable(tmp_path):
    db = Database(str(tmp_path / "c.db"))
    db.migrate()
    seen = []
    ready = threading.Barrier(2)

    def borrow():
        with db.connection() as conn:
            ready.wait(5)  # both at once: two distinct connections
            seen.append(pragmas(conn.raw))

    threads = [threading.Thread(target=borrow) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [EXPECTED, EXPECTED]
    assert {p.removeprefix("PRAGMA ").split("=")[0] for p in SQLITE_TUNING} <= set(EXPECTED)
    db.close()
    # The file itself stays in WAL mode for every other process.
    assert sqlite3.connect(tmp_path / "c.db").execute("PRAGMA journal_mode").fetchone()[0] \
        == "wal"


def test_the_benchmarks_bare_baselines_use_the_same_settings(tmp_path):
    bench = ROOT / "tests" / "bench"
    sys.path.insert(0, str(bench))
    try:
        import collector_ingest
    finally:
        sys.path.remove(str(bench))
    bare = collector_ingest.BareSQLite(tmp_path / "bare.db")
    try:
        assert pragmas(bare.conn) | {"foreign_keys": 1} == EXPECTED
    finally:
        bare.close()
    assert "SQLITE_TUNING" in (bench / "backlog_drain.py").read_text()


def collector(tmp_path) -> tuple[Storage, Principal]:
    db = Database(str(tmp_path / "c.db"))
    db.migrate()
    storage = Storage(db)
    storage.add_store("s1", "Store", "Europe/Helsinki")
    storage.add_kiosk("k1", "s1")
    return storage, Principal(1, "kiosk", "s1", "k1")


def post(storage: Storage, principal: Principal, ratings: list) -> dict:
    return json.loads(ingest.handle_batch(storage, principal,
                                          json.dumps(batch(ratings)).encode()).model_dump_json())


def test_the_usual_batch_is_all_accepted_and_stored(tmp_path):
    storage, principal = collector(tmp_path)
    ratings = [rating(i + 1, 1 + i % 5, store_id="s1", kiosk_id="k1") for i in range(600)]
    answer = post(storage, principal, ratings)
    assert (answer["accepted"], answer["items"]) == (600, [])
    with storage.db.connection() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM ratings") == 600
    _batch, valid, rejected = ingest.read_batch(json.dumps(batch(ratings)).encode(), principal)
    assert rejected == [] and all(type(row) is Rating for _, row in valid)
    decoded, verdicts = decode_batch(json.dumps(batch(ratings)).encode())
    assert verdicts is decoded.ratings  # the one pass: no rating judged on its own


def test_unusual_batches_keep_every_verdict_in_place(tmp_path):
    storage, principal = collector(tmp_path)
    first = [rating(i + 1) for i in range(5)]
    post(storage, principal, first)
    twin = rating(7)
    changed = {**first[1], "score": 1 if first[1]["score"] != 1 else 2}
    ratings = [
        rating(6),                      # 0 new
        first[0],                       # 1 duplicate of a stored rating
        changed,                        # 2 conflict with a stored rating
        twin,                           # 3 new
        dict(twin),                     # 4 the same rating twice in one batch: duplicate
        {**twin, "score": 1 if twin["score"] != 1 else 2},  # 5 same id, new content
        rating(8, store_id="s2"),       # 6 another store's: rejected
        {**rating(9), "id": "nope"},    # 7 invalid: rejected
        rating(10, kiosk_id="k9"),      # 8 another kiosk's: rejected
    ]
    answer = post(storage, principal, ratings)
    assert (answer["accepted"], answer["duplicate"], answer["conflict"], answer["rejected"]) \
        == (2, 2, 2, 3)
    assert [(item["seq"], item["status"]) for item in answer["items"]] == [
        (1, "duplicate"), (2, "conflict"), (7, "duplicate"), (7, "conflict"),
        (8, "rejected"), (9, "rejected"), (10, "rejected")]
    with storage.db.connection() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM ratings") == 7


def test_ingest_takes_ratings_and_rows_alike(tmp_path):
    storage, principal = collector(tmp_path)
    from datetime import UTC, datetime

    from msgspec.structs import astuple

    from sync.wire import parse_rating

    model = parse_rating(rating(1))
    row = astuple(parse_rating(rating(2)))
    outcome = storage.ingest(principal, [model, row], datetime.now(UTC))
    assert outcome.statuses == [("accepted", None), ("accepted", None)]
    again = storage.ingest(principal, [row, model], datetime.now(UTC))
    assert again.statuses == [("duplicate", None), ("duplicate", None)]
    assert str(uuid.UUID(model.id)) == model.id


def test_a_batch_with_one_stored_id_is_undone_and_sorted_out(tmp_path):
    storage, principal = collector(tmp_path)
    first = [rating(i + 1, reason="queue", score=1) for i in range(3)]
    post(storage, principal, first)
    later = [rating(4, score=1, reason="queue"), rating(5), first[2], rating(6)]
    answer = post(storage, principal, later)  # ids distinct, one already stored
    assert (answer["accepted"], answer["duplicate"]) == (3, 1)
    assert [(item["seq"], item["status"]) for item in answer["items"]] == [(3, "duplicate")]
    with storage.db.connection() as conn:
        seqs = [row[0] for row in conn.rows("SELECT ingest_seq FROM ratings ORDER BY 1")]
        assert conn.scalar("SELECT received FROM kiosks WHERE id = 'k1'") == 6
    assert seqs == list(range(1, 7))
    assert storage.check() == []  # roll-ups counted once


def test_only_a_taken_unique_key_is_a_duplicate(tmp_path):
    from sync.collector.db.connection import Database, Duplicate

    db = Database(str(tmp_path / "d.db"))
    with db.transaction(serialize=True) as conn:
        conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL)")
        conn.insert_many("t", ("k", "n"), [("a", 1)])
    with pytest.raises(Duplicate), db.transaction(serialize=True) as conn:
        conn.insert_many("t", ("k", "n"), [("b", 2), ("a", 3)])
    with pytest.raises(sqlite3.IntegrityError) as caught, db.transaction(serialize=True) as conn:
        conn.insert_many("t", ("k", "n"), [("c", None)])
    assert not isinstance(caught.value, Duplicate)
    with db.connection() as conn:
        assert conn.rows("SELECT k, n FROM t") == [("a", 1)]
