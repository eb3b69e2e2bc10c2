"""Benchmark 7: exporting 500 000 ratings as CSV, XLSX and Parquet, time and peak memory.

The chain is benchmark 5's generator (:func:`reads.generate`) at 500 000
ratings over 50 stores.  Each export runs in a fresh child process, so its
peak resident memory (``VmHWM``) is its own: the child reads every rating
after cursor 0 through the code the export routes use
(:func:`~sync.collector.api.export.window_pages`, 10 000 rows a page) and
writes the file (CSV through ``render``; XLSX and Parquet through
``file_chunks``, what the API and the dashboard stream) to a temporary file.

Baseline, run the same way: the bare ``csv`` module writing the same rows
straight from a ``sqlite3`` cursor, no dicts, no new columns, no typing.
The target is memory: each format's peak stays within 150 MiB of the
baseline's, whatever the row count (the rows are never all in memory).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, Options, Row, memory_mib, ratio
from reads import chain

FULL_RATINGS, STORES = 500_000, 50
#: Peak memory a format may use above the bare csv module's.
HEADROOM_MIB = 150
FORMATS = ("csv", "xlsx", "parquet")


def child(fmt: str, database: str, output: str) -> dict[str, float]:
    """Export every rating of ``database`` as ``fmt`` into ``output``; time, size, memory."""
    import csv
    import sqlite3

    from sync.collector.api.export import (
        RATING_COLUMNS,
        StoreNames,
        file_chunks,
        render,
        window_pages,
    )
    from sync.collector.columns import RATING_COLUMNS as DECLARED
    from sync.collector.db.connection import Database
    from sync.collector.db.storage import EXPORT_COLUMNS, Storage

    if fmt == "parquet":
        import pyarrow.parquet  # noqa: F401 - loaded before the start figure, as in a server
    start = memory_mib()["VmRSS"]
    began = time.perf_counter()
    if fmt == "baseline":
        with sqlite3.connect(database) as raw, open(output, "w", newline="") as text:
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(EXPORT_COLUMNS)
            writer.writerows(raw.execute(
                f"SELECT {', '.join(EXPORT_COLUMNS)} FROM ratings ORDER BY ingest_seq"))
    else:
        storage = Storage(Database(database))
        count, _, _ = storage.export_window(0, 10**12)
        pages = window_pages(storage, StoreNames(storage), 0, count)
        with open(output, "wb") as out:
            if fmt == "csv":
                out.write(render([], RATING_COLUMNS, "csv").encode())
                for page in pages:
                    out.write(render(page, RATING_COLUMNS, "csv", header=False).encode())
            else:
                for chunk in file_chunks(fmt, "ratings", DECLARED, pages):
                    out.write(chunk)
    seconds = time.perf_counter() - began
    peak = memory_mib()["VmHWM"]
    return {"seconds": seconds, "start_mib": start, "peak_mib": peak,
            "bytes": Path(output).stat().st_size}


def measure(fmt: str, database: Path, folder: Path) -> dict[str, float]:
    """:func:`child` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", fmt, str(database), str(folder / f"out.{fmt}")],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=3600,
    )
    return json.loads(done.stdout.splitlines()[-1])


def run(options: Options) -> list[Row]:
    ratings = 50_000 if options.quick else FULL_RATINGS
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(dir=options.workdir) as tmp:
        folder = Path(tmp)
        path, count = chain(folder, ratings, STORES, options.cache)
        base = measure("baseline", path, folder)
        for fmt in FORMATS:
            found = measure(fmt, path, folder)
            rows.append(Row(
                "7 export", f"{fmt}, {count:,} ratings, all columns",
                f"{found['seconds']:.1f} s, peak {found['peak_mib']:.0f} MiB "
                f"({found['start_mib']:.0f} at start), {found['bytes'] / 2**20:.0f} MiB file",
                f"{base['seconds']:.1f} s, peak {base['peak_mib']:.0f} MiB bare csv module",
                ratio(found["seconds"], base["seconds"]),
                f"peak <= baseline + {HEADROOM_MIB} MiB",
                found["peak_mib"] <= base["peak_mib"] + HEADROOM_MIB))
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(*sys.argv[2:5])))
    else:
        for row in run(Options(quick="--quick" in sys.argv)):
            print(row)
