"""Every dashboard page for everyone: axe-core, the keyboard, a phone, and charts in words.

A real collector with demo data (``dashboard_server``) and Debian's Chromium.
axe-core (through axe-playwright-python) checks each page with the WCAG 2.0,
2.1 and 2.2 A and AA rules, as each role that can open it, in Finnish and
English, at a desktop and a phone width, with every ``<details>`` opened so
folded content is checked too.  ``/docs`` (Swagger UI, third-party and
hash-pinned) is left out; docs/dashboard.md says why.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from sync.clock import format_utc, utc_now
from sync.collector.web.i18n import Translator, round_half_up
from tests.support.browser import log_in, signed_in_page, submit_token

FI = Translator("fi")

#: axe-core's tags for the WCAG 2.0, 2.1 and 2.2 success criteria at levels A and AA.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
#: What a keyboard can reach, as a browser's Tab key sees it.
FOCUSABLE = ("a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), "
             "select, textarea, summary, [tabindex]:not([tabindex='-1'])")


def api(server: dict, path: str, token: str, **params: str) -> dict:
    """GET a JSON API path with a bearer token."""
    answer = requests.get(server["url"] + path, params=params, timeout=10,
                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def yesterday() -> str:
    """A day with demo ratings in every store (the demo fills the days up to today)."""
    return (date.today() - timedelta(days=1)).isoformat()


def an_alert(server: dict, store: str) -> int:
    """A silent-kiosk alert of ``store`` in the alert log (made when there is none), so its
    page and the lists have a row; the evaluator may close it: its page stays."""
    from sync.collector import Database, Storage
    from sync.collector.db import alertlog as sql

    storage = Storage(Database(str(server["database"]), create=False))
    now = format_utc(utc_now())
    numbers = json.dumps({"at": now, "hours": 3.5, "kiosk_id": f"{store}-1", "silent_s": 12600})
    try:
        with storage.db.transaction(serialize=True) as conn:
            made = sql.insert_open(conn, ("silent", store, f"{store}-1"), 1, numbers, now)
        if made:
            return made["id"]
        return storage.alert_history("2000-01-01", "9999-01-01", store)[0]["id"]
    finally:
        storage.db.close()


def pages_by_role(server: dict) -> dict[str, list[str]]:
    """Each role's pages: every page it can open, and the 403/404/400 pages it meets."""
    staff = server["tokens"]["staff"]["store_id"]
    mine = f"/stores/{staff}"
    alert = f"/alerts/{an_alert(server, staff)}"
    return {
        "anonymous": ["/login", "/no-such-page", "/login/link/not-a-link"],
        "staff": [mine, f"{mine}?from=2001-01-01&to=2001-01-31", f"{mine}?from=nonsense",
                  f"{mine}/days/{yesterday()}", f"{mine}/days/not-a-day", "/fleet",
                  "/office", "/stores/no-such-store", f"{mine}/alerts", alert, "/me/notifications"],
        "office": ["/office", "/office?from=nonsense", f"{mine}/days/{yesterday()}", "/fleet",
                   f"/kiosks/{staff}-1", "/alerts", "/alerts?from=2001-01-01&to=2001-01-31",
                   alert, "/office/ranking?q=hymy", "/office/ranking?page=9", "/office/funnel",
                   "/office?from=2025-01-01&to=2025-12-31", "/regions/helsinki",
                   "/office?kind=nps", "/office/ranking?kind=ces", "/regions/uusimaa?kind=nps",
                   "/office?kind=smiles"],
        "admin": ["/office", mine, "/admin/users", "/regions/uusimaa", f"/kiosks/{staff}-1"],
        "region": ["/regions/uusimaa", "/regions/helsinki?from=2001-01-01&to=2001-01-31",
                   "/regions/pirkanmaa", "/office"],
    }


def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG A/AA violations on the page as it is, every ``<details>`` opened."""
    from axe_playwright_python.sync_playwright import Axe

    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    found = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]} "
            f"{v['nodes'][0]['failureSummary']}" for v in found.response["violations"]]


def token_of(server: dict, role: str) -> str | None:
    """The dashboard login for ``role`` (None: not signed in)."""
    token = server["tokens"].get(role)
    return token["token"] if isinstance(token, dict) else token


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fi", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_every_page_passes_axe_for_every_role(browser_chromium, dashboard_server, size, lang):
    width, height = SIZES[size]
    problems: dict[str, list[str]] = {}
    for role, paths in pages_by_role(dashboard_server).items():
        with signed_in_page(browser_chromium, dashboard_server["url"],
                            token_of(dashboard_server, role), width, height, lang) as page:
            for path in paths:
                page.goto(f"{dashboard_server['url']}{path}{'&' if '?' in path else '?'}"
                          f"lang={lang}")
                assert page.locator("html").get_attribute("lang") == lang
                if found := axe_violations(page):
                    problems[f"{role} {path}"] = found
            if role == "admin":  # the kiosk page with a fresh code and its QR code
                page.click("#enroll-issue")
                page.wait_for_load_state("load")
                assert page.locator("#enroll-code").is_visible()
                if found := axe_violations(page):
                    problems["admin enrollment code"] = found
            if role == "anonymous":  # the login page saying the token was wrong
                page.goto(f"{dashboard_server['url']}/login?lang={lang}")
                submit_token(page, "hymy_not-a-real-token")
                assert page.locator(".notice.error").is_visible()
                if found := axe_violations(page):
                    problems["anonymous failed login"] = found
    assert not problems, "\n".join(f"{where}:\n  " + "\n  ".join(found)
                                   for where, found in problems.items())


# -- charts in words ------------------------------------------------------------


def described_by(page: Any, chart: str) -> Any:
    """The element a chart's ``aria-describedby`` names, checked to exist."""
    target = page.locator(chart).get_attribute("aria-describedby")
    assert target, f"{chart} has no aria-describedby"
    assert page.locator(f"#{target}").count() == 1, f"#{target} is not on the page"
    return page.locator(f"#{target}")


