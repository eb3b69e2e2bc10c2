"""A collector that lost ratings (restored from an older backup) gets them again.

Each answer to a batch lists the seq ranges of that kiosk the collector does
not hold (``missing``: its seq gaps, and anything above its highest seq that
the kiosk reports having written).  The uploader puts the ratings it had
marked synced in those ranges back in its queue, once per push, and the
collector stores each id once - so a restore loses nothing a kiosk still keeps.
"""

from __future__ import annotations

import subprocess

from sync.collector import Database, Storage
from tests.support.sync import (
    BIN,
    KIOSK_ID,
    assert_exactly_once,
    open_store,
    record_taps,
    write_config,
)


def sync(config) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / "hymy-kiosk"), "sync", "--config", str(config),
                           "--no-progress"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def lose_ratings(database: str, where: str) -> None:
    """What restoring an older backup leaves: fewer raw ratings, roll-ups to match."""
    storage = Storage(Database(database))
    with storage.db.transaction(serialize=True) as conn:
        conn.execute(f"DELETE FROM ratings WHERE kiosk_id = ? AND {where}", (KIOSK_ID,))
    assert storage.check(repair=True)  # roll-ups and seq tracking now match the loss
    assert storage.check() == []
    storage.db.close()


def test_ratings_a_restored_collector_lacks_are_sent_again(sync_collector, tmp_path):
    kiosk_db = tmp_path / "kiosk" / "kiosk.db"
    record_taps(kiosk_db, 300, days=0.5)
    sync_collector.start()
    config = write_config(tmp_path / "kiosk.toml", kiosk_db, sync_collector.url,
                          sync_collector.kiosk_token, batch_size=100)
    assert "sent 300: 300 new" in sync(config).stdout
    sync_collector.stop()
    # The newest 120 are gone (an older backup), and a range in the middle too.
    lose_ratings(sync_collector.database, "(seq > 180 OR seq BETWEEN 40 AND 49)")
    sync_collector.start()
    assert sync_collector.kiosk()["received"] == 170
    store = open_store(kiosk_db)
    store.record_tap(5, 5, "fi", interval=0)
    store.close()
    done = sync(config)
    assert "130 sent before were missing at the collector" in done.stdout
    assert done.stdout.startswith("sent 131: 131 new, 0 duplicate")
    assert_exactly_once(sync_collector, kiosk_db)
    # Nothing left to heal: the next sync sends nothing again.
    assert "missing" not in sync(config).stdout


def test_a_rating_the_kiosk_no_longer_keeps_stays_missing(sync_collector, tmp_path):
    kiosk_db = tmp_path / "kiosk" / "kiosk.db"
    record_taps(kiosk_db, 50, days=0.5)
    sync_collector.start()
    config = write_config(tmp_path / "kiosk.toml", kiosk_db, sync_collector.url,
                          sync_collector.kiosk_token)
    sync(config)
    store = open_store(kiosk_db)
    store.db.execute("DELETE FROM ratings WHERE seq BETWEEN 10 AND 12")  # pruned long ago
    store.close()
    sync_collector.stop()
    lose_ratings(sync_collector.database, "seq BETWEEN 10 AND 20")
    sync_collector.start()
    done = sync(config)
    assert "8 sent before were missing" in done.stdout
    kiosk = sync_collector.kiosk()
    assert (kiosk["received"], kiosk["missing"]) == (47, 3)  # the audit still shows 10-12
