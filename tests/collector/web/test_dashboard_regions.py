"""The region page and a store's touchpoints, in Chromium, against the JSON API.

The demo chain (``dashboard_server``: four stores, all in Uusimaa, two of them
in its sub-region Helsinki) with its region-scoped office token.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from sync.collector.web.i18n import Translator
from tests.support.browser import log_in

FI = Translator("fi")


def asked(server: dict, path: str, token: str, **params: str) -> dict | list:
    """A JSON API answer (200 expected)."""
    answer = requests.get(server["url"] + path, params=params, timeout=10,
                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.browser
def test_the_office_opens_a_region_with_its_stores_ranked_and_its_sub_regions(
    browser_page, dashboard_server
):
    page, office = browser_page, dashboard_server["tokens"]["office"]
    log_in(page, dashboard_server["url"], office)
    links = page.locator("#region-links a")
    assert links.all_text_contents() == ["Pirkanmaa", "Sverige", "Uusimaa", "Varsinais-Suomi"]
    page.click("#region-links a:text('Uusimaa')")
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == "/regions/uusimaa"
    start, end = page.input_value("input[name=from]"), page.input_value("input[name=to]")
    period = {"from": start, "to": end}
    whole = asked(dashboard_server, "/api/v1/regions/uusimaa/summary", office, **period)
    assert whole["stores"] == 4 and whole["responses"] > 0
    assert page.locator("#region-name").inner_text() == "Uusimaa"
    assert page.locator("#region").inner_text().count(FI.pct(whole["csat"])) >= 1
    assert FI.number(whole["responses"]) in page.locator("#region-volume").inner_text()

    # Its stores in the ranking's order, each with the figures the store's API gives.
    ranking = [s for s in asked(dashboard_server, "/api/v1/ranking", office, **period)["stores"]
               if s["store_id"] != "tiny"]
    rows = page.locator("#region-ranking tbody tr")
    assert [rows.nth(i).get_attribute("data-store") for i in range(rows.count())] == [
        s["store_id"] for s in ranking]
    for store in ranking:
        row = page.locator(f"#region-ranking tr[data-store='{store['store_id']}']")
        assert FI.pct(store["csat"]) in row.inner_text()
    assert sum(s["responses"] for s in ranking) == whole["responses"]

    helsinki = asked(dashboard_server, "/api/v1/regions/helsinki/summary", office, **period)
    sub = page.locator("#subregion-table tr[data-region=helsinki]")
    assert int(sub.get_attribute("data-responses")) == helsinki["responses"]
    sub.locator("a").click()
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == "/regions/helsinki"
    assert page.locator("#region-crumbs a").all_text_contents()[-1] == "Uusimaa"
    assert page.locator("#region-trend svg.chart-wide").count() == 1


@pytest.mark.browser
def test_a_region_token_lands_on_its_region_and_reads_only_its_stores(
    browser_page, dashboard_server
):
    page, regional = browser_page, dashboard_server["tokens"]["region"]["token"]
    log_in(page, dashboard_server["url"], regional)
    assert urlsplit(page.url).path == "/regions/uusimaa"
    for path, status in (("/regions/helsinki", 200), ("/stores/hki-kamppi", 200),
                         ("/regions/pirkanmaa", 403), ("/stores/tiny", 403),
                         ("/office", 200), ("/office/export/daily.csv", 403),
                         ("/fleet", 200), ("/regions/nowhere", 403)):
        answer = page.goto(dashboard_server["url"] + path)
        assert answer.status == status, path
    # an office token scoped to a region: the office pages show its region's stores only
    page.goto(dashboard_server["url"] + "/office/ranking")
    shown = set(page.locator("tr[data-store]").evaluate_all(
        "rows => rows.map(row => row.dataset.store)"))
    assert shown and all(store.split("-")[0] in ("hki", "espoo", "vantaa") for store in shown)


@pytest.mark.browser
def test_a_store_page_compares_its_touchpoints(browser_page, dashboard_server):
    from sync.collector import Database, Storage, regions

    page, staff = browser_page, dashboard_server["tokens"]["staff"]
    log_in(page, dashboard_server["url"], staff["token"])
    start, end = page.input_value("input[name=from]"), page.input_value("input[name=to]")
    storage = Storage(Database(str(dashboard_server["database"]), create=False))
    try:
        found = regions.touchpoints_report(storage, staff["store_id"], start, end)
    finally:
        storage.db.close()
    rows = page.locator("#touchpoint-table tbody tr")
    assert rows.count() == sum(len(entry["figures"]) for entry in found) >= 2
    for entry in found:
        (fig,) = entry["figures"]  # the demo's smiley kiosks: CSAT at every touchpoint
        row = page.locator(f"#touchpoint-table tr[data-touchpoint='{entry['touchpoint']}']"
                           f"[data-kind='{fig['kind']}']")
        assert FI(f"tp_{entry['touchpoint']}") in row.inner_text()
        assert int(row.get_attribute("data-responses")) == entry["responses"]
        assert FI.pct(fig["value"]) in row.inner_text()