def accessible_description(page: Any, selector: str) -> str:
    """The description Chromium's accessibility tree gives the element (what a screen
    reader announces after its name), its table's ``<details>`` opened as a reader
    would (a closed one's content is left out of the tree)."""
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    ax = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})
    return ax["nodes"][0].get("description", {}).get("value", "")


def cells(row: Any) -> list[str]:
    """A table row's cells as their visible text."""
    return [text.strip() for text in row.locator("th, td").all_text_contents()]


@pytest.mark.browser
def test_the_store_pages_charts_carry_their_figures_in_text(browser_page, dashboard_server):
    page, staff = browser_page, dashboard_server["tokens"]["staff"]
    store = staff["store_id"]
    log_in(page, dashboard_server["url"], staff["token"])
    start, end = page.input_value("input[name=from]"), page.input_value("input[name=to]")
    # The trend: every day the chart draws is a row of the days table, with its figures.
    days = api(dashboard_server, f"/api/v1/stores/{store}/daily", staff["token"],
               **{"from": start, "to": end})["days"]
    table = described_by(page, "svg.trend.chart-wide")
    assert described_by(page, "svg.trend.chart-narrow").get_attribute("id") == "days-table"
    drawn = [d for d in days if d["responses"]]
    assert drawn and page.locator("svg.trend.chart-wide a").count() == len(drawn)
    for day in drawn:
        shown = cells(table.locator(f"tr[data-date='{day['date']}']"))
        assert shown[1:4] == [FI.number(day["responses"]), FI.pct(day["csat"]),
                              FI.pct_range(day["ci_low"], day["ci_high"])]
    description = accessible_description(page, "svg.trend.chart-wide")
    assert FI.pct(drawn[-1]["csat"]) in description and FI.day(drawn[-1]["date"], weekday=True) \
        in description
    # The heat map: every weekday x hour the chart covers, CSAT and responses by name.
    heat = api(dashboard_server, f"/api/v1/stores/{store}/heatmap", staff["token"],
               **{"from": start, "to": end})["cells"]
    table = described_by(page, "svg.heatmap.chart-wide")
    header = cells(table.locator("thead tr"))
    assert header[1:] == [FI.weekday(i) for i in range(7)]
    rows = {cells(r)[0]: cells(r)[1:] for r in table.locator("tbody tr").all()}
    busy = [c for c in heat if c["responses"] >= 10]
    assert busy
    for cell in busy:
        when = f"{FI.hour(cell['hour'])}–{FI.hour(cell['hour'] + 1)}"
        assert rows[when][cell["weekday"]] == f"{FI.pct(cell['csat'])} · " \
            f"{FI.number(cell['responses'])}"
        painted = FI.number(round_half_up(cell["csat"]))
        assert rows[when][cell["weekday"]].startswith(painted)  # the figure in the cell


@pytest.mark.browser
def test_the_day_and_office_charts_carry_their_figures_in_text(browser_page, dashboard_server):
    page, staff = browser_page, dashboard_server["tokens"]["staff"]
    store, day = staff["store_id"], yesterday()
    log_in(page, dashboard_server["url"], staff["token"])
    page.goto(f"{dashboard_server['url']}/stores/{store}/days/{day}")
    heat = api(dashboard_server, f"/api/v1/stores/{store}/heatmap", staff["token"],
               **{"from": day, "to": day})["cells"]
    weekday = date.fromisoformat(day).weekday()
    hours = [c for c in heat if c["weekday"] == weekday and c["responses"]]
    table = described_by(page, "svg.bars.chart-wide")
    rows = {cells(r)[0]: cells(r)[1:] for r in table.locator("tbody tr").all()}
    assert hours and len(rows) >= len(hours)
    for cell in hours:
        when = f"{FI.hour(cell['hour'])}–{FI.hour(cell['hour'] + 1)}"
        assert rows[when] == [FI.number(cell["responses"]), FI.number(cell["satisfied"]),
                              FI.pct(cell["csat"])]
    assert FI.pct(hours[0]["csat"]) in accessible_description(page, "svg.bars.chart-wide")

    # The office's chain trend: a table row per day, holding each drawn point's figures.
    with signed_in_page(browser_page.context.browser, dashboard_server["url"],
                        dashboard_server["tokens"]["office"]) as office:
        table = described_by(office, "svg.trend.chart-wide")
        titles = office.locator("svg.trend.chart-wide g.pt title").all_text_contents()
        rows = {cells(r)[0]: cells(r)[1:] for r in table.locator("tbody tr").all()}
        assert titles and len(rows) >= len(titles)
        for title in titles:
            when, figures = title.split(": ", 1)
            responses, csat, interval = rows[when][:3]
            assert f"CSAT {csat} ({interval}), " in figures and responses in figures
        assert office.locator("svg.trend.chart-wide").get_attribute("role") == "img"


