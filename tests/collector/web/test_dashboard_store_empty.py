"""A store page with nothing to draw says so, and a sparse month is not a column of dashes.

In-process on a real SQLite file, set up as a new store is: three kiosks at
the checkout (CSAT), the service desk (a CES survey) and the exit (an NPS
survey).  With no responses yet the page shows, instead of empty charts and
30 rows of "0 / – / –", why ("No responses yet") and each kiosk's last
contact (one called in with an empty batch, two never connected), and the
touchpoints card lists the three touchpoints with the question each asks.
A store with responses on a few days folds each run of 3+ quiet days into
one row of its day table, every day of the period still in it.
"""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import pytest

from sync.clock import utc_now
from sync.collector.app import create_app
from sync.collector.settings import Settings
from sync.collector.web.i18n import Translator
from sync.survey import Survey
from tests.support.asgi import call, session_cookie
from tests.support.collector import rating, send_as_kiosk

EN = Translator("en")
POINTS = {"checkout": "csat", "service_desk": "ces", "exit": "nps"}


@pytest.fixture
def served(tmp_path) -> dict[str, Any]:
    app = create_app(Settings(database=str(tmp_path / "c.db")))
    storage = app.state.storage
    storage.add_store("new", "Iso Omena", "Europe/Helsinki")
    for point in POINTS:
        storage.add_kiosk(f"new-{point}", "new", touchpoint=point)
    storage.set_survey("new", Survey(kind="ces", questions={"en": "Easy?"}), "service_desk")
    storage.set_survey("new", Survey(kind="nps", questions={"en": "Recommend?"}), "exit")
    send_as_kiosk(storage, "new-checkout", [])
    storage.add_store("sparse", "Kamppi", "Europe/Helsinki")
    storage.add_kiosk("sparse-1", "sparse")
    now = utc_now() - timedelta(minutes=1)
    # responses 1 and 2 days ago and 10 days ago: quiet runs of 7 days and of 19 days
    taps = [now - timedelta(days=days) for days in (1, 2, 10) for _ in range(3)]
    send_as_kiosk(storage, "sparse-1", [rating(seq, 4, 5, at) for seq, at in enumerate(taps, 1)])
    return {"app": app, "cookie": session_cookie(app, storage.add_token("office").token)}


def page(served: dict[str, Any], path: str) -> str:
    answer = call(served["app"], "GET", path, served["cookie"])
    assert answer.status == 200
    return html.unescape(answer.body.decode())


def test_a_new_store_says_no_responses_yet_and_when_each_kiosk_called_in(served):
    text = page(served, "/stores/new?lang=en")
    empty = re.search(r'<section class="card span-12" id="store-empty".*?</section>', text,
                      re.S).group(0)
    assert EN("store_empty_new_title") in empty and EN("store_empty_new") in empty
    contacts = dict(re.findall(r'<li data-kiosk="([^"]+)">.*?<span class="[^"]+">([^<]+)</span>'
                               r'</li>', empty, re.S))
    assert contacts == {"new-checkout": EN("store_empty_seen", ago=EN("just_now")),
                        "new-service_desk": EN("store_empty_never"),
                        "new-exit": EN("store_empty_never")}
    for chart in ('id="trend"', 'id="faces"', 'id="heatmap"', 'id="days"', 'id="reasons"'):
        assert chart not in text, chart


def test_a_new_stores_touchpoints_are_listed_with_the_question_each_asks(served):
    text = page(served, "/stores/new?lang=en")
    rows = re.findall(r'<tr data-touchpoint="([^"]+)" data-kind="([^"]+)" data-responses="0"',
                      text)
    assert dict(rows) == POINTS


def test_a_sparse_month_folds_its_quiet_runs_and_keeps_every_day(served):
    text = page(served, "/stores/sparse?lang=en")
    table = text[text.index('id="days-table"'):]
    table = table[:table.index("</table>")]
    days = re.findall(r'<tr data-date="([^"]+)"', table)
    runs = re.findall(r'<tr class="quiet" data-from="([^"]+)" data-to="([^"]+)"'
                      r' data-responses="0"><td colspan="5" class="muted">([^<]+)</td>', table)
    assert len(runs) == 2 and len(days) < 30 - 7
    covered = set(days)
    for first, last, words in runs:
        span = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
        assert span >= 3 and words.endswith(f"({span} days)"), words
        covered |= {(date.fromisoformat(first) + timedelta(days=n)).isoformat()
                    for n in range(span)}
    start = re.search(r'name="from" value="([^"]+)"', text).group(1)
    assert covered == {(date.fromisoformat(start) + timedelta(days=n)).isoformat()
                       for n in range(30)}
    assert 'id="store-empty"' not in text and 'id="trend"' in text
