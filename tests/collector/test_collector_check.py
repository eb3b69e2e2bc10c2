"""``hymy-collector check`` recounts in SQL what ingest counted in Python: they agree on
every zone (half-hour offsets and DST steps inside an hour included), a planted
difference in any roll-up or seq counter is named and ``--repair`` puts it right, and
a terminal sees a progress bar."""

from __future__ import annotations

import fcntl
import os
import pty
import random
import struct
import subprocess
import sys
import termios
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from sync.collector import Database, Storage
from tests.support.mixed_chain import fill, mixed_rows

BIN = Path(sys.executable).parent


@pytest.fixture
def mixed_chain(chain_storage: Callable[..., Storage]) -> Storage:
    """A chain of awkward stores and ratings (:mod:`tests.support.mixed_chain`)."""
    return fill(chain_storage({}))


def test_recount_agrees_with_ingest_on_every_zone(mixed_chain):
    assert mixed_chain.check() == []


def test_planted_differences_are_named_and_repaired(mixed_chain):
    with mixed_chain.db.transaction(serialize=True) as conn:
        conn.execute("UPDATE hourly_counts SET n = n + 1 WHERE store_id = 'del'"
                     " AND local_date = (SELECT MIN(local_date) FROM hourly_counts"
                     " WHERE store_id = 'del')")
        conn.execute("DELETE FROM reason_counts WHERE store_id = 'ktm'")
        conn.execute("DELETE FROM ratings WHERE kiosk_id = 'lhi-k' AND seq = 5")
        # Helsinki's hours are counted in SQL (Delhi's minute by minute): one of its
        # rows moved to an hour no tap had is a missing row and an extra one.
        moved = conn.rows("SELECT local_date, hour, scale, score, n FROM hourly_counts"
                          " WHERE store_id = 'hki' ORDER BY local_date, hour, scale, score")[0]
        conn.execute("UPDATE hourly_counts SET hour = 99 WHERE store_id = 'hki'"
                     " AND local_date = ? AND hour = ? AND scale = ? AND score = ?", moved[:4])
    problems = mixed_chain.check()
    text = "\n".join(problems)
    assert "hourly_counts ('del'," in text
    day, hour, scale, score, n = moved
    assert f"hourly_counts ('hki', '{day}', {hour}, {scale}, {score}): stored 0, ratings say {n}" \
        in problems
    assert f"hourly_counts ('hki', '{day}', 99, {scale}, {score}): stored {n}, ratings say 0" \
        in problems
    assert "reason_counts ('ktm'," in text
    assert "daily_counts ('lhi'," in text and "running_counts ('lhi'," in text
    assert [line for line in problems if line.startswith("kiosk ")] == [
        f"kiosk lhi-k: stored max_seq/received/gaps {top}/{top}/0 ranges,"
        f" ratings say {top}/{top - 1}/1 ranges"
        for top in [mixed_chain.db.query("SELECT max_seq FROM kiosks WHERE id = 'lhi-k'")[0]
                    ["max_seq"]]
    ]
    assert mixed_chain.check(repair=True) == problems
    assert mixed_chain.check() == []
    gaps = mixed_chain.db.query("SELECT gap_start, gap_end FROM seq_gaps WHERE kiosk_id = 'lhi-k'")
    assert gaps == [{"gap_start": 5, "gap_end": 5}]


def test_a_terminal_sees_a_progress_bar(tmp_path):
    database = tmp_path / "collector.db"
    db = Database(str(database))
    db.migrate()
    fill(Storage(db))
    db.close()
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 wide
    done = subprocess.run([str(BIN / "hymy-collector"), "check", "--database", str(database)],
                          stdout=subprocess.PIPE, stderr=follower, timeout=120, check=True)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal is closed once everything is read
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert b"check" in shown and b"5/5" in shown and b"stored roll-ups done" in shown
    assert done.stdout.decode().strip() == "ok: roll-ups match"


def test_a_seq_taken_twice_is_a_gap_not_a_full_count(mixed_chain):
    """Two ratings with one seq (a kiosk restored from an old backup) and none with the
    next: as many ratings as the highest seq, yet a range is missing."""
    with mixed_chain.db.transaction(serialize=True) as conn:
        conn.execute("UPDATE ratings SET seq = 4 WHERE kiosk_id = 'hki-k' AND seq = 5")
    top = mixed_chain.db.query("SELECT max_seq FROM kiosks WHERE id = 'hki-k'")[0]["max_seq"]
    assert mixed_chain.check() == [
        f"kiosk hki-k: stored max_seq/received/gaps {top}/{top}/0 ranges,"
        f" ratings say {top}/{top}/1 ranges"
    ]
    mixed_chain.check(repair=True)
    gaps = mixed_chain.db.query("SELECT gap_start, gap_end FROM seq_gaps WHERE kiosk_id = 'hki-k'")
    assert gaps == [{"gap_start": 5, "gap_end": 5}]


