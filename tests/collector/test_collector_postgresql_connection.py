"""PgConnection's round-trip savers keep the meaning of every call.

Inside a transaction ``executemany`` is queued and sent in one pipeline with
the next statement that answers; ``any_of`` sends strings as one joined text.
These tests pin what callers rely on: order, visibility, errors that roll the
whole transaction back, row counts, serialised writers, and ``any_of`` giving
the same rows as a plain ``IN`` list.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
import threading
import time

import pytest

from sync.collector.db.connection import Busy, Database

pytestmark = pytest.mark.postgres


@pytest.fixture
def db(postgres_server):
    database = Database(postgres_server.create_database())
    with database.transaction(serialize=True) as conn:
        conn.execute("CREATE TABLE t (k text PRIMARY KEY, n integer NOT NULL)")
    yield database
    database.close()


def in_a_new_loop(make):
    """Run a coroutine on a fresh event loop in its own thread (a browser test's
    loop may still run in this one); its result or exception.

    Tasks it leaves behind (a shielded close of a dropped connection) get 10 s
    to finish, not forever: ``asyncio.run`` would wait for them without end.
    """
    def run():
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(make())
        finally:
            pending = asyncio.all_tasks(loop)
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=10))
            loop.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def rows_of(db: Database) -> dict[str, int]:
    with db.connection() as conn:
        return dict(conn.rows("SELECT k, n FROM t"))


def test_queued_executemany_runs_in_order_before_the_next_statement(db):
    upsert = ("INSERT INTO t (k, n) VALUES (?, ?)"
              " ON CONFLICT (k) DO UPDATE SET n = t.n * 10 + excluded.n")
    with db.transaction(serialize=True) as conn:
        conn.executemany(upsert, [("a", 1), ("b", 2)])
        conn.executemany(upsert, [("a", 3)])
        assert conn.in_transaction
        # The query sees every queued write, applied in the order given.
        assert dict(conn.rows("SELECT k, n FROM t")) == {"a": 13, "b": 2}
        conn.executemany(upsert, [("b", 4), ("c", 5)])
        assert conn.execute("UPDATE t SET n = n + 1 WHERE k IN ('a', 'b', 'c')") == 3
        conn.executemany(upsert, [("d", 6)])
        assert sorted(row[0] for row in conn.stream("SELECT k FROM t")) == ["a", "b", "c", "d"]
        conn.executemany(upsert, [("e", 7)])  # only COMMIT follows: sent with it
    assert rows_of(db) == {"a": 14, "b": 25, "c": 6, "d": 6, "e": 7}


def test_queued_writes_are_not_visible_before_commit_and_roll_back_with_it(db):
    class Stop(Exception):
        pass

    with pytest.raises(Stop), db.transaction(serialize=True) as conn:
        conn.executemany("INSERT INTO t (k, n) VALUES (?, ?)", [("a", 1)])
        assert conn.scalar("SELECT COUNT(*) FROM t") == 1
        assert rows_of(db) == {}  # another connection: not committed yet
        conn.executemany("INSERT INTO t (k, n) VALUES (?, ?)", [("b", 2)])
        raise Stop
    assert rows_of(db) == {}


@pytest.mark.parametrize("then", ["query", "execute", "commit", "copy"])
def test_an_error_in_a_queued_executemany_fails_the_whole_transaction(db, then):
    import psycopg
    from psycopg.pq import TransactionStatus

    with db.transaction(serialize=True) as conn:
        conn.executemany("INSERT INTO t (k, n) VALUES (?, ?)", [("a", 1)])
    with pytest.raises(psycopg.errors.UniqueViolation), db.transaction(serialize=True) as conn:
        conn.executemany("INSERT INTO t (k, n) VALUES (?, ?)", [("b", 2)])
        conn.executemany("INSERT INTO t (k, n) VALUES (?, ?)", [("a", 3), ("c", 4)])
        if then == "query":
            conn.rows("SELECT k FROM t")
        elif then == "execute":
            conn.execute("UPDATE t SET n = 0")
        elif then == "copy":
            conn.insert_many("t", ("k", "n"), [("d", 5)])
    assert rows_of(db) == {"a": 1}
    # The pooled connection is clean again.
    with db.transaction(serialize=True) as conn:
        conn.executemany("INSERT INTO t (k, n) VALUES (?, ?)", [("z", 9)])
        assert conn.raw.info.transaction_status != TransactionStatus.INERROR
    assert rows_of(db) == {"a": 1, "z": 9}


def test_executemany_outside_a_transaction_runs_at_once(db):
    with db.connection() as conn:
        conn.executemany("INSERT INTO t (k, n) VALUES (?, ?)", [("a", 1), ("b", 2)])
        assert not conn.in_transaction
    assert rows_of(db) == {"a": 1, "b": 2}


@pytest.mark.parametrize("values", [
    ["a", "b", "c"],
    ["a"],
    [],
    [""],
    ["", "a"],
    ["a,b", "c"],           # a comma: goes as an array
    [",", ""],
    ["it's", 'quo"te', "back\\slash", "tab\there", "ü", "NULL"],
    ["a", "a", "b"],
])
def test_any_of_strings_finds_exactly_what_an_in_list_finds(db, values):
    stored = ["a", "b", "c", "", ",", "a,b", "it's", 'quo"te', "back\\slash", "tab\there",
              "ü", "NULL", "x"]
    with db.transaction(serialize=True) as conn:
        conn.insert_many("t", ("k", "n"), [(k, i) for i, k in enumerate(stored)])
    with db.connection() as conn:
        where, params = conn.any_of("k", values)
        found = sorted(row[0] for row in conn.rows(f"SELECT k FROM t WHERE {where}", params))
    assert found == sorted(set(values) & set(stored))


def test_any_of_integers(db):
    with db.transaction(serialize=True) as conn:
        conn.executemany("INSERT INTO t (k, n) VALUES (?, ?)",
                         [(str(i), i) for i in range(10)])
    with db.connection() as conn:
        where, params = conn.any_of("n", [2, 3, 5, 2**40])
        assert sorted(r[0] for r in conn.rows(f"SELECT n FROM t WHERE {where}", params)) == [
            2, 3, 5]


def test_serialised_writers_still_run_one_after_the_other(postgres_server):
    url = postgres_server.create_database()
    first, second = Database(url), Database(url)  # separate pools: only the database lock
    with first.transaction(serialize=True) as conn:
        conn.execute("CREATE TABLE log (n serial PRIMARY KEY, who text NOT NULL)")
    inside, done = threading.Event(), []

    def other() -> None:
        inside.wait(10)
        with second.transaction(serialize=True) as conn:
            conn.executemany("INSERT INTO log (who) VALUES (?)", [("second",)])
        done.append(time.monotonic())

    thread = threading.Thread(target=other)
    thread.start()
    with first.transaction(serialize=True) as conn:
        conn.executemany("INSERT INTO log (who) VALUES (?)", [("first",)])
        # The lock travels with the first statement that answers (here with the insert).
        assert conn.scalar("SELECT COUNT(*) FROM log") == 1
        inside.set()
        time.sleep(0.5)  # the other writer waits for the lock meanwhile
        conn.executemany("INSERT INTO log (who) VALUES (?)", [("first",)])
        committed = time.monotonic()
    thread.join(20)
    assert done and done[0] >= committed
    with first.connection() as conn:
        assert [r[0] for r in conn.rows("SELECT who FROM log ORDER BY n")] == [
            "first", "first", "second"]
    first.close()
    second.close()


def test_a_lock_wait_past_lock_timeout_is_busy_and_the_connection_stays_usable(db):
    import psycopg

    from sync.collector.db.connection import WRITE_LOCK_KEY

    with psycopg.connect(db.url, autocommit=True) as holder:
        holder.execute("BEGIN")
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
        with db.connection() as conn:
            conn.execute("SET lock_timeout = '100ms'")
        with pytest.raises(Busy), db.transaction(serialize=True) as conn:
            conn.executemany("INSERT INTO t (k, n) VALUES (?, ?)", [("a", 1)])
        holder.execute("ROLLBACK")
    with db.transaction(serialize=True) as conn:
        conn.executemany("INSERT INTO t (k, n) VALUES (?, ?)", [("b", 2)])
    assert rows_of(db) == {"b": 2}


def test_a_read_transaction_keeps_one_snapshot_from_its_first_statement(db):
    with db.transaction() as conn:
        assert sorted(row[0] for row in conn.stream("SELECT k FROM t")) == []
        with db.transaction(serialize=True) as writer:
            writer.executemany("INSERT INTO t (k, n) VALUES (?, ?)", [("a", 1)])
        assert conn.scalar("SELECT COUNT(*) FROM t") == 0  # REPEATABLE READ
    assert rows_of(db) == {"a": 1}


def test_several_statements_in_one_string_still_run_inside_a_transaction(db):
    with db.transaction(serialize=True) as conn:
        conn.executemany("INSERT INTO t (k, n) VALUES (?, ?)", [("a", 1)])
        conn.execute("UPDATE t SET n = n + 1; UPDATE t SET n = n * 10")
    with db.transaction(serialize=True) as conn:
        conn.execute("INSERT INTO t (k, n) VALUES ('b', 1); INSERT INTO t (k, n) VALUES ('c', 2)")
    assert rows_of(db) == {"a": 20, "b": 1, "c": 2}


def test_empty_transactions_commit_and_leave_the_connection_idle(db):
    for serialize in (True, False):
        with db.transaction(serialize=serialize) as conn:
            pass
        assert not conn.in_transaction
    with db.connection() as conn:
        assert conn.scalar("SELECT 1") == 1


def test_lookups_from_the_event_loop_reuse_replace_and_bound_their_connections(db):
    import psycopg

    from sync.collector.db.connection import ASYNC_CONNECTIONS

    with db.transaction(serialize=True) as conn:
        conn.executemany("INSERT INTO t (k, n) VALUES (?, ?)", [("a", 1), ("b", 2)])

    async def backend() -> int:
        return (await db.query_one_async("SELECT pg_backend_pid() AS pid"))["pid"]

    async def scenario():
        assert await db.query_one_async("SELECT k, n FROM t WHERE k = ?", ("b",)) == {
            "k": "b", "n": 2}
        assert await db.query_one_async("SELECT k FROM t WHERE k = ?", ("zz",)) is None
        first = await backend()
        opened = db._async_pool.get_stats()["connections_num"]
        assert {await backend() for _ in range(5)} == {first}  # kept open and used again
        assert db._async_pool.get_stats()["connections_num"] == opened
        # The server ends every session (a restart, a failover): the next lookup
        # notices the farewell on the idle connection and opens a new one.
        with psycopg.connect(db.url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
                          " WHERE datname = current_database() AND pid <> pg_backend_pid()")
        assert await db.query_one_async("SELECT n FROM t WHERE k = ?", ("a",)) == {"n": 1}
        assert await backend() != first
        # Many at once never open more than ASYNC_CONNECTIONS.
        answers = await asyncio.gather(*(db.query_one_async(
            "SELECT pg_sleep(0.05), 7 AS n, pg_backend_pid() AS pid")
            for _ in range(3 * ASYNC_CONNECTIONS)))
        assert [answer["n"] for answer in answers] == [7] * (3 * ASYNC_CONNECTIONS)
        assert 1 < len({answer["pid"] for answer in answers}) <= ASYNC_CONNECTIONS
        assert db._async_pool.get_stats()["pool_size"] <= ASYNC_CONNECTIONS
        await db.close_async()
        assert db._async_pool is None

    in_a_new_loop(scenario)


def test_an_unreachable_server_makes_an_event_loop_lookup_busy():
    dead = Database("postgresql://hymy@127.0.0.1:1/hymy?connect_timeout=2")
    with pytest.raises(Busy, match="cannot connect"):
        in_a_new_loop(lambda: dead.query_one_async("SELECT 1"))


def test_a_lookup_that_takes_too_long_is_busy_and_its_connection_dropped(db, monkeypatch):
    from sync.collector.db import connection as dbmodule

    monkeypatch.setattr(dbmodule, "BUSY_TIMEOUT_S", 0.5)

    async def scenario():
        slow = (await db.query_one_async("SELECT pg_backend_pid() AS pid"))["pid"]
        with pytest.raises(Busy, match="did not answer in time"):
            await db.query_one_async("SELECT pg_sleep(5)")
        assert await db.query_one_async("SELECT 2 AS two") == {"two": 2}
        # The cancelled query's connection was closed, not reused.
        assert (await db.query_one_async("SELECT pg_backend_pid() AS pid"))["pid"] != slow
        assert db._async_pool.get_stats()["returns_bad"] == 1

    in_a_new_loop(scenario)


def test_lookups_work_from_one_event_loop_after_another(db):
    async def many():
        return await asyncio.gather(*(db.query_one_async("SELECT pg_sleep(0.02), 1 AS n")
                                      for _ in range(10)))

    for _ in range(2):  # a second loop must not meet the first loop's semaphore or connections
        assert [row["n"] for row in in_a_new_loop(many)] == [1] * 10


class TcpProxy:
    """A loopback TCP relay to the test server that can play "the server went away"."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.upstream_port))
            self.sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every connection and refuse new ones (a server restart, a network cut)."""
        self.open = False
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.sockets = []

    def close(self) -> None:
        self.cut()
        self.listener.close()


def test_while_the_server_is_away_both_pools_say_busy_and_recover_after(postgres_server,
                                                                        monkeypatch):
    from sync.collector.db import connection as dbmodule

    monkeypatch.setattr(dbmodule, "BUSY_TIMEOUT_S", 2)
    url = postgres_server.create_database()
    proxy = TcpProxy(postgres_server.port)
    db = Database(url.replace(f":{postgres_server.port}/", f":{proxy.port}/")
                  + "?connect_timeout=2")

    def sync_lookup() -> int:
        with db.connection() as conn:
            return conn.scalar("SELECT 1")

    async def scenario():
        assert sync_lookup() == 1
        assert await db.query_one_async("SELECT 1 AS n") == {"n": 1}
        proxy.cut()
        with pytest.raises(Busy, match="cannot connect"):
            sync_lookup()
        with pytest.raises(Busy):
            await db.query_one_async("SELECT 1 AS n")
        # Away for a while: psycopg_pool's backoff alone (1, 2, 4, 8 s...) would
        # next retry some 15 s after the cut; past reconnect_timeout the pools
        # stop retrying, and the first request back opens a connection at once.
        await asyncio.sleep(8)
        proxy.open = True
        began = time.monotonic()
        assert sync_lookup() == 1
        assert await db.query_one_async("SELECT 1 AS n") == {"n": 1}
        assert time.monotonic() - began < 1
        await db.close_async()

    try:
        in_a_new_loop(scenario)
    finally:
        db.close()
        proxy.close()