# -- keyboard -------------------------------------------------------------------


def focus_ring(page: Any) -> dict[str, Any]:
    """The focused element's marker (``data-k``) and its computed outline."""
    return page.evaluate("""() => {
        const el = document.activeElement, style = getComputedStyle(el);
        return {k: el.dataset ? el.dataset.k : undefined, tag: el.tagName,
                what: el.outerHTML.slice(0, 80),
                outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
    }""")


@pytest.mark.browser
def test_the_store_page_by_keyboard_alone(browser_page, dashboard_server):
    page, staff = browser_page, dashboard_server["tokens"]["staff"]
    log_in(page, dashboard_server["url"], staff["token"])
    # Every element a keyboard should reach, in reading (DOM) order, numbered.
    expected = page.evaluate("""(selector) => {
        const shown = el => el.checkVisibility({visibilityProperty: true});
        return [...document.querySelectorAll(selector)].filter(shown)
            .map((el, i) => { el.dataset.k = String(i); return i; }).length;
    }""", FOCUSABLE)
    assert expected > 40
    reached, invisible, strays = [], [], []
    page.locator("body").focus()
    for _ in range(expected * 4):  # a date input takes three Tabs (day, month, year)
        page.keyboard.press("Tab")
        ring = focus_ring(page)
        if ring["tag"] == "BODY" or (reached and ring["k"] == "0"):
            break
        if not reached or reached[-1] != ring["k"]:
            reached.append(ring["k"])
            if ring["k"] is None:
                strays.append(ring["what"])
            if ring["outline"] == "none" or ring["width"] < 2:
                invisible.append(ring)
    assert reached == [str(i) for i in range(expected)], f"reached out of order: {strays}"
    assert not invisible, f"focus without a visible outline: {invisible}"


@pytest.mark.browser
def test_a_keyboard_opens_a_day_from_the_trend_and_skips_to_the_content(
        browser_page, dashboard_server):
    page, staff = browser_page, dashboard_server["tokens"]["staff"]
    log_in(page, dashboard_server["url"], staff["token"])
    page.locator("body").focus()
    page.keyboard.press("Tab")
    skip = page.locator(".skip")
    assert page.evaluate("document.activeElement.className") == "skip"
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0  # shown on screen while focused
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')")
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('svg.trend')"):
            break
    href = page.evaluate("document.activeElement.getAttribute('href')")
    assert re.fullmatch(r"/stores/[\w-]+/days/\d{4}-\d{2}-\d{2}", href or "")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(href)
    assert page.locator("h1").inner_text() == FI.day(href[-10:], weekday=True)


# -- phone ----------------------------------------------------------------------


@pytest.mark.browser
def test_a_phone_sees_the_missing_taps_without_scrolling_sideways(
        browser_chromium, dashboard_server):
    with signed_in_page(browser_chromium, dashboard_server["url"],
                        dashboard_server["tokens"]["staff"]["token"], 390, 844) as page:
        missing = page.locator(".kiosk-table td[data-role=missing]")
        assert missing.count() >= 1
        for box in (missing.nth(i).bounding_box() for i in range(missing.count())):
            assert box and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert missing.first.get_attribute("data-label") == FI("seq_gaps")  # its heading
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


#: The Happy Index card's heading on the store page, written out (not from the catalogs).
INDEX_TODAY = {"fi": "Tänään · Happy Index", "sv": "I dag · Happy Index",
               "en": "Today · Happy Index", "de": "Heute · Happy Index"}


@pytest.mark.parametrize("lang", INDEX_TODAY)
def test_the_happy_index_card_says_its_number_is_todays(dashboard_server, lang):
    from tests.support.browser import login_session

    staff = dashboard_server["tokens"]["staff"]
    session = login_session(dashboard_server, staff["token"])
    answer = session.get(f"{dashboard_server['url']}/stores/{staff['store_id']}",
                         params={"lang": lang}, timeout=30)
    assert answer.status_code == 200
    heading = re.search(r'<h2 class="label" id="today-index-label">([^<]*)</h2>', answer.text)
    assert heading and heading.group(1) == INDEX_TODAY[lang]
