"""A database password never reaches a log or a message, whatever form it takes (issue 13).

``postgresql://USER:PASSWORD@HOST/DB`` was masked, but ``?password=`` (and
``&password=``, ``sslpassword=``, libpq keyword strings) went to the start-up
log and to CLI errors in clear.  :func:`~sync.collector.db.connection.redact`
is the one function every place that shows a database URL goes through.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sync.collector.db.connection import redact
from tests.support.collector import Collector

SECRET = "Sekr1t-pw"  # noqa: S105 - a made-up password that must never be shown
#: A server nobody listens on (connection refused at once).
DEAD = "127.0.0.1:1"
FORMS = [
    f"postgresql://hymy:{SECRET}@{DEAD}/hymy",
    f"postgresql://hymy@{DEAD}/hymy?password={SECRET}",
    f"postgresql://hymy@{DEAD}/hymy?sslmode=prefer&password={SECRET}",
    f"postgresql://hymy@{DEAD}/hymy?connect_timeout=5&password={SECRET}&application_name=x",
    f"postgresql://hymy@{DEAD}/hymy?sslpassword={SECRET}",
    f"postgres://hymy:{SECRET}@{DEAD}/hymy?password={SECRET}2",
    f"postgresql://hymy:{SECRET}%40x@{DEAD}/hymy",
    f"host=127.0.0.1 port=1 dbname=hymy password={SECRET}",
    f"host=127.0.0.1 port=1 password = '{SECRET} x' dbname=hymy",
]


@pytest.mark.parametrize("url", FORMS)
def test_redact_masks_every_password_form(url):
    shown = redact(url)
    assert SECRET not in shown and "***" in shown
    assert "127.0.0.1" in shown and "hymy" in shown  # the rest stays readable


def test_redact_leaves_what_is_not_a_secret():
    for text in ("/var/lib/hymy/hymy.db", "sqlite:///tmp/x.db", "postgresql://hymy@db/hymy",
                 "postgresql://hymy@db/hymy?passfile=/etc/hymy/pgpass&sslkey=/k.pem"):
        assert redact(text) == text


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sync.collector", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("url", FORMS)
def test_cli_errors_never_show_the_password(url):
    for args in (["store", "list", "--database", url], ["check", "--database", url]):
        done = run_cli(*args)
        output = done.stdout + done.stderr
        assert done.returncode == 1, output
        assert SECRET not in output, output
        assert "Traceback" not in output
        if url.startswith("postgres"):
            assert "cannot connect" in output and "***" in output, output


@pytest.mark.postgres
def test_the_start_up_log_never_shows_the_password(postgres_server, tmp_path: Path):
    # The test server trusts loopback, so any password works, and must never be shown.
    forms = [lambda url: url.replace("://hymy@", f"://hymy:{SECRET}@"),
             lambda url: f"{url}?password={SECRET}",
             lambda url: f"{url}?application_name=hymy-test&password={SECRET}",
             lambda url: f"{url}?sslpassword={SECRET}"]
    for number, form in enumerate(forms):
        url = form(postgres_server.create_database())
        (tmp_path / str(number)).mkdir()
        collector = Collector(tmp_path / str(number), url)
        collector.start()
        try:
            store = collector.new_store()
            assert store.post(store.ratings([5])).status_code == 200
        finally:
            collector.stop()
        log = collector.log_path.read_text()
        assert "collector started" in log
        assert SECRET not in log and "***" in log, log
        # The demo refuses a database with stores, naming it in its message.
        shown = collector.cli("demo", "--stores", "1", "--days", "1", check=False)
        assert "already holds" in shown.stderr and "***" in shown.stderr, shown.stderr
        assert SECRET not in shown.stdout + shown.stderr
