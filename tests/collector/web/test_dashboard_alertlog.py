"""The alert log's pages on a real collector: the office card, the history, one alert, acking.

Store s1 had an unhappy burst and the evaluator opened its alert before the
server started; store s2 is quiet.  Acknowledging from the alert's page is
done in a real Chromium, as a store's staff member would.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import requests

from sync.collector import Database, Storage, alertlog
from sync.collector.settings import Settings
from sync.collector.web.i18n import Translator
from tests.support.alerting import plant_taps
from tests.support.browser import login_session, running_collector, signed_in_page

#: The lifecycle is tested on HappyOrNot's burst rule: a few unhappy taps open an alert.
BURSTS = Settings(alert_rules="burst,silent,baseline")

EN = Translator("en")


@pytest.fixture(scope="module")
def server(tmp_path_factory, new_database):
    """A collector whose s1 has an open burst alert; tokens for office and each store's staff."""
    database = new_database(tmp_path_factory.mktemp("alertlog"))
    storage = Storage(Database(str(database)))
    storage.db.migrate()
    for store, name in (("s1", "Kamppi"), ("s2", "Itis")):
        storage.add_store(store, name, "Europe/Helsinki")
        storage.add_kiosk(f"{store}-k", store)
    plant_taps(storage, "s1", "s1-k", datetime.now(UTC))
    [opened] = alertlog.run(storage, BURSTS)
    tokens = {"office": storage.add_token("office", label="Head office").token,
              "staff": storage.add_token("staff", store_id="s1", label="Kamppi staff").token,
              "staff_other": storage.add_token("staff", store_id="s2").token}
    storage.db.close()
    with running_collector(database) as url:
        yield {"url": url, "tokens": tokens, "alert": opened["id"], "database": database}


def session_of(server: dict, role: str) -> requests.Session:
    return login_session(server, server["tokens"][role])


def test_the_office_card_shows_the_stored_alert_with_a_link_to_its_page(server):
    page = session_of(server, "office").get(server["url"] + "/office?lang=en", timeout=30)
    assert page.status_code == 200
    assert "4 of 4 unhappy within 15\u00a0min" in page.text
    assert f'href="/alerts/{server["alert"]}"' in page.text
    assert 'href="/alerts" id="alert-log-link"' in page.text


def test_the_history_pages_list_the_alert_for_who_may_see_it(server):
    url, alert = server["url"], server["alert"]
    office = session_of(server, "office")
    chain = office.get(url + "/alerts?lang=en", timeout=30)
    assert chain.status_code == 200
    row = re.search(rf'<tr data-alert="{alert}" data-kind="burst" data-store="s1"'
                    r' data-state="open">(.*?)</tr>', chain.text, re.S)
    assert row and "Unhappy burst" in row.group(1) and "Kamppi" in row.group(1)
    assert EN("alerts_sub", n="1") in chain.text
    old = office.get(url + "/alerts?from=2020-01-01&to=2020-01-31&lang=en", timeout=30)
    assert EN("alerts_empty") in old.text
    staff, other = session_of(server, "staff"), session_of(server, "staff_other")
    assert f'data-alert="{alert}"' in staff.get(url + "/stores/s1/alerts", timeout=30).text
    assert staff.get(url + "/alerts", timeout=30).status_code == 403
    assert other.get(url + "/stores/s1/alerts", timeout=30).status_code == 403
    assert EN("alerts_empty") in other.get(url + "/stores/s2/alerts?lang=en", timeout=30).text


def test_an_alert_page_is_its_store_staff_and_the_office_only(server):
    url, alert = server["url"], server["alert"]
    other = session_of(server, "staff_other")
    assert other.get(f"{url}/alerts/{alert}", timeout=30).status_code == 403
    office = session_of(server, "office")
    for missing in ("999999", "first", "99999999999999999999999"):
        assert office.get(f"{url}/alerts/{missing}", timeout=30).status_code == 404
    shown = office.get(f"{url}/alerts/{alert}?lang=en", timeout=30)
    assert shown.status_code == 200
    assert EN("alert_not_acked") in shown.text and 'id="ack-comment"' in shown.text


def test_a_refused_acknowledgement_says_why_and_changes_nothing(server):
    url, alert = server["url"], server["alert"]
    staff = session_of(server, "staff")
    forged = staff.post(f"{url}/alerts/{alert}/ack", data={"comment": "x", "csrf": "forged"},
                        allow_redirects=False, timeout=30)
    assert forged.status_code == 403
    page = staff.get(f"{url}/alerts/{alert}?lang=en", timeout=30).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    long = staff.post(f"{url}/alerts/{alert}/ack?lang=en",
                      data={"comment": "x" * 1001, "csrf": csrf},
                      allow_redirects=False, timeout=30)
    assert long.status_code == 422 and "at most 1000 characters" in long.text
    assert EN("alert_not_acked") in staff.get(f"{url}/alerts/{alert}?lang=en", timeout=30).text


@pytest.mark.browser
def test_staff_acknowledge_from_the_alert_page_and_the_office_sees_who(server,
                                                                       browser_chromium):
    url, alert = server["url"], server["alert"]
    with signed_in_page(browser_chromium, url, server["tokens"]["staff"], lang="en",
                        width=390, height=844) as page:
        page.goto(f"{url}/alerts/{alert}?lang=en")
        page.fill("#ack-comment", "Till 2 was closed; opened it")
        page.click("#ack-submit")
        page.wait_for_load_state("load")
        assert page.url.endswith(f"/alerts/{alert}")
        assert page.locator("#alert-state").inner_text() == EN("alert_state_acknowledged")
        assert page.locator("#alert-acked-by").inner_text().startswith("Kamppi staff (staff), ")
        assert page.locator("#alert-comment").inner_text() == "Till 2 was closed; opened it"
        assert page.locator("#ack-submit").count() == 0
    office = session_of(server, "office").get(url + "/office?lang=en", timeout=30).text
    assert EN("alert_state_acknowledged") in office
    log = session_of(server, "office").get(url + "/alerts?lang=en", timeout=30).text
    assert "Till 2 was closed; opened it" in log and "Kamppi staff (staff)" in log
