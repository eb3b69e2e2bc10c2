"""Security properties of the collector, checked on a real server process.

- tokens: stored only as SHA-256 hashes (no plaintext in the database file or
  its WAL), compared with ``hmac.compare_digest``;
- failed-auth rate limiting: after ``auth_failures_per_minute`` bad tokens
  one address gets 429 + ``Retry-After``, while valid tokens (kiosks behind
  the same address) carry on;
- injection: ids, paths and parameters full of SQL and path tricks are
  answered 4xx, and the database is intact afterwards;
- security headers on API answers (errors included) and pages; CSRF and
  Origin checks on the dashboard's forms;
- CORS off by default; ``cors_origins`` allows exactly the origins named;
- secrets never logged: a debug-level log of a session full of tokens holds
  none of them.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from urllib.parse import quote

import pytest
import requests

from sync.collector import tokens as token_module
from sync.collector.auth import FailureThrottle
from sync.collector.db.connection import Database
from sync.collector.db.storage import Storage
from sync.collector.settings import Settings
from tests.support.collector import Collector, batch, rating
from tests.support.fleet import register

pytestmark = pytest.mark.reliability
LIMIT = 5


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A collector at log level debug with a low bad-token limit, one store, one kiosk."""
    collector = Collector(tmp_path_factory.mktemp("security"))
    collector.start(env={"HYMY_LOG_LEVEL": "debug",
                         "HYMY_AUTH_FAILURES_PER_MINUTE": str(LIMIT)})
    collector.kiosk_token = register(collector, "sec", ["sec-1"])["sec-1"]
    staff = collector.request("POST", "/api/v1/tokens", collector.admin_token,
                              json={"role": "staff", "store_id": "sec"})
    collector.staff_token = staff.json()["token"]
    yield collector
    collector.stop()


# -- tokens at rest -------------------------------------------------------------


def test_tokens_are_stored_only_as_hashes(server):
    made = server.request("POST", "/api/v1/tokens", server.admin_token,
                          json={"role": "office", "label": "at rest"}).json()["token"]
    secrets = [server.admin_token, server.office_token, server.kiosk_token,
               server.staff_token, made]
    files = [p for p in server.workdir.glob("collector.db*") if p.is_file()]
    assert files
    raw = b"".join(path.read_bytes() for path in files)
    for secret in secrets:
        assert secret.encode() not in raw, "a token is stored in plain text"
        assert secret[5:].encode() not in raw
    with sqlite3.connect(server.database) as db:
        hashes = {row[0] for row in db.execute("SELECT hash FROM tokens")}
    for secret in secrets:
        assert hashlib.sha256(secret.encode()).hexdigest() in hashes


