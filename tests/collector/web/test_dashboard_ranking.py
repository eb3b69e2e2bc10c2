"""The office page at a chain's size: best and worst stores, the whole ranking a page
at a time, a search.

A real collector with a 105-store demo chain (two days, some stores with too
few responses to rank); what the pages show is checked against the ranking
API over the same period, so a page and ``/api/v1/ranking`` never disagree.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from sync.collector.web.i18n import Translator
from tests.support.browser import login_session, running_collector, seed_demo

#: Best and worst stores the office page shows of a long ranking (views.OFFICE_EDGE).
EDGE = 10


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A collector serving 105 demo stores; its URL, the office session and the ranking."""
    database = Path(tmp_path_factory.mktemp("chain")) / "chain.db"
    demo = seed_demo(database, stores=105, days=2, taps=45)
    with running_collector(database) as url:
        office = demo["tokens"]["office"]
        answer = requests.get(url + "/api/v1/ranking", timeout=30,
                              headers={"Authorization": f"Bearer {office}"})
        answer.raise_for_status()
        body = answer.json()
        yield {"url": url, "session": login_session({"url": url}, office), "body": body,
               "ranking": body["stores"], "tokens": demo["tokens"]}


def rows(page: str) -> list[tuple[str, str]]:
    """``(store id, rank)`` of each store row of a page's ranking table, in order."""
    return re.findall(r'<tr(?: class="unranked")? data-store="([^"]+)" data-rank="([^"]*)"', page)


def get(chain: dict[str, Any], path: str, **params: Any) -> requests.Response:
    return chain["session"].get(chain["url"] + path, params={"lang": "en", **params}, timeout=60)


def period(chain: dict[str, Any]) -> dict[str, str]:
    return {"from": chain["body"]["from"], "to": chain["body"]["to"]}


def test_the_office_page_shows_the_best_and_worst_and_links_the_whole_ranking(chain):
    ranking = chain["ranking"]
    ranked = [row for row in ranking if row["rank"] is not None]
    unranked = [row for row in ranking if row["rank"] is None]
    assert len(ranked) > 2 * EDGE + 5 and unranked, "the chain should need the cap"
    answer = get(chain, "/office", **period(chain))
    assert answer.status_code == 200
    page = html.unescape(answer.text)
    shown = [(row["store_id"], str(row["rank"])) for row in ranked[:EDGE] + ranked[-EDGE:]]
    if len(unranked) <= 5:
        shown += [(row["store_id"], "") for row in unranked]
    assert rows(page) == shown
    t = Translator("en")
    assert t("ranking_between", n=t.number(len(ranked) - 2 * EDGE)) in page
    assert t("stores_n", n=t.number(len(ranking))) in page
    link = re.search(r'<a href="([^"]+)" id="ranking-link">', answer.text).group(1)
    assert html.unescape(link) == (f"/office/ranking?from={chain['body']['from']}"
                                   f"&to={chain['body']['to']}")
    whole = chain["session"].get(chain["url"] + html.unescape(link), timeout=60)
    assert whole.status_code == 200 and rows(whole.text)[:3] == [
        (row["store_id"], str(row["rank"])) for row in ranked[:3]]


def test_the_whole_ranking_lists_every_store_in_order_a_hundred_a_page(chain):
    ranking = chain["ranking"]
    first = get(chain, "/office/ranking", **period(chain))
    second = get(chain, "/office/ranking", page="2", **period(chain))
    assert first.status_code == second.status_code == 200
    listed = rows(first.text) + rows(second.text)
    assert len(rows(first.text)) == 100
    assert listed == [(row["store_id"], "" if row["rank"] is None else str(row["rank"]))
                      for row in ranking]
    assert "Page 1 of 2" in first.text and 'id="page-next"' in first.text
    assert 'id="page-previous"' in second.text and 'id="page-next"' not in second.text
    following = html.unescape(re.search(r'href="([^"]+)" rel="next"', first.text).group(1))
    assert rows(chain["session"].get(chain["url"] + following, timeout=60).text) == rows(
        second.text)


