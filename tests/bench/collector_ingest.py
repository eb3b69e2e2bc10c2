"""Benchmark: ratings per second through ``POST /api/v1/batches`` on a real collector.

Starts ``hymy-collector serve`` on a fresh database, uploads pre-built gzip
batches of 500 ratings from a few client threads (one kiosk each), and prints
wall-clock throughput plus the server process's CPU time per rating, which is
the figure to compare with the "50 000 ratings/s on one core" target when the
client shares the machine.  Run: ``python tests/bench/collector_ingest.py``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import requests

from sync.clock import format_utc, utc_now
from sync.wire import encode, make_batch

sys.path.insert(0, str(Path(__file__).parent.parent))
from collectorkit import Collector  # noqa: E402


def bodies(store_id: str, kiosk_id: str, batches: int, size: int) -> list[tuple[bytes, dict]]:
    """Pre-encoded gzip batches with consecutive seqs over the last hours."""
    now = utc_now()
    out = []
    for number in range(batches):
        rows = []
        for i in range(size):
            seq = number * size + i + 1
            moment = now - timedelta(seconds=batches * size - seq)
            rows.append({
                "id": str(uuid.uuid4()), "seq": seq, "store_id": store_id, "kiosk_id": kiosk_id,
                "score": 1 + seq % 5, "scale": 5, "created_at": format_utc(moment),
                "local_date": moment.date().isoformat(), "lang": "fi",
                "reason": "queue" if seq % 9 == 0 else None, "suppressed": False,
                "survey_version": 1,
            })
        out.append(encode(make_batch(rows, {"pending": 0, "last_seq": seq})))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=100, help="batches per client thread")
    parser.add_argument("--size", type=int, default=500, help="ratings per batch")
    parser.add_argument("--threads", type=int, default=3, help="client threads (kiosks)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        collector = Collector(Path(workdir))
        collector.start("--log-level", "warning")
        try:
            stores = [collector.new_store() for _ in range(args.threads)]
            work = [bodies(s.store_id, s.kiosk_id, args.batches, args.size) for s in stores]
            accepted = [0] * args.threads

            def upload(index: int) -> None:
                session = requests.Session()
                token = stores[index].kiosk_token
                for data, headers in work[index]:
                    answer = session.post(collector.url + "/api/v1/batches", data=data,
                                          headers={**headers, "Authorization": f"Bearer {token}"})
                    answer.raise_for_status()
                    accepted[index] += answer.json()["accepted"]

            assert collector.process is not None
            cpu_before = cpu_seconds(collector.process.pid)
            started = time.perf_counter()
            threads = [threading.Thread(target=upload, args=(i,)) for i in range(args.threads)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            cpu = cpu_seconds(collector.process.pid) - cpu_before
        finally:
            collector.stop()
        total = sum(accepted)
        print(f"{total} ratings in {elapsed:.2f} s: {total / elapsed:,.0f} ratings/s wall clock")
        print(f"server CPU {cpu:.2f} s: {total / cpu:,.0f} ratings per CPU second")
        check = subprocess.run([sys.executable, "-m", "sync.collector", "check", "--database",
                                str(collector.database)], capture_output=True, text=True)
        print(check.stdout.strip() or check.stderr.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
