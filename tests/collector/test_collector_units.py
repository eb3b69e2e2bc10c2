"""Small pure pieces of the collector: seq gaps, placeholders, settings, tokens, ETags."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.collector.api.ingest import etag_matches
from sync.collector.db.connection import (
    Busy,
    Database,
    DatabaseError,
    migrations,
    parse_url,
    redact,
    split_sql,
    to_format_style,
)
from sync.collector.db.seqs import gaps_of, update_gaps
from sync.collector.reports import parse_period
from sync.collector.settings import Settings, describe
from sync.collector.tokens import Principal, check_role, hash_token, new_token


def test_update_gaps_opens_and_fills_ranges():
    gaps, top = update_gaps([], 0, [1, 2, 3, 7, 8, 12])
    assert (gaps, top) == ([(4, 6), (9, 11)], 12)
    gaps, top = update_gaps([(4, 6)], 12, [5])
    assert (gaps, top) == ([(4, 4), (6, 6)], 12)
    gaps, top = update_gaps([(4, 4), (6, 6)], 12, [4, 6, 13, 15])
    assert (gaps, top) == ([(14, 14)], 15)


@given(st.sets(st.integers(1, 300), max_size=120), st.integers(1, 6))
def test_incremental_gaps_match_a_full_recount(seqs, parts):
    ordered = sorted(seqs, key=lambda s: (s * 7919) % 301)  # arrive out of order
    gaps: list[tuple[int, int]] = []
    top = 0
    size = max(1, len(ordered) // parts)
    for start in range(0, len(ordered), size):
        chunk = ordered[start:start + size]
        low = min(chunk)
        touched = [g for g in gaps if g[1] >= low and g[0] <= top]
        kept = [g for g in gaps if g not in touched]
        new, top = update_gaps(touched, top, chunk)
        gaps = sorted(kept + new)
    assert (gaps, top) == gaps_of(seqs)
    missing = sum(end - start + 1 for start, end in gaps)
    assert missing == top - len(seqs)


def test_placeholders_for_psycopg_leave_strings_alone():
    sql = "SELECT * FROM t WHERE a = ? AND b = '?' AND c IN (?, ?)"
    assert to_format_style(sql) == "SELECT * FROM t WHERE a = %s AND b = '?' AND c IN (%s, %s)"
    assert to_format_style("SELECT a % 2 FROM t WHERE b LIKE '10%' AND c = ?") == (
        "SELECT a %% 2 FROM t WHERE b LIKE '10%%' AND c = %s")


def test_every_migration_exists_for_both_backends():
    sqlite_names = [name for name, _ in migrations("sqlite")]
    assert sqlite_names == [name for name, _ in migrations("postgresql")]
    assert sqlite_names[:2] == ["001_init.sql", "002_dashboard.sql"]


def test_passwords_never_reach_messages():
    assert redact("postgresql://hymy:s3cret@db:5432/hymy") == "postgresql://hymy:***@db:5432/hymy"
    assert redact("postgresql://hymy@db/hymy") == "postgresql://hymy@db/hymy"
    assert redact("/var/lib/hymy.db") == "/var/lib/hymy.db"
    with pytest.raises(DatabaseError) as refused:
        parse_url("mysql://root:s3cret@db/x")
    assert "s3cret" not in str(refused.value)
    database = Database("postgresql://hymy:s3cret@127.0.0.1:1/hymy")
    assert "s3cret" not in database.display_url
    with pytest.raises(Busy) as down, database.connection():
        pass
    assert "cannot connect" in str(down.value) and "s3cret" not in str(down.value)


def test_database_urls():
    assert parse_url("/var/lib/hymy.db") == ("sqlite", "/var/lib/hymy.db")
    assert parse_url("sqlite:///data/h.db") == ("sqlite", "data/h.db")
    assert parse_url("postgresql://u@h/db")[0] == "postgresql"
    for bad in ("mysql://x", ":memory:", "sqlite:///"):
        with pytest.raises(DatabaseError):
            parse_url(bad)


def test_split_sql_keeps_statements_whole():
    script = "-- note\nCREATE TABLE a (x TEXT DEFAULT ';');\nCREATE INDEX i ON a (x);\n"
    assert split_sql(script) == ["-- note\nCREATE TABLE a (x TEXT DEFAULT ';');",
                                 "CREATE INDEX i ON a (x);"]


def test_settings_from_env_and_overrides():
    settings = Settings.from_env({"HYMY_PORT": "9000", "HYMY_DATABASE": "data/x.db"}, port=None,
                                 workers=2)
    assert (settings.port, settings.database, settings.workers) == (9000, "data/x.db", 2)
    assert Settings.from_env({}).as_env()["HYMY_CLOCK_TOLERANCE_S"] == "300.0"
    with pytest.raises(ValueError, match="HYMY_PORT"):
        Settings.from_env({"HYMY_PORT": "eighty"})
    with pytest.raises(ValueError, match="workers"):
        Settings.from_env({}, workers=0)
    assert {name for name, *_ in describe()} >= {"database", "port", "clock_tolerance_s"}


def test_tokens_are_long_random_and_hashed():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(t.startswith("hymy_") and len(t) == 5 + 32 for t in tokens)
    digest = hash_token("hymy_x")
    assert len(digest) == 64 and digest != "hymy_x"
    check_role("staff", "s1", None)
    with pytest.raises(ValueError):
        check_role("root", None, None)
    staff = Principal(1, "staff", "s1")
    assert staff.can_read("s1") and not staff.can_read("s2")
    assert Principal(2, "office").can_read("anything")
    assert not Principal(3, "kiosk", "s1", "k1").can_read("s1")


def test_etag_matching():
    assert etag_matches('"1-abc"', '"1-abc"')
    assert etag_matches('W/"1-abc", "2-def"', '"1-abc"')
    assert etag_matches("*", '"1-abc"')
    assert not etag_matches('"1-abd"', '"1-abc"')
    assert not etag_matches("", '"1-abc"')


def test_periods():
    from datetime import date

    assert parse_period(None, None, date(2026, 3, 31)) == ("2026-03-02", "2026-03-31")
    assert parse_period("2026-01-01", "2026-01-01", date(2026, 3, 31)) == (
        "2026-01-01", "2026-01-01")
    with pytest.raises(ValueError, match="after"):
        parse_period("2026-02-01", "2026-01-01", date(2026, 3, 31))
    with pytest.raises(ValueError, match="not a date"):
        parse_period("2026-1-1", None, date(2026, 3, 31))


def test_request_log_is_json_and_never_holds_a_token(collector_server, collector_store):
    collector_store.post(collector_store.ratings([5]))
    collector_store.get("/daily")
    collector_server.request("GET", "/api/v1/stores", "hymy_wrong-token-value")
    lines = collector_server.log_path.read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    requests = [r for r in records if r.get("event") == "request"]
    upload = next(r for r in requests if r["path"] == "/api/v1/batches" and r["status"] == 200
                  and r.get("kiosk_id") == collector_store.kiosk_id)
    assert upload["role"] == "kiosk" and upload["accepted"] == 1 and upload["ms"] >= 0
    assert any(r["status"] == 401 for r in requests)
    text = collector_server.log_path.read_text()
    for secret in (collector_store.kiosk_token, collector_store.staff_token,
                   collector_server.office_token, collector_server.admin_token,
                   "hymy_wrong-token-value"):
        assert secret not in text