def _named(table: str, changed: dict[tuple, tuple[int, int]]) -> list[str]:
    """The lines check gives for ``changed`` rows of ``table``: key -> (stored, ratings say)."""
    return sorted((f"{table} {key}: stored {stored}, ratings say {said}"
                   for key, (stored, said) in changed.items()), key=lambda line: line)


def _add(conn, table: str, keys: tuple[str, ...], key: tuple, by: int) -> tuple[int, int]:
    """Add ``by`` to a stored roll-up row (made when missing); its (new n, old n)."""
    where = " AND ".join(f"{name} = ?" for name in keys)
    old = conn.rows(f"SELECT n FROM {table} WHERE {where}", key)
    if old:
        conn.execute(f"UPDATE {table} SET n = n + ? WHERE {where}", (by, *key))
    else:
        conn.execute(f"INSERT INTO {table} ({', '.join(keys)}, n)"
                     f" VALUES ({', '.join('?' for _ in keys)}, ?)", (*key, by))
    before = old[0][0] if old else 0
    return before + by, before


HOURLY = ("store_id", "local_date", "hour", "scale", "score")
DAILY = ("store_id", "local_date", "kiosk_id", "scale", "score", "suppressed")
REASONS = ("store_id", "local_date", "reason", "scale", "score")


def test_taps_at_h_and_h_plus_2_told_as_two_at_h_plus_1_are_named(mixed_chain):
    """The day's count and the sum of its hours stay the same: only a fingerprint that
    is not linear in the hour (or the exact recount) tells them apart."""
    with mixed_chain.db.transaction(serialize=True) as conn:
        day, hour, scale, score = conn.rows(
            "SELECT a.local_date, a.hour, a.scale, a.score FROM hourly_counts a"
            " JOIN hourly_counts c ON c.store_id = a.store_id AND c.local_date = a.local_date"
            " AND c.scale = a.scale AND c.score = a.score AND c.hour = a.hour + 2"
            " WHERE a.store_id = 'hki' AND a.n > 0 AND c.n > 0"
            " ORDER BY a.local_date, a.hour LIMIT 1")[0]
        changed = {("hki", day, hour + step, scale, score): _add(
            conn, "hourly_counts", HOURLY, ("hki", day, hour + step, scale, score), by)
            for step, by in ((0, -1), (1, 2), (2, -1))}
    assert mixed_chain.check() == _named("hourly_counts", changed)


def test_a_tap_told_of_another_kiosk_of_the_same_store_is_named(mixed_chain):
    mixed_chain.add_kiosk("hki-k2", "hki")
    with mixed_chain.db.transaction(serialize=True) as conn:
        key = conn.rows("SELECT store_id, local_date, kiosk_id, scale, score, suppressed"
                        " FROM daily_counts WHERE store_id = 'hki' AND n > 0"
                        " ORDER BY local_date LIMIT 1")[0]
        other = (*key[:2], "hki-k2", *key[3:])
        changed = {key: _add(conn, "daily_counts", DAILY, key, -1),
                   other: _add(conn, "daily_counts", DAILY, other, 1)}
    assert mixed_chain.check() == _named("daily_counts", changed)


def test_a_suppressed_flag_flipped_in_the_daily_counts_is_named(mixed_chain):
    with mixed_chain.db.transaction(serialize=True) as conn:
        key = conn.rows("SELECT store_id, local_date, kiosk_id, scale, score, suppressed"
                        " FROM daily_counts WHERE store_id = 'ktm' AND n > 0 AND suppressed = 0"
                        " ORDER BY local_date LIMIT 1")[0]
        flipped = (*key[:5], 1)
        changed = {key: _add(conn, "daily_counts", DAILY, key, -1),
                   flipped: _add(conn, "daily_counts", DAILY, flipped, 1)}
    assert mixed_chain.check() == _named("daily_counts", changed)


def test_one_more_in_one_reason_row_and_one_fewer_in_another_of_the_day_is_named(mixed_chain):
    with mixed_chain.db.transaction(serialize=True) as conn:
        first, second = conn.rows(
            "SELECT store_id, local_date, reason, scale, score FROM reason_counts r"
            " WHERE n > 1 AND (SELECT COUNT(*) FROM reason_counts o WHERE o.n > 1"
            " AND o.store_id = r.store_id AND o.local_date = r.local_date) > 1"
            " ORDER BY store_id, local_date, reason, scale, score LIMIT 2")
        assert first[:2] == second[:2]
        changed = {first: _add(conn, "reason_counts", REASONS, first, 1),
                   second: _add(conn, "reason_counts", REASONS, second, -1)}
    assert mixed_chain.check() == _named("reason_counts", changed)