def test_token_lookup_compares_in_constant_time(tmp_path, monkeypatch):
    storage = Storage(Database(str(tmp_path / "c.db")))
    storage.db.migrate()
    token = storage.add_token("office").token
    calls = []
    real = token_module.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(token_module.hmac, "compare_digest", spy)
    assert storage.principal(token).role == "office"
    assert calls, "token hashes were not compared with hmac.compare_digest"
    assert storage.principal(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    storage.db.close()


# -- failed-auth rate limiting ----------------------------------------------------


def test_failed_auth_window_unit():
    throttle = FailureThrottle(limit=3, window_s=60)
    for second in (0, 1, 2):
        assert throttle.retry_after("a", now=second) == 0
        throttle.failed("a", now=second)
    assert throttle.retry_after("a", now=3) == pytest.approx(57)
    assert throttle.retry_after("b", now=3) == 0  # per address
    assert throttle.retry_after("a", now=60.5) == 0  # the first failure left the window
    assert throttle.retry_after("a", now=70) == 0  # the window slid past


def test_bad_tokens_are_rate_limited_per_address_and_valid_tokens_are_not(server):
    answers = [server.request("GET", "/api/v1/stores", f"hymy_wrong{i}").status_code
               for i in range(LIMIT)]
    assert answers == [401] * LIMIT
    limited = server.request("GET", "/api/v1/stores", "hymy_wrong-again")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "retry" in limited.json()["detail"].lower()
    assert server.request("POST", "/api/v1/batches", "hymy_x", json=batch([])).status_code == 429
    # Valid tokens from the same address are untouched: kiosks keep syncing.
    posted = server.request("POST", "/api/v1/batches", server.kiosk_token,
                            json=batch([rating(1)]))
    assert posted.status_code == 200 and posted.json()["accepted"] == 1
    assert server.request("GET", "/api/v1/stores", server.office_token).status_code == 200
    # A missing token is not a guess: plain 401.
    assert server.request("GET", "/api/v1/stores").status_code == 401


# -- injection --------------------------------------------------------------------

NASTY = [
    "x' OR '1'='1", "1; DROP TABLE ratings; --", "sec' --", '" OR ""="', "sec%00",
    "../../etc/passwd", "..%2F..%2Fetc", "sec\\x00", "%27%3B", "ä" * 70, "a" * 5000,
    "sec/../sec", "$(reboot)", "{{7*7}}", "<script>", "*",
]


def table_counts(database) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        names = [row[0] for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                for name in names}


def test_injection_attempts_are_4xx_and_leave_the_database_intact(server):
    before = table_counts(server.database)
    statuses: dict[int, int] = {}
    for bad in NASTY:
        quoted = quote(bad, safe="")
        for method, path, token, kwargs in [
            ("GET", f"/api/v1/stores/{quoted}", server.office_token, {}),
            ("GET", f"/api/v1/stores/{quoted}/daily", server.office_token, {}),
            ("GET", f"/api/v1/stores/{quoted}/kiosks", server.staff_token, {}),
            ("GET", "/api/v1/stores/sec/daily", server.office_token, {"params": {"kiosk": bad}}),
            ("GET", "/api/v1/stores/sec/summary", server.office_token,
             {"params": {"from": bad}}),
            ("GET", "/api/v1/export/ratings", server.office_token, {"params": {"after": bad}}),
            ("GET", "/api/v1/export/daily", server.office_token, {"params": {"store": bad}}),
            ("GET", "/api/v1/ranking", server.office_token, {"params": {"order": bad}}),
            ("POST", "/api/v1/stores", server.admin_token,
             {"json": {"id": bad, "name": bad, "timezone": "Europe/Helsinki"}}),
            ("POST", "/api/v1/stores", server.admin_token,
             {"json": {"id": "ok-id", "name": "x", "timezone": bad}}),
            ("POST", "/api/v1/stores/sec/kiosks", server.admin_token, {"json": {"id": bad}}),
            ("DELETE", f"/api/v1/tokens/{quoted}", server.admin_token, {}),
            ("GET", f"/stores/{quoted}", None, {"allow_redirects": False}),
        ]:
            answer = server.request(method, path, token, **kwargs)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            assert answer.status_code < 500, (method, path, kwargs, answer.text[:200])
            if kwargs.get("params", {}).get("kiosk") == bad:
                assert answer.status_code == 200  # an unknown kiosk simply has no taps
                assert all(day["responses"] == 0 for day in answer.json()["days"])
            elif kwargs.get("params", {}).get("store") == bad:
                assert answer.status_code == 200  # an unknown store simply has no rows
                assert len(answer.text.strip().splitlines()) == 1  # the CSV header only
            elif method == "GET" and path.startswith("/stores/"):
                assert answer.status_code in (303, 404)
            else:
                assert 400 <= answer.status_code < 500, (method, path, kwargs, answer.text)
    # A time zone that is a folder of the zone database is a 422, not a crash.
    folder = server.request("POST", "/api/v1/stores", server.admin_token,
                            json={"id": "tz-folder", "name": "x", "timezone": "Europe"})
    assert folder.status_code == 422
    assert table_counts(server.database) == before
    with sqlite3.connect(server.database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert server.cli("check", check=False).returncode == 0


# -- headers, CSRF, CORS ------------------------------------------------------------

API_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
               "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@pytest.mark.parametrize(("method", "path", "who"), [
    ("GET", "/healthz", None),
    ("GET", "/openapi.json", None),
    ("GET", "/api/v1/stores", "office"),
    ("GET", "/api/v1/stores", None),            # 401
    ("GET", "/api/v1/stores/nope", "office"),   # 404
    ("GET", "/api/v1/ranking", "kiosk"),        # 403
    ("GET", "/api/v1/ranking?order=x", "office"),  # 422
    ("POST", "/api/v1/batches", "kiosk"),       # 400 (empty body)
    ("GET", "/api/v1/export/ratings?format=csv", "office"),
])
def test_api_answers_carry_security_headers(server, method, path, who):
    token = {"office": server.office_token, "kiosk": server.kiosk_token}.get(who)
    answer = server.request(method, path, token)
    for name, value in API_HEADERS.items():
        assert answer.headers.get(name) == value, (name, answer.status_code)
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert "server" not in {name.lower() for name in answer.headers}


def test_pages_carry_their_own_strict_headers(server):
    answer = server.request("GET", "/login")
    assert answer.status_code == 200
    assert "form-action 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    docs = server.request("GET", "/docs")
    assert docs.headers["X-Content-Type-Options"] == "nosniff"


def login_form(session: requests.Session, url: str) -> str:
    form = session.get(url + "/login", timeout=10)
    return re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)


