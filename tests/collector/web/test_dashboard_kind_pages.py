"""Every kind's figure on the office ranking, a region's page and a store's touchpoints
(issue #16), in-process.

The demo chain with NPS at the exits and CES at the service desks of its first
six stores (``kinds=True``).  Each number a page shows is checked against
:func:`sync.metrics.figure` over the ratings the demo stored (the pages read
the roll-ups), and each ranking's order against ``/api/v1/ranking?kind=``.
The kind picker is three links, the one shown marked; a bad ``kind`` is the
422 page naming the kinds; staff of a store see its touchpoints and no office
page.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from sync.collector.app import create_app
from sync.collector.demo import KIND_STORES, seed_demo
from sync.collector.settings import Settings
from sync.collector.web.i18n import Translator
from tests.support.asgi import call, session_cookie
from tests.support.planted import counted_ratings, planted

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
START, END = "2025-05-10", "2025-06-01"
PERIOD = f"from={START}&to={END}"
STORES = 8
STORE = "hki-kamppi"
EN = Translator("en")
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The app over the demo chain, its logins, its tree and the period's counted ratings
    (``tests.support.planted``)."""
    app = create_app(Settings(database=str(tmp_path_factory.mktemp("kinds") / "c.db")))
    storage = app.state.storage
    tokens = seed_demo(storage, stores=STORES, days=30, seed=5, now=NOW, kinds=True)["tokens"]
    return {"app": app, "tree": storage.region_tree(),
            "rated": counted_ratings(storage, START, END),
            "office": tokens["office"], "staff": tokens["staff"]["token"]}


def page(chain: dict[str, Any], token: str, path: str) -> tuple[int, str]:
    answer = call(chain["app"], "GET", path, session_cookie(chain["app"], chain[token]))
    return answer.status, html.unescape(answer.body.decode())


def rows(text: str, table_id: str) -> list[dict[str, str]]:
    """The data attributes and text of each body row of the table ``table_id``."""
    table = text[text.index(f'id="{table_id}"'):]
    body = table[table.index("<tbody>"):table.index("</tbody>")]
    found = []
    for attributes, inner in re.findall(r"<tr\b([^>]*)>(.*?)</tr>", body, re.S):
        found.append({**dict(ATTRIBUTE.findall(attributes)),
                      "text": " ".join(re.sub(r"<[^>]+>", " ", inner).split())})
    return found


