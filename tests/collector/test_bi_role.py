"""``hymy-collector bi-role``: a PostgreSQL login that reads the BI views and nothing else.

Run as a user would (the command in a subprocess) on a real PostgreSQL; then
the BI tool's side: connect as the new role and try to read and to write.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from sync.collector.db.bi import BI_VIEWS
from tests.support.collector import run_cli

SECRET_TABLES = ("tokens", "sessions", "enrollment_codes", "kiosks")


@pytest.fixture
def database(postgres_server) -> str:
    """A collector database with a store and one rating, on the test server."""
    url = postgres_server.create_database()
    run_cli(url, "store", "add", "hel", "--name", "Kamppi", "--timezone", "Europe/Helsinki")
    return url


def connect_as(url: str, role: str, password: str):
    """A psycopg connection to ``url``'s database as ``role`` (autocommit, as BI tools run)."""
    import psycopg

    host, database = url.rsplit("@", 1)[1].split("/", 1)
    return psycopg.connect(f"postgresql://{role}:{password}@{host}/{database}", autocommit=True)


def refused(conn, sql: str) -> str:
    """The error ``sql`` meets as this role (it must meet one)."""
    import psycopg

    with pytest.raises(psycopg.Error) as caught:
        conn.execute(sql).fetchall()
    return str(caught.value)


@pytest.mark.postgres
def test_the_role_selects_the_views_and_nothing_else(database: str):
    role = f"bi_{uuid.uuid4().hex[:8]}"
    made = run_cli(database, "bi-role", role)
    password = made.stdout.strip()
    assert len(password) >= 30 and f"Role {role} created" in made.stderr
    assert f"postgresql://{role}@" in made.stderr and password not in made.stderr
    with connect_as(database, role, password) as conn:
        for name in BI_VIEWS:
            conn.execute(f"SELECT * FROM {name}").fetchall()
        assert conn.execute("SELECT store_name FROM bi_store_daily").fetchall() == []
        for table in (*SECRET_TABLES, "ratings", "stores"):
            assert "permission denied" in refused(conn, f"SELECT * FROM {table}"), table
        for sql in ("INSERT INTO stores (id, name, timezone, created_at) VALUES ('x','x','x','x')",
                    "UPDATE ratings SET score = 5", "DELETE FROM daily_counts",
                    "CREATE TABLE mine (x integer)", "DROP VIEW bi_store_daily"):
            assert "read-only transaction" in refused(conn, sql), sql


@pytest.mark.postgres
def test_run_again_it_adds_or_drops_the_ratings_and_keeps_the_password(database: str):
    role = f"bi_{uuid.uuid4().hex[:8]}"
    password = run_cli(database, "bi-role", role).stdout.strip()
    again = run_cli(database, "bi-role", role, "--ratings")
    assert again.stdout == "" and "exists (password unchanged)" in again.stderr
    assert "ratings" in again.stderr
    with connect_as(database, role, password) as conn:
        assert conn.execute("SELECT COUNT(*) FROM ratings").fetchone() == (0,)
        assert "permission denied" in refused(conn, "SELECT * FROM tokens")
    run_cli(database, "bi-role", role)
    with connect_as(database, role, password) as conn:
        assert "permission denied" in refused(conn, "SELECT * FROM ratings")


@pytest.mark.postgres
@pytest.mark.parametrize(("name", "says"), [
    ("hymy", "the collector's own or a superuser"),
    ("Robert'; DROP TABLE ratings; --", "use lower-case letters, digits and _"),
])
def test_the_collectors_own_role_and_odd_names_are_refused(database: str, name: str, says: str):
    done = run_cli(database, "bi-role", name, check=False)
    assert done.returncode == 1 and done.stdout == ""
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_on_sqlite_it_says_how_to_open_the_file_read_only(tmp_path: Path):
    database = tmp_path / "collector.db"
    run_cli(database, "store", "add", "hel", "--name", "Kamppi", "--timezone", "Europe/Helsinki")
    done = run_cli(database, "bi-role", "hymy_bi", check=False)
    assert done.returncode == 1 and "?mode=ro" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
