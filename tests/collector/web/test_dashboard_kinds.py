"""A store's page shows a card for each question kind it has taps of (issue #16).

A collector in this process on loopback (a real SQLite file) and a real
headless Chromium: a store whose kiosks ask NPS at the exit and CES at the
service desk shows both figures with their intervals beside CSAT; a store
with CSAT taps only shows no NPS or CES card.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from sync.clock import utc_now
from sync.collector.api import ingest
from sync.collector.web.i18n import Translator
from sync.metrics import ces_figure, nps_figure
from tests.support.browser import log_in
from tests.support.collector import batch, rating
from tests.support.inprocess import collector_in_process

EN = Translator("en")
NPS = [10, 10, 9, 8, 7, 6, 2, 0, 9, 10]
CES = [7, 6, 6, 5, 2]


@pytest.fixture
def served(tmp_path):
    """Store s1 with NPS, CES and CSAT taps from this morning; s2 with CSAT only."""
    with collector_in_process(tmp_path / "c.db") as running:
        storage = running.storage
        at = utc_now() - timedelta(hours=1)
        for store_id in ("s1", "s2"):
            storage.add_store(store_id, f"Store {store_id}", "Europe/Helsinki")
        taps = {"s1-exit": [rating(n + 1, score, 11, at, kind="nps")
                            for n, score in enumerate(NPS)],
                "s1-desk": [rating(n + 1, score, 7, at, kind="ces")
                            for n, score in enumerate(CES)],
                "s1-till": [rating(1, 5, 5, at)], "s2-till": [rating(1, 4, 5, at)]}
        for kiosk_id, ratings in taps.items():
            storage.add_kiosk(kiosk_id, kiosk_id[:2])
            kiosk = storage.principal(storage.add_token("kiosk", kiosk_id=kiosk_id).token)
            answer = ingest.handle_batch(storage, kiosk, json.dumps(batch(ratings)).encode())
            assert answer.accepted == len(ratings), answer
        running.office = storage.add_token("office").token
        yield running


@pytest.mark.browser
def test_the_store_page_shows_nps_and_ces_with_their_intervals(browser_page, served):
    page = browser_page
    log_in(page, served.url, served.office)
    page.goto(served.url + "/stores/s1?lang=en")
    nps, ces = page.locator("#kind-nps"), page.locator("#kind-ces")
    planted = nps_figure((score, 1) for score in NPS)
    assert float(nps.get_attribute("data-value")) == round(planted.value, 1)
    assert float(nps.get_attribute("data-ci-low")) == round(planted.ci_low, 1)
    assert nps.locator("[data-role=value]").inner_text() == EN.number(planted.value)
    assert nps.locator("[data-role=ci]").inner_text() == EN(
        "ci_to", low=EN.number(planted.ci_low), high=EN.number(planted.ci_high))
    assert nps.locator("[data-role=responses]").inner_text() == EN.responses(len(NPS))
    assert "NPS" in nps.locator("h2").inner_text()
    assert EN("kind_nps_help") in nps.inner_text()
    effort = ces_figure((score, 1) for score in CES)
    assert ces.locator("[data-role=value]").inner_text() == EN.number(effort.value, 1)
    assert ces.locator("[data-role=ci]").inner_text() == EN(
        "ci_to", low=EN.number(effort.ci_low, 1), high=EN.number(effort.ci_high, 1))
    assert nps.is_visible() and ces.is_visible()
    # CSAT beside them counts the one CSAT tap only.
    assert page.locator("#period").get_attribute("data-responses") == "1"

    page.goto(served.url + "/stores/s2?lang=en")
    assert page.locator("#period").get_attribute("data-responses") == "1"
    assert page.locator("#kind-nps").count() == 0 and page.locator("#kind-ces").count() == 0