def ranking_api(chain: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    answer = call(chain["app"], "GET", f"/api/v1/ranking?{PERIOD}&kind={kind}",
                  {"Authorization": f"Bearer {chain['office']}"})
    return [store for store in answer.json()["stores"] if store["responses"]]


@pytest.mark.parametrize(("kind", "path"), [
    ("nps", "/office"), ("ces", "/office"), ("nps", "/office/ranking"),
    ("ces", "/office/ranking"),
])
def test_the_office_ranks_stores_by_nps_or_ces_with_their_intervals(chain, kind, path):
    status, text = page(chain, "office", f"{path}?{PERIOD}&kind={kind}&lang=en")
    assert status == 200
    shown = [row for row in rows(text, "ranking") if "data-store" in row]
    expected = ranking_api(chain, kind)
    assert len(expected) == KIND_STORES
    assert [row["data-store"] for row in shown] == [store["store_id"] for store in expected]
    decimals = 1 if kind == "ces" else 0
    for row in shown:
        fig = planted(chain["rated"], kind, lambda r, s=row["data-store"]: r[0] == s)
        assert row["data-kind"] == kind
        assert (float(row["data-value"]), float(row["data-ci-low"]),
                float(row["data-ci-high"])) == (fig["value"], fig["ci_low"], fig["ci_high"])
        assert EN.number(fig["value"], decimals) in row["text"]
        assert EN.number(fig["responses"]) in row["text"]
    name = kind.upper()
    left_out = EN("kind_left_out", stores=EN("stores_n", n=STORES - KIND_STORES), kind=name)
    assert left_out in text
    assert EN("ranking_rule_kind", n=30, kind=name) in text
    assert f"{EN('ranking')} · {name}" in text


def test_the_kind_picker_is_three_links_the_one_shown_marked(chain):
    _, text = page(chain, "office", f"/office?{PERIOD}&kind=ces&lang=en")
    start = text.index('id="kind-picker"')
    picker = text[start:text.index("</nav>", start)]
    links = re.findall(r'<a href="([^"]+)" data-kind="(\w+)"( aria-current="true")?>(\w+)</a>',
                       picker)
    assert [(kind, label, bool(current)) for _href, kind, current, label in links] == [
        ("csat", "CSAT", False), ("nps", "NPS", False), ("ces", "CES", True)]
    hrefs = [href for href, *_ in links]
    assert hrefs[0] == f"/office?{PERIOD}" and hrefs[1] == f"/office?{PERIOD}&kind=nps"
    # CSAT stays the page it was: every store, none left out.
    _, plain = page(chain, "office", f"/office?{PERIOD}&lang=en")
    assert len([row for row in rows(plain, "ranking") if "data-store" in row]) == STORES
    assert 'id="kind-left-out"' not in plain


@pytest.mark.parametrize("path", ["/office", "/office/ranking", "/regions/uusimaa"])
def test_a_bad_kind_is_the_422_page_naming_the_kinds(chain, path):
    status, text = page(chain, "office", f"{path}?{PERIOD}&kind=smiles&lang=en")
    assert status == 422
    assert EN("bad_kind", kind="smiles") in text and EN("bad_kind_title") in text


def test_a_region_shows_each_kind_asked_in_it_and_ranks_by_the_one_picked(chain):
    stores = set(chain["tree"].stores_in("uusimaa"))
    status, text = page(chain, "office", f"/regions/uusimaa?{PERIOD}&kind=ces&lang=en")
    assert status == 200
    for kind in ("nps", "ces"):
        fig = planted(chain["rated"], kind, lambda r: r[0] in stores)
        card = re.search(rf'<section[^>]*id="kind-{kind}"[^>]*>', text, re.S).group(0)
        values = dict(ATTRIBUTE.findall(card))
        assert (float(values["data-value"]), int(values["data-responses"])) == (
            fig["value"], fig["responses"])
        assert f"{EN('region')} · {kind.upper()}" in text
    ranked = rows(text, "region-ranking")
    order = [s["store_id"] for s in ranking_api(chain, "ces") if s["store_id"] in stores]
    assert [row["data-store"] for row in ranked] == order
    for row in ranked:
        fig = planted(chain["rated"], "ces", lambda r, s=row["data-store"]: r[0] == s)
        assert float(row["data-value"]) == fig["value"]
        assert EN.number(fig["value"], 1) in row["text"]
    helsinki = set(chain["tree"].stores_in("helsinki"))
    (sub,) = rows(text, "subregion-table")
    assert sub["data-region"] == "helsinki"
    fig = planted(chain["rated"], "ces", lambda r: r[0] in helsinki)
    assert (float(sub["data-value"]), float(sub["data-ci-low"])) == (fig["value"], fig["ci_low"])
    assert f'href="/regions/helsinki?{PERIOD}&kind=ces"' in text


def test_a_store_compares_its_touchpoints_each_by_its_own_kind(chain):
    status, text = page(chain, "staff", f"/stores/{STORE}?{PERIOD}&lang=en")
    assert status == 200
    found = {(row["data-touchpoint"], row["data-kind"]): row
             for row in rows(text, "touchpoint-table")}
    assert set(found) == {("checkout", "csat"), ("exit", "nps"), ("service_desk", "ces")}
    for (point, kind), row in found.items():
        fig = planted(chain["rated"], kind, lambda r, p=point: r[:2] == (STORE, p))
        assert (float(row["data-value"]), float(row["data-ci-low"]),
                float(row["data-ci-high"])) == (fig["value"], fig["ci_low"], fig["ci_high"])
        assert int(row["data-responses"]) == fig["responses"]
        assert EN(f"tp_{point}") in row["text"] and kind.upper() in row["text"]
    desk = found["service_desk", "ces"]["text"]
    effort = planted(chain["rated"], "ces", lambda r: r[:2] == (STORE, "service_desk"))
    assert EN.number(effort["value"], 1) in desk
    assert "%" not in desk  # a CES desk is not shown as a CSAT share


def test_staff_see_their_touchpoints_but_no_office_ranking(chain):
    assert page(chain, "staff", f"/office?{PERIOD}&kind=nps")[0] == 403
    assert page(chain, "staff", f"/office/ranking?{PERIOD}&kind=ces")[0] == 403


@pytest.mark.browser
def test_the_kind_picker_is_reached_and_used_with_the_keyboard(browser_page, dashboard_server):
    from tests.support.browser import log_in

    page = browser_page
    log_in(page, dashboard_server["url"], dashboard_server["tokens"]["office"])
    page.goto(dashboard_server["url"] + "/office?lang=en")
    for _ in range(80):  # Tab through the page as a keyboard user would
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.kind") == "nps":
            break
    else:
        pytest.fail("Tab never reached the NPS link of the kind picker")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "kind=nps" in page.url
    assert page.locator("#kind-picker a[aria-current=true]").inner_text() == "NPS"
    # The demo asks no NPS: every store is left out, and the line says how many.
    stores = page.locator("#kind-left-out").inner_text()
    assert stores.startswith(EN("stores_n", n=5)) and "NPS" in stores
