"""SIGKILL the collector at random moments while several kiosks sync without pause.

``SIZES.crash_kiosks`` simulated kiosks (``reliability.fleet``: a real
``kiosk.store.Store`` each, taps recorded continuously on a "UI" thread, a
real ``SyncThread`` uploading every 0.2 s) deliver to one real collector
process.  The collector is SIGKILLed ``SIZES.crash_kills`` times at random
moments - in the middle of a batch, a roll-up, a commit - and restarted on
the same database.  Afterwards:

- every rating every kiosk holds is synced (acknowledged) and stored exactly
  once with its kiosk, seq and score; export ids are unique;
- the collector sees no missing seq for any kiosk;
- ``hymy-collector check`` recomputes the roll-ups and seq tracking from raw
  ratings and finds no difference (exit 0).
"""

from __future__ import annotations

import json
import random
import time

import pytest

from tests.support.collector import Collector
from tests.support.fleet import assert_fleet_delivered_once, make_fleet
from tests.support.sizes import SIZES, record
from tests.support.sync import wait_for

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(900)]


def test_collector_sigkilled_during_sustained_ingest(tmp_path, collector_database, backend):
    rng = random.Random(11)
    workdir = tmp_path / "collector"
    workdir.mkdir()
    collector = Collector(workdir, collector_database)
    collector.start()
    fleet = make_fleet(collector, tmp_path, SIZES.crash_kiosks, store_id="crash")
    for kiosk in fleet:
        kiosk.start(batch_size=rng.choice((25, 100, 250)))
    started = time.monotonic()
    kills = 0
    try:
        gap = SIZES.crash_seconds / SIZES.crash_kills
        for _ in range(SIZES.crash_kills):
            time.sleep(rng.uniform(0.2, 1.8 * gap))
            collector.process.kill()  # SIGKILL, by pid
            collector.process.wait(10)
            kills += 1
            time.sleep(rng.uniform(0.0, 1.0))
            collector.start()
        remaining = SIZES.crash_seconds - (time.monotonic() - started)
        time.sleep(max(1.0, remaining))
        for kiosk in fleet:
            kiosk.stop_taps()
            kiosk.release_held()
        wait_for(lambda: all(kiosk.pending() == 0 for kiosk in fleet), timeout=180,
                 interval=0.25, what="every kiosk fully synced")
    finally:
        for kiosk in fleet:
            kiosk.stop_sync()
    try:
        totals = assert_fleet_delivered_once(collector, fleet)
        answers = [json.loads(line) for line in collector.log_path.read_text().splitlines()
                   if line.startswith("{") and '"path": "/api/v1/batches"' in line]
        record(
            f"collector_crash_{backend}", kiosks=len(fleet), kills=kills, ratings=totals["ratings"],
            stored_once=totals["stored"], batches_answered=len(answers),
            duplicates_after_kills=sum(a.get("duplicate", 0) for a in answers),
            rows_lost=totals["lost"], rows_doubled=totals["doubled"],
            seconds=round(time.monotonic() - started, 1),
        )
    finally:
        collector.stop()
