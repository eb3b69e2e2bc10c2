"""Benchmark 5: reads at 10 000 000 ratings over 500 stores.

The chain: 500 stores (the demo's profiles: one to three kiosks, Helsinki,
Stockholm and Tallinn, weekday and hour shapes) with a year of taps, about
10 M in all, written with :meth:`Storage.insert_rows` - the code path ingest
uses, so the roll-ups are what real uploads would leave - one transaction per
store, with durability off while generating (it is a fixture, not a figure).

Figures: a store's daily CSAT for 365 days (``GET /api/v1/stores/ID/daily``)
and the all-stores ranking over the same year (``GET /api/v1/ranking``),
through HTTP on a running collector and in-process via
:mod:`sync.collector.reports`; median (and p95) of repeated requests.
Baseline, interleaved: the raw ``GROUP BY`` over the ``ratings`` table that
the same answer would need without roll-ups.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from common import (
    Options,
    Row,
    cached_database,
    fixture_storage,
    median,
    percentile,
    ratio,
    run_alone,
    running_collector,
)

from sync.clock import utc_now, zone
from sync.collector import demo, reports
from sync.collector.db.connection import Database
from sync.collector.db.storage import Storage

FULL_RATINGS, FULL_STORES = 10_000_000, 500
TARGET_MS = 50.0


def generate(path: Path, ratings: int, stores: int, days: int = 365, seed: int = 7) -> int:
    """A collector database with about ``ratings`` taps over ``stores`` stores; their count."""
    with fixture_storage(path) as storage:
        return _fill(storage, ratings, stores, days, seed)


def _fill(storage: Storage, ratings: int, stores: int, days: int, seed: int) -> int:
    """Add the chain's stores, kiosks and taps; their number."""
    rng = random.Random(seed)
    now = utc_now()
    profiles = demo.profiles(stores, rng)
    per_store_day = ratings / stores / days
    mean_daily = sum(p.daily for p in profiles) / len(profiles)
    total = 0
    for profile in profiles:
        # Same shapes as the demo, scaled so the chain adds up to about ``ratings``.
        profile.daily *= per_store_day / mean_daily
        storage.add_store(profile.store_id, profile.name, profile.timezone)
        for kiosk_id in profile.kiosks:
            storage.add_kiosk(kiosk_id, profile.store_id)
        today = now.astimezone(zone(profile.timezone)).date()
        per_kiosk: dict[str, list[tuple]] = {k: [] for k in profile.kiosks}
        for days_ago in range(days - 1, -1, -1):
            day = today - timedelta(days=days_ago)
            iso = day.isoformat()
            for created, kiosk_index, score, reason, suppressed, lang in demo.taps(
                profile, day, days_ago, days, rng, now
            ):
                kiosk_id = profile.kiosks[kiosk_index]
                rows = per_kiosk[kiosk_id]
                rating_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                rows.append((rating_id, len(rows) + 1, profile.store_id, kiosk_id, score,
                             profile.scale, created, iso, lang, reason, int(suppressed), 1,
                             created, 0))
        for kiosk_id, rows in per_kiosk.items():
            storage.bulk_insert(kiosk_id, rows)
            total += len(rows)
    return total


def chain(folder: Path, ratings: int, stores: int, cache: Path | None) -> tuple[Path, int]:
    """The generated database (from the cache when there) and its number of ratings."""
    target = cached_database(folder / "reads.db", cache, f"reads-{ratings}-{stores}.db",
                             lambda path: generate(path, ratings, stores))
    with sqlite3.connect(target) as conn:
        count = conn.execute("SELECT max(ingest_seq) FROM ratings").fetchone()[0]
    return target, count


def timed(call: Any, repeat: int) -> list[float]:
    """Milliseconds of ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        out.append((time.perf_counter() - began) * 1000)
    return out


def run(options: Options) -> list[Row]:
    ratings, stores = (200_000, 50) if options.quick else (FULL_RATINGS, FULL_STORES)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(dir=options.workdir) as tmp:
        folder = Path(tmp)
        path, count = chain(folder, ratings, stores, options.cache)
        db = Database(str(path))
        storage = Storage(db)
        store_id = storage.stores()[0]["id"]
        end = utc_now().astimezone(storage.zone(store_id)).date()
        start = (end - timedelta(days=364)).isoformat()
        end_s = end.isoformat()
        raw = sqlite3.connect(path)
        raw_daily = (
            "SELECT local_date, scale, score, suppressed, count(*) FROM ratings"
            " WHERE store_id = ? AND local_date BETWEEN ? AND ? GROUP BY 1, 2, 3, 4"
        )
        raw_rank = (
            "SELECT store_id, scale, score, suppressed, count(*) FROM ratings"
            " WHERE local_date BETWEEN ? AND ? GROUP BY 1, 2, 3, 4"
        )
        with running_collector(folder / "server", str(path)) as collector:
            session = requests.Session()
            auth = {"Authorization": f"Bearer {collector.office_token}"}
            period = {"from": start, "to": end_s}

            def get(route: str) -> None:
                answer = session.get(collector.url + route, params=period, headers=auth,
                                     timeout=120)
                answer.raise_for_status()

            cases = [
                ("daily CSAT, 1 store x 365 days",
                 lambda: get(f"/api/v1/stores/{store_id}/daily"),
                 lambda: reports.daily_report(storage, store_id, start, end_s),
                 lambda: raw.execute(raw_daily, (store_id, start, end_s)).fetchall()),
                (f"ranking, {stores} stores x 365 days",
                 lambda: get("/api/v1/ranking"),
                 lambda: reports.ranking_report(storage, start, end_s, 30),
                 lambda: raw.execute(raw_rank, (start, end_s)).fetchall()),
            ]
            repeat = 5 if options.quick else 10
            for name, http, inproc, baseline in cases:
                http(), inproc()  # warm caches for both sides alike
                baseline()
                http_ms, inproc_ms, base_ms = [], [], []
                for _ in range(3):
                    http_ms += timed(http, repeat)
                    inproc_ms += timed(inproc, repeat)
                    base_ms += timed(baseline, 1)
                base = median(base_ms)
                for how, values in (("HTTP", http_ms), ("in-process", inproc_ms)):
                    mid = median(values)
                    rows.append(Row(
                        "5 reads", f"{name}, {how}, {count / 1e6:.1f} M ratings",
                        f"{mid:.1f} ms (p95 {percentile(values, 95):.1f})",
                        f"{base:.0f} ms raw GROUP BY", ratio(mid, base), f"< {TARGET_MS:g} ms",
                        mid < TARGET_MS))
        raw.close()
        db.close()
    return rows


if __name__ == "__main__":
    run_alone(run)
