"""Issue 14: a rejected tap is never a dead end, and the collector is the source of truth.

Real components only: a collector process on loopback (``sync_collector``:
store s1 "Test store" in Europe/Helsinki, kiosk k1), a real kiosk SQLite file
written by :class:`kiosk.store.Store`, and the real ``hymy-kiosk`` command in
a subprocess.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.store import Store
from sync.clock import utc_now
from tests.support.sync import KIOSK_ID, STORE_ID, TIMEZONE, hymy_kiosk, kiosk_config, record

#: The example config's store id (assets/kiosk.example.toml).
EXAMPLE_STORE = "helsinki-kamppi"
STOCKHOLM = "Europe/Stockholm"
#: Monday 12 January 2026, 23:30 in Stockholm: 22:30 UTC, already Tuesday 00:30 in Helsinki.
MONDAY_2330_STOCKHOLM = datetime(2026, 1, 12, 23, 30, tzinfo=ZoneInfo(STOCKHOLM)).astimezone(UTC)


def rows(database: Path) -> list[tuple]:
    """``(seq, store_id, synced, rejected_reason)`` of every kiosk rating."""
    store = Store(database, STORE_ID, KIOSK_ID, TIMEZONE)
    try:
        return store.db.execute(
            "SELECT seq, store_id, synced_at IS NOT NULL, rejected_reason FROM ratings"
            " ORDER BY seq"
        ).fetchall()
    finally:
        store.close()


def stored(collector) -> list[dict]:
    """The collector's ratings (export API)."""
    return collector.export()[0]


def test_example_store_id_rejected_then_resent_once(sync_collector, tmp_path):
    """Example store_id: rejected, sync exits 4 with the reason; fixed + resend: stored once."""
    sync_collector.start()
    db = tmp_path / "kiosk.db"
    config = tmp_path / "kiosk.toml"
    kiosk_config(config, db, sync_collector.url, sync_collector.kiosk_token,
                 store_id=EXAMPLE_STORE)
    record(db, EXAMPLE_STORE, 5)

    done = hymy_kiosk("sync", "--config", str(config))
    assert done.returncode == 4, done.stdout + done.stderr
    assert "5 rejected" in done.stdout
    assert ("5 x store_id 'helsinki-kamppi' does not match this kiosk's token"
            in done.stderr), done.stderr
    assert "store_id: the config says 'helsinki-kamppi', the collector 's1'" in done.stderr
    assert f"hymy-kiosk resend-rejected --config {config}" in done.stderr
    assert "Traceback" not in done.stderr
    assert [r[3] is not None for r in rows(db)] == [True] * 5  # kept, none deleted
    assert stored(sync_collector) == []

    # Nothing resends them while the config is still wrong: the next sync leaves them be.
    again = hymy_kiosk("sync", "--config", str(config))
    assert again.returncode == 0, again.stderr
    assert "5 rejected earlier, kept here" in again.stdout and "sent 0" in again.stdout

    # check-config names both values.
    checked = hymy_kiosk("check-config", "--config", str(config))
    assert checked.returncode == 2
    assert ("store_id: the config says 'helsinki-kamppi' but the collector's token is for"
            " store 's1'") in checked.stderr

    kiosk_config(config, db, sync_collector.url, sync_collector.kiosk_token)  # fixed
    assert hymy_kiosk("check-config", "--config", str(config)).returncode == 0
    resent = hymy_kiosk("resend-rejected", "--config", str(config))
    assert resent.returncode == 0, resent.stdout + resent.stderr
    assert "5 rejected rating(s) back in the queue as store s1, kiosk k1" in resent.stdout
    assert "sent 5: 5 new" in resent.stdout

    kept = rows(db)
    assert [(seq, store_id, synced, reason) for seq, store_id, synced, reason in kept] == [
        (seq, STORE_ID, 1, None) for seq in range(1, 6)]
    ratings = stored(sync_collector)
    assert sorted(r["seq"] for r in ratings) == [1, 2, 3, 4, 5]  # each once, no gap
    assert {r["store_id"] for r in ratings} == {STORE_ID}
    assert sync_collector.kiosk()["received"] == 5 and sync_collector.kiosk()["missing"] == 0

    # A second resend finds nothing, a sync sends nothing again: still stored once.
    assert "0 rejected rating(s)" in hymy_kiosk("resend-rejected", "--config",
                                                str(config)).stdout
    assert len(stored(sync_collector)) == 5


