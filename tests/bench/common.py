"""What every benchmark shares: result rows, percentiles, /proc readings, servers to run.

A benchmark module exposes ``run(options) -> list[Row]``; ``run.py`` prints the
rows as one table.  Each row carries its own baseline, measured in the same
run (interleaved with the figure where the two are short), so the ratio still
means something on a shared, noisy 2-core machine.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:  # sync, kiosk and tests.support
    sys.path.insert(0, str(ROOT))

from sync.clock import format_utc, local_date, utc_now, zone  # noqa: E402
from sync.wire import new_rating_id  # noqa: E402
from tests.support.collector import Collector, free_port  # noqa: E402, F401


@dataclass
class Options:
    """Command-line choices every benchmark sees."""

    quick: bool = False
    cache: Path | None = None
    postgres: str | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))


@dataclass
class Row:
    """One line of the results table."""

    benchmark: str
    figure: str
    value: str
    baseline: str
    ratio: str = ""
    target: str = ""
    met: bool | None = None
    note: str = ""


def ratio(mine: float, theirs: float) -> str:
    """``mine / theirs`` as ``1.23x`` (``-`` when the baseline is zero)."""
    return f"{mine / theirs:.2f}x" if theirs else "-"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of a list, nearest-rank (NaN for an empty list)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return percentile(values, 50)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mib(pid: int | str = "self") -> dict[str, float]:
    """``VmRSS`` (resident now) and ``VmHWM`` (peak resident) of a process, in MiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


def machine() -> dict[str, str]:
    """The facts docs/performance.md records about where figures were taken."""
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    mem = next(line.split(":", 1)[1].strip() for line in
               Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    return {"cpus": str(os.cpu_count()), "cpu": cpu, "memory": mem,
            "python": sys.version.split()[0], "sqlite": sqlite3.sqlite_version,
            "load": " ".join(Path("/proc/loadavg").read_text().split()[:3])}


def run_alone(run: Callable[[Options], list[Row]]) -> None:
    """Run one benchmark module by hand (``python tests/bench/NAME.py [--quick]
    [--cache DIR]``) and print its rows."""
    chosen = Options(quick="--quick" in sys.argv)
    if "--cache" in sys.argv:
        chosen.cache = Path(sys.argv[sys.argv.index("--cache") + 1])
    for row in run(chosen):
        print(row)


# -- collectors -----------------------------------------------------------------


@contextlib.contextmanager
def running_collector(workdir: Path, database: str | None = None,
                      *args: str) -> Iterator[Collector]:
    """A collector process (single worker, warnings only) for the length of a block."""
    workdir.mkdir(parents=True, exist_ok=True)
    collector = Collector(workdir, database)
    collector.start("--log-level", "warning", *args)
    try:
        yield collector
    finally:
        collector.stop()


# -- PostgreSQL -------------------------------------------------------------------


def postgres_supported() -> str | None:
    """None when the collector can use PostgreSQL; otherwise why not."""
    from sync.collector.db.connection import Database, DatabaseError

    try:
        Database("postgresql://127.0.0.1:1/none", create=False)
    except DatabaseError as error:  # no backend yet, or psycopg missing
        return str(error)
    except Exception:  # a connection error means the backend exists and tried
        return None
    return None


@contextlib.contextmanager
def throwaway_postgres(workdir: Path) -> Iterator[str]:
    """A private PostgreSQL server on a free loopback port; yields a postgresql:// URL.

    Like ``tests/support/pgserver.py`` (whose binaries lookup and root handling it
    reuses) but durable: fsync, synchronous_commit and full-page writes stay
    on, as in production, so it compares fairly with SQLite's
    ``synchronous=FULL``.  Stopped and removed afterwards.
    """
    from tests.support import pgserver as pgserver

    bindir = pgserver.find_bindir()
    run_as = pgserver._run_as()
    folder = Path(tempfile.mkdtemp(prefix="hymy-bench-pg-"))  # not 0700 workdir: runs as postgres
    if run_as:
        os.chown(folder, run_as["user"], run_as["group"])
    data = folder / "data"
    try:
        subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", "hymy", "--auth=trust",
                        "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
                       check=True, capture_output=True, timeout=120, **run_as)
        port = free_port()
        options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
                   " -c max_connections=100 -c shared_buffers=256MB")
        subprocess.run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"),
                        "-o", options, "-w", "-t", "60", "start"],
                       check=True, capture_output=True, timeout=90, **run_as)
        try:
            yield f"postgresql://hymy@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                            "stop"], capture_output=True, timeout=60, **run_as)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- data ------------------------------------------------------------------------------


