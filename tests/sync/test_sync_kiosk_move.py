"""Issue 14, end to end: a kiosk moved to another store with taps still on it.

Real components only: a collector process on loopback (``sync_collector``:
store s1 in Europe/Helsinki with kiosk k1, plus store s2 in Europe/Stockholm
added here), a real kiosk SQLite file, the real ``hymy-kiosk`` and
``hymy-collector`` commands.  The rows asserted are read from the collector's
database: each tap is filed under the store the kiosk stood in when it was
made, on that store's local day, and nothing is refused or lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from kiosk.store import Store
from sync.clock import local_date, utc_now, zone
from sync.collector.db.connection import Database
from tests.support.sync import KIOSK_ID, STORE_ID, TIMEZONE, hymy_kiosk, kiosk_config, record

NEW_STORE, NEW_ZONE = "s2", "Europe/Stockholm"


def with_new_store(collector) -> None:
    collector.admin(["store", "add", NEW_STORE, "--name", "Two", "--timezone", NEW_ZONE])
    collector.start()


def filed(collector) -> dict[int, tuple[str, str]]:
    """``seq -> (store_id, local_date)`` of kiosk k1's ratings in the collector's database."""
    db = Database(str(collector.database))
    try:
        return {row["seq"]: (row["store_id"], row["local_date"]) for row in db.query(
            "SELECT seq, store_id, local_date FROM ratings WHERE kiosk_id = ?", (KIOSK_ID,))}
    finally:
        db.close()


def on_kiosk(database: Path) -> list[tuple[int, bool, str | None]]:
    """``(seq, synced, rejected_reason)`` of every rating on the kiosk."""
    store = Store(database, STORE_ID, KIOSK_ID, TIMEZONE)
    try:
        return [tuple(row) for row in store.db.execute(
            "SELECT seq, synced_at IS NOT NULL, rejected_reason FROM ratings ORDER BY seq")]
    finally:
        store.close()


def days(at: datetime, n: int, tz: str) -> list[str]:
    """The local days of ``record``'s ``n`` taps from ``at``, a minute apart."""
    return [local_date(at + timedelta(minutes=i), zone(tz)) for i in range(n)]


def test_taps_held_through_a_move_and_made_before_the_config_changed_all_land(
        sync_collector, tmp_path):
    with_new_store(sync_collector)
    db, config = tmp_path / "kiosk.db", tmp_path / "kiosk.toml"
    kiosk_config(config, db, sync_collector.url, sync_collector.kiosk_token)
    early, held = utc_now() - timedelta(hours=3), utc_now() - timedelta(hours=2)
    record(db, STORE_ID, 2, at=early)
    assert "sent 2: 2 new" in hymy_kiosk("sync", "--config", str(config)).stdout
    record(db, STORE_ID, 3, at=held)  # the network is down; then the kiosk is carried over

    said = sync_collector.admin(["kiosk", "move", KIOSK_ID, "--store", NEW_STORE])
    assert f"filed under {STORE_ID}; later ones under {NEW_STORE}" in said
    after = utc_now()
    record(db, STORE_ID, 2, at=after)  # in s2 now, kiosk.toml not changed yet

    done = hymy_kiosk("sync", "--config", str(config))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sent 5: 5 new, 0 duplicate, 0 conflict, 0 rejected" in done.stdout
    old_days = days(early, 2, TIMEZONE) + days(held, 3, TIMEZONE)
    assert filed(sync_collector) == {
        **{seq: (STORE_ID, d) for seq, d in zip(range(1, 6), old_days, strict=True)},
        6: (NEW_STORE, days(after, 2, NEW_ZONE)[0]), 7: (NEW_STORE, days(after, 2, NEW_ZONE)[1])}
    assert all(synced and reason is None for _, synced, reason in on_kiosk(db))
    assert "ok: roll-ups match" in sync_collector.admin(["check"])


def test_taps_rejected_around_a_move_are_accepted_when_sent_again(sync_collector, tmp_path):
    with_new_store(sync_collector)
    db, config = tmp_path / "kiosk.db", tmp_path / "kiosk.toml"
    held = utc_now() - timedelta(hours=2)
    record(db, STORE_ID, 4, at=held)  # made in s1, not sent yet
    # The kiosk.toml names s2 before the admin moves the kiosk: the held taps go as s2
    # (hymy-kiosk sync sends taps recorded under another store_id as the config's), refused.
    kiosk_config(config, db, sync_collector.url, sync_collector.kiosk_token,
                 store_id=NEW_STORE, timezone=NEW_ZONE)
    refused = hymy_kiosk("sync", "--config", str(config))
    assert refused.returncode == 4, refused.stdout + refused.stderr
    assert "4 rejected" in refused.stdout
    assert f"store_id '{NEW_STORE}' does not match this kiosk's token" in refused.stderr
    assert [reason is not None for *_, reason in on_kiosk(db)] == [True] * 4
    assert filed(sync_collector) == {}

    sync_collector.admin(["kiosk", "move", KIOSK_ID, "--store", NEW_STORE])
    resent = hymy_kiosk("resend-rejected", "--config", str(config))
    assert resent.returncode == 0, resent.stdout + resent.stderr
    assert f"4 rejected rating(s) back in the queue as store {NEW_STORE}" in resent.stdout
    assert "sent 4: 4 new" in resent.stdout
    # Made in s1 before the move: filed there, on Helsinki's day, whatever they now name.
    assert filed(sync_collector) == {
        seq: (STORE_ID, d) for seq, d in zip(range(1, 5), days(held, 4, TIMEZONE), strict=True)}
    assert all(synced and reason is None for _, synced, reason in on_kiosk(db))
    now = utc_now()
    record(db, NEW_STORE, 1, timezone=NEW_ZONE, at=now)
    assert "sent 1: 1 new" in hymy_kiosk("sync", "--config", str(config)).stdout
    assert filed(sync_collector)[5] == (NEW_STORE, local_date(now, zone(NEW_ZONE)))
