"""A store's heat map in a real Chromium reads cleanly when its period had taps in one hour.

Found in a user trial: with every tap in one hour the map is one column wide,
and its legend shrank with it: the colour bar's two end labels ("50%", "70%")
were drawn on top of each other and the empty-cell words ran out of the chart.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync.clock import utc_now
from tests.support.browser import signed_in_page
from tests.support.collector import rating, send_as_kiosk
from tests.support.inprocess import collector_in_process

#: Each shown heat map's legend words: their boxes and the chart's, in CSS pixels.
LEGEND = """() => [...document.querySelectorAll('svg.heatmap')]
  .filter(chart => chart.getBoundingClientRect().width > 0)
  .map(chart => ({chart: chart.getBoundingClientRect().toJSON(),
                  texts: [...chart.querySelectorAll('g.legend text')].map(text => ({
                    words: text.textContent, box: text.getBoundingClientRect().toJSON()}))}))"""


def apart(one: dict, other: dict) -> bool:
    """Two boxes that share no pixel (side by side, or one above the other)."""
    return (one["right"] <= other["left"] or other["right"] <= one["left"]
            or one["bottom"] <= other["top"] or other["bottom"] <= one["top"])


@pytest.mark.browser
@pytest.mark.parametrize("width", [1440, 390])
def test_a_one_hour_heat_maps_legend_labels_stay_apart_inside_the_chart(
        browser_chromium, tmp_path, width):
    with collector_in_process(tmp_path / "c.db") as running:
        storage = running.storage
        storage.add_store("s1", "Kamppi", "Europe/Helsinki")
        storage.add_kiosk("s1-k", "s1")
        start = utc_now().replace(hour=10, minute=5, second=0, microsecond=0) - timedelta(days=2)
        send_as_kiosk(storage, "s1-k", [rating(seq, 4 if seq % 3 else 2, 5,
                                               start + timedelta(minutes=2 * seq))
                                        for seq in range(1, 13)])  # 12 taps, 10:05-10:29 UTC
        office = storage.add_token("office").token
        with signed_in_page(browser_chromium, running.url, office, width=width,
                            lang="en") as page:
            page.goto(f"{running.url}/stores/s1?lang=en")
            [shown] = page.evaluate(LEGEND)
    chart, texts = shown["chart"], shown["texts"]
    assert [text["words"] for text in texts] == ["CSAT", "50%", "70%", "under 10 responses"]
    for n, text in enumerate(texts):
        box = text["box"]
        assert chart["left"] <= box["left"] and box["right"] <= chart["right"] + 0.5, text
        for other in texts[n + 1:]:
            assert apart(box, other["box"]), (text, other)
