"""The ``hymy-collector`` command line: setup, tokens, surveys, export, check, backup, demo.

Tests taking ``database`` run on SQLite and on PostgreSQL (see conftest.py).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sync.clock import utc_now
from sync.collector import Database, Storage
from sync.collector.cli import cli
from sync.wire import parse_rating
from tests.support.collector import Collector, rating


def run(database: Path | str, *args: str, ok: bool = True):
    """Invoke the CLI in-process on ``database``; asserts the exit code."""
    result = CliRunner().invoke(cli, [*args, "--database", str(database)])
    assert (result.exit_code == 0) == ok, (result.output, result.exception)
    if not ok:
        assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


@pytest.fixture
def database(collector_database: str) -> str:
    """A collector database (SQLite file or PostgreSQL URL) with store s1 and kiosk k1."""
    run(collector_database, "store", "add", "s1", "--name", "Store one",
        "--timezone", "Europe/Helsinki")
    run(collector_database, "kiosk", "add", "k1", "--store", "s1")
    return collector_database


def storage_for(path: Path | str) -> Storage:
    return Storage(Database(str(path)))


def ingest(path: Path | str, count: int, start_seq: int = 1) -> list[str]:
    """Store ``count`` ratings for kiosk k1 through the storage layer; their ids."""
    storage = storage_for(path)
    kiosk = storage.principal(storage.add_token("kiosk", kiosk_id="k1").token)
    ratings = [parse_rating(rating(start_seq + i, 1 + i % 5)) for i in range(count)]
    storage.ingest(kiosk, ratings, utc_now())
    storage.db.close()
    return [r.id for r in ratings]


def test_store_add_and_list(database: Path):
    listed = json.loads(run(database, "store", "list", "--json").output)
    assert listed == [{"id": "s1", "name": "Store one", "timezone": "Europe/Helsinki",
                       "retired_at": None, "region_id": None, "kiosks": 1}]
    assert "Europe/Helsinki" in run(database, "store", "list").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("store", "add", "s1", "--name", "Again", "--timezone", "Europe/Helsinki"),
         "already exists"),
        (("store", "add", "s2", "--name", "X", "--timezone", "Europe/Atlantis"),
         "unknown IANA time zone"),
        (("store", "add", "bad id", "--name", "X", "--timezone", "UTC"), "store id"),
        (("kiosk", "add", "k2", "--store", "nope"), "no store 'nope'"),
        (("kiosk", "add", "k1", "--store", "s1"), "already exists"),
        (("token", "add", "--role", "staff"), "needs --store"),
        (("token", "add", "--role", "office", "--store", "s1"), "covers every store"),
        (("token", "add", "--role", "kiosk"), "kiosk add"),
        (("token", "revoke", "999"), "no token with id 999"),
        (("survey", "show", "nope"), "no store 'nope'"),
    ],
)
def test_user_errors_are_one_line_without_traceback(database: Path, args, message):
    result = run(database, *args, ok=False)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_kiosk_add_prints_a_working_token_once(database: Path):
    result = CliRunner().invoke(cli, ["kiosk", "add", "k2", "--store", "s1",
                                      "--database", str(database)])
    token = result.stdout.strip()
    assert token.startswith("hymy_") and len(token) >= 5 + 32
    principal = storage_for(database).principal(token)
    assert (principal.role, principal.store_id, principal.kiosk_id) == ("kiosk", "s1", "k2")
    stored = storage_for(database).db.query("SELECT hash FROM tokens")
    assert token not in json.dumps(stored)


def test_token_add_list_revoke(database: Path):
    token = run(database, "token", "add", "--role", "staff", "--store", "s1",
                "--label", "Anna").stdout.strip()
    storage = storage_for(database)
    principal = storage.principal(token)
    assert (principal.role, principal.store_id) == ("staff", "s1")
    listing = run(database, "token", "list").output
    assert "Anna" in listing and token not in listing
    run(database, "token", "revoke", str(principal.token_id))
    assert storage.principal(token) is None
    assert "revoked" in run(database, "token", "list").output


def test_survey_set_and_show(database: Path, tmp_path: Path):
    file = tmp_path / "survey.toml"
    file.write_text('scale = 3\nreasons = ["queue"]\n[questions]\nfi = "Miten meni?"\n'
                    '[reason_labels.fi]\nqueue = "Jono"\n', encoding="utf-8")
    assert "version 1" in run(database, "survey", "set", "s1", str(file)).output
    shown = json.loads(run(database, "survey", "show", "s1").output)
    assert shown == {"version": 1, "scale": 3, "questions": {"fi": "Miten meni?"},
                     "reasons": ["queue"], "reason_labels": {"fi": {"queue": "Jono"}}}
    file.write_text("scale = 3\n[questions\n", encoding="utf-8")
    assert f"{file}: not valid TOML" in run(database, "survey", "set", "s1", str(file),
                                             ok=False).output
    file.write_text('scale = 5\n[questions]\nen = "?"\n[reason_labels.en]\nmoon = "Moon"\n',
                    encoding="utf-8")
    assert f"{file}, line 4: reason_labels.en: moon not in reasons" in run(
        database, "survey", "set", "s1", str(file), ok=False).output
    # The scales of the survey's own kind, not every kind's (7 and 11 are not CSAT's).
    file.write_text('scale = 6\n[questions]\nen = "?"\n', encoding="utf-8")
    assert run(database, "survey", "set", "s1", str(file), ok=False).output == (
        f"Error: {file}, line 1: scale: csat surveys have 3, 4 or 5 answers, not 6"
        " (leave scale out or set it to 5)\n")


def test_export_to_file_then_from_the_printed_cursor(database: Path, tmp_path: Path):
    ids = ingest(database, 25)
    out = tmp_path / "ratings.csv"
    result = run(database, "export", "--output", str(out), "--page", "10")
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["id"] for row in rows] == ids
    cursor = result.stderr.strip().splitlines()[-1].removeprefix("next cursor: ")
    assert cursor == rows[-1]["ingest_seq"]
    more = ingest(database, 3, start_seq=26)
    out2 = tmp_path / "more.jsonl"
    run(database, "export", "--after", cursor, "--format", "jsonl", "--output", str(out2))
    lines = [json.loads(line) for line in out2.read_text().splitlines()]
    assert [line["id"] for line in lines] == more
    refused = run(database, "export", "--after", "x", "--output", str(out2), ok=False).output
    assert "after: 'x' is not a cursor" in refused
    assert "hymy-collector export prints it as 'next cursor'" in refused  # the CLI's own words


def test_check_finds_and_repairs_rollup_differences(database: Path):
    ingest(database, 40)
    assert "ok" in run(database, "check").output
    db = Database(database)
    with db.transaction(serialize=True) as conn:
        daily = ("store_id", "local_date", "kiosk_id", "scale", "score", "suppressed")
        key = conn.rows(f"SELECT {', '.join(daily)} FROM daily_counts"
                        f" ORDER BY {', '.join(daily)} LIMIT 1")[0]
        conn.execute("UPDATE daily_counts SET n = n + 1 WHERE "
                     + " AND ".join(f"{name} = ?" for name in daily), key)
        hourly = ("store_id", "local_date", "hour", "scale", "score")
        key = conn.rows(f"SELECT {', '.join(hourly)} FROM hourly_counts"
                        f" ORDER BY {', '.join(hourly)} LIMIT 1")[0]
        conn.execute("DELETE FROM hourly_counts WHERE "
                     + " AND ".join(f"{name} = ?" for name in hourly), key)
        conn.execute("UPDATE kiosks SET max_seq = 99")
    db.close()
    failed = run(database, "check", ok=False)
    assert "daily_counts" in failed.output and "hourly_counts" in failed.output
    assert "kiosk k1" in failed.output and "difference" in failed.output
    assert "repaired" in run(database, "check", "--repair").output
    assert "ok" in run(database, "check").output


def test_backup_copies_a_consistent_database(database: str, backend: str, tmp_path: Path,
                                             request: pytest.FixtureRequest):
    ingest(database, 12)
    if backend == "postgresql":
        assert_pg_dump_round_trip(database, tmp_path, request.getfixturevalue("postgres_server"))
        return
    target = tmp_path / "backup.db"
    assert "Backed up" in run(database, "backup", str(target)).output
    count = storage_for(target).db.query("SELECT COUNT(*) AS n FROM ratings")[0]["n"]
    assert count == 12
    assert "ok" in run(target, "check").output
    assert "already exists" in run(database, "backup", str(target), ok=False).output


def assert_pg_dump_round_trip(database: str, tmp_path: Path, server) -> None:
    """``backup`` points to pg_dump, and the documented dump and restore give a working copy."""
    refused = run(database, "backup", str(tmp_path / "backup.db"), ok=False)
    assert "pg_dump" in refused.output and not (tmp_path / "backup.db").exists()
    dump = tmp_path / "hymy.dump"
    subprocess.run([server.tool("pg_dump"), "--format=custom", "--file", str(dump), database],
                   check=True, timeout=60)
    restored = server.create_database("hymy_restored")
    subprocess.run([server.tool("pg_restore"), "--no-owner", "--dbname", restored, str(dump)],
                   check=True, timeout=60)
    assert "ok" in run(restored, "check").output
    more = ingest(restored, 3, start_seq=13)
    out = tmp_path / "restored.jsonl"
    run(restored, "export", "--format", "jsonl", "--output", str(out))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 15 and [row["id"] for row in rows[-3:]] == more
    assert [row["ingest_seq"] for row in rows] == sorted({row["ingest_seq"] for row in rows})


def test_demo_seeds_a_consistent_chain(collector_database: str, tmp_path: Path):
    path = collector_database
    result = run(path, "demo", "--stores", "3", "--days", "20", "--json",
                 "--tokens-file", str(tmp_path / "tokens.json"))
    data = json.loads(result.stdout)
    assert data == json.loads((tmp_path / "tokens.json").read_text())
    assert data["stores"] == 3 and data["ratings"] > 3 * 20 * 50
    tokens = data["tokens"]
    storage = storage_for(path)
    assert storage.principal(tokens["office"]).role == "office"
    assert storage.principal(tokens["admin"]).role == "admin"
    assert storage.principal(tokens["staff"]["token"]).store_id == tokens["staff"]["store_id"]
    assert storage.principal(tokens["kiosk"]["token"]).kiosk_id == tokens["kiosk"]["kiosk_id"]
    assert storage.check() == []
    kiosks = {k["id"]: k for k in storage.kiosks()}
    assert sum(end - start + 1 for k in kiosks.values() for start, end in k["gaps"]) == 7
    again = run(path, "demo", "--stores", "1", "--days", "1", ok=False).output
    assert "already holds 3 store(s)" in again and "only an empty database" in again
    assert len(storage_for(path).stores()) == 3


def test_demo_never_seeds_a_real_collectors_database(tmp_path: Path, monkeypatch):
    """Without --database the demo writes its own file, even with HYMY_DATABASE set, and
    it refuses a database that already holds a real store (nothing is added to it)."""
    real = tmp_path / "real.db"
    run(real, "store", "add", "hki", "--name", "Real store", "--timezone", "Europe/Helsinki")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HYMY_DATABASE", str(real))
    result = CliRunner().invoke(cli, ["demo", "--stores", "1", "--days", "1"])
    assert result.exit_code == 0, result.output
    assert "hymy-demo.db" in result.output and (tmp_path / "hymy-demo.db").exists()
    assert [s["id"] for s in storage_for(str(real)).stores()] == ["hki"]
    refused = run(real, "demo", "--stores", "1", "--days", "1", ok=False).output
    assert "already holds 1 store(s) (hki)" in refused
    storage = storage_for(str(real))
    assert [s["id"] for s in storage.stores()] == ["hki"] and storage.tokens() == []


def test_read_commands_need_an_existing_database(tmp_path: Path, backend: str,
                                                 collector_database: str):
    if backend == "sqlite":
        missing = str(tmp_path / "missing.db")
    else:
        missing = collector_database.rsplit("/", 1)[0] + "/no_such_database"
    for args in (("store", "list"), ("check",), ("export", "--output", "x.csv")):
        assert "no database at" in run(missing, *args, ok=False).output
    assert not (tmp_path / "missing.db").exists()


def test_serve_refuses_bad_settings(tmp_path: Path):
    result = run(tmp_path / "c.db", "serve", "--port", "70000", ok=False)
    assert "port must be" in result.output
    result = CliRunner().invoke(cli, ["serve", "--database", "mysql://x"])
    assert result.exit_code == 1 and "unsupported database URL" in result.output


def test_python_m_entry_point_and_help(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "sync.collector", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for command in ("serve", "store", "kiosk", "token", "survey", "demo", "export", "check",
                    "backup"):
        assert command in done.stdout
    failed = subprocess.run([sys.executable, "-m", "sync.collector", "kiosk", "add", "k1",
                             "--store", "nope", "--database", str(tmp_path / "c.db")],
                            capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1
    assert "no store 'nope'" in failed.stderr and "Traceback" not in failed.stderr


def test_serve_with_two_workers(tmp_path: Path, collector_database: str):
    collector = Collector(tmp_path, collector_database)
    collector.start("--workers", "2")
    try:
        store = collector.new_store()
        answers = [store.post(store.ratings([5, 1])).json()["accepted"] for _ in range(6)]
        assert answers == [2] * 6
        assert store.kiosk()["received"] == 12
    finally:
        collector.stop()
    assert "ok" in run(collector.database, "check").output