def test_a_search_finds_stores_by_name_or_id_and_keeps_their_chain_rank(chain):
    ranking = chain["ranking"]
    wanted = [(row["store_id"], "" if row["rank"] is None else str(row["rank"]))
              for row in ranking if "kamppi" in row["store_id"] or "kamppi" in row["name"].lower()]
    assert 1 < len(wanted) < len(ranking)
    answer = get(chain, "/office/ranking", q="KAMPPI", **period(chain))
    assert answer.status_code == 200
    assert rows(answer.text) == wanted
    page = html.unescape(answer.text)
    assert f"{len(wanted)} of {len(ranking)} stores match “KAMPPI”." in page
    assert 'value="KAMPPI"' in answer.text  # the search box keeps what was asked
    nothing = get(chain, "/office/ranking", q="<no such store>", **period(chain))
    assert nothing.status_code == 200 and rows(nothing.text) == []
    assert "No store matches “&lt;no such store&gt;”." in nothing.text


@pytest.mark.parametrize("number", ["0", "3", "two", "-1"])
def test_a_page_that_is_not_there_shows_the_first_with_a_notice(chain, number):
    answer = get(chain, "/office/ranking", page=number, **period(chain))
    assert answer.status_code == 400
    assert f"There is no page “{number}”; showing the first one." in html.unescape(answer.text)
    assert rows(answer.text)[0] == (chain["ranking"][0]["store_id"], "1")


@pytest.mark.parametrize("lang", ["fi", "sv", "en", "de"])
def test_the_whole_ranking_speaks_each_language(chain, lang):
    t = Translator(lang)
    answer = chain["session"].get(chain["url"] + "/office/ranking",
                                  params={"lang": lang, **period(chain)}, timeout=60)
    page = html.unescape(answer.text)
    assert f"<h1>{t('ranking')}</h1>" in page
    assert t("ranking_page", page=1, pages=2) in page and t("back_to_office") in page


def trend_rows(page: str) -> list[tuple[str, str, str]]:
    """``(date, responses, date text)`` of each row of the chain trend's data table."""
    table = page[page.index('id="trend-data"'):]
    table = table[:table.index("</table>")]
    return re.findall(r'<tr data-date="([^"]+)" data-csat="[^"]*" data-responses="(\d+)">'
                      r'\s*<td class="nowrap">(?:<span class="muted">)?([^<]+)<', table)


def quiet_runs(page: str) -> list[tuple[str, str]]:
    """``(first, last)`` of each folded run of quiet days (or weeks) of that table."""
    table = page[page.index('id="trend-data"'):]
    return re.findall(r'<tr class="quiet" data-from="([^"]+)" data-to="([^"]+)"',
                      table[:table.index("</table>")])


def unfolded(points: set[str], page: str) -> list[str]:
    """The ``points`` (dates) the table lists in rows of their own, oldest first: those
    in no folded run of quiet ones."""
    runs = quiet_runs(page)
    return sorted(p for p in points if not any(first <= p <= last for first, last in runs))


def test_the_chain_figures_add_up_the_stores_and_a_long_trend_has_a_point_a_week(chain):
    ranking, body = chain["ranking"], chain["body"]
    page = html.unescape(get(chain, "/office", **period(chain)).text)
    total = sum(row["responses"] for row in ranking)
    volume = page[page.index('id="chain-volume"'):]
    assert re.search(r'<p class="value">([^<]+)</p>', volume).group(1) == Translator(
        "en").number(total)
    days = trend_rows(page)  # the demo's two days, the quiet ones before them folded
    first = date.fromisoformat(body["from"])
    assert [d for d, _n, _text in days][::-1] == unfolded(
        {(first + timedelta(days=i)).isoformat() for i in range(30)}, page)
    assert len(days) < 30 and sum(int(n) for _d, n, _text in days) == total
    # 120 days: a point a week, each dated by its Monday (the first by the period's start).
    end = date.fromisoformat(body["to"])
    start = end - timedelta(days=119)
    answer = get(chain, "/office", **{"from": start.isoformat(), "to": body["to"]})
    weeks = trend_rows(html.unescape(answer.text))[::-1]  # the table is newest first
    mondays = {start + timedelta(days=i) - timedelta(days=(start + timedelta(days=i)).weekday())
               for i in range(120)}
    assert [w for w, _n, _text in weeks] == unfolded(
        {max(m, start).isoformat() for m in mondays}, html.unescape(answer.text))
    assert len(quiet_runs(html.unescape(answer.text))) == 1
    assert sum(int(n) for _w, n, _text in weeks) == total
    assert weeks[-1][2].startswith("Week of ")
    assert "Chain-wide weekly CSAT" in answer.text
