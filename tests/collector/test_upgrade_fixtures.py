"""Databases written by released code open with today's code, migrate, and lose nothing.

The files under ``tests/fixtures/upgrade/`` were made once by the releases they
name (``tests/fixtures/make_upgrade_fixtures.py`` says how and from which
commit) and are never regenerated: each stays "a database made by that
release" for as long as these tests exist.

Kiosk: one file per migration level (m001, m002, m003), all holding the same
story - pruned rows, a seq floor left in ``state`` by the prune of the newest
row, a pruned last counted tap, rejected, answered and pending ratings, state
keys.  Collector: SQLite files and ``pg_dump`` scripts at migration 002 and
003, filled by the release's ``demo``.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.store import COLUMNS
from kiosk.store import Store as KioskStore
from sync.clock import format_utc
from sync.collector import alertlog, alerts
from sync.collector.api import ingest
from sync.collector.db.bi import BI_VIEWS
from sync.collector.db.connection import Database, migrations, split_sql
from sync.collector.db.stays import Stays
from sync.collector.db.storage import Storage
from sync.collector.settings import Settings
from sync.collector.tokens import Principal
from sync.survey import parse_survey
from sync.wire import parse_rating
from tests.support import ROOT
from tests.support.collector import Collector, Store, batch, rating, release_database, run_cli

FIXTURES = ROOT / "tests" / "fixtures" / "upgrade"
KIOSK_MIGRATIONS = ["m001_ratings", "m002_rejected_index", "m003_seq_rowid",
                    "m004_kind_followup"]
#: What m004 gives every older kiosk rating: a csat answer, no unanswered follow-up.
KIOSK_M004 = {"kind": "csat", "followup": None}
KIOSK_STATE = {"sync_status": {"ok": True, "at": "2026-11-01T10:00:00.000Z"},
               "survey": {"version": 2, "reasons": ["slow", "price"]}}
B = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def schema(path: Path) -> set[tuple[str, str, str]]:
    with sqlite3.connect(path) as conn:
        return {(kind, name, " ".join((sql or "").split())) for kind, name, sql in conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}


# -- kiosk ---------------------------------------------------------------------


@pytest.mark.parametrize("level", ["m001", "m002", "m003"])
def test_a_kiosk_database_of_every_release_upgrades_in_place(level, tmp_path: Path):
    path = tmp_path / "kiosk.db"
    shutil.copy(FIXTURES / f"kiosk-{level}.db", path)
    with sqlite3.connect(path) as raw:
        raw.row_factory = sqlite3.Row
        before = {row["id"]: dict(row) for row in raw.execute("SELECT * FROM ratings")}
        applied = [row[0] for row in raw.execute("SELECT name FROM _sqlite_migrations")]
    assert applied == [name for name in KIOSK_MIGRATIONS if name[:4] <= level]
    assert sorted(row["seq"] for row in before.values()) == [11, 12, 13, 14, 15, 16]

    store = KioskStore(path, "hki-kamppi", "k1", "Europe/Helsinki")
    try:
        with sqlite3.connect(path) as raw:
            raw.row_factory = sqlite3.Row
            after = {row["id"]: {name: row[name] for name in COLUMNS}
                     for row in raw.execute("SELECT * FROM ratings")}
            recorded = [row[0] for row in raw.execute(
                "SELECT name FROM _sqlite_migrations ORDER BY applied_at, name")]
        # Every row, every column, as the release left it; the history maps on.
        assert after == {rid: {name: {**KIOSK_M004, **row}[name] for name in COLUMNS}
                         for rid, row in before.items()}
        assert recorded == KIOSK_MIGRATIONS
        for key, value in KIOSK_STATE.items():
            assert store.get_state(key) == value
        # seq 17 (the newest row, and the last counted tap) was pruned: still never reused.
        assert store.stats() == {"pending": 3, "oldest_pending_at": "2026-11-01T09:02:00.000Z",
                                 "rejected": 1, "last_seq": 17}
        assert [r["seq"] for r in store.pending(10, now=B + timedelta(hours=1))] == [14, 15, 16]
        first = store.record_tap(5, 5, "fi", now=B + timedelta(hours=2))
        second = store.record_tap(3, 5, "fi", now=B + timedelta(hours=2, seconds=1))
        assert (first.seq, first.suppressed) == (18, False)
        assert (second.seq, second.suppressed) == (19, True)
        assert [r["seq"] for r in store.pending(10, now=B + timedelta(hours=3))] == [
            14, 15, 16, 18, 19]
    finally:
        store.close()
    # Reopening applies nothing and changes nothing.
    again = KioskStore(path, "hki-kamppi", "k1", "Europe/Helsinki")
    assert again.stats()["last_seq"] == 19
    again.close()


def test_an_upgraded_kiosk_database_has_the_schema_of_a_new_one(tmp_path: Path):
    KioskStore(tmp_path / "new.db", "s", "k", "Europe/Helsinki").close()
    for level in ("m001", "m002"):
        path = tmp_path / f"{level}.db"
        shutil.copy(FIXTURES / f"kiosk-{level}.db", path)
        KioskStore(path, "hki-kamppi", "k1", "Europe/Helsinki").close()
        assert schema(path) == schema(tmp_path / "new.db"), level


# -- collector -----------------------------------------------------------------


def rows_of(db: Database) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, read through plain SQL."""
    with db.connection() as conn:
        if db.backend == "sqlite":
            names = [r[0] for r in conn.rows(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        else:
            names = [r[0] for r in conn.rows(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")]
        return {name: sorted(conn.rows(f'SELECT * FROM "{name}"'), key=repr) for name in names}


def assert_bi_views_count_every_rating(db: Database) -> None:
    """008's BI views, made over a release's rows: every rating counted once, where it was made."""
    with db.connection() as conn:
        expected = sorted(conn.rows(
            "SELECT store_id, local_date, SUM(1 - suppressed), SUM(suppressed) FROM ratings"
            " GROUP BY store_id, local_date"))
        assert sorted(conn.rows("SELECT store_id, local_date, responses, suppressed"
                                " FROM bi_store_daily")) == expected
        by_kiosk = conn.rows("SELECT SUM(responses), SUM(suppressed) FROM bi_kiosk_daily")
        chain = conn.rows("SELECT SUM(responses), SUM(suppressed) FROM bi_chain_daily")
        hours = conn.scalar("SELECT SUM(responses) FROM bi_store_hourly")
        for name in BI_VIEWS:
            conn.rows(f"SELECT * FROM {name}")
    totals = (sum(row[2] for row in expected), sum(row[3] for row in expected))
    assert by_kiosk == chain == [totals] and hours == totals[0]


@pytest.mark.parametrize("level", ["002", "003"])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_collector_database_of_every_release_upgrades_in_place(backend, level, tmp_path,
                                                                request):
    database = release_database(backend, tmp_path, request, level)
    db = Database(database)
    before = rows_of(db)
    assert len(before["ratings"]) == 482 and len(before["stores"]) == 2
    done = [row[0] for row in before["schema_migrations"]]
    assert db.migrate() == [name for name, _ in migrations(db.backend) if name not in done]
    after = rows_of(db)
    assert_bi_views_count_every_rating(db)
    db.close()
    for table, rows in before.items():
        if table == "schema_migrations":
            assert set(rows) <= set(after[table])
        else:
            # Nothing lost, nothing changed; columns added later (004's retired_at,
            # label) come after the old ones.
            width = len(rows[0]) if rows else 0
            assert [row[:width] for row in after[table]] == rows, table
    assert all(row[-1] is None for row in after["stores"])  # retired_at: in use
    # 017: every rating of a release before question kinds is CSAT, no follow-up unanswered.
    assert {row[-2:] for row in after["ratings"]} == {("csat", None)}
    labels = {row[4]: row[5] for row in before["tokens"] if row[2] == "kiosk"}
    # kiosks: the 13 columns of 001, then 004's retired_at and label, then 006's health,
    # then 016's touchpoint.
    assert {row[0]: row[14] for row in after["kiosks"]} == {
        row[0]: labels.get(row[0]) for row in before["kiosks"]}  # label from its token
    assert all(row[13] is None for row in after["kiosks"])  # retired_at
    assert all(row[15:] == (None,) * 7 for row in after["kiosks"])  # no health, no touchpoint
    # A migration that builds from existing rows (003's running totals) agrees with them.
    assert "ok: roll-ups match" in run_cli(database, "check").stdout

    # New ratings append: from a new kiosk of an existing store, onto its old roll-ups.
    store_id, timezone = sorted((row[0], row[2]) for row in before["stores"])[0]
    collector = Collector(tmp_path, database)
    collector.start()
    try:
        kiosk_id = f"new-{uuid.uuid4().hex[:6]}"
        made = collector.request("POST", f"/api/v1/stores/{store_id}/kiosks",
                                 collector.admin_token, json={"id": kiosk_id})
        assert made.status_code == 201, made.text
        # Enrollment (005) on an upgraded database: the code's token is the one that uploads.
        code = run_cli(database, "kiosk", "enroll-code", kiosk_id).stdout.strip()
        enrolled = collector.request("POST", "/api/v1/enroll", json={"code": code})
        assert enrolled.status_code == 200, enrolled.text
        assert enrolled.json()["kiosk_id"] == kiosk_id
        assert collector.request("POST", "/api/v1/enroll",
                                 json={"code": code}).status_code == 410
        store = Store(collector, store_id, timezone, kiosk_id, enrolled.json()["token"], "")
        assert store.post(store.ratings([5, 4, 1])).json()["accepted"] == 3
        # NPS beside the old CSAT roll-ups (017): its own figure; CSAT's unchanged.
        csat = collector.request("GET", f"/api/v1/stores/{store_id}/summary",
                                 collector.office_token).json()
        nps = store.ratings([10, 9, 0], scale=11, kind="nps", followup=None)
        assert store.post(nps).json()["accepted"] == 3
        read = collector.request("GET", f"/api/v1/stores/{store_id}/summary",
                                 collector.office_token, params={"kind": "nps"}).json()
        assert (read["responses"], read["value"]) == (3, 33.3)
        assert collector.request("GET", f"/api/v1/stores/{store_id}/summary",
                                 collector.office_token).json() == csat
        # A kiosk's health lands in 006's columns; the old kiosks stay "never reported".
        heartbeat = {"format": 1, "sent_at": format_utc(datetime.now(UTC)), "ratings": [],
                     "status": {"app_version": "9.0", "disk_free_bytes": 7, "rejected": 2,
                                "timezone": "Europe/Oslo"}}
        assert store.post(heartbeat).status_code == 200
        fleet = collector.request("GET", "/api/v1/kiosks", collector.office_token).json()
        health = {row["kiosk_id"]: (row["disk_free_bytes"], row["rejected"],
                                    row["config_timezone"]) for row in fleet["kiosks"]}
        assert health.pop(kiosk_id) == (7, 2, "Europe/Oslo")
        assert set(health.values()) == {(None, None, None)}
        exported, _ = collector.export()
        assert len(exported) == 482 + 3 + 3
        assert [row["question_kind"] for row in exported[-6:]] == ["csat"] * 3 + ["nps"] * 3
        seqs = [int(row["ingest_seq"]) for row in exported]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        # Lifecycle on an upgraded database: retire the other store, re-zone this one.
        other = sorted(row[0] for row in before["stores"])[1]
        assert collector.request("PATCH", f"/api/v1/stores/{other}", collector.admin_token,
                                 json={"retired": True}).status_code == 200
        ranking = collector.request("GET", "/api/v1/ranking", collector.office_token,
                                    params={"from": "2020-01-01", "to": "2029-12-31"}).json()
        assert [row["store_id"] for row in ranking["stores"]] == [store_id]
        assert collector.request("PATCH", f"/api/v1/stores/{store_id}", collector.admin_token,
                                 json={"timezone": "Europe/Stockholm"}).status_code == 200
        # The alert log (009) on an upgraded database: a burst opens one alert, listed once.
        assert store.post(store.ratings([1, 1, 1, 1])).json()["accepted"] == 4
        upgraded = Storage(Database(database))
        try:
            alertlog.evaluate(upgraded, Settings(alert_rules="burst,silent,baseline"))
        finally:
            upgraded.db.close()
        logged = collector.request("GET", "/api/v1/alerts", collector.office_token,
                                   params={"store": store_id}).json()["alerts"]
        assert [(a["kind"], a["state"]) for a in logged] == [("burst", "open")]

        # A store's own alerting (010) on an upgraded database: set, read back.
        hours = collector.request("PATCH", f"/api/v1/stores/{store_id}/alerting",
                                  collector.admin_token,
                                  json={"opening_hours": "mon-sat 9-21", "silent_hours": 3})
        assert hours.status_code == 200, hours.text
        assert collector.request("GET", f"/api/v1/stores/{store_id}/alerting",
                                 collector.admin_token).json()["opening_hours"] == "mon-sat 9-21"
    finally:
        collector.stop()
    assert "ok: roll-ups match" in run_cli(database, "check").stdout


def migrate_to(db: Database, last: str, also: tuple[str, ...] = ()) -> None:
    """Apply the migrations up to ``last`` only: the database a release of that level made
    (plus the later ones named in ``also``, tables today's ingest writes)."""
    with db.transaction(serialize=True) as conn:
        done = {row[0] for row in conn.rows("SELECT name FROM schema_migrations")}
        for name, script in migrations(db.backend):
            if name not in done and (name <= last or name in also):
                for statement in split_sql(script):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                             (name, "2026-12-03T08:00:00.000Z"))


#: The columns migration 017 adds (question kinds), by table.
KIND_COLUMNS = {
    "ratings": {"kind": "TEXT NOT NULL DEFAULT 'csat'", "followup": "TEXT"},
    "running_counts": {f"{flag}_{score}": "INTEGER NOT NULL DEFAULT 0"
                       for flag in ("counted", "suppressed") for score in (0, 6, 7, 8, 9, 10)},
}


@contextmanager
def kind_columns(db: Database) -> Iterator[None]:
    """The columns of 017 for a while, on a database before 017, so today's ingest can
    stand in for an older release's (which wrote CSAT taps only: the columns stay empty)."""
    with db.transaction(serialize=True) as conn:
        for table, columns in KIND_COLUMNS.items():
            for name, declared in columns.items():
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declared}")
    yield
    with db.transaction(serialize=True) as conn:
        for table, columns in KIND_COLUMNS.items():
            for name in columns:
                conn.execute(f"ALTER TABLE {table} DROP COLUMN {name}")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_kiosk_moved_before_the_store_history_existed_keeps_its_held_taps(backend, tmp_path,
                                                                             request):
    """Migration 007 infers moves made under 004 from the ratings filed; held taps then land."""
    database = release_database(backend, tmp_path, request)
    db = Database(database)
    # The ingest below is today's code, which also adds to the chain's per-date counts.
    migrate_to(db, "004_lifecycle.sql", also=("014_chain_days.sql",))
    storage = Storage(db)
    # Under 004: hki-kamppi-2 (last tap in Kamppi 17:46:48) moved to Itäkeskus, where it
    # made its first rating at 18:30; one made at 18:00 in Kamppi was still on the kiosk.
    with db.transaction(serialize=True) as conn:
        conn.execute("UPDATE kiosks SET store_id = 'hki-itakeskus' WHERE id = 'hki-kamppi-2'")
        conn.execute("UPDATE tokens SET store_id = 'hki-itakeskus' WHERE kiosk_id = 'hki-kamppi-2'")
    there = Principal(0, "kiosk", "hki-itakeskus", "hki-kamppi-2")
    with kind_columns(db):  # today's ingest plays 004's, which had no kind or followup
        storage.ingest(there, [parse_rating(rating(176, 4, at="2026-12-02T18:30:00.000Z"))],
                       datetime(2026, 12, 2, 18, 31, tzinfo=UTC))
    assert "007_kiosk_moves.sql" in db.migrate()
    assert storage.stays("hki-kamppi-2", "hki-itakeskus") == Stays(
        ("hki-kamppi", "hki-itakeskus"), ("2026-12-02T18:30:00.000Z",))
    assert storage.stays("hki-kamppi-1", "hki-kamppi") == Stays(("hki-kamppi",))
    # The held tap, rejected by the older collector, re-sent under the new store_id; and
    # one made after the move under a kiosk.toml still naming Kamppi.
    kiosk = storage.principal(storage.add_token("kiosk", kiosk_id="hki-kamppi-2").token)
    answer = ingest.handle_batch(storage, kiosk, json.dumps(batch([
        rating(177, 2, at="2026-12-02T18:00:00.000Z", store_id="hki-itakeskus"),
        rating(178, 5, at="2026-12-02T19:00:00.000Z", store_id="hki-kamppi"),
    ], sent_at=datetime(2026, 12, 2, 19, 1, tzinfo=UTC))).encode())
    assert (answer.accepted, answer.rejected) == (2, 0), answer
    assert {row["seq"]: row["store_id"] for row in db.query(
        "SELECT seq, store_id FROM ratings WHERE seq > 175 AND kiosk_id = 'hki-kamppi-2'")} == {
        176: "hki-itakeskus", 177: "hki-kamppi", 178: "hki-itakeskus"}
    assert storage.check() == []
    db.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_collector_database_of_the_last_release_gets_delivery_in_place(backend, tmp_path,
                                                                        request):
    """Migration 012 on a database made at 008: ratings untouched, alerts then delivered once."""
    from sync.collector.notify import outbox
    from sync.collector.notify.mail import Mail
    from sync.collector.settings import Settings
    from tests.support.webhook import webhook_receiver

    database = release_database(backend, tmp_path, request, "008")
    db = Database(database)
    before = rows_of(db)
    assert len(before["ratings"]) == 513
    assert "012_delivery.sql" in db.migrate()
    after = rows_of(db)
    for table, rows in before.items():  # 016 adds a column to stores, kiosks and tokens
        width = len(rows[0]) if rows else 0
        assert [row[:width] for row in after[table]] == rows or table == "schema_migrations", table
    assert after["channels"] == after["subscriptions"] == after["deliveries"] == []
    storage = Storage(db)
    store_id = sorted(row[0] for row in before["stores"])[0]
    alert = Mail("-", "5 of 6 unhappy", "Five of the last six taps were unhappy.")
    try:
        with webhook_receiver() as hook:
            made, _, _ = outbox.add_channel(storage, "IT", hook.url)
            outbox.subscribe(storage, made, "alert", store_id)
            assert outbox.fanout(storage, "alert", store_id, "alert:1", alert) == 1
            assert outbox.fanout(storage, "alert", store_id, "alert:1", alert) == 0
            assert outbox.deliver(storage, Settings()) == 1
            assert json.loads(hook.wait(1)[0].body)["store_id"] == store_id
        assert [row["state"] for row in outbox.recent(storage)] == ["sent"]
    finally:
        db.close()
    assert "ok: roll-ups match" in run_cli(database, "check").stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_collector_database_of_an_old_release_gets_comments_in_place(backend, tmp_path,
                                                                         request):
    """Migration 018 on a database made at 003: ratings untouched; a comment on an old
    rating joins it, and the retention chore's delete works."""
    database = release_database(backend, tmp_path, request, "003")
    db = Database(database)
    before = rows_of(db)
    assert "018_comments.sql" in db.migrate()
    after = rows_of(db)
    # Every stored value kept; later migrations (017) only add columns after them.
    width = len(before["ratings"][0])
    assert [row[:width] for row in after["ratings"]] == before["ratings"]
    assert after["comments"] == []
    storage = Storage(db)
    try:
        with db.connection() as conn:
            old = conn.query_one("SELECT id, kiosk_id, store_id, score FROM ratings LIMIT 1")
        assert storage.add_comment({**old, "rating_id": old["id"], "body": "[phone] pls",
                                    "lang": "fi", "flagged": False,
                                    "created_at": "2026-12-03T08:00:00.000Z"})
        (row,) = storage.recent_comments(old["store_id"], "2026-01-01")
        assert (row["body"], row["score"]) == ("[phone] pls", old["score"])
        assert storage.delete_comments_before("2027-01-01") == 1
    finally:
        db.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_collector_database_of_the_last_release_gets_regions_in_place(backend, tmp_path,
                                                                       request):
    """Migration 016 on a release's database (003, both backends): every store under the
    chain, no touchpoint; then a region counts its stores' ratings, and a token scoped to
    it reads only them."""
    from sync.collector import regions

    database = release_database(backend, tmp_path, request, "003")
    db = Database(database)
    migrate_to(db, "013_digests.sql")
    db.close()
    db = Database(database)
    before = rows_of(db)
    assert "016_regions.sql" in db.migrate()
    after = rows_of(db)
    for table in ("stores", "kiosks", "tokens"):  # the old columns as they were, then NULL
        assert [row[:-1] for row in after[table]] == before[table], table
        assert all(row[-1] is None for row in after[table]), table
    assert after["regions"] == []
    storage = Storage(db)
    try:
        first, second = sorted(row[0] for row in before["stores"])[:2]
        storage.add_region("south", "South")
        storage.set_store_region(first, "south")
        period = ("2000-01-01", "2100-01-01")
        whole = storage.region_tree()
        found = regions.region_summary(storage, whole, "south", *period)
        assert found["stores"] == 1 and found["responses"] > 0
        assert found["responses"] == sum(row[-1] for row in storage.period_counts(*period)
                                         if row[0] == first and not row[3])
        made = storage.add_token("office", region_id="south")
        scoped = storage.principal(made.token)
        assert scoped.can_read(first) and not scoped.can_read(second)
    finally:
        db.close()
    assert "ok: roll-ups match" in run_cli(database, "check").stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_store_surveys_of_the_last_release_still_reach_its_kiosks(backend, tmp_path, request):
    """Migration 020 on the last release's database (008, both backends): the surveys set
    then stay the stores' own, every kiosk is still given its store's over HTTP; then a
    touchpoint's survey reaches the kiosk standing there only, numbered after them."""
    from sync.collector.app import create_app
    from tests.support.asgi import call

    database = release_database(backend, tmp_path, request, "008")
    db = Database(database)
    before = rows_of(db)["surveys"]
    assert "020_touchpoint_surveys.sql" in db.migrate()
    after = rows_of(db)["surveys"]
    assert [row[:4] for row in after] == before
    assert all(row[4:] == (None, None) for row in after)  # touchpoint, unset_at
    db.close()
    app = create_app(Settings(database=database))
    storage = app.state.storage

    def shown(kiosk_id: str) -> dict:
        store_id = storage.kiosk(kiosk_id)["store_id"]
        token = storage.add_token("kiosk", store_id=store_id, kiosk_id=kiosk_id).token
        answer = call(app, "GET", "/api/v1/survey", {"Authorization": f"Bearer {token}"})
        assert answer.status == 200
        return answer.json()

    stored = {row[0]: row[1] for row in before}  # store -> version (one survey each)
    kiosks = ("hki-kamppi-1", "hki-kamppi-2", "hki-itakeskus-1")
    assert {k: shown(k)["version"] for k in kiosks} == {
        k: stored[k.rsplit("-", 1)[0]] for k in kiosks}
    storage.set_touchpoint("hki-kamppi-2", "exit")
    saved = storage.set_survey("hki-kamppi", parse_survey(
        {"kind": "nps", "questions": {"en": "Would you recommend us?"}}), "exit")
    assert saved.version == stored["hki-kamppi"] + 1
    assert (shown("hki-kamppi-2")["kind"], shown("hki-kamppi-2")["version"]) == (
        "nps", saved.version)
    assert shown("hki-kamppi-1")["version"] == stored["hki-kamppi"]
    storage.db.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_people_keep_their_access_when_regions_come_to_accounts(backend, tmp_path, request):
    """Migration 019 on the last release's database (008, both backends), with people
    added as 011-018 made them: every row kept, staff still read their store only, office
    the whole chain, sessions live; then a person given a region reads its stores too."""
    from sync.collector.tokens import hash_token

    database = release_database(backend, tmp_path, request, "008")
    db = Database(database)
    migrate_to(db, "018_comments.sql")
    with db.transaction(serialize=True) as conn:
        first, second = sorted(row[0] for row in conn.rows("SELECT id FROM stores"))[:2]
        for email, role in (("anna@example.com", "staff"), ("olli@example.com", "office")):
            conn.execute("INSERT INTO users (email, role, created_at) VALUES (?, ?, ?)",
                         (email, role, "2026-12-01T08:00:00.000Z"))
            user_id = conn.scalar("SELECT id FROM users WHERE email = ?", (email,))
            conn.execute("INSERT INTO sessions (hash, user_id, created_at, expires_at)"
                         " VALUES (?, ?, ?, ?)", (hash_token(email), user_id,
                                                  "2026-12-01T08:00:00.000Z",
                                                  "2999-01-01T00:00:00.000Z"))
        conn.execute("INSERT INTO user_stores (user_id, store_id) SELECT id, ? FROM users"
                     " WHERE email = 'anna@example.com'", (first,))
    before = rows_of(db)
    assert "019_user_regions.sql" in db.migrate()
    after = rows_of(db)
    width = {table: len(rows[0]) for table, rows in before.items() if rows}
    kept = {table: [row[:width.get(table)] for row in rows]  # later migrations add columns
            for table, rows in after.items() if table in before}
    assert kept == before | {"schema_migrations": after["schema_migrations"]}
    assert after["user_regions"] == []
    storage = Storage(db)
    try:
        anna = storage.session_principal(hash_token("anna@example.com"))
        olli = storage.session_principal(hash_token("olli@example.com"))
        assert (anna.role, anna.store_ids, anna.region_id) == ("staff", (first,), None)
        assert anna.can_read(first) and not anna.can_read(second)
        assert olli.chain_wide and olli.can_read(first) and olli.can_read(second)
        assert storage.user("anna@example.com")["regions"] == ()
        storage.add_region("south", "South")
        storage.set_store_region(second, "south")
        storage.set_user_access("anna@example.com", "staff", [first], ["south"])
        anna = storage.session_principal(hash_token("anna@example.com"))
        assert anna.can_read(first) and anna.can_read(second) and anna.can_read_region("south")
    finally:
        db.close()
    assert "ok: roll-ups match" in run_cli(database, "check").stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_stores_own_thresholds_of_the_last_release_are_kept_when_rate_alpha_comes(
        backend, tmp_path, request):
    """Migration 021 on the last release's database (008, both backends), with a store's
    own alerting as 010-020 kept it: its hours and thresholds stay, its rate_alpha is the
    chain's (NULL); then the store is given one of its own and the CLI shows it."""
    database = release_database(backend, tmp_path, request, "008")
    db = Database(database)
    migrate_to(db, "020_touchpoint_surveys.sql")
    store_id = sorted(row[0] for row in rows_of(db)["stores"])[0]
    with db.transaction(serialize=True) as conn:
        conn.execute("INSERT INTO store_alerting (store_id, opening_hours, silent_hours,"
                     " updated_at) VALUES (?, ?, ?, ?)",
                     (store_id, "mon-sat 9-21", 3.0, "2026-12-01T08:00:00.000Z"))
    before = rows_of(db)
    assert "021_store_rate_alpha.sql" in db.migrate()
    after = rows_of(db)
    assert [row[:-1] for row in after["store_alerting"]] == before["store_alerting"]
    assert [row[-1] for row in after["store_alerting"]] == [None]  # rate_alpha: the chain's
    assert {table: rows for table, rows in after.items()
            if table not in ("store_alerting", "schema_migrations")} == {
        table: rows for table, rows in before.items()
        if table not in ("store_alerting", "schema_migrations")}
    db.close()
    chain_alpha = f"rate_alpha: {alerts.Rules().rate_alpha:g}\n"  # the chain's default
    assert chain_alpha in run_cli(database, "store", "alerts", store_id).stdout
    shown = run_cli(database, "store", "alerts", store_id, "--rate-alpha", "1e-3").stdout
    assert "opening hours: mon-sat 9-21" in shown
    assert "silent_hours: 3 (this store's own)" in shown
    assert "rate_alpha: 0.001 (this store's own)" in shown
