"""Benchmark 4: a kiosk's backlog of 1 000 000 queued ratings drained into the collector.

End to end and for real: a kiosk database holding the backlog unsynced (as if
the kiosk had been offline for months), a collector process on loopback, and
``hymy-kiosk sync --config ...`` (the "push everything now" command: gzip
batches, each marked synced on the kiosk only after the collector's answer),
once as the operator types it (no ``--batch-size``: ``[sync] batch_size``,
500, or 5000 - the collector's largest batch - once more than
``kiosk.cli.LARGE_BACKLOG`` ratings are pending) and once with
``--batch-size 500``, each on a fresh copy of the backlog and a fresh
collector.  The figure is the command's wall-clock time, start to exit;
the collector's ``check`` then confirms every roll-up.  Baseline, same run
(before and after, averaged): a bare ``executemany`` of the same rows into a
fresh database of the collector's schema, 500 rows per transaction, WAL,
``synchronous=FULL`` and the collector's cache and checkpoint settings
(``db.SQLITE_TUNING``) - the floor for storing them durably on this disk.

The backlog is brought to the kiosk's current schema (``kiosk.store``
migrations) before the clock starts, as the kiosk app does when it starts.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import (
    ROOT,
    Options,
    Row,
    fill_kiosk_store,
    kiosk_rows,
    ratio,
    running_collector,
    write_kiosk_config,
)

from sync.clock import format_utc, utc_now
from sync.collector.db.connection import SQLITE_TUNING, Database
from sync.collector.db.rollups import ROW

FULL = 1_000_000
TARGET_S = 60.0
STORE, KIOSK = "drain-store", "drain-1"


def backlog(folder: Path, n: int, cache: Path | None) -> Path:
    """A kiosk database with ``n`` unsynced ratings (copied from the cache when there)."""
    target = folder / "kiosk.db"
    cached = cache / f"kiosk-backlog-uuid7-{n}.db" if cache else None
    if cached is not None and cached.exists():
        shutil.copyfile(cached, target)
        if migrate_kiosk_store(target):  # made by an older kiosk: keep the migrated copy
            shutil.copyfile(target, cached)
        return target
    fill_kiosk_store(target, kiosk_rows(n, STORE, KIOSK, days=60, seed=4), STORE, KIOSK)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, cached)
    return target


def migrate_kiosk_store(path: Path) -> bool:
    """Apply the kiosk's pending migrations to a backlog file; True when there were any."""
    from kiosk.store import Store

    def schema() -> list[tuple]:
        conn = sqlite3.connect(path)
        try:
            return conn.execute("SELECT type, name, sql FROM sqlite_master"
                                " ORDER BY name").fetchall()
        finally:
            conn.close()

    before = schema()
    Store(path, STORE, KIOSK, "Europe/Helsinki").close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, to copy
    conn.close()
    return schema() != before


def bare_insert(kiosk_db: Path, target: Path) -> float:
    """Seconds to executemany the kiosk's rows into a fresh collector-schema database."""
    Database(str(target)).migrate()
    source = sqlite3.connect(kiosk_db)
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    for statement in SQLITE_TUNING:  # the collector's own settings: a fair floor
        conn.execute(statement)
    sql = f"INSERT INTO ratings ({', '.join(ROW)}) VALUES ({', '.join('?' for _ in ROW)})"
    received = format_utc(utc_now())
    cursor = source.execute(f"SELECT {', '.join(ROW[:12])} FROM ratings ORDER BY seq")
    began = time.perf_counter()
    while batch := cursor.fetchmany(500):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(sql, [(*row, received, 0) for row in batch])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    source.close()
    return elapsed


def drain(folder: Path, kiosk_db: Path, database: str | None = None,
          batch_size: int | None = None) -> tuple[float, str]:
    """Seconds for ``hymy-kiosk sync`` to push everything, and its summary line."""
    extra = ["--batch-size", str(batch_size)] if batch_size else []
    with running_collector(folder / "collector", database) as collector:
        collector.cli("store", "add", STORE, "--name", "Drain", "--timezone", "Europe/Helsinki")
        token = collector.cli("kiosk", "add", KIOSK, "--store", STORE).stdout.strip()
        config = write_kiosk_config(folder, kiosk_db, STORE, KIOSK, collector.url, token)
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "kiosk", "sync", "--config", str(config), "--no-progress",
             *extra],
            capture_output=True, text=True, cwd=ROOT, timeout=3600,
        )
        elapsed = time.perf_counter() - began
        if done.returncode != 0:
            raise RuntimeError(f"hymy-kiosk sync failed: {done.stdout}{done.stderr}")
        check = collector.cli("check", check=False)
        if check.returncode != 0:
            raise RuntimeError(f"collector check after the drain: {check.stdout}{check.stderr}")
    return elapsed, done.stdout.strip().splitlines()[-1]


def default_batch(pending: int) -> int:
    """The batch size ``hymy-kiosk sync`` picks without --batch-size (config: 500)."""
    from kiosk.cli import DRAIN_BATCH, LARGE_BACKLOG

    return DRAIN_BATCH if pending > LARGE_BACKLOG else 500


def run(options: Options) -> list[Row]:
    n = 20_000 if options.quick else FULL
    target_s = TARGET_S * n / FULL
    expected = f"sent {n}: {n} new"
    rows = []
    with tempfile.TemporaryDirectory(dir=options.workdir) as tmp:
        folder = Path(tmp)
        template = backlog(folder, n, options.cache)
        bare_before = bare_insert(template, folder / "bare1.db")
        drains = []
        for batch_size in (None, 500):
            work = folder / f"drain-{batch_size or 'default'}"
            work.mkdir()
            kiosk_db = work / "kiosk.db"
            shutil.copyfile(template, kiosk_db)
            drains.append((batch_size, *drain(work, kiosk_db, batch_size=batch_size)))
            shutil.rmtree(work)
        bare_after = bare_insert(template, folder / "bare2.db")
    bare = (bare_before + bare_after) / 2
    for batch_size, seconds, summary in drains:
        how = (f"--batch-size {batch_size}" if batch_size
               else f"default ({default_batch(n)}-rating batches)")
        rows.append(Row("4 backlog drain", f"{n:,} queued, hymy-kiosk sync, {how}",
                        f"{seconds:.1f} s ({n / seconds:,.0f}/s)",
                        f"{bare:.1f} s bare executemany", ratio(seconds, bare),
                        f"< {target_s:g} s", seconds < target_s and summary.startswith(expected),
                        summary))
    return rows


if __name__ == "__main__":
    for row in run(Options(quick="--quick" in sys.argv)):
        print(row)
