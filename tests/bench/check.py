"""Benchmark 8: ``hymy-collector check`` on 10 000 000 ratings.

The chain is benchmark 5's (:func:`reads.chain`: 500 stores, a year, about
10 M ratings, cached with ``--cache``).  Figure: the wall time of
``hymy-collector check`` as a user runs it (a child process, progress bar
on stderr), which recounts every roll-up and each kiosk's seqs from the raw
ratings and compares them with the stored ones.  Baseline, run before and
after it: a bare ``GROUP BY`` recount of the daily counts (the
``daily_counts`` key, with ``COUNT(*)``) through ``sqlite3`` with the
collector's page cache, every group fetched.  Target (issue #18): within 3x
the baseline's wall time.  Run it with ``run.py --only check``.  Each time is
reported as wall and CPU seconds too (the machine is shared: CPU seconds move
less with the load; the check's two sorts run on two threads at once, so its
CPU seconds are more than its wall seconds and have no target).

The chain is migrated to the current schema before anything is timed: a
cached chain made by older code would otherwise have its migrations (over
two minutes at 10 M ratings) counted as part of ``check``.
"""

from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, Options, Row, median, ratio
from reads import FULL_RATINGS, FULL_STORES, chain

from sync.collector.db import Database
from sync.collector.db.connection import SQLITE_TUNING

TARGET = 3.0
RECOUNT = ("SELECT store_id, local_date, kiosk_id, scale, score, suppressed, COUNT(*)"
           " FROM ratings GROUP BY store_id, local_date, kiosk_id, scale, score, suppressed")


def bare_recount(path: Path) -> tuple[float, float]:
    """Wall and CPU seconds for the bare GROUP BY recount, every group fetched."""
    began, cpu = time.perf_counter(), time.process_time()
    with sqlite3.connect(path) as raw:
        for statement in SQLITE_TUNING:
            raw.execute(statement)
        raw.execute(RECOUNT).fetchall()
    return time.perf_counter() - began, time.process_time() - cpu


def migrate(path: Path) -> None:
    """Bring the chain's database to the current schema (not part of the figure)."""
    db = Database(str(path))
    try:
        db.migrate()
    finally:
        db.close()


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed_check(path: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds for ``hymy-collector check`` and its last line of output."""
    began, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([str(Path(sys.executable).parent / "hymy-collector"), "check",
                           "--database", str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=7200)
    seconds, cpu = time.perf_counter() - began, _children_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"check failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    return seconds, cpu, done.stdout.strip().splitlines()[-1]


def run(options: Options) -> list[Row]:
    ratings, stores = (200_000, 50) if options.quick else (FULL_RATINGS, FULL_STORES)
    with tempfile.TemporaryDirectory(dir=options.workdir) as tmp:
        path, count = chain(Path(tmp), ratings, stores, options.cache)
        migrate(path)
        bare_recount(path)  # warm the page cache for both alike
        base = [bare_recount(path)]
        seconds, cpu, said = timed_check(path)
        base.append(bare_recount(path))
    baseline, base_cpu = median([b[0] for b in base]), median([b[1] for b in base])
    name = f"hymy-collector check, {count / 1e6:.1f} M ratings"
    return [
        Row("8 check", name, f"{seconds:.1f} s", f"{baseline:.1f} s bare GROUP BY recount",
            ratio(seconds, baseline), f"<= {TARGET:g}x", seconds <= TARGET * baseline,
            note=f"check said: {said}; baselines (wall) "
                 f"{', '.join(f'{b[0]:.1f}' for b in base)} s"),
        Row("8 check", f"{name}, CPU seconds", f"{cpu:.1f} s",
            f"{base_cpu:.1f} s bare GROUP BY recount", ratio(cpu, base_cpu), "-", None,
            note=f"baselines (CPU) {', '.join(f'{b[1]:.1f}' for b in base)} s; check sorts on"
                 " two threads at once, so its CPU seconds exceed its wall seconds"),
    ]

