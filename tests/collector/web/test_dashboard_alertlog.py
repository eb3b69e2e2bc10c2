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

from sync.collector import Database, Storage, alertlog, alerts
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
    assert EN.plural("alerts_sub", 1) in chain.text
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
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.locator("#alert-numbers").is_visible()  # open, in words, on a phone
        page.fill("#ack-comment", "Till 2 was closed; opened it")
        page.click("#ack-submit")
        page.wait_for_load_state("load")
        assert page.url.endswith(f"/alerts/{alert}")
        assert page.locator("#alert-state").inner_text() == EN("alert_state_acknowledged")
        assert page.locator("#alert-acked-by").inner_text().startswith(
            f"Kamppi staff ({EN('role_staff')}), ")
        assert page.locator("#alert-comment").inner_text() == "Till 2 was closed; opened it"
        assert page.locator("#ack-submit").count() == 0
    office = session_of(server, "office").get(url + "/office?lang=en", timeout=30).text
    assert EN("alert_state_acknowledged") in office
    log = session_of(server, "office").get(url + "/alerts?lang=en", timeout=30).text
    assert "Till 2 was closed; opened it" in log and f"Kamppi staff ({EN('role_staff')})" in log


def test_an_alert_page_says_its_numbers_in_words_and_its_times_in_the_stores_zone(server):
    shown = session_of(server, "office").get(f"{server['url']}/alerts/{server['alert']}?lang=en",
                                             timeout=30).text
    numbers = re.search(r'<table class="details" id="alert-numbers".*?</table>', shown, re.S)
    assert numbers, "the numbers are a table of labelled values"
    facts = dict(re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", numbers.group(0)))
    assert facts[EN("fact_unhappy")] == "4" and facts[EN("responses")] == "4"
    assert facts[EN("fact_share")] == "100%"
    assert facts[EN("fact_limit")] == EN("fact_burst_rule", share="50%")
    assert " EET – " in facts[EN("fact_window")]  # Helsinki's time, its zone named
    opened = re.search(r'<td id="alert-opened"><time datetime="([^"]+)">([^<]+)</time>', shown)
    assert opened.group(1).endswith("Z") and opened.group(2).endswith(" EET")
    assert "UTC" not in opened.group(2)
    # the card's heading agrees with what it says: not "Acknowledged" over "Not acknowledged yet"
    assert f'<h2 id="alert-ack-title">{EN("alert_ack_card")}</h2>' in shown


def test_the_log_and_the_office_card_date_an_alert_by_its_opening(server):
    office = session_of(server, "office")
    log = office.get(server["url"] + "/alerts?lang=en", timeout=30).text
    assert re.search(r'<time class="nowrap" datetime="[^"]+Z">[^<]+ EET</time>', log)
    card = office.get(server["url"] + "/office?lang=en", timeout=30).text
    assert '<span class="when">' + EN("just_now") + "</span>" in card


def test_a_silent_kiosk_alert_says_since_when_and_how_long_until_now(tmp_path):
    """Raised when the kiosk had been silent 41 h; two days later the page says since when
    (an instant in the store's zone) and for how long now, not the 41 h of the raise."""
    import json
    from datetime import timedelta

    from sync.clock import format_utc, utc_now
    from sync.collector.app import create_app
    from sync.collector.db import alertlog as sql
    from tests.support.asgi import call, session_cookie

    app = create_app(Settings(database=str(tmp_path / "c.db")))
    storage = app.state.storage
    storage.add_store("s1", "Kamppi", "Europe/Helsinki")
    storage.add_kiosk("k1", "s1")
    seen = utc_now() - timedelta(days=3, hours=1)
    numbers = json.dumps({"at": format_utc(seen), "hours": 41, "kiosk_id": "k1",
                          "silent_s": 41 * 3600})
    with storage.db.transaction(serialize=True) as conn:
        made = sql.insert_open(conn, ("silent", "s1", "k1"), 1, numbers,
                               format_utc(utc_now() - timedelta(days=2)))
    cookie = session_cookie(app, storage.add_token("office").token)
    shown = call(app, "GET", f"/alerts/{made['id']}?lang=en", cookie).body.decode()
    assert "41\u00a0h" not in shown.split("<main", 1)[1].split("alert-numbers")[0]
    local = seen.astimezone(storage.zone("s1"))
    assert EN("alert_silent_since", kiosk="k1", since="").rstrip() in shown
    assert f"{EN.time(local)} {local.tzname()}" in shown
    silent_for = EN.duration((utc_now() - seen).total_seconds())  # 3 days, not 41 h
    assert EN("alert_silent_now", duration=silent_for) in shown


def test_an_alert_page_names_the_stores_own_limits_not_the_chains(tmp_path):
    """A store with its own silent hours and rate threshold: its alert pages state those
    limits; a store without them states the chain's."""
    import json
    from datetime import timedelta

    from sync.clock import format_utc, utc_now
    from sync.collector.app import create_app
    from sync.collector.db import alertlog as sql
    from tests.support.asgi import call, session_cookie

    app = create_app(Settings(database=str(tmp_path / "c.db")))
    storage = app.state.storage
    for store in ("own", "chain"):
        storage.add_store(store, store.title(), "Europe/Helsinki")
        storage.add_kiosk(f"{store}-k", store)
    storage.set_alerting("own", {"silent_hours": 4, "rate_alpha": 1e-3})
    seen = utc_now() - timedelta(hours=6)
    now = format_utc(utc_now())
    made = {}
    with storage.db.transaction(serialize=True) as conn:
        for store in ("own", "chain"):
            silent = json.dumps({"at": format_utc(seen), "hours": 5, "kiosk_id": f"{store}-k",
                                 "silent_s": 6 * 3600})
            made[store, "silent"] = sql.insert_open(conn, ("silent", store, f"{store}-k"), 1,
                                                    silent, now)["id"]
            rate = json.dumps({"start": format_utc(seen), "end": now, "minutes": 15,
                               "responses": 9, "unhappy": 6, "expected": 0.8, "level": 1.0,
                               "tail": 1e-5})
            made[store, "rate"] = sql.insert_open(conn, ("rate", store, ""), 1, rate, now)["id"]
    cookie = session_cookie(app, storage.add_token("office").token)

    def limit(store: str, kind: str) -> str:
        shown = call(app, "GET", f"/alerts/{made[store, kind]}?lang=en", cookie).body.decode()
        numbers = re.search(r'id="alert-numbers".*?</table>', shown, re.S).group(0)
        return dict(re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", numbers))[EN("fact_limit")]

    assert limit("own", "silent") == EN("fact_silent_rule", n="4")
    assert limit("chain", "silent") == EN("fact_silent_rule", n="2")
    assert limit("own", "rate") == EN("fact_rate_rule", odds="1,000")
    chain_odds = EN.number(round(1 / alerts.Rules().rate_alpha))  # HYMY_ALERT_RATE_ALPHA
    assert limit("chain", "rate") == EN("fact_rate_rule", odds=chain_odds)
