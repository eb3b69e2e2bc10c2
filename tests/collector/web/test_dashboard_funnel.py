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
    wide = chart(text, "chart-wide")
    assert wide.count('<circle class="dot') == 8
    assert wide.count('class="limit limit-95"') == 2 and wide.count('class="limit limit-998"') == 2
    assert 'class="target"' in wide and 'aria-describedby="funnel-data"' in wide
    t = Translator("en")
    for key in ("funnel_heading", "funnel_limits_95", "funnel_limits_998", "shrunk_heading"):
        assert t(key) in html.unescape(text)


def chart(text: str, which: str) -> str:
    """One of the page's two funnel plots (``chart-wide`` or ``chart-narrow``)."""
    return re.search(rf'<svg[^>]*class="chart {which}".*?</svg>', text, re.S).group(0)


def test_the_plot_reads_round_ticks_whole_dots_labels_and_which_curve_is_which(demo):
    app, tokens = demo
    text = page(app, tokens["office"], f"/office/funnel?{PERIOD}&lang=en").body.decode()
    t = Translator("en")
    for which, width in (("chart-wide", 720), ("chart-narrow", 360)):
        drawn = chart(text, which)
        ticks = [int(v.replace(",", "")) for v in re.findall(
            r'<text x="[^"]+" y="[^"]+" text-anchor="(?:start|middle)">([\d,]+)</text>', drawn)]
        assert ticks[0] == 0 and len(ticks) >= 3
        step = ticks[1]
        assert all(b - a == step for a, b in zip(ticks, ticks[1:], strict=False))
        assert str(step).rstrip("0") in ("1", "2", "25", "5"), ticks  # 1, 2, 2.5 or 5 x 10^k
        right = max(float(x) for x in re.findall(r'<circle class="dot[^"]*" cx="([^"]+)"', drawn))
        assert right + 4.5 <= width - 12  # the right-most dot is whole
    for row in re.findall(r'<tr data-store="[^"]+" data-outside="(?:yes|no)">.*?</tr>', text,
                          re.S):
        name = re.search(r'<a class="in-text" href="[^"]+">([^<]+)</a>', row).group(1)
        assert re.search(rf'aria-label="{re.escape(name)}: \d+%', chart(text, "chart-wide"))
    legend = html.unescape(text)
    assert f'{t("funnel_limits_95")} ({t("funnel_inner")})' in legend
    assert f'{t("funnel_limits_998")} ({t("funnel_outer")})' in legend


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


def test_stores_outside_the_limits_are_named_on_the_plot_and_every_dot_has_a_tooltip(demo):
    app, tokens = demo  # one day: a few hundred responses a store, some inside the limits
    one_day = "from=2025-05-31&to=2025-05-31"
    text = page(app, tokens["office"], f"/office/funnel?{one_day}&lang=en").body.decode()
    rows = re.findall(r'<tr data-store="[^"]+" data-outside="(yes|no)">.*?'
                      r'<a class="in-text" href="[^"]+">([^<]+)</a>', text, re.S)
    outside = {name for where, name in rows if where == "yes"}
    assert outside and len(outside) < len(rows) == 8  # both kinds of store
    for which in ("chart-wide", "chart-narrow"):
        drawn = chart(text, which)
        named = re.search(r'<g class="dot-names".*?</g>', drawn, re.S).group(0)
        assert set(re.findall(r'<text [^>]*>([^<]+)</text>', named)) == outside
        titles = re.findall(r'<circle class="dot[^"]*"[^>]*><title>([^<]+)</title></circle>',
                            drawn)
        assert len(titles) == len(rows)
        assert {title.split(":")[0] for title in titles} == {name for _, name in rows}


def test_each_store_in_the_shrunk_ranking_links_to_its_page_over_the_period(demo):
    app, tokens = demo
    text = page(app, tokens["office"], f"/office/funnel?{PERIOD}&lang=en").body.decode()
    table = text[text.index('id="shrunk-ranking"'):text.index("</table>",
                                                               text.index('id="shrunk-ranking"'))]
    rows = re.findall(r'<tr data-store="([^"]+)" data-rank="\d+">(.*?)</tr>', table, re.S)
    assert len(rows) == 8
    for store_id, row in rows:
        assert f'<a href="/stores/{store_id}?{PERIOD.replace("&", "&amp;")}">' in row
