"""Benchmark 6: resident memory of the kiosk after a day of taps and of the collector under load.

Read from ``/proc/PID/status``: ``VmRSS`` (resident now) and ``VmHWM`` (the
peak).  Baselines are the same processes right after start.

- Kiosk: the real app (``kiosk_probe.py`` under Xvfb, sync off) takes 5 000
  taps - a busy terminal's day - through its tap handler, a few per frame.
- Collector: one ``serve`` process ingests 500-rating batches from two
  kiosks without pause (250 000 ratings); RSS is sampled as it goes, and the
  second half's growth shows whether it levels off.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

from collector_ingest import Client, bodies
from common import (
    Options,
    Row,
    fill_kiosk_store,
    kiosk_rows,
    memory_mib,
    ratio,
    running_collector,
    write_kiosk_config,
)
from ui_frames import probe, xvfb

TAPS = 5_000
GROWTH = 1.5


def kiosk_rows_after_taps(options: Options, folder: Path) -> list[Row]:
    taps = 500 if options.quick else TAPS
    database = folder / "kiosk.db"
    # Start from a kiosk that already holds a week of synced-looking history.
    fill_kiosk_store(database, kiosk_rows(2_000, "mem-store", "mem-1", days=7), "mem-store",
                     "mem-1")
    config = write_kiosk_config(folder, database, "mem-store", "mem-1", response_interval=0,
                                thanks_delay=0.5)
    with xvfb() as display:
        found = probe(folder, config, "taps", str(taps), display=display)
    start, end = found["marks"]["memory_start"], found["marks"]["memory_end"]
    return [Row("6 memory", f"kiosk app RSS after {taps:,} taps "
                f"({found['marks'].get('taps_s', 0):.0f} s)",
                f"{end['VmRSS']:.0f} MiB (peak {end['VmHWM']:.0f})",
                f"{start['VmRSS']:.0f} MiB at start", ratio(end["VmRSS"], start["VmRSS"]),
                f"<= {GROWTH}x start", end["VmRSS"] <= GROWTH * start["VmRSS"])]


def collector_rows(options: Options, folder: Path) -> list[Row]:
    batches = 20 if options.quick else 250
    with running_collector(folder / "collector") as collector:
        assert collector.process is not None
        pid = collector.process.pid
        stores = [collector.new_store() for _ in range(2)]
        work = [bodies(s.store_id, s.kiosk_id, batches) for s in stores]
        time.sleep(0.5)
        idle = memory_mib(pid)
        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(memory_mib(pid)["VmRSS"])
                done.wait(0.2)

        def upload(index: int) -> None:
            client = Client(collector.url, stores[index].kiosk_token)
            for data, headers in work[index]:
                client.post(data, headers)

        sampler = threading.Thread(target=sample)
        sampler.start()
        began = time.perf_counter()
        threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        done.set()
        sampler.join()
        end = memory_mib(pid)
    half = samples[len(samples) // 2] if samples else end["VmRSS"]
    total = 2 * batches * 500
    return [Row("6 memory", f"collector RSS after {total:,} ratings of sustained ingest "
                f"({elapsed:.0f} s)", f"{end['VmRSS']:.0f} MiB (peak {end['VmHWM']:.0f})",
                f"{idle['VmRSS']:.0f} MiB idle", ratio(end["VmHWM"], idle["VmRSS"]),
                f"<= {GROWTH}x idle", end["VmHWM"] <= GROWTH * idle["VmRSS"],
                f"{half:.0f} MiB at half-time")]


def run(options: Options) -> list[Row]:
    with tempfile.TemporaryDirectory(dir=options.workdir) as tmp:
        folder = Path(tmp)
        (folder / "kiosk").mkdir()
        rows = kiosk_rows_after_taps(options, folder / "kiosk")
        rows += collector_rows(options, folder)
    return rows


if __name__ == "__main__":
    for row in run(Options(quick="--quick" in sys.argv)):
        print(row)
