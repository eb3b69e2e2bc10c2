"""A NUL character in a path or query id is a client error on both backends (issue 13).

PostgreSQL's text cannot hold U+0000: psycopg refuses such a parameter before
sending it, which used to surface as a 500 on PostgreSQL (and a 200 with no
rows on SQLite).  The database layer now refuses NUL in every text parameter
on both backends (:class:`~sync.collector.db.connection.Unstorable`), and the
app answers 422, whichever route the value came through.
"""

from __future__ import annotations

import pytest

from sync.collector.db.connection import Database, Unstorable


def test_a_nul_in_any_request_id_is_a_client_error(collector_server, collector_store):
    server, store = collector_server, collector_store
    office, admin, sid = server.office_token, server.admin_token, store.store_id
    for method, path, token, params in [
        ("GET", "/api/v1/stores/%00", office, {}),
        ("GET", "/api/v1/stores/a%00b", office, {}),
        ("GET", "/api/v1/stores/a%00b/daily", office, {}),
        ("GET", "/api/v1/stores/a%00b/kiosks", office, {}),
        ("GET", f"/api/v1/stores/{sid}/daily", office, {"kiosk": "a\x00b"}),
        ("GET", "/api/v1/export/daily", office, {"store": "a\x00"}),
        ("DELETE", "/api/v1/tokens/%00", admin, {}),
    ]:
        answer = server.request(method, path, token, params=params, allow_redirects=False)
        assert 400 <= answer.status_code < 500, (method, path, params, answer.status_code,
                                                 answer.text[:200])
    # The same ids without the NUL still work: nothing was left broken.
    assert store.get("/daily").status_code == 200
    assert store.get("/daily", kiosk=store.kiosk_id).status_code == 200
    assert "unhandled error" not in server.log_path.read_text()


def test_kiosk_query_with_a_nul_is_422_on_both_backends(collector_server, collector_store):
    answer = collector_store.get("/daily", token=collector_server.office_token, kiosk="a\x00b")
    assert answer.status_code == 422, answer.text
    assert "NUL" in answer.json()["detail"]


def test_the_database_layer_refuses_nul_in_text_parameters(collector_database):
    db = Database(collector_database)
    db.migrate()
    try:
        with db.connection() as conn:
            with pytest.raises(Unstorable):
                conn.query("SELECT id FROM stores WHERE id = ?", ["a\x00b"])
            with pytest.raises(Unstorable):
                conn.scalar("SELECT count(*) FROM stores WHERE id = ?", ["\x00"])
            assert conn.scalar("SELECT count(*) FROM stores WHERE id = ?", ["ab"]) == 0
        if db.backend == "postgresql":  # psycopg's own refusal, in a queued write too
            with pytest.raises(Unstorable), db.transaction(serialize=True) as conn:
                conn.executemany("UPDATE stores SET name = ? WHERE id = ?", [("x\x00", "a")])
                conn.scalar("SELECT 1")
            with db.connection() as conn:
                assert conn.scalar("SELECT 1") == 1
    finally:
        db.close()
