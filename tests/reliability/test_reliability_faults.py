"""A long run of network faults between kiosks and the collector: delivered exactly once.

``SIZES.fault_kiosks`` simulated kiosks (``reliability.fleet``) tap
continuously and sync every 0.2 s through a fault-injecting proxy
(``tests/support/faultproxy.py``) that, for about half of all requests, picks at
random: a request cut half-way (reset mid-body), an answer lost after the
collector committed, an answer cut half-way, a delay, a stall past the
uploader's read timeout, 500, 502, 503 or 504, or 429 with ``Retry-After``.
After ``SIZES.fault_seconds`` the faults stop and the kiosks catch up; then
every rating is stored exactly once (``assert_fleet_delivered_once``) and
``hymy-collector check`` agrees.

Meanwhile the "UI" threads time every ``Store.record_tap``: a tap never waits
for the network, so even the slowest stays far below a second.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest

from tests.support.collector import Collector
from tests.support.faultproxy import (
    CUT_ANSWER,
    CUT_REQUEST,
    LOSE_ANSWER,
    PASS,
    Delay,
    FaultProxy,
    Respond,
)
from tests.support.fleet import assert_fleet_delivered_once, make_fleet
from tests.support.sizes import SIZES, percentile, record
from tests.support.sync import wait_for

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(1200)]

#: (name, weight, fault or a function of the random generator giving one)
FAULTS = [
    ("reset mid-request", 3, CUT_REQUEST),
    ("answer lost after commit", 3, LOSE_ANSWER),
    ("answer cut mid-body", 3, CUT_ANSWER),
    ("delay", 3, lambda rng: Delay(round(rng.uniform(0.05, 1.5), 2))),
    ("stall past timeout", 1, Delay(4.0)),
    ("500", 1, Respond(500)),
    ("502", 1, Respond(502)),
    ("503", 1, Respond(503, {"Retry-After": "1"})),
    ("504", 1, Respond(504)),
    ("429", 2, Respond(429, {"Retry-After": "1"})),
]


class RandomFaults(FaultProxy):
    """A FaultProxy that draws a fault for a share of the requests while ``active``."""

    def __init__(self, upstream_port: int, seed: int, share: float = 0.5):
        super().__init__(upstream_port)
        self.rng = random.Random(seed)
        self.share = share
        self.active = True
        self.injected: Counter[str] = Counter()
        self.passed = 0
        self._draw = threading.Lock()

    def _next_fault(self, path: str) -> object:
        with self._draw:
            if not self.active or self.rng.random() >= self.share:
                self.passed += 1
                return PASS
            names = [name for name, _, _ in FAULTS]
            weights = [weight for _, weight, _ in FAULTS]
            name = self.rng.choices(names, weights)[0]
            fault = dict((n, f) for n, _, f in FAULTS)[name]
            self.injected[name] += 1
            return fault(self.rng) if callable(fault) else fault


def test_random_network_faults_exactly_once_and_taps_stay_fast(tmp_path):
    workdir = tmp_path / "collector"
    workdir.mkdir()
    collector = Collector(workdir)
    collector.start()
    started = time.monotonic()
    try:
        with RandomFaults(collector.port, seed=3) as proxy:
            fleet = make_fleet(collector, tmp_path, SIZES.fault_kiosks, url=proxy.url,
                               store_id="faults", tap_gap=(0.0, 0.1))
            for index, kiosk in enumerate(fleet):
                kiosk.sync_timeout = (2, 3)
                kiosk.start(batch_size=(50, 200, 500)[index % 3])
            try:
                time.sleep(SIZES.fault_seconds)
                for kiosk in fleet:
                    kiosk.stop_taps()
                    kiosk.release_held()
                proxy.active = False
                wait_for(lambda: all(kiosk.pending() == 0 for kiosk in fleet), timeout=120,
                         interval=0.25, what="every kiosk caught up")
            finally:
                for kiosk in fleet:
                    kiosk.stop_sync()
            requests_seen = len(proxy.requests())
        totals = assert_fleet_delivered_once(collector, fleet)
    finally:
        collector.stop()
    taps = [seconds for kiosk in fleet for seconds in kiosk.tap_seconds]
    assert taps
    assert max(taps) < 1.0, f"a tap took {max(taps):.3f} s"
    injected = dict(proxy.injected)
    assert sum(injected.values()) >= 10, injected
    record(
        "network_faults", kiosks=len(fleet), seconds=round(time.monotonic() - started, 1),
        requests=requests_seen, faults_injected=sum(injected.values()),
        faults_by_type=injected, ratings=totals["ratings"], stored_once=totals["stored"],
        rows_lost=totals["lost"], rows_doubled=totals["doubled"], taps_timed=len(taps),
        tap_p50_ms=round(percentile(taps, 0.5) * 1000, 2),
        tap_p99_ms=round(percentile(taps, 0.99) * 1000, 2),
        tap_max_ms=round(max(taps) * 1000, 2),
    )
