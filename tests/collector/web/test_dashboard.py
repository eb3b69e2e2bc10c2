"""The HTML dashboard against a real collector process, driven by a real headless Chromium.

The collector runs ``hymy-collector serve`` on loopback with 4 demo stores x 60
days and a tiny store with 3 ratings (too few to rank).  Every number a page
shows is compared with the JSON API's answer for the same store and period:
both come from :mod:`sync.collector.reports`, and these tests keep it so.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sync.clock import format_utc, local_date, utc_now, zone
from sync.collector import Database, Storage
from sync.collector.web.i18n import Translator
from tests.support.browser import login_session, running_collector, submit_token
from tests.support.collector import run_cli

FI = Translator("fi")
EN = Translator("en")


def api(server: dict, path: str, token: str, **params: str) -> dict:
    """GET a JSON API path with a bearer token."""
    answer = requests.get(server["url"] + path, params=params, timeout=10,
                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def login(page, server: dict, token: str) -> None:
    """Log in through the form like a person."""
    page.goto(server["url"] + "/login")
    submit_token(page, token)
    page.wait_for_load_state("load")


def number(value: str) -> float | None:
    """A data-* attribute as a float (empty: None)."""
    return float(value) if value else None


def assert_card_matches(page, selector: str, figures: dict, t: Translator = FI) -> None:
    """A KPI card's raw data and visible text equal the API's figures."""
    card = page.locator(selector)
    assert number(card.get_attribute("data-csat")) == figures["csat"]
    assert number(card.get_attribute("data-ci-low")) == figures["ci_low"]
    assert number(card.get_attribute("data-ci-high")) == figures["ci_high"]
    assert int(card.get_attribute("data-responses")) == figures["responses"]
    if figures["responses"]:
        assert card.locator("[data-role=csat]").inner_text() == t.pct(figures["csat"])
        assert card.locator("[data-role=ci]").inner_text() == t.ci(
            figures["ci_low"], figures["ci_high"])
    assert card.locator("[data-role=responses]").inner_text() == t.responses(
        figures["responses"])


# -- login ------------------------------------------------------------------


@pytest.mark.browser
def test_wrong_token_shows_an_error_and_no_session(browser_page, dashboard_server):
    page = browser_page
    page.goto(dashboard_server["url"] + "/")
    assert urlsplit(page.url).path == "/login"
    with page.expect_response(lambda r: r.url.endswith("/login")) as answer:
        submit_token(page, "hymy_not-a-real-token")
    assert answer.value.status == 401
    assert FI("login_failed") in page.locator(".notice.error").inner_text()
    assert not [c for c in page.context.cookies() if c["name"] == "hymy_session"]


@pytest.mark.browser
def test_staff_login_lands_on_their_store_with_the_api_numbers(browser_page, dashboard_server):
    staff = dashboard_server["tokens"]["staff"]
    page = browser_page
    login(page, dashboard_server, staff["token"])
    assert urlsplit(page.url).path == f"/stores/{staff['store_id']}"
    session = next(c for c in page.context.cookies() if c["name"] == "hymy_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"

    today = page.get_attribute("input[name=to]", "max")
    start = page.get_attribute("input[name=from]", "value")
    end = page.get_attribute("input[name=to]", "value")
    path = f"/api/v1/stores/{staff['store_id']}"
    assert_card_matches(page, "#today", api(dashboard_server, path + "/summary", staff["token"],
                                              **{"from": today, "to": today}))
    assert_card_matches(page, "#period", api(dashboard_server, path + "/summary", staff["token"],
                                               **{"from": start, "to": end}))
    daily = api(dashboard_server, path + "/daily", staff["token"], **{"from": start, "to": end})
    rows = page.locator("#days tbody tr")
    assert rows.count() == len(daily["days"]) == 30
    by_date = {d["date"]: d for d in daily["days"]}
    for i in range(rows.count()):
        row = rows.nth(i)
        expected = by_date[row.get_attribute("data-date")]
        assert int(row.get_attribute("data-responses")) == expected["responses"]
        assert number(row.get_attribute("data-csat")) == expected["csat"]
        assert row.locator(".csat-cell").inner_text() == FI.pct(expected["csat"])
    # Every face count equals the API's, and the trend has one linked point per day.
    period = api(dashboard_server, path + "/summary", staff["token"], **{"from": start, "to": end})
    for score, count in period["counts"].items():
        assert int(page.get_attribute(f"#faces li[data-score='{score}']", "data-count")) == count
    days_with_taps = sum(1 for d in daily["days"] if d["responses"])
    assert page.locator("#trend svg.chart-wide a").count() == days_with_taps


@pytest.mark.browser
def test_office_ranking_equals_the_api_and_clicks_through_to_a_store_and_a_day(
    browser_page, dashboard_server
):
    tokens = dashboard_server["tokens"]
    page = browser_page
    login(page, dashboard_server, tokens["office"])
    assert urlsplit(page.url).path == "/office"
    start = page.get_attribute("input[name=from]", "value")
    end = page.get_attribute("input[name=to]", "value")
    ranking = api(dashboard_server, "/api/v1/ranking", tokens["office"],
                  **{"from": start, "to": end})
    assert ranking["ranked_by"] == "ci_low"
    assert "Wilson" in page.locator("#ranking-rule").inner_text()
    rows = page.locator("#ranking tbody tr[data-store]")
    assert rows.count() == len(ranking["stores"])
    for i, expected in enumerate(ranking["stores"]):
        row = rows.nth(i)
        assert row.get_attribute("data-store") == expected["store_id"]
        assert row.get_attribute("data-rank") == (str(expected["rank"]) if expected["rank"]
                                                  else "")
        assert int(row.get_attribute("data-responses")) == expected["responses"]
        assert number(row.get_attribute("data-csat")) == expected["csat"]
        assert row.locator("[data-role=csat]").inner_text() == FI.pct(expected["csat"])
    tiny = page.locator("#ranking tr.unranked[data-store=tiny]")
    assert tiny.count() == 1 and tiny.locator("td.rank").inner_text() == "–"
    assert FI("too_few").upper() in page.locator("#ranking tr.divider").inner_text().upper()
    assert page.locator("#export-ratings").get_attribute("href").startswith(
        "/office/export/ratings.csv?")

    first = ranking["stores"][0]
    page.click(f"#ranking tr[data-store='{first['store_id']}'] a")
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == f"/stores/{first['store_id']}"
    assert parse_qs(urlsplit(page.url).query) == {"from": [start], "to": [end]}
    period = api(dashboard_server, f"/api/v1/stores/{first['store_id']}/summary",
                 tokens["office"], **{"from": start, "to": end})
    assert_card_matches(page, "#period", period)
    assert period["csat"] == first["csat"]

    link = page.locator("#trend svg.chart-wide a").last
    href = link.get_attribute("href")
    day = href.rsplit("/", 1)[1]
    link.click()
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == f"/stores/{first['store_id']}/days/{day}"
    figures = api(dashboard_server, f"/api/v1/stores/{first['store_id']}/daily",
                  tokens["office"], **{"from": day, "to": day})["days"][0]
    assert_card_matches(page, "#day", figures)
    assert page.locator("#hourly svg.chart-wide .bar").count() > 0


@pytest.mark.browser
def test_staff_cannot_open_another_store_or_the_office_page(browser_page, dashboard_server):
    tokens = dashboard_server["tokens"]
    page = browser_page
    login(page, dashboard_server, tokens["tiny_staff"]["token"])
    assert urlsplit(page.url).path == "/stores/tiny"
    other = tokens["staff"]["store_id"]
    for path in (f"/stores/{other}", f"/stores/{other}/days/2026-01-01", "/office",
                 "/office/export/daily.csv"):
        answer = page.goto(dashboard_server["url"] + path)
        assert answer.status == 403, path
        assert page.locator("#error").count() == 1
        assert page.locator("#today, #ranking").count() == 0


@pytest.mark.browser
def test_logout_ends_the_session_and_back_shows_no_data(browser_page, dashboard_server):
    staff = dashboard_server["tokens"]["staff"]
    page = browser_page
    login(page, dashboard_server, staff["token"])
    store_url = page.url
    old = next(c["value"] for c in page.context.cookies() if c["name"] == "hymy_session")
    page.click("#logout")
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == "/login"
    assert FI("logged_out") in page.locator(".notice").inner_text()
    page.go_back()
    page.wait_for_load_state("load")
    assert page.locator("#today").count() == 0
    page.goto(store_url)
    assert urlsplit(page.url).path == "/login"
    # The old cookie is dead on the server, not just forgotten by the browser.
    answer = requests.get(store_url, cookies={"hymy_session": old}, allow_redirects=False,
                          timeout=10)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


@pytest.mark.browser
def test_english_and_phone_width(browser_chromium, dashboard_server):
    staff = dashboard_server["tokens"]["staff"]
    context = browser_chromium.new_context(viewport={"width": 390, "height": 844},
                                           locale="en-GB", extra_http_headers={
                                               "Accept-Language": "en-GB,en;q=0.9"})
    page = context.new_page()
    try:
        login(page, dashboard_server, staff["token"])
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator("#today-label").inner_text().upper().startswith("TODAY")
        csat = number(page.get_attribute("#period", "data-csat"))
        assert page.locator("#period [data-role=csat]").inner_text() == EN.pct(csat)
        assert re.fullmatch(r"\d+%", EN.pct(csat))
        # One column, no horizontal scrolling, phone charts shown instead of desktop ones.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        assert page.locator("#trend svg.chart-narrow").is_visible()
        assert not page.locator("#trend svg.chart-wide").is_visible()
        page.click("a[hreflang=fi]")
        assert page.locator("html").get_attribute("lang") == "fi"
        page.goto(dashboard_server["url"] + "/")
        assert page.locator("html").get_attribute("lang") == "fi"  # the cookie remembers
    finally:
        context.close()


# -- HTTP-level checks (no browser needed) -----------------------------------


def test_pages_send_security_headers_and_no_inline_script(dashboard_server):
    session = login_session(dashboard_server, dashboard_server["tokens"]["office"])
    for path in ("/login", "/office"):
        answer = session.get(dashboard_server["url"] + path, timeout=10)
        assert answer.status_code == 200
        headers = answer.headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src" not in csp and "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store"
        assert "<script" not in answer.text and "style=" not in answer.text


def test_login_needs_the_csrf_token(dashboard_server):
    url = dashboard_server["url"]
    token = dashboard_server["tokens"]["office"]
    bare = requests.post(url + "/login", data={"token": token}, allow_redirects=False,
                         timeout=10)
    assert bare.status_code == 403 and "hymy_session" not in bare.cookies
    session = requests.Session()
    session.get(url + "/login", timeout=10)
    forged = session.post(url + "/login", data={"token": token, "csrf": "x" * 43},
                          allow_redirects=False, timeout=10)
    assert forged.status_code == 403
    cross = session.post(url + "/login", allow_redirects=False, timeout=10,
                         data={"token": token, "csrf": session.cookies["hymy_csrf"]},
                         headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403


def test_logout_needs_the_session_csrf_token(dashboard_server):
    url = dashboard_server["url"]
    session = login_session(dashboard_server, dashboard_server["tokens"]["office"])
    assert session.post(url + "/logout", data={"csrf": "nope"}, allow_redirects=False,
                        timeout=10).status_code == 403
    assert session.get(url + "/office", allow_redirects=False, timeout=10).status_code == 200
    page = session.get(url + "/office", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    done = session.post(url + "/logout", data={"csrf": csrf}, allow_redirects=False, timeout=10)
    assert done.status_code == 303
    assert session.get(url + "/office", allow_redirects=False, timeout=10).status_code == 303


def test_session_cookie_flags_and_kiosk_tokens_cannot_log_in(dashboard_server):
    url = dashboard_server["url"]
    session = requests.Session()
    form = session.get(url + "/login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = session.post(url + "/login", allow_redirects=False, timeout=10, data={
        "token": dashboard_server["tokens"]["staff"]["token"], "csrf": csrf})
    cookie = answer.headers["set-cookie"]
    assert "hymy_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Max-Age=43200" in cookie
    kiosk = requests.Session()
    form = kiosk.get(url + "/login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    refused = kiosk.post(url + "/login", allow_redirects=False, timeout=10, data={
        "token": dashboard_server["tokens"]["kiosk"]["token"], "csrf": csrf})
    assert refused.status_code == 401 and "kiosk" in refused.text.lower()


def test_csv_exports_for_the_office(dashboard_server):
    url = dashboard_server["url"]
    session = login_session(dashboard_server, dashboard_server["tokens"]["office"])
    day = "2026-01-01"
    daily = session.get(url + "/office/export/daily.csv", timeout=30)  # Finnish: Excel's ;
    assert daily.status_code == 200 and daily.text.startswith("\ufeffstore_id;date;responses;")
    assert "attachment" in daily.headers["content-disposition"]
    ratings = session.get(url + "/office/export/ratings.csv", timeout=60)
    lines = ratings.text.splitlines()
    assert lines[0].startswith("\ufeffingest_seq;id;seq;store_id")
    assert len(lines) > 1000
    assert session.get(url + "/office/export/daily.csv", params={"from": day, "to": day},
                       timeout=10).status_code == 200


def test_static_files_are_only_what_is_shipped(dashboard_server):
    url = dashboard_server["url"]
    css = requests.get(url + "/static/hymy.css", timeout=10)
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert requests.get(url + "/static/face-5.svg", timeout=10).status_code == 200
    for bad in ("/static/pages.py", "/static/..%2Fpages.py", "/static/%2e%2e%2fapp.py"):
        assert requests.get(url + bad, timeout=10).status_code == 404


@pytest.fixture
def dashboard_lonely(tmp_path):
    """A collector of its own (the login throttle is per process and per address)."""
    database = tmp_path / "lonely.db"
    with running_collector(database) as url:
        yield url


def test_failed_logins_are_rate_limited(dashboard_lonely):
    session = requests.Session()
    form = session.get(dashboard_lonely + "/login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    codes = [session.post(dashboard_lonely + "/login", data={"token": "hymy_wrong",
                                                              "csrf": csrf},
                          timeout=10).status_code for _ in range(11)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
    last = session.post(dashboard_lonely + "/login", data={"token": "x", "csrf": csrf},
                        timeout=10)
    assert last.status_code == 429 and int(last.headers["retry-after"]) > 0


def test_revoking_the_token_ends_its_sessions(dashboard_server):
    from sync.collector import Database, Storage

    storage = Storage(Database(str(dashboard_server["database"]), create=False))
    made = storage.add_token("office", label="revoke me")
    session = login_session(dashboard_server, made.token)
    url = dashboard_server["url"] + "/office"
    assert session.get(url, allow_redirects=False, timeout=10).status_code == 200
    storage.revoke_token(made.id)
    assert session.get(url, allow_redirects=False, timeout=10).status_code == 303
    storage.db.close()


def test_alert_thresholds_come_from_the_collector_settings(tmp_path, monkeypatch):
    """Two unhappy taps in ten minutes: a burst only when HYMY_ALERT_BURST_MIN_RESPONSES=2
    (and HappyOrNot's burst rule is chosen; the default rules leave it out)."""
    database = tmp_path / "alerts.db"
    storage = Storage(Database(str(database)))
    storage.db.migrate()
    storage.add_store("s1", "Burst store", "Europe/Helsinki")
    storage.add_kiosk("k1", "s1")
    office = storage.add_token("office").token
    now = utc_now()
    rows = []
    for seq, minutes in enumerate((10, 2), start=1):
        at = now - timedelta(minutes=minutes)
        created = format_utc(at)
        rows.append((f"00000000-0000-4000-8000-00000000000{seq}", seq, "s1", "k1", 1, 5,
                     created, local_date(at, zone("Europe/Helsinki")), "fi", None, 0, 1,
                     created, 0))
    storage.bulk_insert("k1", rows)
    storage.db.close()
    monkeypatch.setenv("HYMY_ALERT_BURST_MIN_RESPONSES", "2")
    monkeypatch.setenv("HYMY_ALERT_RULES", "burst,silent,baseline")
    # The page reads the alert log; the chores (as a cron job would) write it first.
    assert "alerts" in run_cli(database, "chores").stdout
    with running_collector(database) as url:
        page = login_session({"url": url}, office).get(url + "/office?lang=en", timeout=30)
    assert page.status_code == 200
    assert "with at least 2 responses" in page.text
    assert "2 of 2 unhappy within 15\u00a0min" in page.text  # the unit stays with its number


def test_an_unknown_page_is_an_html_404_for_browsers_and_json_for_the_api(dashboard_server):
    url = dashboard_server["url"]
    session = login_session(dashboard_server, dashboard_server["tokens"]["office"])
    page = session.get(url + "/no-such-page", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="error"' in page.text and 'href="/office"' in page.text
    api = session.get(url + "/api/v1/no-such-route", headers={"Accept": "text/html"}, timeout=10)
    not_found = {"detail": "Not Found", "request_id": api.headers["x-request-id"]}
    assert api.status_code == 404 and api.json() == not_found
    script = requests.get(url + "/no-such-page", timeout=10)
    assert script.status_code == 404
    assert script.json() == {**not_found, "request_id": script.headers["x-request-id"]}
