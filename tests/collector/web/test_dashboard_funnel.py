"""The office's funnel plot and shrunk ranking (``/office/funnel``), in-process.

A demo chain; the office sees a dot per store, the chain's line and both pairs
of limit curves, the figures in a table, and a ranking by shrunk CSAT whose
order follows the shrunk values; staff are refused.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest

from sync.collector.app import create_app
from sync.collector.demo import seed_demo
from sync.collector.settings import Settings
from sync.collector.web.i18n import Translator
from tests.support.asgi import call, session_cookie

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
PERIOD = "from=2025-05-10&to=2025-06-01"


@pytest.fixture
def demo(collector_database):
    """An app over an 8-store demo chain, and its office and staff tokens."""
    app = create_app(Settings(database=collector_database))
    tokens = seed_demo(app.state.storage, stores=8, days=30, seed=3, now=NOW)["tokens"]
    return app, {"office": tokens["office"], "staff": tokens["staff"]["token"]}


def page(app, token: str, path: str):
    return call(app, "GET", path, session_cookie(app, token))


def test_the_office_sees_a_dot_per_store_the_chain_line_and_both_funnels(demo):
    app, tokens = demo
    answer = page(app, tokens["office"], f"/office/funnel?{PERIOD}&lang=en")
    assert answer.status == 200
    text = answer.body.decode()
    stores = re.findall(r'<tr data-store="([^"]+)" data-outside="(yes|no)">', text)
    assert len(stores) == 8
    assert text.count('<circle class="dot') == 8
    assert text.count('class="limit limit-95"') == 2 and text.count('class="limit limit-998"') == 2
    assert 'class="target"' in text and 'aria-describedby="funnel-data"' in text
    t = Translator("en")
    for key in ("funnel_heading", "funnel_limits_95", "funnel_limits_998", "shrunk_heading"):
        assert t(key) in html.unescape(text)


def test_the_shrunk_ranking_is_in_shrunk_order(demo):
    app, tokens = demo
    text = page(app, tokens["office"], f"/office/funnel?{PERIOD}&lang=en").body.decode()
    table = text[text.index('id="shrunk-ranking"'):]
    ranks = re.findall(r'data-rank="(\d+)"', table)
    assert ranks == [str(i) for i in range(1, 9)]
    values = [float(v) for v in re.findall(r'csat-cell">([\d.]+)%', table)]
    assert len(values) == 8 and values == sorted(values, reverse=True)


def test_staff_are_refused_and_the_office_page_links_the_funnel(demo):
    app, tokens = demo
    assert page(app, tokens["staff"], f"/office/funnel?{PERIOD}").status == 403
    office = page(app, tokens["office"], f"/office?{PERIOD}").body.decode()
    assert 'id="funnel-link"' in office and "/office/funnel?from=2025-05-10" in office
