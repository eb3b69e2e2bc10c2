"""A day page speaks the kinds its day had: NPS or CES figures, CSAT sections only with CSAT.

In-process (a real SQLite file), all on yesterday in Helsinki: store ``exit``
(its survey asks NPS) had 35 NPS answers; store ``mixed`` had five CSAT taps at
one kiosk and four CES answers at another; store ``till`` had CSAT only.  The
NPS day shows the day's NPS with its interval and count and each kiosk's NPS,
and no CSAT card, hourly chart, faces, reasons or CSAT footnote; the mixed day
shows CSAT and, beside it, the CES mean (dimmed: four is too few); the CSAT
day is as it was.  An NPS store's day without answers shows an empty NPS card,
and the store page's NPS days link to their day pages.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from sync.clock import local_date, utc_now, zone
from sync.collector.app import create_app
from sync.collector.settings import Settings
from sync.collector.web.i18n import Translator
from sync.metrics import ces_figure, nps_figure
from sync.survey import Survey
from tests.support.asgi import page_text, section_words
from tests.support.collector import rating, send_as_kiosk

EN = Translator("en")
NPS = [10, 9, 9, 8, 7, 10, 6, 3, 9, 10, 0] * 3 + [10, 9]
CES = [6, 7, 5, 2]


@pytest.fixture
def served(tmp_path) -> dict[str, Any]:
    app = create_app(Settings(database=str(tmp_path / "c.db")))
    storage = app.state.storage
    at = utc_now() - timedelta(days=1)
    for store_id in ("exit", "mixed", "till"):
        storage.add_store(store_id, f"Store {store_id}", "Europe/Helsinki")
        storage.add_kiosk(f"{store_id}-1", store_id)
    storage.add_kiosk("mixed-2", "mixed")
    storage.set_survey("exit", Survey(kind="nps", questions={"en": "Would you recommend us?"}))
    send_as_kiosk(storage, "exit-1", [rating(n + 1, score, 11, at, kind="nps")
                                      for n, score in enumerate(NPS)])
    send_as_kiosk(storage, "mixed-1", [rating(n + 1, 4, 5, at) for n in range(5)])
    send_as_kiosk(storage, "mixed-2", [rating(n + 1, score, 7, at, kind="ces")
                                       for n, score in enumerate(CES)])
    send_as_kiosk(storage, "till-1", [rating(1, 2, 5, at)])
    return {"app": app, "office": storage.add_token("office").token,
            "day": local_date(at, zone("Europe/Helsinki"))}


def page(served: dict[str, Any], path: str) -> str:
    return page_text(served["app"], served["office"], path)


def table_kiosks(text: str, table_id: str) -> list[str]:
    """The kiosks with a row in the table ``table_id``."""
    table = text[text.index(f'id="{table_id}"'):]
    return re.findall(r'data-kiosk="([^"]+)"', table[:table.index("</table>")])


CSAT_ONLY = ('id="day"', 'id="day-index"', 'id="hourly"', 'id="faces"', 'id="reasons"',
             'id="csat-note"', "· CSAT")


def test_an_nps_day_shows_the_days_nps_and_no_empty_csat(served):
    text = page(served, f"/stores/exit/days/{served['day']}?lang=en")
    day = nps_figure((score, 1) for score in NPS)
    shown = section_words(text, "day-nps")
    assert "Date · NPS" in shown
    assert EN.number(day.value) in shown
    assert EN("ci_to", low=EN.number(day.ci_low), high=EN.number(day.ci_high)) in shown
    assert EN.responses(len(NPS)) in shown
    assert EN("too_few_judge", n=str(len(NPS))) not in shown  # 35 answers: worth judging
    for csat_only in CSAT_ONLY:
        assert csat_only not in text, csat_only
    assert section_words(text, "day-volume").split()[1] == EN.number(len(NPS))
    kiosks = section_words(text, "per-kiosk")
    assert f"exit-1 {len(NPS)} {EN.number(day.value)}" in kiosks and "NPS" in kiosks
    assert table_kiosks(text, "per-kiosk-nps") == ["exit-1"]


def test_a_mixed_day_shows_csat_and_beside_it_the_ces_mean(served):
    text = page(served, f"/stores/mixed/days/{served['day']}?lang=en")
    assert "Date · CSAT" in section_words(text, "day")
    for csat_part in ('id="hourly"', 'id="faces"', 'id="csat-note"'):
        assert csat_part in text, csat_part
    mean = ces_figure((score, 1) for score in CES)
    shown = section_words(text, "day-ces")
    assert "Date · CES" in shown and EN.number(mean.value, 1) in shown
    assert EN("ci_to", low=EN.number(mean.ci_low, 1), high=EN.number(mean.ci_high, 1)) in shown
    assert EN("too_few_judge", n=str(len(CES))) in shown  # four answers are no headline
    assert section_words(text, "day-volume").split()[1] == EN.number(5 + len(CES))
    assert table_kiosks(text, "per-kiosk-csat") == ["mixed-1"]  # no row of zeros for mixed-2
    assert table_kiosks(text, "per-kiosk-ces") == ["mixed-2"]
    assert 'id="day-nps"' not in text


def test_a_csat_day_is_as_it_was(served):
    text = page(served, f"/stores/till/days/{served['day']}?lang=en")
    for csat_part in CSAT_ONLY:
        assert csat_part in text, csat_part
    assert 'id="day-nps"' not in text and 'id="day-ces"' not in text


def test_an_nps_stores_day_without_answers_shows_an_empty_nps_card(served):
    before = (date.fromisoformat(served["day"]) - timedelta(days=1)).isoformat()
    text = page(served, f"/stores/exit/days/{before}?lang=en")
    assert EN("no_responses") in section_words(text, "day-nps")
    for csat_only in CSAT_ONLY:
        assert csat_only not in text, csat_only


def test_the_store_pages_nps_days_link_to_their_day_pages(served):
    text = page(served, "/stores/exit?lang=en")
    assert f'href="/stores/exit/days/{served["day"]}"' in text


def test_the_store_and_office_ces_cards_are_dimmed_as_the_day_pages_under_too_few(served):
    """Four CES answers were a bold "5.0" headline on the store page's and the office
    page's CES cards while the day page dimmed them: the cards now apply the same floor."""
    period = f"from={served['day']}&to={served['day']}&lang=en"
    too_few = EN("too_few_judge", n=str(len(CES)))
    for path in (f"/stores/mixed?{period}", f"/office?{period}"):
        text = page(served, path)
        shown = section_words(text, "kind-ces")
        assert EN.responses(len(CES)) in shown and too_few in shown, (path, shown)
        card = text[text.index('id="kind-ces"'):]
        assert re.search(r'class="value few[" ]', card[:card.index("</section>")]), path


