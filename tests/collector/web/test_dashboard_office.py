"""The office page as a head-office reader sees it, in a real Chromium (1366 px).

A small demo chain served in this process: the ranking's store names look like
the links they are (the colour of every other link), and the Alerts card shows
its rules, where the KPI's "Rules" link points.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.collector.demo import seed_demo
from sync.collector.web.i18n import Translator
from tests.support.browser import signed_in_page
from tests.support.inprocess import collector_in_process

EN = Translator("en")


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """A 4-store demo chain served in this process; the office's token."""
    with collector_in_process(tmp_path_factory.mktemp("office") / "c.db") as running:
        now = datetime.now(UTC) - timedelta(minutes=5)
        tokens = seed_demo(running.storage, stores=4, days=20, seed=5, now=now)["tokens"]
        yield running.url, tokens["office"]


@pytest.mark.browser
def test_store_names_in_the_ranking_look_like_links_and_the_rules_are_shown(
        browser_chromium, chain):
    url, office = chain
    with signed_in_page(browser_chromium, url, office, width=1366, height=900,
                        lang="en") as page:
        page.goto(url + "/office?lang=en")
        colour = "el => getComputedStyle(el).color"
        store = page.locator("#ranking td.store-name a").first.evaluate(colour)
        assert store == page.locator("#alert-log-link").evaluate(colour)
        assert store != page.locator("#ranking td.num").first.evaluate(colour)
        assert page.locator("#alert-count a").get_attribute("href") == "#alert-rules"
        rules = page.locator("#alert-rules li")
        assert rules.count() >= 1 and rules.first.is_visible()


@pytest.mark.browser
def test_the_export_cards_note_is_set_as_the_pages_other_notes(browser_chromium, chain):
    """Found in a user trial: the note under the export buttons (an Excel sheet's
    limit) was in the body's large type, bigger than the card's own lead above it."""
    url, office = chain
    with signed_in_page(browser_chromium, url, office, width=1366, height=900,
                        lang="en") as page:
        page.goto(url + "/office?lang=en")
        size = "el => parseFloat(getComputedStyle(el).fontSize)"
        note = page.locator("#export-sheet-limit").evaluate(size)
        assert note <= page.locator("#export .card-head p").first.evaluate(size)
        assert note == page.locator("#ranking .lead.ranking-legend").evaluate(size)
