"""What the pages say, word for word: plurals, averages, who is refused, footnotes.

A collector app in this process on a real SQLite file with one store, one
kiosk, a region without sub-regions and a person (a staff member) besides the
tokens; every page is asked for in-process like a browser would.
"""

from __future__ import annotations

import html
import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from sync.clock import format_utc, utc_now
from sync.collector.app import create_app
from sync.collector.settings import Settings
from sync.collector.tokens import hash_token
from sync.collector.web.i18n import Translator
from sync.collector.web.session import SESSION_COOKIE
from tests.support.alerting import plant_taps
from tests.support.asgi import call, session_cookie

EN, FI = Translator("en"), Translator("fi")


@pytest.fixture
def shop(tmp_path):
    """One store with 40 taps 2 days ago, one kiosk, a region; office token, staff person."""
    app = create_app(Settings(database=str(tmp_path / "c.db")))
    storage = app.state.storage
    storage.add_region("r1", "Uusimaa")
    storage.add_store("s1", "Kamppi", "Europe/Helsinki", region_id="r1")
    storage.add_kiosk("k1", "s1")
    plant_taps(storage, "s1", "k1", datetime.now(UTC) - timedelta(days=2),
               minutes_ago=[i * 0.5 for i in range(40)], score=5)
    person = storage.add_user("anna@example.com", "staff", ("s1",), name="Anna")
    raw = secrets.token_urlsafe(32)
    storage.add_session(hash_token(raw), None, format_utc(utc_now() + timedelta(hours=1)),
                        person["id"])
    return app, session_cookie(app, storage.add_token("office").token), {
        "Cookie": f"{SESSION_COOKIE}={raw}"}


def text(app, cookie: dict, path: str) -> str:
    return html.unescape(call(app, "GET", path, cookie).body.decode())


def test_one_is_singular_and_none_is_a_sentence(shop):
    app, office, _anna = shop
    assert EN.plural("stores", 1) + " ·" in text(app, office, "/office?lang=en")
    assert "1 stores" not in text(app, office, "/office?lang=en")
    assert f">{EN('fleet_sub_1')}<" in text(app, office, "/fleet?lang=en")
    log = text(app, office, "/alerts?lang=fi&from=2020-01-01&to=2020-01-31")
    assert "Jaksolla ei hälytyksiä" in log and "0 hälytystä" not in log


def test_the_daily_average_is_in_words(shop):
    app, office, _anna = shop
    page = text(app, office, "/stores/s1?lang=en&preset=30d")
    assert re.search(r"on average [\d.,]+ a day", page) and "Ø" not in page


def test_a_refused_person_is_told_about_their_account_and_a_token_about_its_token(shop):
    app, office, anna = shop
    person = call(app, "GET", "/office?lang=en", anna)
    assert person.status == 403
    assert EN("forbidden_account") in html.unescape(person.body.decode())
    assert "token" not in html.unescape(person.body.decode()).split("<main", 1)[1].lower()
    staff = session_cookie(app, app.state.storage.add_token("staff", "s1").token)
    token = call(app, "GET", "/office?lang=en", staff)
    assert token.status == 403 and EN("forbidden") in html.unescape(token.body.decode())


def test_the_csat_footnote_is_only_where_csat_figures_are(shop):
    app, office, _anna = shop
    for path in ("/office", "/stores/s1"):
        assert 'id="csat-note"' in text(app, office, path + "?lang=en"), path
    for path in ("/fleet", "/alerts", "/kiosks/k1"):
        assert EN("footer") not in text(app, office, path + "?lang=en"), path


def test_the_region_page_labels_its_cards_alike_and_says_it_has_no_sub_regions(shop):
    app, office, _anna = shop
    page = text(app, office, "/regions/r1?lang=en")
    labels = re.findall(r'<h2 class="label" id="region[^"]*-label">([^<]+)</h2>', page)
    assert f"{EN('region')} · CSAT" in labels
    assert f"{EN('region')} · {EN('happy_index')}" in labels
    assert f'id="subregions-none">{EN("subregions_none")}<' in page


@pytest.mark.parametrize("lang", ["fi", "sv", "en", "de"])
def test_the_access_token_has_one_name_in_each_language(lang):
    """Found in a user trial: the Finnish login page offered to sign in with a
    "käyttöavain" and then asked for a "käyttötunniste"; German mixed two words too."""
    t = Translator(lang)
    name = t("token").lower()
    for key in ("login_token_summary", "me_token"):
        assert name in t(key).lower(), (key, t(key))
