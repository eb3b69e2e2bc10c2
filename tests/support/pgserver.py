"""A throwaway PostgreSQL server for the tests: ``initdb`` into a temporary folder.

:func:`start` finds Debian's server binaries (``/usr/lib/postgresql/*/bin``,
``pg_config --bindir`` or ``PATH``), runs ``initdb`` with trust authentication
for local connections, and starts ``postgres`` on a free loopback port with its
socket in the same folder and durability switched off (``fsync=off``: a test
server that loses data on a power cut is fine).  PostgreSQL refuses to run as
root, so as root the server runs as the ``postgres`` user that Debian's package
creates.  :meth:`PostgresServer.create_database` gives each collector its own
fresh database; :meth:`PostgresServer.stop` shuts the server down
(``pg_ctl stop``) and removes the folder.

:meth:`PostgresServer.start_replica` makes a hot standby of a server with
``pg_basebackup -R`` (a replication role, a ``pg_hba.conf`` line) and starts it
on another port; :meth:`PostgresServer.halt` and :meth:`PostgresServer.launch`
stop and start a server keeping its data (a replica going away and coming back).

``HYMY_TEST_POSTGRES_URL=postgresql://USER@HOST:PORT/postgres`` uses an existing
server instead (USER needs CREATEDB).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUPERUSER = "hymy"
_numbers = itertools.count(1)


class Unavailable(Exception):
    """No PostgreSQL server binaries on this machine (the reason says what to install)."""


def find_bindir() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, newest version first."""
    if os.environ.get("HYMY_PG_BINDIR"):
        return Path(os.environ["HYMY_PG_BINDIR"])
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda path: int(Path(path).parts[-3]) if
                        Path(path).parts[-3].isdigit() else 0, reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    if shutil.which("pg_config"):
        done = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        bindir = Path(done.stdout.strip())
        if (bindir / "initdb").exists():
            return bindir
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise Unavailable("PostgreSQL server binaries (initdb) not found: apt-get install postgresql"
                      " (make test installs it), or set HYMY_PG_BINDIR")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as() -> dict[str, Any]:
    """``subprocess`` arguments that drop root to the ``postgres`` user (none otherwise)."""
    if os.geteuid() != 0:
        return {}
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable("running as root and there is no 'postgres' user to run the"
                          " test server as (apt-get install postgresql creates it)") from None
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


