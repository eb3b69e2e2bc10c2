"""People's accounts from the command line and in the database, on both backends.

``hymy-collector user add/list/disable/enable/password`` as an operator types
them (one-line errors for a bad address, a duplicate, an unknown store or
region; people scoped to regions), the
accounts' rows and sessions on SQLite and PostgreSQL, and migration 011 on a
database made by an older release (token sessions keep working).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sync.collector.db.connection import Database
from sync.collector.db.storage import Storage
from sync.collector.tokens import hash_token
from tests.support.collector import release_database, run_cli


def cli(database: str, *args: str, stdin: str = "", env: dict | None = None,
        ) -> subprocess.CompletedProcess:
    """``hymy-collector ARGS --database DATABASE`` with ``stdin``, no mail server set."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HYMY_")}
    return subprocess.run([sys.executable, "-m", "sync.collector", *args, "--database", database],
                          input=stdin, capture_output=True, text=True, timeout=120,
                          env={**environ, **(env or {})})


@pytest.fixture
def chain(collector_database: str) -> str:
    """A database with stores a, b and c."""
    for store in "abc":
        run_cli(collector_database, "store", "add", store, "--name", f"Store {store.upper()}",
                "--timezone", "Europe/Helsinki")
    return collector_database


def test_user_add_prints_the_invitation_link_and_list_shows_the_account(chain):
    done = cli(chain, "user", "add", "Anna@Example.com", "--role", "staff", "--store", "a",
               "--store", "b", "--name", "Anna V")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("http://127.0.0.1:8080/login/invite/")
    assert "Added user anna@example.com (staff, a, b)" in done.stderr
    listed = cli(chain, "user", "list").stdout.split()
    assert listed == ["anna@example.com", "staff", "a,b", "invited", "Anna", "V"]


@pytest.mark.parametrize(("args", "error"), [
    (["anna@example", "--role", "staff", "--store", "a"],
     "Error: 'anna@example' is not an e-mail address (e.g. anna@example.com)"),
    (["ANNA@example.com", "--role", "office"], "Error: a user anna@example.com already exists"),
    (["olli@example.com", "--role", "staff", "--store", "nope"],
     "Error: no store 'nope' (see 'hymy-collector store list')"),
    (["olli@example.com", "--role", "staff"], "Error: a staff user needs at least one --store"
     " STORE_ID or --region REGION"),
    (["olli@example.com", "--role", "office", "--store", "a"],
     "Error: an office user reads every store; leave out --store"),
    (["olli@example.com", "--role", "admin", "--language", "ru"],
     "Error: language is one of fi, sv, en, de, not 'ru'"),
])
def test_bad_user_add_gets_one_line_and_changes_nothing(chain, args, error):
    assert cli(chain, "user", "add", "anna@example.com", "--role", "staff", "--store",
               "a").returncode == 0
    done = cli(chain, "user", "add", *args)
    assert done.returncode == 1
    assert done.stderr.strip() == error
    assert len(cli(chain, "user", "list").stdout.splitlines()) == 1


def test_user_add_scopes_people_to_regions_and_list_shows_them(chain):
    run_cli(chain, "region", "add", "south", "South")
    run_cli(chain, "region", "add", "east", "East", "--parent", "south")
    run_cli(chain, "store", "region", "b", "east")
    office = cli(chain, "user", "add", "rea@example.com", "--role", "office", "--region", "south")
    assert office.returncode == 0, office.stderr
    assert "Added user rea@example.com (office, region:south)" in office.stderr
    staff = cli(chain, "user", "add", "sam@example.com", "--role", "staff", "--store", "c",
                "--region", "south", "--region", "east")
    assert staff.returncode == 0, staff.stderr
    listed = [line.split()[:3] for line in cli(chain, "user", "list").stdout.splitlines()]
    assert listed == [["rea@example.com", "office", "region:south"],
                      ["sam@example.com", "staff", "c,region:east,region:south"]]
    db = Database(chain)
    try:
        storage = Storage(db)
        storage.add_session(hash_token("r" * 40), None, "2999-01-01T00:00:00.000Z",
                            storage.user("rea@example.com")["id"])
        who = storage.session_principal(hash_token("r" * 40))
        assert [who.can_read(store) for store in "abc"] == [False, True, False]
        assert who.can_read_region("east") and not who.chain_wide
        # a region with people in it stays until they are moved out
        gone = run_cli(chain, "region", "remove", "east", check=False)
        assert "holds" in gone.stderr and gone.returncode == 1
    finally:
        db.close()


@pytest.mark.parametrize(("args", "error"), [
    (["--role", "office", "--region", "nope"],
     "Error: no region 'nope' (see 'hymy-collector region list')"),
    (["--role", "staff", "--store", "a", "--region", "nope"],
     "Error: no region 'nope' (see 'hymy-collector region list')"),
    (["--role", "admin", "--region", "south"],
     "Error: an admin user reads every store; leave out --region (only staff and office"
     " users can be scoped to a region)"),
])
def test_a_bad_region_gets_one_line_and_stores_nothing(chain, args, error):
    run_cli(chain, "region", "add", "south", "South")
    done = cli(chain, "user", "add", "olli@example.com", *args)
    assert (done.returncode, done.stderr.strip()) == (1, error)
    assert cli(chain, "user", "list").stdout == ""


