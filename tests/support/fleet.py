"""A few simulated kiosks for the crash and fault scenarios: real stores, real sync threads.

Each :class:`SimKiosk` has its own SQLite file (``kiosk.store.Store``), a
"UI" thread that records taps at random moments through ``Store.record_tap``
(the call the app's tap handler makes) and times each one, and a
``sync.uploader.SyncThread`` pushing to the collector (or to a fault proxy
in front of it).  Kiosks are registered through the collector's admin API.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.store import Store
from sync.uploader import Backoff, SyncThread

TIMEZONE = "Europe/Helsinki"


def register(collector: Any, store_id: str, kiosk_ids: list[str]) -> dict[str, str]:
    """Create a store and its kiosks through the admin API; kiosk id -> token."""
    made = collector.request("POST", "/api/v1/stores", collector.admin_token,
                             json={"id": store_id, "name": store_id, "timezone": TIMEZONE})
    assert made.status_code == 201, made.text
    tokens = {}
    for kiosk_id in kiosk_ids:
        answer = collector.request("POST", f"/api/v1/stores/{store_id}/kiosks",
                                   collector.admin_token, json={"id": kiosk_id})
        assert answer.status_code == 201, answer.text
        tokens[kiosk_id] = answer.json()["token"]
    return tokens


@dataclass
class SimKiosk:
    """One kiosk: its database file, a tapping thread and a sync thread."""

    path: Path
    store_id: str
    kiosk_id: str
    token: str
    url: str
    seed: int
    tap_gap: tuple[float, float] = (0.0, 0.05)
    sync_timeout: tuple[float, float] = (2, 10)
    tap_seconds: list[float] = field(default_factory=list)
    statuses: list[dict] = field(default_factory=list)

    def open(self) -> Store:
        return Store(self.path, self.store_id, self.kiosk_id, TIMEZONE)

    def start(self, batch_size: int = 200, interval: float = 0.2) -> None:
        # Create the file first, as the app does before its threads start (two
        # threads migrating a brand-new file at once can meet "database is locked").
        self.open().close()
        self._stop_taps = threading.Event()
        self._tapper = threading.Thread(target=self._tap_loop, daemon=True,
                                        name=f"taps-{self.kiosk_id}")
        self.sync = SyncThread(
            self.open, self.url, self.token, interval=interval, batch_size=batch_size,
            backoff=Backoff(base=0.05, cap=1.0), on_status=self.statuses.append,
            uploader_options={"timeout": self.sync_timeout},
        )
        self._tapper.start()
        self.sync.start()

    def _tap_loop(self) -> None:
        rng = random.Random(self.seed)
        store = self.open()
        try:
            while not self._stop_taps.is_set():
                score = rng.randint(1, 5)
                started = time.perf_counter()
                tap = store.record_tap(score, 5, rng.choice(("fi", "sv", "en")), interval=0,
                                       ask_reason=score <= 2 and rng.random() < 0.5)
                self.tap_seconds.append(time.perf_counter() - started)
                if score <= 2 and rng.random() < 0.5:
                    store.set_reason(tap.id, rng.choice(("queue", "staff", "prices")))
                self._stop_taps.wait(rng.uniform(*self.tap_gap))
        finally:
            store.close()

    def stop_taps(self) -> None:
        self._stop_taps.set()
        self._tapper.join(30)
        assert not self._tapper.is_alive()

    def release_held(self) -> None:
        """Taps still waiting for a follow-up answer go out now (as after the 2-minute hold)."""
        store = self.open()
        try:
            store.db.execute("UPDATE ratings SET awaiting_reason = 0")
        finally:
            store.close()

    def stop_sync(self) -> None:
        self.sync.stop(30)

    def pending(self) -> int:
        store = self.open()
        try:
            return store.stats()["pending"]
        finally:
            store.close()

    def rows(self) -> list[tuple]:
        store = self.open()
        try:
            return store.db.execute(
                "SELECT id, seq, score, synced_at, rejected_reason FROM ratings ORDER BY seq"
            ).fetchall()
        finally:
            store.close()


def make_fleet(collector: Any, folder: Path, count: int, url: str | None = None,
               store_id: str = "fleet", seed: int = 1, **options: Any) -> list[SimKiosk]:
    """``count`` kiosks of one store, registered at ``collector``, syncing to ``url``."""
    ids = [f"{store_id}-k{i}" for i in range(1, count + 1)]
    tokens = register(collector, store_id, ids)
    return [
        SimKiosk(folder / f"{kiosk_id}.db", store_id, kiosk_id, tokens[kiosk_id],
                 url or collector.url, seed * 1000 + i, **options)
        for i, kiosk_id in enumerate(ids)
    ]


def assert_fleet_delivered_once(collector: Any, fleet: list[SimKiosk]) -> dict[str, int]:
    """Every kiosk rating synced, stored exactly once, seqs complete, roll-ups consistent.

    Returns the figures it measured: ``ratings`` (kiosk rows), ``stored``,
    ``lost`` (kiosk rows the collector lacks) and ``doubled`` (ids stored twice).
    """
    exported = collector.export()[0]
    ids = [row["id"] for row in exported]
    doubled = len(ids) - len(set(ids))
    assert doubled == 0, f"{doubled} ratings stored twice"
    by_id = {row["id"]: row for row in exported}
    local_total = 0
    lost = sum(1 for kiosk in fleet for rating_id, *_ in kiosk.rows() if rating_id not in by_id)
    assert lost == 0, f"{lost} kiosk ratings missing at the collector"
    for kiosk in fleet:
        rows = kiosk.rows()
        local_total += len(rows)
        assert rows, f"{kiosk.kiosk_id} recorded no taps"
        assert all(synced for _, _, _, synced, _ in rows), f"{kiosk.kiosk_id}: not all synced"
        assert not any(rejected for *_, rejected in rows), f"{kiosk.kiosk_id}: rejections"
        assert [seq for _, seq, *_ in rows] == list(range(1, len(rows) + 1))
        for rating_id, seq, score, _, _ in rows:
            stored = by_id.get(rating_id)
            assert stored is not None, f"{kiosk.kiosk_id}: rating seq {seq} lost"
            assert (stored["kiosk_id"], stored["seq"], stored["score"]) == (
                kiosk.kiosk_id, seq, score)
    fleet_ids = {kiosk.kiosk_id for kiosk in fleet}
    fleet_rows = [row for row in exported if row["kiosk_id"] in fleet_ids]
    assert len(fleet_rows) == local_total, "the collector holds ratings no kiosk has"
    kiosks = collector.request("GET", f"/api/v1/stores/{fleet[0].store_id}/kiosks",
                               collector.office_token).json()["kiosks"]
    for status in kiosks:
        if status["id"] in fleet_ids:
            assert status["missing"] == 0 and status["unsent"] == 0, status
    check = collector.cli("check", check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    return {"ratings": local_total, "stored": len(fleet_rows), "lost": lost, "doubled": doubled}
