"""Benchmark 7: exporting 500 000 ratings as CSV, JSON Lines, XLSX and Parquet: rate and memory.

The chain is benchmark 5's generator (:func:`reads.generate`) at 500 000
ratings over 50 stores.  Each export runs in a fresh child process, so its
peak resident memory (``VmHWM``) is its own: the child reads every rating
after cursor 0 through the code the export routes use
10 000 rows a page and writes the file - CSV and JSON Lines through
:func:`~sync.collector.rating_pages.text_pages` (lines built and a page
joined by the database), what the API and ``hymy-collector export`` write; XLSX and
Parquet through ``ratings_file`` (pages from ``window_rows``),
what the API and the dashboard stream - to a temporary file.  Then the same
CSV and JSON Lines through the real front doors: ``hymy-collector export``
(a child process, start-up included) and ``GET /api/v1/export/ratings``
over HTTP on loopback, 100 000 rows a pull (the most a pull may ask), each
response streamed into the file 1 MiB at a time (as a puller of big files
reads them: ``requests``' ``.content`` alone costs the client on the same two
cores 0.5-1.5 CPU s more than the server's whole JSON Lines export).

Baseline, run the same way: the bare ``csv`` module writing the 15 stored
columns straight from a ``sqlite3`` cursor, no store names, local times or
formula checks.  Targets: CSV and JSON Lines at 300 000 ratings/s or more
and within 2x the baseline's time (issue #18); each format's peak memory
within 150 MiB of the baseline's, whatever the row count.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from common import ROOT, Options, Row, memory_mib, ratio, running_collector
from reads import chain

FULL_RATINGS, STORES = 500_000, 50
#: Peak memory a format may use above the bare csv module's.
HEADROOM_MIB = 150
FORMATS = ("csv", "jsonl", "xlsx", "parquet")
#: Formats with a rate target: ratings a second, and the most times the baseline's time.
RATE, TIMES = 300_000, 2.0


def child(fmt: str, database: str, output: str) -> dict[str, float]:
    """Export every rating of ``database`` as ``fmt`` into ``output``; time, size, memory."""
    import csv
    import sqlite3

    from sync.collector.api.export import ratings_file, window_rows
    from sync.collector.db.connection import Database
    from sync.collector.db.storage import EXPORT_COLUMNS, Storage
    from sync.collector.rating_pages import StoreNames, text_pages

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
        stores = StoreNames(storage)
        if fmt in ("csv", "jsonl"):  # pages of UTF-8 bytes, as the API sends them
            with open(output, "wb") as out:
                for text, _, _ in text_pages(storage, stores, 0, count, fmt):
                    out.write(text)
        else:
            with open(output, "wb") as out:
                for chunk in ratings_file(fmt, stores, window_rows(storage, 0, count)):
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


def through_cli(fmt: str, database: Path, folder: Path) -> float:
    """Seconds for ``hymy-collector export`` to write every rating as ``fmt``, start-up included."""
    began = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "hymy-collector"), "export", "--format", fmt,
                    "--output", str(folder / f"cli.{fmt}"), "--database", str(database)],
                   cwd=ROOT, capture_output=True, check=True, timeout=3600)
    return time.perf_counter() - began


def through_api(fmt: str, database: Path, folder: Path) -> float:
    """Seconds to pull every rating as ``fmt`` from ``GET /api/v1/export/ratings`` over HTTP,
    100 000 a pull, streamed into a file (the collector's start-up not included)."""
    with running_collector(folder / "server", str(database)) as collector, \
            requests.Session() as session, open(folder / f"api.{fmt}", "wb") as out:
        auth = {"Authorization": f"Bearer {collector.office_token}"}
        began, after, more = time.perf_counter(), "0", "true"
        while more == "true":
            answer = session.get(collector.url + "/api/v1/export/ratings", headers=auth,
                                 params={"after": after, "limit": 100_000, "format": fmt},
                                 timeout=600, stream=True)
            answer.raise_for_status()
            for chunk in answer.iter_content(1 << 20):
                out.write(chunk)
            after, more = answer.headers["X-Next-Cursor"], answer.headers["X-More"]
        return time.perf_counter() - began


def rate_row(figure: str, count: int, seconds: float, base: dict[str, float],
             extra: str = "") -> Row:
    """A CSV or JSON Lines figure against the rate target and the baseline."""
    rate = count / seconds
    return Row("7 export", figure, f"{seconds:.1f} s = {rate:,.0f}/s{extra}",
               f"{base['seconds']:.1f} s = {count / base['seconds']:,.0f}/s bare csv module",
               ratio(seconds, base["seconds"]), f">= {RATE:,}/s, <= {TIMES:g}x",
               rate >= RATE and seconds <= TIMES * base["seconds"])


def run(options: Options) -> list[Row]:
    ratings = 50_000 if options.quick else FULL_RATINGS
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(dir=options.workdir) as tmp:
        folder = Path(tmp)
        path, count = chain(folder, ratings, STORES, options.cache)
        base = measure("baseline", path, folder)
        for fmt in FORMATS:
            found = measure(fmt, path, folder)
            memory = (f", peak {found['peak_mib']:.0f} MiB ({found['start_mib']:.0f} at start),"
                      f" {found['bytes'] / 2**20:.0f} MiB file")
            rows.append(Row(
                "7 export", f"{fmt}, {count:,} ratings, all columns",
                f"{found['seconds']:.1f} s{memory}",
                f"{base['seconds']:.1f} s, peak {base['peak_mib']:.0f} MiB bare csv module",
                ratio(found["seconds"], base["seconds"]),
                f"peak <= baseline + {HEADROOM_MIB} MiB",
                found["peak_mib"] <= base["peak_mib"] + HEADROOM_MIB))
            if fmt in ("csv", "jsonl"):
                rows.append(rate_row(f"{fmt} rate, in-process", count, found["seconds"], base))
        for fmt in ("csv", "jsonl"):
            rows.append(rate_row(f"{fmt} rate, hymy-collector export", count,
                                 through_cli(fmt, path, folder), base, " (start-up included)"))
            rows.append(rate_row(f"{fmt} rate, API over HTTP, 100,000 a pull", count,
                                 through_api(fmt, path, folder), base))
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(*sys.argv[2:5])))
    else:
        for row in run(Options(quick="--quick" in sys.argv)):
            print(row)