def test_a_corrected_store_id_resends_by_itself(sync_collector, tmp_path):
    """Ratings rejected under another store_id go again at the next sync once it is fixed."""
    sync_collector.start()
    db = tmp_path / "kiosk.db"
    config = kiosk_config(tmp_path / "kiosk.toml", db, sync_collector.url,
                          sync_collector.kiosk_token, store_id=EXAMPLE_STORE)
    record(db, EXAMPLE_STORE, 3)
    assert hymy_kiosk("sync", "--config", str(config)).returncode == 4
    record(db, EXAMPLE_STORE, 2, at=utc_now() - timedelta(minutes=10))  # still wrong, pending

    kiosk_config(config, db, sync_collector.url, sync_collector.kiosk_token)  # fixed
    done = hymy_kiosk("sync", "--config", str(config))
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("5 rating(s) recorded under another store_id or kiosk_id (rejected or waiting)"
            " go as store s1, kiosk k1") in done.stdout
    assert "sent 5: 5 new" in done.stdout
    assert sorted(r["seq"] for r in stored(sync_collector)) == [1, 2, 3, 4, 5]
    assert sync_collector.kiosk()["missing"] == 0


def add_stockholm(collector) -> str:
    """Store "sto" (Europe/Stockholm) with kiosk k-sto; its kiosk token."""
    collector.admin(["store", "add", "sto", "--name", "Stockholm Odenplan",
                     "--timezone", STOCKHOLM])
    return collector.admin(["kiosk", "add", "k-sto", "--store", "sto"])


def test_check_config_catches_a_time_zone_the_collector_disagrees_with(sync_collector,
                                                                        tmp_path):
    token = add_stockholm(sync_collector)
    sync_collector.start()
    config = kiosk_config(tmp_path / "kiosk.toml", tmp_path / "kiosk.db", sync_collector.url,
                          token, store_id="sto", kiosk_id="k-sto", timezone=TIMEZONE)
    done = hymy_kiosk("check-config", "--config", str(config))
    assert done.returncode == 2, done.stdout + done.stderr
    assert ("timezone: the config says 'Europe/Helsinki' but the collector has store 'sto'"
            " in time zone 'Europe/Stockholm'") in done.stderr
    assert 'set timezone = "Europe/Stockholm"' in done.stderr

    kiosk_config(config, tmp_path / "kiosk.db", sync_collector.url, token,
                 store_id="sto", kiosk_id="k-sto", timezone=STOCKHOLM)
    done = hymy_kiosk("check-config", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert "the collector agrees: store sto (Stockholm Odenplan), kiosk k-sto" in done.stdout

    kiosk_config(config, tmp_path / "kiosk.db", sync_collector.url, "not-a-token",
                 store_id="sto", kiosk_id="k-sto", timezone=STOCKHOLM)
    done = hymy_kiosk("check-config", "--config", str(config))
    assert done.returncode == 3 and "token rejected" in done.stderr


def test_a_2330_stockholm_tap_lands_on_the_stockholm_day(sync_collector, tmp_path):
    """A Stockholm store left on the example's Helsinki: Monday 23:30 stays Monday."""
    token = add_stockholm(sync_collector)
    sync_collector.start()
    db = tmp_path / "kiosk.db"
    config = kiosk_config(tmp_path / "kiosk.toml", db, sync_collector.url, token,
                          store_id="sto", kiosk_id="k-sto", timezone=TIMEZONE)
    # A kiosk that never reached the collector dates the tap in its config's zone...
    store = Store(db, "sto", "k-sto", TIMEZONE)
    first = store.record_tap(2, 5, "sv", now=MONDAY_2330_STOCKHOLM, survey_version=0)
    store.close()
    assert first.local_date == "2026-01-13"
    done = hymy_kiosk("sync", "--config", str(config))
    assert done.returncode == 0, done.stdout + done.stderr
    # ...and the collector files it on the store's own day all the same.
    [rating] = stored(sync_collector)
    assert rating["local_date"] == "2026-01-12"
    days = sync_collector.request(
        "GET", "/api/v1/stores/sto/daily", sync_collector.office_token,
        params={"from": "2026-01-12", "to": "2026-01-13"}).json()["days"]
    responses = {day["date"]: day["responses"] for day in days}
    assert responses.get("2026-01-12") == 1 and not responses.get("2026-01-13"), responses

    # Once synced, the kiosk knows the store's zone and dates its own taps there too.
    store = Store(db, "sto", "k-sto", TIMEZONE)
    try:
        assert store.timezone == STOCKHOLM
        second = store.record_tap(5, 5, "sv", now=MONDAY_2330_STOCKHOLM + timedelta(minutes=10),
                                  survey_version=0)
        assert second.local_date == "2026-01-12"
        assert store.identity_mismatches() == [("timezone", TIMEZONE, STOCKHOLM)]
    finally:
        store.close()
    assert hymy_kiosk("sync", "--config", str(config)).returncode == 0
    days = sync_collector.request(
        "GET", "/api/v1/stores/sto/daily", sync_collector.office_token,
        params={"from": "2026-01-12", "to": "2026-01-13"}).json()["days"]
    assert {day["date"]: day["responses"] for day in days}.get("2026-01-12") == 2
