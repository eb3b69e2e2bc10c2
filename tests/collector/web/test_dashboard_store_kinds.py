"""A store that asks only NPS leads its page with NPS, not with empty CSAT sections.

In-process (a real SQLite file): store ``exit`` whose kiosk asks NPS had 40
answers over the last days and two today; store ``till`` asks CSAT.  The NPS
store's page shows today's and the period's NPS with their intervals (today's
two dimmed as too few), an NPS daily chart and table, and no CSAT card, chart,
faces, heat map or CSAT footnote; the CSAT store's page is as it was.  A store
whose survey asks NPS and that has no answers yet leads with an empty NPS card.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sync.clock import utc_now
from sync.collector.app import create_app
from sync.collector.settings import Settings
from sync.collector.web.i18n import Translator
from sync.metrics import nps_figure
from sync.survey import Survey
from tests.support.asgi import page_text, section_words
from tests.support.collector import rating, send_as_kiosk

EN = Translator("en")
EARLIER = [10, 9, 9, 8, 7, 10, 6, 3, 9, 10] * 4
TODAY = [0, 2]


def store_with(storage: Any, store_id: str, ratings: list[dict[str, Any]]) -> None:
    """A store in Helsinki with one kiosk that sent ``ratings``."""
    storage.add_store(store_id, f"Store {store_id}", "Europe/Helsinki")
    storage.add_kiosk(f"{store_id}-1", store_id)
    if ratings:
        send_as_kiosk(storage, f"{store_id}-1", ratings)


@pytest.fixture
def served(tmp_path) -> dict[str, Any]:
    app = create_app(Settings(database=str(tmp_path / "c.db")))
    storage = app.state.storage
    now = utc_now() - timedelta(seconds=30)
    days_ago = [now - timedelta(days=1 + n % 3) for n in range(len(EARLIER))]
    nps = [rating(n + 1, score, 11, at, kind="nps")
           for n, (score, at) in enumerate(zip(EARLIER, days_ago, strict=True))]
    nps += [rating(len(nps) + n + 1, score, 11, now, kind="nps")
            for n, score in enumerate(TODAY)]
    store_with(storage, "exit", nps)
    store_with(storage, "till", [rating(1, 2, 5, now)])
    store_with(storage, "new", [])
    storage.set_survey("new", Survey(kind="nps", questions={"en": "Would you recommend us?"}))
    return {"app": app, "office": storage.add_token("office").token}


def page(served: dict[str, Any], path: str) -> str:
    return page_text(served["app"], served["office"], path)


def test_an_nps_store_leads_with_nps_and_shows_no_empty_csat(served):
    text = page(served, "/stores/exit?lang=en")
    period = nps_figure((score, 1) for score in EARLIER + TODAY)
    shown = section_words(text, "kind-nps")
    assert "Selected period · NPS" in shown
    assert EN.number(period.value) in shown
    assert EN("ci_to", low=EN.number(period.ci_low), high=EN.number(period.ci_high)) in shown
    assert EN.responses(len(EARLIER) + len(TODAY)) in shown
    today = section_words(text, "today-nps")
    assert "Today · NPS" in today and EN.responses(2) in today
    assert EN("too_few_judge", n="2") in today  # -100 from two taps is no headline
    assert 'id="trend-nps"' in text and 'id="days-nps"' in text
    for csat_only in ('id="today"', 'id="period"', 'id="today-index"', 'id="faces"',
                      'id="heatmap"', 'id="reasons"', 'id="csat-note"', "· CSAT"):
        assert csat_only not in text, csat_only
    assert section_words(text, "volume").split()[1] == EN.number(len(EARLIER) + len(TODAY))


def test_a_csat_store_keeps_its_csat_sections(served):
    text = page(served, "/stores/till?lang=en")
    assert "Today · CSAT" in section_words(text, "today")
    for csat_part in ('id="faces"', 'id="heatmap"', 'id="csat-note"', 'id="trend"'):
        assert csat_part in text, csat_part
    assert 'id="today-nps"' not in text and 'id="kind-nps"' not in text


def test_a_store_asking_nps_with_no_answers_yet_shows_an_empty_nps_card(served):
    text = page(served, "/stores/new?lang=en")
    assert "Today · NPS" in section_words(text, "today-nps")
    assert EN("no_responses") in section_words(text, "kind-nps")
    assert 'id="today"' not in text and "· CSAT" not in text