@contextlib.contextmanager
def fixture_storage(path: Path) -> Iterator[Any]:
    """A new migrated collector database at ``path`` for a generator, durability off
    (a fixture, not a figure); checkpointed, analysed and closed after the block.
    Yields its :class:`~sync.collector.db.storage.Storage`."""
    from sync.collector.db.connection import Database
    from sync.collector.db.storage import Storage

    db = Database(str(path))
    db.migrate()
    with db.connection() as conn:  # the pool is LIFO: later transactions reuse this one
        conn.raw.execute("PRAGMA synchronous=OFF")
        conn.raw.execute("PRAGMA cache_size=-1000000")
    try:
        yield Storage(db)
        with db.connection() as conn:
            conn.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.raw.execute("ANALYZE")
    finally:
        db.close()


def cached_database(target: Path, cache: Path | None, name: str,
                    make: Callable[[Path], Any]) -> Path:
    """``target``, copied from ``cache/name`` when that exists, else made by ``make(target)``
    (and kept there for the next run when ``cache`` is given)."""
    cached = cache / name if cache else None
    if cached is not None and cached.exists():
        shutil.copyfile(cached, target)
    else:
        make(target)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, cached)
    return target


def kiosk_rows(n: int, store_id: str, kiosk_id: str, tz: str = "Europe/Helsinki",
               days: float = 2.0, seed: int = 1, first_seq: int = 1) -> list[dict[str, Any]]:
    """``n`` rating rows as a kiosk stores and sends them, spread over the last ``days``."""
    rng = random.Random(seed)
    tzinfo = zone(tz)
    now = utc_now()
    start = now - timedelta(days=days)
    step = days * 86400 / max(n, 1)
    rows = []
    for i in range(n):
        moment = start + timedelta(seconds=i * step)
        score = rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 3, 6, 8))[0]
        rows.append({
            "id": new_rating_id(moment, rng.getrandbits(74)), "seq": first_seq + i,
            "store_id": store_id, "kiosk_id": kiosk_id, "score": score, "scale": 5,
            "created_at": format_utc(moment), "local_date": local_date(moment, tzinfo),
            "lang": rng.choice(("fi", "fi", "sv", "en")),
            "reason": rng.choice(("queue", "staff")) if score <= 2 and rng.random() < 0.6
            else None,
            "suppressed": rng.random() < 0.015, "survey_version": 0,
        })
    return rows


def fill_kiosk_store(path: Path, rows: list[dict[str, Any]], store_id: str, kiosk_id: str,
                     tz: str = "Europe/Helsinki") -> None:
    """A kiosk database holding ``rows`` unsynced, as if tapped one by one (fast bulk path)."""
    from kiosk.store import Store

    Store(path, store_id, kiosk_id, tz).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO ratings (id, seq, store_id, kiosk_id, score, scale, created_at,"
        " local_date, lang, reason, suppressed, survey_version) VALUES"
        " (:id, :seq, :store_id, :kiosk_id, :score, :scale, :created_at, :local_date, :lang,"
        " :reason, :suppressed, :survey_version)", rows,
    )
    last = rows[-1] if rows else None
    conn.execute("INSERT OR REPLACE INTO state (key, value) VALUES ('next_seq', ?)",
                 (str((last["seq"] if last else 0) + 1),))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def write_kiosk_config(folder: Path, database: Path, store_id: str, kiosk_id: str,
                       url: str = "", token: str = "", **settings: Any) -> Path:
    """A kiosk TOML config for ``python -m kiosk``."""
    import json

    from kiosk.pin import hash_pin

    values = {"store_id": store_id, "kiosk_id": kiosk_id, "timezone": "Europe/Helsinki",
              "database": str(database), "staff_pin_hash": hash_pin("2468", iterations=1000),
              "fullscreen": False, **settings}
    lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    if url:
        lines += ["", "[sync]", f"url = {json.dumps(url)}", f"token = {json.dumps(token)}",
                  "interval = 3600"]
    path = folder / "kiosk.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
