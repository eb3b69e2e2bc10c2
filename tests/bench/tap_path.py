"""Benchmark 1: the tap path vs a bare sqlite3 INSERT + COMMIT with the same pragmas.

The kiosk thanks the shopper only after ``Store.record_tap`` committed (the
tap handler ``HymyApp.rate`` calls it, then switches screens).  This times that
call against the cheapest durable write SQLite can do: one INSERT into a table
of the same shape and a COMMIT, WAL, ``synchronous=FULL``, on the same disk.
The two alternate tap by tap, so a busy neighbour slows both alike.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from common import Options, Row, median, percentile, ratio

from kiosk.store import Store
from sync.wire import new_rating_id

TARGET = 1.5


class BareTable:
    """A WAL, synchronous=FULL table shaped like the kiosk's, written one commit at a time."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        # The kiosk's keys (kiosk/store.py, migration m003): seq is the rowid, id is
        # UNIQUE.  No secondary indexes and no seq or suppression logic: the seq
        # comes from a Python counter, the id from the kiosk's own generator.
        self.conn.execute(
            "CREATE TABLE ratings (id TEXT NOT NULL UNIQUE, seq INTEGER PRIMARY KEY, "
            "store_id TEXT, kiosk_id TEXT, score INT, scale INT, created_at TEXT, "
            "local_date TEXT, lang TEXT, suppressed INT)"
        )
        self.seq = 0

    def commit_one(self) -> float:
        """Milliseconds for one INSERT + COMMIT."""
        self.seq += 1
        start = time.perf_counter()
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(
            "INSERT INTO ratings VALUES (?, ?, 's', 'k', 5, 5, '2026-01-01T00:00:00.000Z', "
            "'2026-01-01', 'fi', 0)",
            [new_rating_id(datetime.now(UTC)), self.seq],  # the kiosk's kind of id
        )
        self.conn.execute("COMMIT")
        return (time.perf_counter() - start) * 1000

    def close(self) -> None:
        self.conn.close()


def measure(folder: Path, n: int) -> tuple[list[float], list[float]]:
    """Milliseconds per tap and per bare commit, alternating, ``n`` of each."""
    bare = BareTable(folder / "bare.db")
    store = Store(folder / "tap.db", "bench-store", "bench-kiosk", "Europe/Helsinki")
    taps, commits = [], []
    try:
        for i in range(n):
            commits.append(bare.commit_one())
            start = time.perf_counter()
            store.record_tap(1 + i % 5, 5, "fi", interval=0.0)
            taps.append((time.perf_counter() - start) * 1000)
    finally:
        store.close()
        bare.close()
    return taps, commits


def run(options: Options) -> list[Row]:
    n = 300 if options.quick else 3000
    with tempfile.TemporaryDirectory(dir=options.workdir) as tmp:
        taps, commits = measure(Path(tmp), n)
    rows = []
    for label, mine, theirs in (
        ("median", median(taps), median(commits)),
        ("p99", percentile(taps, 99), percentile(commits, 99)),
    ):
        rows.append(Row("1 tap path", f"record_tap {label}, {n} taps", f"{mine:.3f} ms",
                        f"{theirs:.3f} ms bare INSERT+COMMIT", ratio(mine, theirs),
                        f"<= {TARGET}x", mine <= TARGET * theirs))
    return rows


if __name__ == "__main__":
    for row in run(Options()):
        print(" | ".join(map(str, (row.figure, row.value, row.baseline, row.ratio, row.met))))