def test_disable_enable_and_password_from_the_command_line(chain):
    cli(chain, "user", "add", "anna@example.com", "--role", "office")
    typed = cli(chain, "user", "password", "Anna@example.com", stdin="hunter2hunter2\n"
                "hunter2hunter2\n")
    assert typed.returncode == 0, typed.stderr
    assert "Password of anna@example.com set" in typed.stderr
    assert cli(chain, "user", "list").stdout.split()[4] == "active"
    differ = cli(chain, "user", "password", "anna@example.com",
                 stdin="hunter2hunter2\nhunter3hunter3\nhunter2hunter2\nhunter2hunter2\n")
    assert differ.returncode == 0 and "do not match" in differ.stderr
    short = cli(chain, "user", "password", "anna@example.com", stdin="short\nshort\n")
    assert short.returncode == 1
    assert short.stderr.strip().endswith("Error: a password needs at least 10 characters")
    link = cli(chain, "user", "password", "anna@example.com", "--link")
    assert link.stdout.startswith("http://127.0.0.1:8080/login/invite/")
    assert cli(chain, "user", "disable", "anna@example.com").stdout.strip() == (
        "User anna@example.com disabled; their sessions ended")
    assert "disabled 20" in cli(chain, "user", "list").stdout
    refused = cli(chain, "user", "password", "anna@example.com", "--link")
    assert refused.returncode == 1
    assert refused.stderr.strip() == ("Error: user anna@example.com is disabled;"
                                      " enable them first")
    assert cli(chain, "user", "enable", "anna@example.com").stdout.strip() == (
        "User anna@example.com enabled")
    unknown = cli(chain, "user", "disable", "nobody@example.com")
    assert unknown.stderr.strip() == ("Error: no user nobody@example.com"
                                      " (see 'hymy-collector user list')")


def test_a_users_sessions_and_stores_in_the_database(chain):
    db = Database(chain)
    storage = Storage(db)
    try:
        user = storage.add_user("anna@example.com", "staff", ["a", "b"])
        storage.add_session(hash_token("s" * 40), None, "2999-01-01T00:00:00.000Z", user["id"])
        who = storage.session_principal(hash_token("s" * 40))
        assert (who.role, who.store_ids, who.user_id) == ("staff", ("a", "b"), user["id"])
        assert who.can_read("a") and who.can_read("b") and not who.can_read("c")
        storage.set_user_access("anna@example.com", "staff", ["c"])
        assert storage.session_principal(hash_token("s" * 40)).store_ids == ("c",)
        storage.set_user_disabled("anna@example.com")
        assert storage.session_principal(hash_token("s" * 40)) is None
        storage.set_user_disabled("anna@example.com", disabled=False)
        assert storage.session_principal(hash_token("s" * 40)) is None  # ended, not paused
        with db.connection() as conn:
            assert conn.scalar("SELECT COUNT(*) FROM sessions WHERE user_id = ?",
                               (user["id"],)) == 0
        storage.delete_store("c")  # an empty store goes, and with it the user's access to it
        assert storage.user("anna@example.com")["stores"] == ()
    finally:
        db.close()


@pytest.mark.parametrize("backend_name", ["sqlite", pytest.param("postgresql",
                                                                 marks=pytest.mark.postgres)])
def test_an_older_database_upgrades_and_its_token_sessions_keep_working(backend_name, tmp_path,
                                                                        request):
    database = release_database(backend_name, tmp_path, request)
    db = Database(database)
    try:
        with db.transaction(serialize=True) as conn:
            token_id, store = conn.rows("SELECT id, store_id FROM tokens WHERE role = 'staff'")[0]
            conn.execute("INSERT INTO sessions (hash, token_id, created_at, expires_at)"
                         " VALUES (?, ?, ?, ?)", (hash_token("old-session-id" * 3), token_id,
                                                 "2026-01-01T00:00:00.000Z",
                                                 "2999-01-01T00:00:00.000Z"))
        assert "011_users.sql" in db.migrate()
        storage = Storage(db)
        kept = storage.session_principal(hash_token("old-session-id" * 3))
        assert (kept.token_id, kept.role, kept.store_ids) == (token_id, "staff", (store,))
        user = storage.add_user("Anna@Example.com", "staff", [store])
        storage.add_session(hash_token("new" * 10), None, "2999-01-01T00:00:00.000Z", user["id"])
        assert storage.session_principal(hash_token("new" * 10)).store_ids == (store,)
        with (pytest.raises(Exception),  # noqa: B017,PT011 (the driver's own error class)
              db.transaction(serialize=True) as conn):
            conn.execute("INSERT INTO sessions (hash, created_at, expires_at)"
                             " VALUES ('x', 'a', 'b')")
    finally:
        db.close()
