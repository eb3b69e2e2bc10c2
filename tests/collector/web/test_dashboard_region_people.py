"""People scoped to regions on the dashboard, in-process (issue #16).

A demo chain of 8 stores (Uusimaa: Helsinki's two stores and two more;
Pirkanmaa and Varsinais-Suomi: one each; two elsewhere), an office person
scoped to Uusimaa and a staff person scoped to Pirkanmaa and Varsinais-Suomi
with one store of their own.  Each reads
the stores of their regions' subtrees and nothing else, a store put in the
region later is theirs at the next request, a region taken away is gone at
the next request, and the admin gives regions on the users page.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from sync.collector import alertlog, regions
from sync.collector.app import create_app
from sync.collector.demo import seed_demo
from sync.collector.settings import Settings
from sync.collector.web.i18n import Translator
from tests.support.alerting import plant_taps
from tests.support.asgi import Answer, call, person_cookie, session_cookie

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
PERIOD = "from=2025-05-19&to=2025-06-01"
UUSIMAA = {"hki-kamppi", "hki-itakeskus", "espoo-isoomena", "vantaa-jumbo"}
OFFICE, STAFF = "rea@example.com", "sam@example.com"


@pytest.fixture
def chain(collector_database):
    """The app over the demo chain, its admin token, and the two scoped people."""
    app = create_app(Settings(database=collector_database))
    storage = app.state.storage
    tokens = seed_demo(storage, stores=8, days=14, seed=3, now=NOW, kinds=True)["tokens"]
    storage.add_user(OFFICE, "office", regions=["uusimaa"])
    storage.add_user(STAFF, "staff", ["oulu-valkea"], regions=["pirkanmaa", "varsinais-suomi"])
    return app, tokens["admin"]


def stores_listed(answer: Answer, marker: str = "") -> set[str]:
    """The ``data-store`` of every row on a page (after ``marker``, if given)."""
    text = answer.body.decode()
    return set(re.findall(r'<tr[^>]* data-store="([^"]+)"', text[text.index(marker):]))


MATRIX = {
    OFFICE: [("/stores/hki-kamppi", 200), ("/stores/espoo-isoomena", 200),
             ("/stores/tampere-ratina", 403), ("/stores/oulu-valkea", 403),
             ("/regions/uusimaa", 200), ("/regions/helsinki", 200), ("/regions/pirkanmaa", 403),
             ("/office", 200), ("/office/ranking", 200), ("/office/funnel", 200),
             ("/alerts", 200), ("/fleet", 200), ("/me/notifications", 200),
             ("/office/export/daily.csv", 403), ("/admin/users", 403)],
    STAFF: [("/stores/tampere-ratina", 200), ("/stores/oulu-valkea", 200),
            ("/stores/turku-hansa", 200), ("/stores/jkl-forum", 403),
            ("/stores/hki-kamppi", 403), ("/regions/pirkanmaa", 200), ("/regions/uusimaa", 403),
            ("/office", 403), ("/office/ranking", 403), ("/alerts", 403),
            ("/admin/users", 403), ("/admin/users/1", 403), ("/fleet", 200)],
}


@pytest.mark.parametrize("who", [OFFICE, STAFF])
def test_a_region_scoped_person_reads_their_regions_stores_and_nothing_else(chain, who):
    app, _ = chain
    cookie = person_cookie(app, who)
    for path, status in MATRIX[who]:
        assert call(app, "GET", path, cookie).status == status, path


def test_a_region_scoped_staff_person_cannot_act_as_admin(chain):
    app, _ = chain
    cookie = person_cookie(app, STAFF)
    fleet = call(app, "GET", "/fleet", cookie).body.decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', fleet).group(1)
    body = urlencode({"email": "eve@example.com", "role": "admin", "csrf": csrf}).encode()
    answer = call(app, "POST", "/admin/users", {
        **cookie, "Content-Type": "application/x-www-form-urlencoded"}, body)
    assert answer.status == 403
    assert app.state.storage.user("eve@example.com") is None
    assert stores_listed(call(app, "GET", "/fleet", cookie)) == {
        "tampere-ratina", "turku-hansa", "oulu-valkea"}


def test_a_region_office_persons_office_pages_list_only_the_regions_stores(chain):
    app, _ = chain
    cookie = person_cookie(app, OFFICE)
    ranking = call(app, "GET", f"/office/ranking?{PERIOD}&lang=en", cookie)
    assert stores_listed(ranking) == UUSIMAA
    ranks = re.findall(r'<tr data-store="[^"]+" data-rank="(\d+)"', ranking.body.decode())
    assert sorted(map(int, ranks)) == list(range(1, len(ranks) + 1))  # renumbered in the region
    office = call(app, "GET", f"/office?{PERIOD}&lang=en", cookie)
    text = html.unescape(office.body.decode())
    assert stores_listed(office) == UUSIMAA
    assert 'id="export-daily"' not in text  # the chain's exports stay the chain office's
    storage = app.state.storage
    region = regions.region_summary(storage, storage.region_tree(), "uusimaa",
                                    "2025-05-19", "2025-06-01")
    volume = re.search(r'id="chain-volume".*?<p class="value">([^<]*)<', text, re.S).group(1)
    assert volume == Translator("en").number(region["responses"]) and region["responses"]
    days = re.findall(r'<tr data-date="[^"]+" data-csat="[^"]*" data-responses="(\d+)"',
                      text[text.index('id="trend-data"'):])
    assert len(days) == 14 and sum(map(int, days)) == region["responses"]
    assert Translator("en")("stores_n", n=4) in text
    assert "Uusimaa · CSAT" in text  # their region's figures, not the chain's
    funnel = call(app, "GET", f"/office/funnel?{PERIOD}&lang=en", cookie)
    assert stores_listed(funnel, 'id="shrunk-ranking"') == UUSIMAA


def test_a_region_office_persons_alerts_are_their_regions_stores(chain):
    app, admin = chain
    storage = app.state.storage
    for store in ("hki-kamppi", "tampere-ratina"):
        plant_taps(storage, store, storage.kiosks(store)[0]["id"], datetime.now(UTC))
    assert alertlog.run(storage, Settings(alert_rules="burst,silent,baseline"))
    chain_log = stores_listed(call(app, "GET", "/alerts", session_cookie(app, admin)))
    assert "tampere-ratina" in chain_log and "hki-kamppi" in chain_log
    cookie = person_cookie(app, OFFICE)
    assert "hki-kamppi" in stores_listed(call(app, "GET", "/alerts", cookie)) <= UUSIMAA
    office = call(app, "GET", "/office", cookie).body.decode()
    cards = set(re.findall(r'<li class="alert [^"]*" data-kind="[^"]+" data-store="([^"]+)"',
                           office))
    assert "hki-kamppi" in cards <= UUSIMAA


def test_a_region_office_persons_nps_and_ces_are_their_regions(chain):
    app, _ = chain
    storage, cookie = app.state.storage, person_cookie(app, OFFICE)
    nps_ranking = call(app, "GET", f"/office/ranking?{PERIOD}&kind=nps", cookie)
    assert stores_listed(nps_ranking) == UUSIMAA  # the demo's first six stores ask NPS too
    text = call(app, "GET", f"/office?{PERIOD}&lang=en", cookie).body.decode()
    for kind in ("nps", "ces"):
        region = regions.region_summary(storage, storage.region_tree(), "uusimaa",
                                        "2025-05-19", "2025-06-01", kind)
        if kind == "nps":  # each row counts the store's NPS responses
            shown = re.findall(r'<tr[^>]* data-store="[^"]+"[^>]* data-responses="(\d+)"',
                               nps_ranking.body.decode())
            assert sum(map(int, shown)) == region["responses"]
        card = re.search(rf'id="kind-{kind}".*?data-responses="(\d+)"', text, re.S)
        assert int(card.group(1)) == region["responses"] > 0, kind
    assert "Uusimaa · NPS" in html.unescape(text)


def test_the_chain_office_still_sees_every_store(chain):
    app, admin = chain
    ranking = call(app, "GET", f"/office/ranking?{PERIOD}", session_cookie(app, admin))
    assert len(stores_listed(ranking)) == 8


def test_a_store_put_in_the_region_later_is_theirs_at_the_next_request(chain):
    app, _ = chain
    cookie = person_cookie(app, OFFICE)
    assert call(app, "GET", "/stores/oulu-valkea", cookie).status == 403
    app.state.storage.set_store_region("oulu-valkea", "helsinki")  # a sub-region of theirs
    assert call(app, "GET", "/stores/oulu-valkea", cookie).status == 200
    app.state.storage.add_store("espoo-sello", "Hymy Sello", "Europe/Helsinki", "uusimaa")
    assert call(app, "GET", "/stores/espoo-sello", cookie).status == 200
    ranking = call(app, "GET", f"/office/ranking?{PERIOD}", cookie)
    assert stores_listed(ranking) == UUSIMAA | {"oulu-valkea", "espoo-sello"}


def test_a_person_taken_out_of_a_region_loses_it_at_the_next_request(chain):
    app, _ = chain
    cookie = person_cookie(app, OFFICE)
    assert call(app, "GET", "/stores/hki-kamppi", cookie).status == 200
    app.state.storage.set_user_access(OFFICE, "office", [], ["pirkanmaa"])
    assert call(app, "GET", "/stores/hki-kamppi", cookie).status == 403
    assert call(app, "GET", "/regions/uusimaa", cookie).status == 403
    assert call(app, "GET", "/stores/tampere-ratina", cookie).status == 200
    assert stores_listed(call(app, "GET", f"/office/ranking?{PERIOD}", cookie)) == {
        "tampere-ratina"}
    app.state.storage.set_user_access(OFFICE, "office", [])  # unscoped: the whole chain
    assert call(app, "GET", "/stores/oulu-valkea", cookie).status == 200


def post_form(app, cookie: dict, page: str, action: str, fields: list[tuple[str, str]]
               ) -> Answer:
    """Post a form of ``page`` as the user signed in by ``cookie`` (with its CSRF token)."""
    text = call(app, "GET", page, cookie).body.decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)
    body = urlencode([*fields, ("csrf", csrf)]).encode()
    return call(app, "POST", action, {**cookie,
                                       "Content-Type": "application/x-www-form-urlencoded"}, body)


@pytest.mark.parametrize("lang", ["fi", "sv", "en", "de"])
def test_the_admin_invites_a_person_to_regions_and_changes_them(chain, lang):
    app, admin = chain
    t, cookie = Translator(lang), session_cookie(app, admin)
    page = call(app, "GET", f"/admin/users?lang={lang}", cookie).body.decode()
    assert html.escape(t("user_regions")) in page and 'name="regions" value="helsinki"' in page
    made = post_form(app, cookie, "/admin/users", "/admin/users", [
        ("email", "ville@example.com"), ("role", "staff"), ("regions", "helsinki"),
        ("regions", "pirkanmaa"), ("language", "")])
    assert made.status == 201, made.body.decode()
    assert 'id="invite-link"' in made.body.decode()  # the invitation signs in to this account
    person = app.state.storage.user("ville@example.com")
    assert (person["stores"], person["regions"]) == ((), ("helsinki", "pirkanmaa"))
    row = re.search(r'<tr data-user="ville@example.com".*?</tr>', made.body.decode(), re.S)
    assert "helsinki, pirkanmaa" in row.group(0)
    edit = f"/admin/users/{person['id']}"
    changed = post_form(app, cookie, edit, f"{edit}/access", [
        ("role", "office"), ("regions", "uusimaa")])
    assert changed.status == 200
    assert 'name="regions" value="uusimaa" checked' in changed.body.decode()
    assert app.state.storage.user("ville@example.com")["regions"] == ("uusimaa",)
    refused = post_form(app, cookie, edit, f"{edit}/access", [
        ("role", "admin"), ("regions", "uusimaa")])
    assert refused.status == 422
    assert "leave out --region" in html.unescape(refused.body.decode())
    assert app.state.storage.user("ville@example.com")["role"] == "office"


def test_a_region_office_persons_mail_covers_their_regions_stores_not_the_chains(chain):
    from sync.collector.notify import outbox

    app, _ = chain
    cookie = person_cookie(app, OFFICE)
    page = call(app, "GET", "/me/notifications?lang=en", cookie).body.decode()
    assert 'id="me-alert"' in page and 'id="me-weekly"' not in page  # the chain's digest
    scope = html.unescape(re.search(r'id="me-scope">([^<]*)<', page).group(1))
    names = {store["name"] for store in app.state.storage.stores() if store["id"] in UUSIMAA}
    assert all(name in scope for name in names) and "Ratina" not in scope
    saved = post_form(app, cookie, "/me/notifications", "/me/notifications", [
        ("events", "alert"), ("events", "weekly")])
    assert saved.status == 200
    (mine,) = [c for c in outbox.channels(app.state.storage) if c["owner"] == OFFICE]
    assert set(mine["subscriptions"]) == {f"alert:{store}" for store in UUSIMAA}