def test_more_reasons_than_a_fingerprint_numbers_are_compared_row_by_row(mixed_chain,
                                                                         monkeypatch):
    """A chain with more distinct reasons than :data:`MAX_REASONS` (here: any) has its
    reason counts compared key by key: a tap told of another reason, which the
    fingerprint no longer tells apart, is still named."""
    monkeypatch.setattr("sync.collector.db.recount.MAX_REASONS", 0)
    assert mixed_chain.check() == []
    with mixed_chain.db.transaction(serialize=True) as conn:
        key = conn.rows("SELECT store_id, local_date, reason, scale, score FROM reason_counts"
                        " WHERE n > 0 ORDER BY store_id, local_date LIMIT 1")[0]
        other = (*key[:2], f"{key[2]}-other", *key[3:])
        changed = {key: _add(conn, "reason_counts", REASONS, key, -1),
                   other: _add(conn, "reason_counts", REASONS, other, 1)}
    assert mixed_chain.check() == _named("reason_counts", changed)


def _seqs_of_two_dates(conn, kiosk_id: str) -> tuple[int, int]:
    """Two seqs of a kiosk's ratings on two different local dates, neither its highest."""
    return tuple(conn.rows(
        "SELECT a.seq, b.seq FROM ratings a JOIN ratings b ON b.kiosk_id = a.kiosk_id"
        " AND b.local_date > a.local_date WHERE a.kiosk_id = ?"
        " AND b.seq < (SELECT MAX(seq) FROM ratings WHERE kiosk_id = ?)"
        " ORDER BY a.local_date, a.seq, b.seq LIMIT 1", (kiosk_id, kiosk_id))[0])


def test_seqs_swapped_across_dates_agree(mixed_chain):
    """Two seqs swapped across local dates: the kiosk still has every seq once, so
    check finds nothing."""
    with mixed_chain.db.transaction(serialize=True) as conn:
        first, second = _seqs_of_two_dates(conn, "ktm-k")
        conn.execute("UPDATE ratings SET seq = CASE seq WHEN ? THEN ? ELSE ? END"
                     " WHERE kiosk_id = 'ktm-k' AND seq IN (?, ?)",
                     (first, second, first, first, second))
    assert mixed_chain.check() == []


def test_a_seq_taken_again_on_another_date_is_a_gap(mixed_chain):
    """A seq of one date repeated on a later date, in place of one no longer there: as
    many ratings as the highest seq, yet a range is missing."""
    with mixed_chain.db.transaction(serialize=True) as conn:
        first, second = _seqs_of_two_dates(conn, "ktm-k")
        conn.execute("UPDATE ratings SET seq = ? WHERE kiosk_id = 'ktm-k' AND seq = ?",
                     (first, second))
    top = mixed_chain.db.query("SELECT max_seq FROM kiosks WHERE id = 'ktm-k'")[0]["max_seq"]
    assert mixed_chain.check() == [
        f"kiosk ktm-k: stored max_seq/received/gaps {top}/{top}/0 ranges,"
        f" ratings say {top}/{top}/1 ranges"
    ]


def test_runs_of_seqs_that_overlap_across_dates_are_walked(chain_storage):
    """A kiosk's seqs in step with its dates, each date one run; shifting the second
    date's run down by one makes the runs overlap (seq 3 twice, the highest one lower):
    as many ratings as before, which the walk counts and the runs alone would not."""
    storage = chain_storage({"hel": "Europe/Helsinki"})
    rows = []
    for seq, day in enumerate(("2026-05-04", "2026-05-04", "2026-05-04", "2026-05-05",
                               "2026-05-05", "2026-05-06"), start=1):
        created = f"{day}T09:{seq:02d}:00.000Z"
        rows.append((str(uuid.UUID(int=seq, version=4)), seq, "hel", "hel-k", 4, 5, created,
                     day, "fi", None, 0, 1, created, 0))
    storage.bulk_insert("hel-k", rows)
    assert storage.check() == []
    with storage.db.transaction(serialize=True) as conn:
        conn.execute("UPDATE ratings SET seq = seq - 1 WHERE kiosk_id = 'hel-k' AND seq > 3")
    assert storage.check() == ["kiosk hel-k: stored max_seq/received/gaps 6/6/0 ranges,"
                               " ratings say 5/6/0 ranges"]


def test_taps_stored_while_checks_run_are_never_a_difference(mixed_chain):
    """The hourly and reason counts are checked on a second connection while the daily
    counts and seqs are checked on the first: each side reads its ratings and its roll-ups
    in one snapshot, so taps stored all the while are never reported as differences."""
    batches = [(kiosk, [(row[0], row[1] + 10_000 * round_, *row[2:]) for row in rows[i:i + 7]])
               for round_ in (1, 2)  # new ids; seqs moved past the chain's
               for kiosk, rows in mixed_rows(random.Random(98 + round_)).items()
               for i in range(0, len(rows), 7)]
    stored, failed = threading.Event(), []

    def ingest() -> None:
        try:
            for kiosk, rows in batches:
                mixed_chain.bulk_insert(kiosk, rows)
                stored.set()
        except Exception as error:  # noqa: BLE001 - told below
            failed.append(error)
            stored.set()

    writer = threading.Thread(target=ingest)
    writer.start()
    stored.wait(10)
    results = []
    while writer.is_alive():
        results.append(mixed_chain.check())
    writer.join()
    assert failed == []
    assert len(results) >= 3 and all(found == [] for found in results), results
    assert mixed_chain.check() == []
