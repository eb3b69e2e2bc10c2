"""Enrollment: a one-time code, printed by the CLI, traded once for a working kiosk token.

On a collector in this process (real HTTP on loopback, a real SQLite file):
``hymy-collector kiosk add`` prints a code whose hash alone is stored,
``POST /api/v1/enroll`` exchanges it once for a new token that uploads, a
second use, an expired or a replaced code get 410 and change nothing, a wrong
code 404, and an address that keeps guessing gets 429 even for a right code.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from sync.clock import parse_utc
from sync.collector.cli import cli
from sync.collector.tokens import hash_code
from tests.support.collector import batch, rating
from tests.support.inprocess import collector_in_process

CODE = re.compile(r"\b([3-9A-Z]{4}-[3-9A-Z]{4})\b")


def run(database: Path, *args: str) -> tuple[str, str]:
    """``hymy-collector ARGS --database DATABASE``: (stdout, stderr); fails on exit != 0."""
    done = CliRunner().invoke(cli, [*args, "--database", str(database)])
    assert done.exit_code == 0, done.output
    return done.stdout, done.stderr


def codes_table(database: Path) -> list[dict]:
    with sqlite3.connect(database) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute("SELECT * FROM enrollment_codes ORDER BY id")]


def tokens_of(database: Path, kiosk_id: str) -> int:
    with sqlite3.connect(database) as conn:
        return conn.execute("SELECT COUNT(*) FROM tokens WHERE kiosk_id = ?",
                            (kiosk_id,)).fetchone()[0]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "c.db"
    run(path, "store", "add", "s1", "--name", "Kamppi", "--timezone", "Europe/Helsinki")
    return path


def test_kiosk_add_prints_the_token_and_a_code_whose_hash_alone_is_stored(database):
    out, err = run(database, "kiosk", "add", "k1", "--store", "s1")
    assert re.fullmatch(r"hymy_\S+\n", out)  # stdout: still just the token
    code = CODE.search(err).group(1)
    assert "hymy-kiosk enroll URL " + code + " --config /etc/hymy/kiosk.toml" in err
    [row] = codes_table(database)
    assert row["hash"] == hash_code(code) and code not in repr(row)
    assert row["kiosk_id"] == "k1" and row["used_at"] is None
    assert f"until {row['expires_at']}" in err
    # --code-valid: the expiry follows it; a fresh code replaces the old one.
    out, err = run(database, "kiosk", "enroll-code", "k1", "--code-valid", "2")
    fresh = out.strip()
    assert CODE.fullmatch(fresh) and fresh in err and fresh != code
    old, new = codes_table(database)
    assert old["replaced_at"] is not None and new["replaced_at"] is None
    hours = (parse_utc(new["expires_at"]) - parse_utc(new["created_at"])).total_seconds() / 3600
    assert hours == pytest.approx(2)
    assert (parse_utc(old["expires_at"]) - parse_utc(old["created_at"])).days == 1


def test_enroll_code_for_a_missing_kiosk_is_one_line(database):
    done = CliRunner().invoke(cli, ["kiosk", "enroll-code", "nope", "--database", str(database)])
    assert done.exit_code == 1
    assert done.stderr.strip() == ("Error: no kiosk 'nope'; 'hymy-collector kiosk list'"
                                   " shows them")


def test_a_code_is_exchanged_once_for_a_token_that_uploads(database):
    _, err = run(database, "kiosk", "add", "k1", "--store", "s1", "--label", "Exit")
    code = CODE.search(err).group(1)
    with collector_in_process(database) as served:
        # Case, spaces and dashes do not matter: people type codes.
        answer = served.call("POST", "/api/v1/enroll",
                             json_body={"code": code.lower().replace("-", " ")})
        assert answer.status == 200, answer.body
        got = answer.body
        assert {k: got[k] for k in ("store_id", "store_name", "kiosk_id", "timezone")} == {
            "store_id": "s1", "store_name": "Kamppi", "kiosk_id": "k1",
            "timezone": "Europe/Helsinki"}
        assert got["sync_url"] == served.url
        assert got["survey"]["scale"] == 5 and got["token"].startswith("hymy_")
        [row] = codes_table(database)
        assert row["used_at"] is not None and row["token_id"] is not None

        upload = served.call("POST", "/api/v1/batches", got["token"],
                             json_body=batch([rating(1, store_id="s1", kiosk_id="k1")]))
        assert upload.status == 200 and upload.body["accepted"] == 1

        again = served.call("POST", "/api/v1/enroll", json_body={"code": code})
        assert again.status == 410
        assert again.detail.startswith("this enrollment code was already used at ")
        assert tokens_of(database, "k1") == 2  # the first one and the enrolled one; no third


def test_expired_and_replaced_codes_are_gone_and_change_nothing(database):
    _, err = run(database, "kiosk", "add", "k1", "--store", "s1")
    first = CODE.search(err).group(1)
    second, _ = run(database, "kiosk", "enroll-code", "k1")
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE enrollment_codes SET expires_at = '2020-01-01T00:00:00.000Z'"
                     " WHERE hash = ?", (hash_code(second.strip()),))
    before = codes_table(database)
    with collector_in_process(database) as served:
        expired = served.call("POST", "/api/v1/enroll", json_body={"code": second.strip()})
        assert (expired.status, expired.detail) == (
            410, "this enrollment code expired at 2020-01-01T00:00:00.000Z; issue a new one"
                 " with 'hymy-collector kiosk enroll-code k1'")
        replaced = served.call("POST", "/api/v1/enroll", json_body={"code": first})
        assert replaced.status == 410 and "replaced by a newer one" in replaced.detail
    assert codes_table(database) == before
    assert tokens_of(database, "k1") == 1


def test_wrong_codes_are_refused_then_throttled_even_when_right(database):
    _, err = run(database, "kiosk", "add", "k1", "--store", "s1")
    code = CODE.search(err).group(1)
    with collector_in_process(database) as served:
        from sync.collector.api.enroll import ENROLL_FAILURES_PER_MINUTE

        wrong = [served.call("POST", "/api/v1/enroll", json_body={"code": f"AAAA-{n:04d}"})
                 for n in range(ENROLL_FAILURES_PER_MINUTE)]
        assert {answer.status for answer in wrong} == {404}
        assert wrong[0].detail.startswith("unknown enrollment code")
        held = served.call("POST", "/api/v1/enroll", json_body={"code": code})
        assert held.status == 429 and int(held.headers["retry-after"]) > 0
        # Another address is not slowed, and the right code still works there, once.
        other = served.call("POST", "/api/v1/enroll", json_body={"code": code},
                            source="127.0.0.2")
        assert other.status == 200
        # A body without a code is a 422 with a sentence, not a crash.
        empty = served.call("POST", "/api/v1/enroll", json_body={}, source="127.0.0.3")
        assert empty.status == 422 and "code" in empty.detail
    assert tokens_of(database, "k1") == 2


def test_enroll_is_in_the_openapi_schema_with_its_answer(database):
    with collector_in_process(database) as served:
        schema = served.call("GET", "/openapi.json").body
    operation = schema["paths"]["/api/v1/enroll"]["post"]
    assert "security" not in operation
    assert set(operation["responses"]) >= {"200", "404", "410", "429"}
    model = schema["components"]["schemas"]["Enrollment"]
    assert set(model["required"]) >= {"store_id", "kiosk_id", "timezone", "token", "survey",
                                      "sync_url"}


def test_deleting_a_kiosk_with_codes_deletes_them(database):
    run(database, "kiosk", "add", "k1", "--store", "s1")
    run(database, "kiosk", "delete", "k1")
    assert codes_table(database) == []
