"""Tables and plots on a phone (390 x 844) in a real Chromium: nothing clipped, labels readable.

A collector in this process (a real SQLite file) over a small demo chain whose
stores have NPS and CES touchpoints.  On the store page and the funnel page no
table reaches past the screen (they reflow as cards, as /fleet does), a table
that still scrolls sideways shows a shadow where it scrolls, and the funnel
plot's axis labels are drawn at a size a person can read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.collector.demo import seed_demo
from tests.support.browser import signed_in_page
from tests.support.inprocess import collector_in_process

WIDTH = 390
#: Every table: its right edge, and whether its scroller is wider than itself and hinted.
TABLES = """() => [...document.querySelectorAll('main table')].filter(t => t.offsetParent)
  .map(t => { const wrap = t.closest('.table-wrap');
    return {id: t.id, right: t.getBoundingClientRect().right,
            scrolls: !!wrap && wrap.scrollWidth > wrap.clientWidth + 1,
            hinted: !!wrap && getComputedStyle(wrap).backgroundImage.includes('gradient')}; })"""


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """A 4-store demo chain with touchpoints, served in this process; the office's token."""
    folder = tmp_path_factory.mktemp("phone")
    with collector_in_process(folder / "c.db") as running:
        now = datetime.now(UTC) - timedelta(minutes=5)
        tokens = seed_demo(running.storage, stores=4, days=20, seed=5, now=now,
                           kinds=True)["tokens"]
        store = running.storage.stores()[0]["id"]
        yield running.url, tokens["office"], store


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/stores/{store}", "/office/funnel"])
def test_no_table_is_clipped_on_a_phone(browser_chromium, chain, path):
    url, office, store = chain
    with signed_in_page(browser_chromium, url, office, width=WIDTH, height=844,
                        lang="en") as page:
        page.goto(url + path.format(store=store) + "?lang=en")
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        tables = page.evaluate(TABLES)
        assert tables, "the page has tables"
        for table in tables:
            assert table["right"] <= WIDTH or table["scrolls"], table
            assert not table["scrolls"] or table["hinted"], table
        if "touchpoints" in path or path.startswith("/stores"):
            assert page.locator("#touchpoint-table").count() == 1
            assert page.locator("#touchpoint-table").bounding_box()["width"] <= WIDTH
            strip = page.locator("#touchpoint-table .strip-cell").first
            assert strip.is_visible()  # the interval is shown, not cut off


@pytest.mark.browser
def test_the_funnel_plot_labels_are_readable_on_a_phone(browser_chromium, chain):
    url, office, _store = chain
    with signed_in_page(browser_chromium, url, office, width=WIDTH, height=844,
                        lang="en") as page:
        page.goto(url + "/office/funnel?lang=en")
        heights = page.evaluate("""() => [...document.querySelectorAll('svg.chart .axis text')]
            .filter(t => t.getBoundingClientRect().width > 0)
            .map(t => t.getBoundingClientRect().height)""")
        assert heights and min(heights) >= 10, heights


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fi", "sv", "en", "de"])
@pytest.mark.parametrize("width", [360, WIDTH])
def test_the_period_buttons_keep_their_words_on_one_line_on_a_phone(browser_chromium, chain,
                                                                   lang, width):
    """Found in a user trial: "7 days" broke into "7" over "days" on a phone."""
    url, office, store = chain
    with signed_in_page(browser_chromium, url, office, width=width, height=844,
                        lang=lang) as page:
        page.goto(f"{url}/stores/{store}?lang={lang}")
        boxes = page.eval_on_selector_all(
            ".presets a", "els => els.map(e => e.getBoundingClientRect())"
            ".map(r => ({top: Math.round(r.top), height: r.height, right: r.right}))")
        assert len(boxes) == 5
        assert len({box["top"] for box in boxes}) == 1, boxes  # one row
        assert max(box["height"] for box in boxes) < 40, boxes  # one line each
        assert max(box["right"] for box in boxes) <= width