@dataclass
class PostgresServer:
    """A running server: its folder, port, binaries, and a URL per database."""

    folder: Path
    port: int
    bindir: Path
    run_as: dict[str, Any] = field(default_factory=dict)
    external: str | None = None
    settings: str = ""  # postgres -c options: FAST or DURABLE

    def url(self, database: str = "postgres") -> str:
        """``postgresql://`` URL of one database on this server."""
        if self.external:
            base = self.external.rsplit("/", 1)[0]
            return f"{base}/{database}"
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement on the ``postgres`` database (autocommit)."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, prefix: str = "hymy_test") -> str:
        """A new empty database; its URL."""
        name = f"{prefix}_{os.getpid()}_{next(_numbers)}"
        self.admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def restore(self, script: Path) -> str:
        """A new database holding a gzipped ``pg_dump`` script's tables and rows; its URL
        (the upgrade fixtures of ``tests/fixtures/upgrade``)."""
        import gzip

        url = self.create_database()
        text = "\n".join(line for line in gzip.decompress(script.read_bytes()).decode().splitlines()
                         if not line.startswith(("\\restrict", "\\unrestrict")))
        subprocess.run([self.tool("psql"), "--quiet", "--set", "ON_ERROR_STOP=1",
                        "--dbname", url], input=text, text=True, check=True, capture_output=True)
        return url

    def tool(self, name: str) -> str:
        """Path of a client program of this server's version (pg_dump, pg_restore, psql)."""
        if self.external:
            return shutil.which(name) or name
        return str(self.bindir / name)

    def stop(self) -> None:
        """``pg_ctl stop -m fast`` and remove the folder."""
        if self.external:
            return
        self.halt()
        shutil.rmtree(self.folder, ignore_errors=True)

    def halt(self) -> None:
        """Stop the server (``pg_ctl stop -m fast``) and keep its data: :meth:`launch` again."""
        subprocess.run([str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"),
                        "-m", "fast", "-w", "stop"], capture_output=True, timeout=60,
                       cwd=self.folder, **self.run_as)

    def launch(self) -> None:
        """Start the server on its port (a free one the first time, tried up to 3 times)."""
        for attempt in itertools.count(1):
            port = self.port or free_port()
            options = (f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1"
                       f" {self.settings} -c max_connections=300 -c shared_buffers=128MB")
            started = subprocess.run(
                [str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"),
                 "-l", str(self.folder / "server.log"), "-o", options, "-w", "-t", "60",
                 "start"],
                capture_output=True, text=True, timeout=90, cwd=self.folder, **self.run_as,
            )
            if started.returncode == 0:
                self.port = port
                return
            if attempt == 3 or self.port:
                log = (self.folder / "server.log").read_text(errors="replace")
                raise RuntimeError(f"PostgreSQL did not start:\n{started.stderr}\n{log}")

    def start_replica(self) -> PostgresServer:
        """A hot standby of this server, streaming its WAL, on another port.

        As docs/deploy.md sets one up: a role with REPLICATION, a ``pg_hba.conf``
        line letting it connect for replication, then ``pg_basebackup -R``
        (which writes ``standby.signal`` and ``primary_conninfo``).  This server
        already runs with ``wal_level=replica``, PostgreSQL's default.
        """
        if self.external:
            raise Unavailable("a replica needs the tests' own server, not HYMY_TEST_POSTGRES_URL")
        self.admin(f"CREATE ROLE {REPLICATOR} WITH REPLICATION LOGIN")
        with open(self.folder / "data" / "pg_hba.conf", "a") as hba:
            hba.write(f"host replication {REPLICATOR} 127.0.0.1/32 trust\n")
        self.admin("SELECT pg_reload_conf()")
        folder = _new_folder(self.run_as)
        try:
            backup = subprocess.run(
                [str(self.bindir / "pg_basebackup"), "-D", str(folder / "data"),
                 "-h", "127.0.0.1", "-p", str(self.port), "-U", REPLICATOR,
                 "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"],
                capture_output=True, text=True, timeout=120, cwd=folder, **self.run_as,
            )
            if backup.returncode != 0:
                raise RuntimeError(f"pg_basebackup failed:\n{backup.stdout}\n{backup.stderr}")
            replica = PostgresServer(folder, 0, self.bindir, self.run_as, settings=self.settings)
            replica.launch()
            return replica
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise


FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
DURABLE = "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
#: The role a replica streams the primary's WAL as (:meth:`PostgresServer.start_replica`).
REPLICATOR = "hymy_replicator"


def start(durable: bool = False) -> PostgresServer:
    """initdb + start a private server; raises :class:`Unavailable` without binaries.

    ``durable=True`` keeps PostgreSQL's production durability (for benchmarks
    that compare with SQLite's ``synchronous=FULL``); the tests don't need it.
    """
    external = os.environ.get("HYMY_TEST_POSTGRES_URL")
    if external:
        return PostgresServer(Path(), 0, Path(), external=external)
    bindir = find_bindir()
    run_as = _run_as()
    folder = _new_folder(run_as)
    try:
        initdb = subprocess.run(
            [str(bindir / "initdb"), "-D", str(folder / "data"), "-U", SUPERUSER,
             "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
            capture_output=True, text=True, timeout=120, cwd=folder, **run_as,
        )
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{initdb.stdout}\n{initdb.stderr}")
        server = PostgresServer(folder, 0, bindir, run_as,
                                settings=DURABLE if durable else FAST)
        server.launch()
        return server
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    raise AssertionError("unreachable")


def _new_folder(run_as: dict[str, Any]) -> Path:
    """A temporary folder for a server's data, owned by the user the server runs as.

    Not under pytest's tmp folder: that one is private to root (0700), and the
    server runs as 'postgres'.
    """
    folder = Path(tempfile.mkdtemp(prefix="hymy-pg-"))
    if run_as:
        os.chown(folder, run_as["user"], run_as["group"])
    return folder
