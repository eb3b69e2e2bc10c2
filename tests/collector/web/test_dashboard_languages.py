"""Each dashboard language over real HTTP: the store and office pages in its words and formats.

The expected texts are written out here (not computed by the Translator), so a
catalog or Babel change that alters what a person reads fails a test.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date

import pytest

from tests.support.browser import login_session

NBSP = "\u00a0"
MONTHS = {  # Babel's abbreviated month names as the pages show them
    "sv": ["jan.", "feb.", "mars", "apr.", "maj", "juni", "juli", "aug.", "sep.", "okt.",
           "nov.", "dec."],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "de": ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.",
           "Nov.", "Dez."],
}


def day_month_year(lang: str, after_day: str = "") -> Callable[[date], str]:
    """A date as ``lang`` writes it with a month name: '5 mars 2026', '5. März 2026'."""
    return lambda d: f"{d.day}{after_day} {MONTHS[lang][d.month - 1]} {d.year}"


LANGS = {
    "fi": {
        "store": ["Vastaukset kasvoittain", "Erittäin tyytyväinen", "CSAT päivittäin",
                  "Valittu aikaväli", "Yleisimmät syyt"],
        "office": ["Ketjun näkymä", "Myymälät järjestyksessä", "Koko ketju", "Hälytykset"],
        "group": NBSP, "percent": NBSP + "%",
        "day": lambda d: f"{d.day}.{d.month}.{d.year}",
    },
    "sv": {
        "store": ["Svar per ansikte", "Mycket nöjd", "CSAT per dag", "Vald period",
                  "Vanligaste orsaker"],
        "office": ["Kedjeöversikt", "Butiksrankning", "Hela kedjan", "Larm"],
        "group": NBSP, "percent": NBSP + "%",
        "day": day_month_year("sv"),
    },
    "en": {
        "store": ["Responses by face", "Very satisfied", "Daily CSAT", "Selected period",
                  "Top reasons"],
        "office": ["Chain overview", "Store ranking", "Whole chain", "Alerts"],
        "group": ",", "percent": "%",
        "day": day_month_year("en"),
    },
    "de": {
        "store": ["Antworten nach Gesicht", "Sehr zufrieden", "CSAT pro Tag",
                  "Gewählter Zeitraum", "Häufigste Gründe"],
        "office": ["Gesamtübersicht", "Filial-Rangliste", "Ganze Kette", "Warnungen"],
        "group": ".", "percent": NBSP + "%",
        "day": day_month_year("de", after_day="."),
    },
}


def card(page: str, card_id: str) -> tuple[dict[str, str], str]:
    """A KPI card's data-* attributes and its text (tags dropped, entities decoded)."""
    found = re.search(rf'<section[^>]*\bid="{card_id}"(.*?)>(.*?)</section>', page, re.S)
    assert found, card_id
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', found.group(1)))
    return attrs, html.unescape(re.sub(r"<[^>]+>", " ", found.group(2)))


def expected_number(n: int, group: str) -> str:
    return f"{n:,}".replace(",", group)


def expected_percent(value: str, percent: str) -> str:
    return f"{int(float(value) + 0.5)}{percent}"


def visible(page: str) -> str:
    return html.unescape(page)


@pytest.mark.parametrize("lang", LANGS)
def test_store_page_in_each_language(dashboard_server, lang):
    want = LANGS[lang]
    staff = dashboard_server["tokens"]["staff"]
    session = login_session(dashboard_server, staff["token"])
    answer = session.get(f"{dashboard_server['url']}/stores/{staff['store_id']}",
                         params={"lang": lang}, timeout=30)
    assert answer.status_code == 200
    page = answer.text
    assert f'<html lang="{lang}">' in page
    assert session.cookies.get("hymy_lang") == lang  # ?lang= is remembered
    for words in want["store"]:
        assert words in visible(page), f"{lang}: {words!r} missing"
    for code in ("fi", "sv", "en", "de"):  # the picker offers all four
        assert f'hreflang="{code}"' in page
    attrs, text = card(page, "period")
    responses = int(attrs["responses"])
    assert responses >= 1000  # so the thousands separator shows
    assert expected_percent(attrs["csat"], want["percent"]) in text
    assert expected_number(responses, want["group"]) in text
    start = date.fromisoformat(re.search(r'name="from" value="([\d-]+)"', page).group(1))
    end = date.fromisoformat(re.search(r'name="to" value="([\d-]+)"', page).group(1))
    period = re.search(r'<span id="period-text">([^<]*)</span>', page).group(1)
    assert html.unescape(period) == f"{want['day'](start)} – {want['day'](end)}"


@pytest.mark.parametrize("lang", LANGS)
def test_office_page_in_each_language(dashboard_server, lang):
    want = LANGS[lang]
    session = login_session(dashboard_server, dashboard_server["tokens"]["office"])
    # No ?lang=: the browser's Accept-Language chooses, as for a first visit.
    answer = session.get(dashboard_server["url"] + "/office", timeout=30,
                         headers={"Accept-Language": f"{lang}-XX,en;q=0.5"})
    assert answer.status_code == 200
    page = answer.text
    assert f'<html lang="{lang}">' in page
    for words in want["office"]:
        assert words in visible(page), f"{lang}: {words!r} missing"
    attrs, text = card(page, "chain")
    assert expected_percent(attrs["csat"], want["percent"]) in text
    _, volume = card(page, "chain-volume")
    assert expected_number(int(attrs["responses"]), want["group"]) in volume
