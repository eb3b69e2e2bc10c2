"""Benchmark 1: the tap path vs a bare sqlite3 INSERT + COMMIT with the same pragmas.

The kiosk thanks the shopper only after ``Store.record_tap`` committed; this
measures that call against the cheapest durable write SQLite can do, in the
same run and on the same disk, so the ratio means something on a noisy machine.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from kiosk.store import Store


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of a list, nearest-rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def bare_commits(path: Path, n: int) -> list[float]:
    """Milliseconds per INSERT + COMMIT on a WAL, synchronous=FULL table of the same shape."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE ratings (id TEXT PRIMARY KEY, seq INTEGER UNIQUE, store_id TEXT, "
        "kiosk_id TEXT, score INT, scale INT, created_at TEXT, local_date TEXT, lang TEXT, "
        "suppressed INT)"
    )
    times = []
    for seq in range(1, n + 1):
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO ratings VALUES (?, ?, 's', 'k', 5, 5, '2026-01-01T00:00:00.000Z', "
            "'2026-01-01', 'fi', 0)",
            [str(uuid.uuid4()), seq],
        )
        conn.execute("COMMIT")
        times.append((time.perf_counter() - start) * 1000)
    conn.close()
    return times


def tap_path(path: Path, n: int) -> list[float]:
    """Milliseconds per ``Store.record_tap`` (suppression check, seq counter, commit)."""
    store = Store(path, "bench-store", "bench-kiosk", "Europe/Helsinki")
    times = []
    for i in range(n):
        start = time.perf_counter()
        store.record_tap(1 + i % 5, 5, "fi", interval=5.0)
        times.append((time.perf_counter() - start) * 1000)
    store.close()
    return times


def run(n: int = 2000) -> list[tuple[str, str, str, str]]:
    """Rows of (benchmark, figure, baseline, ratio)."""
    with tempfile.TemporaryDirectory() as tmp:
        base = bare_commits(Path(tmp) / "bare.db", n)
        ours = tap_path(Path(tmp) / "tap.db", n)
    rows = []
    for label, q in (("median", 50), ("p99", 99)):
        mine, theirs = percentile(ours, q), percentile(base, q)
        rows.append((f"tap path {label} (ms)", f"{mine:.3f}", f"{theirs:.3f}",
                     f"{mine / theirs:.2f}x"))
    rows.append(("tap path mean (ms)", f"{statistics.mean(ours):.3f}",
                 f"{statistics.mean(base):.3f}",
                 f"{statistics.mean(ours) / statistics.mean(base):.2f}x"))
    return rows


if __name__ == "__main__":
    for row in run():
        print(" | ".join(row))
