"""Load: many simulated kiosks syncing at once on loopback; no errors, nothing lost.

``SIZES.load_kiosks`` kiosks (200 in full mode), each with its own kiosk token
made through the admin API, post small gzip batches for
``SIZES.load_seconds`` (60 s in full mode) from ``tests/support/loadgen.py``
(threads spread over 4 processes), each request bounded by the deadline and a
per-kiosk cap.  Then: no request failed (429/503 answered with Retry-After
are back-pressure and re-sent, counted apart), every rating sent is stored
exactly once, ``hymy-collector check`` agrees, and p50/p99 ingest latency is
reported.
"""

from __future__ import annotations

import time

import pytest

from tests.support import loadgen
from tests.support.collector import Collector
from tests.support.fleet import register
from tests.support.sizes import SIZES, percentile, record

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(900)]


def test_many_kiosks_sync_concurrently_without_errors_or_loss(tmp_path):
    workdir = tmp_path / "collector"
    workdir.mkdir()
    collector = Collector(workdir)
    collector.start()
    try:
        tokens: dict[str, str] = {}
        stores = max(1, SIZES.load_kiosks // 20)
        for store in range(stores):
            ids = [f"load{store}-k{i}" for i in range(store, SIZES.load_kiosks, stores)]
            made = register(collector, f"load{store}", ids)
            tokens.update({f"load{store}/{kiosk}": token for kiosk, token in made.items()})
        assert len(tokens) == SIZES.load_kiosks
        started = time.monotonic()
        result = loadgen.run(collector.url, tokens, SIZES.load_seconds, processes=4)
        elapsed = time.monotonic() - started
        assert not result["errors"], result["errors"][:5]
        exported = collector.export()[0]
        ids = [row["id"] for row in exported]
        doubled = len(ids) - len(set(ids))
        lost = result["ratings_sent"] - len(set(ids))
        assert doubled == 0, f"{doubled} ratings stored twice"
        assert lost == 0, f"{lost} of {result['ratings_sent']} ratings sent are missing"
        check = collector.cli("check", check=False)
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        collector.stop()
    latencies = result["latencies"]
    record(
        "load", kiosks=SIZES.load_kiosks, seconds=round(elapsed, 1),
        batches=len(latencies), requests=result["requests"],
        ratings_sent=result["ratings_sent"], ratings_stored=len(ids),
        rows_lost=lost, rows_doubled=doubled,
        errors=len(result["errors"]), backpressure_429_503=result["backpressure"],
        statuses={str(k): v for k, v in sorted(result["statuses"].items())},
        batches_per_s=round(len(latencies) / SIZES.load_seconds, 1),
        p50_ms=round(percentile(latencies, 0.5) * 1000, 1),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 1),
        max_ms=round(max(latencies) * 1000, 1),
    )
