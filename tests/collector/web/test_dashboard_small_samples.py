"""Small samples make no headlines: a figure of fewer than HYMY_MIN_RESPONSES responses.

Store s1 had 40 happy taps on each of two days and one unhappy tap today.  Its
page shows today's 0% dimmed with "n = 1 - too few responses to judge" and no
difference to the baseline, and the trend leaves today off its line (a hollow
mark), in-process through the real app on a real SQLite file.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from sync.collector.app import create_app
from sync.collector.settings import Settings
from sync.collector.web.i18n import Translator
from tests.support.alerting import plant_taps
from tests.support.asgi import call, session_cookie

EN = Translator("en")


@pytest.fixture
def lonely_today(collector_database):
    """An app whose store s1 has 2 x 40 happy taps in the last days and 1 unhappy tap today."""
    app = create_app(Settings(database=collector_database))
    storage = app.state.storage
    storage.add_store("s1", "Kamppi", "Europe/Helsinki")
    storage.add_kiosk("k1", "s1")
    now = datetime.now(UTC)
    seq = 1
    for days in (3, 2):
        plant_taps(storage, "s1", "k1", now - timedelta(days=days),
                   minutes_ago=[i * 0.5 for i in range(40)], score=5, first_seq=seq)
        seq += 40
    plant_taps(storage, "s1", "k1", now, minutes_ago=(1,), score=1, first_seq=seq)
    return app, storage.add_token("office").token


def card(html: str, card_id: str) -> str:
    """The HTML of one KPI card."""
    found = re.search(rf'<section class="card kpi[^"]*" id="{card_id}".*?</section>', html, re.S)
    assert found, card_id
    return found.group(0)


def test_one_unhappy_tap_today_is_dimmed_with_its_count_and_no_delta(lonely_today):
    app, office = lonely_today
    answer = call(app, "GET", "/stores/s1?lang=en", session_cookie(app, office))
    assert answer.status == 200
    today = card(answer.body.decode(), "today")
    assert 'class="value few hero"' in today
    assert EN("too_few_judge", n="1") in today
    assert "delta" not in today
    assert "pts" not in today


def test_the_trend_marks_a_nearly_empty_day_off_its_line(lonely_today):
    app, office = lonely_today
    html = call(app, "GET", "/stores/s1?lang=en", session_cookie(app, office)).body.decode()
    wide = re.search(r'<svg[^>]*chart-wide.*?</svg>', html, re.S).group(0)
    assert len(re.findall(r'<circle class="few"', wide)) == 1
    assert EN("too_few_judge", n="1") in wide
    [line] = re.findall(r'<polyline class="line" points="([^"]*)"', wide)
    assert len(line.split()) == 2  # the two full days only, not today's 0%


def test_todays_happy_index_of_too_few_responses_is_dimmed_like_its_csat(lonely_today):
    app, office = lonely_today
    html = call(app, "GET", "/stores/s1?lang=en", session_cookie(app, office)).body.decode()
    index = card(html, "today-index")
    assert '<p class="value few" data-role="index">0<span class="of">' in index
    assert EN("too_few_judge", n="1") in index
    # the period's 81 responses are enough: the office's chain card is not dimmed
    chain = call(app, "GET", "/office?lang=en", session_cookie(app, office)).body.decode()
    assert '<p class="value" data-role="index">' in card(chain, "chain-index")
