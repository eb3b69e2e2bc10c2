"""Kiosk health from a real upload to ``GET /api/v1/kiosks``: stored, then ordered worst first.

A real kiosk ``Store`` in a temp folder uploads through the real uploader to a
collector app in this process on loopback (``tests/support/inprocess.py``);
the health it reports is read back from the JSON API.  The fleet's order is
checked on kiosks whose last contact is set the way ``hymy-collector demo``
sets it.
"""

from __future__ import annotations

import functools
import os
import time
from datetime import timedelta

import pytest

from kiosk.store import health as store_health
from sync import __version__
from sync.clock import format_utc, utc_now
from sync.uploader import Uploader
from sync.wire import KioskStatus
from tests.support.inprocess import collector_in_process
from tests.support.uploading import ZONE, held, kiosk_store, register, tap


@pytest.fixture
def collector(tmp_path):
    with collector_in_process(tmp_path / "collector.db") as running:
        running.office = running.storage.add_token("office").token
        yield running


def fleet(collector, token, query: str = "") -> list[dict]:
    answer = collector.call("GET", "/api/v1/kiosks" + query, token)
    assert answer.status == 200, answer.body
    return answer.body["kiosks"]


def test_a_kiosk_reports_its_health_with_every_batch_and_the_collector_keeps_it(
        collector, tmp_path):
    token = register(collector, "s1", "k1")
    store = kiosk_store(tmp_path / "kiosk", "s1", "k1")
    tap(store, 5)
    store.mark_rejected({store.pending(5)[-1]["id"]: "a reason"})  # the newest: no gap
    started = time.monotonic() - 3600
    uploader = Uploader(store, collector.url, token,
                        health=functools.partial(store_health, store.path, "Europe/Oslo", started))
    assert uploader.push_all().sent == 4

    [kiosk] = fleet(collector, collector.office)
    disk = os.statvfs(store.path.parent)
    on_disk = sum(p.stat().st_size for p in store.path.parent.glob("kiosk.db*")
                  if not p.name.endswith("-shm"))
    assert (kiosk["kiosk_id"], kiosk["store_id"], kiosk["rejected"]) == ("k1", "s1", 1)
    assert 3600 <= kiosk["uptime_s"] < 3600 + 60
    assert kiosk["disk_total_bytes"] == disk.f_blocks * disk.f_frsize
    assert abs(kiosk["disk_free_bytes"] - disk.f_bavail * disk.f_frsize) < 50_000_000
    assert 0 < kiosk["database_bytes"] <= on_disk + 1_000_000
    # The config names Oslo, the store is in Helsinki; one rating was rejected.
    assert (kiosk["config_timezone"], kiosk["store_timezone"]) == ("Europe/Oslo", ZONE)
    assert kiosk["state"] == "unhealthy" and kiosk["problems"] == ["rejected", "timezone"]
    store.close()


def test_a_failing_health_probe_never_stops_the_ratings(collector, tmp_path):
    token = register(collector, "s1", "k1")
    store = kiosk_store(tmp_path / "kiosk", "s1", "k1")
    tap(store, 3)

    def broken() -> dict:
        raise OSError("statvfs: no such file")

    assert Uploader(store, collector.url, token, health=broken).push_all().sent == 3
    [kiosk] = fleet(collector, collector.office)
    assert (kiosk["app_version"], kiosk["uptime_s"], kiosk["disk_free_bytes"]) == (
        __version__, None, None)
    assert kiosk["state"] == "ok" and len(held(collector, "k1")) == 3
    store.close()


def report(collector, kiosk_id: str, ago: timedelta, **health) -> None:
    """Give a kiosk a last contact ``ago`` and a self-report, as a batch would."""
    status = KioskStatus(app_version=health.pop("app_version", "1.4.0"), pending=0,
                         last_seq=0, timezone=ZONE, **health)
    collector.storage.record_contact(kiosk_id, format_utc(utc_now() - ago), 0.0, status)


def test_silent_then_unhealthy_kiosks_come_first_and_retired_ones_are_left_out(collector):
    for kiosk_id in ("a-ok", "a-silent", "a-disk", "a-never", "a-retired"):
        register(collector, "a", kiosk_id)
    for kiosk_id in ("b-old", "b-ok", "b-silent"):
        register(collector, "b", kiosk_id)
    minute, day = timedelta(minutes=1), timedelta(days=1)
    report(collector, "a-ok", minute, disk_free_bytes=10**10, disk_total_bytes=2 * 10**10)
    report(collector, "a-silent", 3 * day)
    report(collector, "a-disk", minute, disk_free_bytes=400_000_000)
    report(collector, "a-retired", 9 * day)
    report(collector, "b-old", minute, app_version="1.3.9")
    report(collector, "b-ok", minute, app_version="1.10.0")
    report(collector, "b-silent", timedelta(hours=2, minutes=5))
    collector.storage.retire_kiosk("a-retired")
    # 1.4.0 is older than 1.10.0: the newest decides, compared as numbers.
    expected = [("a-silent", "silent"), ("b-silent", "silent"), ("a-disk", "unhealthy"),
                ("a-ok", "unhealthy"), ("b-old", "unhealthy"), ("a-never", "never"),
                ("b-ok", "ok")]
    found = fleet(collector, collector.office)
    assert [(k["kiosk_id"], k["state"]) for k in found] == expected
    assert {k["kiosk_id"]: k["problems"] for k in found}["a-disk"] == ["disk", "version"]
    assert fleet(collector, collector.office) == found  # the same order every time
    assert [k["kiosk_id"] for k in fleet(collector, collector.office, "?store=b")] == [
        "b-silent", "b-old", "b-ok"]


def test_staff_read_only_their_stores_kiosks(collector):
    register(collector, "a", "a-1")
    register(collector, "b", "b-1")
    staff = collector.storage.add_token("staff", "a").token
    assert [k["kiosk_id"] for k in fleet(collector, staff)] == ["a-1"]
    other = collector.call("GET", "/api/v1/kiosks?store=b", staff)
    assert (other.status, other.detail) == (403, "this staff token may only read store 'a'")
    missing = collector.call("GET", "/api/v1/kiosks?store=zz", collector.office)
    assert (missing.status, missing.detail) == (404, "no store 'zz'")
    kiosk_token = collector.storage.add_kiosk("a-2", "a").token
    assert collector.call("GET", "/api/v1/kiosks", kiosk_token).status == 403