def test_dashboard_forms_refuse_cross_site_posts(server):
    session = requests.Session()
    csrf = login_form(session, server.url)
    forged = session.post(server.url + "/login", allow_redirects=False, timeout=10,
                          data={"token": server.office_token, "csrf": csrf},
                          headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403 and "hymy_session" not in session.cookies
    no_cookie = requests.post(server.url + "/login", allow_redirects=False, timeout=10,
                              data={"token": server.office_token, "csrf": csrf})
    assert no_cookie.status_code == 403
    done = session.post(server.url + "/login", allow_redirects=False, timeout=10,
                        data={"token": server.office_token, "csrf": csrf},
                        headers={"Origin": server.url})
    assert done.status_code == 303 and "hymy_session" in session.cookies
    office = session.get(server.url + "/office", timeout=10)
    page_csrf = re.search(r'name="csrf" value="([^"]+)"', office.text).group(1)
    logout = session.post(server.url + "/logout", data={"csrf": page_csrf},
                          headers={"Origin": "https://evil.example"}, allow_redirects=False,
                          timeout=10)
    assert logout.status_code == 403
    assert session.get(server.url + "/office", allow_redirects=False,
                       timeout=10).status_code == 200


def test_cors_is_off_by_default(server):
    for method in ("OPTIONS", "GET"):
        answer = server.request(method, "/api/v1/stores", server.office_token, headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})
        assert "access-control-allow-origin" not in {k.lower() for k in answer.headers}
        assert answer.status_code != 200 or method == "GET"


def test_cors_allows_exactly_the_configured_origins(tmp_path):
    collector = Collector(tmp_path)
    collector.start(env={"HYMY_CORS_ORIGINS": "https://dash.example, https://bi.example"})
    try:
        preflight = {"Access-Control-Request-Method": "GET",
                     "Access-Control-Request-Headers": "authorization"}
        good = collector.request("OPTIONS", "/api/v1/stores",
                                 headers={"Origin": "https://dash.example", **preflight})
        assert good.status_code == 200
        assert good.headers["Access-Control-Allow-Origin"] == "https://dash.example"
        assert "access-control-allow-credentials" not in {k.lower() for k in good.headers}
        other = collector.request("OPTIONS", "/api/v1/stores",
                                  headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in {k.lower() for k in other.headers}
        read = collector.request("GET", "/api/v1/stores", collector.office_token,
                                 headers={"Origin": "https://bi.example"})
        assert read.headers["Access-Control-Allow-Origin"] == "https://bi.example"
    finally:
        collector.stop()
    with pytest.raises(ValueError, match="not '\\*'"):
        Settings.from_env({"HYMY_CORS_ORIGINS": "*"})


# -- secrets never logged -------------------------------------------------------------


def test_no_token_reaches_the_log(server):
    session = requests.Session()
    secrets = [server.admin_token, server.office_token, server.kiosk_token, server.staff_token]
    created = server.request("POST", "/api/v1/tokens", server.admin_token,
                             json={"role": "admin", "label": "logged?"}).json()["token"]
    kiosk = server.request("POST", "/api/v1/stores/sec/kiosks", server.admin_token,
                           json={"id": "sec-log"}).json()["token"]
    secrets += [created, kiosk, "hymy_this-one-is-wrong-but-secret-too"]
    for secret in secrets:
        for path in ("/api/v1/stores", "/api/v1/survey", "/api/v1/ranking", "/nope"):
            server.request("GET", path, secret)
        server.request("POST", "/api/v1/batches", secret, data=b"{broken")
        csrf = login_form(session, server.url)
        session.post(server.url + "/login", data={"token": secret, "csrf": csrf}, timeout=10)
    session.cookies.clear()
    time.sleep(0.5)  # let the server flush its log lines
    log = server.log_path.read_text(errors="replace")
    assert log.count('"event": "request"') > 50 and '"role": "admin"' in log
    for secret in secrets:
        assert secret not in log, "a token was logged"
        assert secret[5:25] not in log
    assert "hymy_" not in log
    cookies = re.findall(r"hymy_session=([A-Za-z0-9_-]{20,})", log)
    assert not cookies


def test_the_kiosk_uploader_never_logs_its_token(server, tmp_path, caplog):
    import logging

    from kiosk.store import Store
    from sync.uploader import SyncError, Uploader

    caplog.set_level(logging.DEBUG)
    store = Store(tmp_path / "kiosk.db", "sec", "sec-1", "Europe/Helsinki")
    wrong = "hymy_kiosk-side-secret-that-is-wrong"
    try:
        for _ in range(3):
            store.record_tap(5, 5, "fi", interval=0)
        Uploader(store, server.url, server.kiosk_token).push_all()
        store.record_tap(1, 5, "fi", interval=0)
        with pytest.raises(SyncError) as raised:
            Uploader(store, server.url, wrong).push_all()
    finally:
        store.close()
    text = caplog.text + str(raised.value)
    assert "collector" in text or caplog.records
    for secret in (server.kiosk_token, wrong):
        assert secret not in text and secret[5:25] not in text
