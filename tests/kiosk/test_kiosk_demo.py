"""``make demo`` seeds what issue #16 promises the dashboard shows: regions, touchpoints and
all three question kinds (CSAT at the checkout, CES at the service desk, NPS at the exit).

The demo's own seeding step (``kiosk.demo.seed``, the real ``hymy-collector demo`` in a
subprocess, a real SQLite file), made small: two stores, three days.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from kiosk import demo
from sync.collector import Database, Storage
from sync.metrics import kind_of


def kinds_by_touchpoint(storage: Storage, store_id: str) -> dict[str | None, set[str]]:
    """Which question kinds a store's ratings of the last week were, per touchpoint."""
    today = date.today()
    found: dict[str | None, set[str]] = defaultdict(set)
    for point, scale, _score, _suppressed, n in storage.touchpoint_counts(
            store_id, (today - timedelta(days=7)).isoformat(),
            (today + timedelta(days=1)).isoformat()):
        if n:
            found[point].add(kind_of(scale))
    return dict(found)


def test_the_demo_seeds_regions_and_each_kind_at_its_touchpoint(tmp_path: Path):
    tokens = demo.seed(tmp_path / "data", ("--stores", "2", "--days", "3"))
    assert tokens["demo_kiosk"]
    storage = Storage(Database(str(tmp_path / "data" / "collector.db"), create=False))
    try:
        for store_id in ("hki-kamppi", "hki-itakeskus"):
            assert kinds_by_touchpoint(storage, store_id) == {
                "checkout": {"csat"}, "service_desk": {"ces"}, "exit": {"nps"}}, store_id
        assert storage.store("hki-kamppi")["region_id"] == "helsinki"
        tree = storage.region_tree()
        assert tree.regions["helsinki"]["parent_id"] == "uusimaa"
        kiosks = {k["id"]: k["touchpoint"] for k in storage.kiosks("hki-kamppi")}
        assert kiosks[demo.KIOSK] == "checkout"
    finally:
        storage.db.close()