def test_a_mixed_days_hourly_chart_says_it_counts_the_csat_responses(served):
    """The responses card counts every kind (9) while the hourly bars count the CSAT taps
    (5): the chart's lead said "the number of responses" and left a reader to wonder."""
    text = page(served, f"/stores/mixed/days/{served['day']}?lang=en")
    hourly = section_words(text, "hourly")
    assert "number of CSAT responses" in hourly
    table = text[text.index('id="hourly-data"'):]
    counts = re.findall(r'<td class="num">(\d+)</td><td class="num">\d+</td>',
                        table[:table.index("</table>")])
    assert sum(map(int, counts)) == 5
    assert section_words(text, "day-volume").split()[1] == EN.number(5 + len(CES))


def test_the_store_pages_responses_count_every_kind_as_its_day_pages_do(served):
    """Found in a user trial: the demo's Kamppi page said 8,387 responses (its CSAT taps)
    while its day pages counted every kind; a day of 311 taps opened as 436."""
    day = served["day"]
    store = page(served, f"/stores/mixed?from={day}&to={day}&lang=en")
    on_day = page(served, f"/stores/mixed/days/{day}?lang=en")
    both = EN.number(5 + len(CES))
    assert section_words(store, "volume").split()[1] == both
    assert section_words(on_day, "day-volume").split()[1] == both
