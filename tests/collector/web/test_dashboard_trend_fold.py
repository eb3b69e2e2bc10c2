"""The office's and a region's trend tables fold a week without responses into one row.

In-process on a real SQLite file: one store in a region, with taps on every day
of the last three weeks but a seven-day gap.  The office page's and the region
page's trend data tables each show that gap as one quiet row ("... no responses
(7 days)") rather than seven rows of dashes, as the store page does, and every
other day still has its own row.  Over a long (weekly) period the office's table
folds the quiet weeks between two taps into one row counted in weeks.
"""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import pytest

from sync.clock import local_date, utc_now, zone
from sync.collector.app import create_app
from sync.collector.settings import Settings
from sync.collector.web.i18n import Translator
from tests.support.asgi import call, session_cookie
from tests.support.collector import rating, send_as_kiosk

EN = Translator("en")
TZ = "Europe/Helsinki"
GAP = range(3, 10)  # days ago without taps: seven in a row


@pytest.fixture
def chain(tmp_path) -> dict[str, Any]:
    app = create_app(Settings(database=str(tmp_path / "c.db")))
    storage = app.state.storage
    storage.add_region("r1", "Uusimaa")
    storage.add_store("s1", "Kamppi", TZ, region_id="r1")
    storage.add_kiosk("s1-1", "s1")
    now = utc_now() - timedelta(minutes=1)
    taps = [now - timedelta(days=n) for n in range(21) if n not in GAP]
    taps.append(now - timedelta(days=140))
    send_as_kiosk(storage, "s1-1", [rating(seq, 5, 5, at, tz=TZ)
                                    for seq, at in enumerate(taps, 1)])
    days = {"today": local_date(now, zone(TZ)), "first": local_date(taps[-2], zone(TZ)),
            "gap": sorted(local_date(now - timedelta(days=n), zone(TZ)) for n in GAP),
            "long_ago": local_date(taps[-1], zone(TZ))}
    return {"app": app, "cookie": session_cookie(app, storage.add_token("office").token),
            **days}


def table(chain: dict[str, Any], path: str, table_id: str) -> str:
    answer = call(chain["app"], "GET", path, chain["cookie"])
    assert answer.status == 200
    text = html.unescape(answer.body.decode())
    body = text[text.index(f'id="{table_id}"'):]
    return body[:body.index("</table>")]


def quiet_rows(body: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<tr class="quiet" data-from="([^"]+)" data-to="([^"]+)"'
                      r' data-responses="0"><td colspan="5" class="muted">([^<]+)</td>', body)


@pytest.mark.parametrize(("path", "table_id"), [("/office", "trend-data"),
                                                ("/regions/r1", "region-trend-data")])
def test_a_week_long_gap_is_one_folded_row(chain, path, table_id):
    period = f"from={chain['first']}&to={chain['today']}"
    body = table(chain, f"{path}?lang=en&{period}", table_id)
    gap = chain["gap"]
    assert quiet_rows(body) == [(gap[0], gap[-1], EN(
        "quiet_days", first=EN.day(gap[0], weekday=True),
        last=EN.day(gap[-1], weekday=True), n="7"))]
    dated = re.findall(r'<tr data-date="([^"]+)"', body)
    assert len(dated) == 21 - 7 and not set(dated) & set(gap)


def test_the_office_folds_quiet_weeks_over_a_long_period(chain):
    start = date.fromisoformat(chain["long_ago"]) - timedelta(days=7)
    body = table(chain, f"/office?lang=en&from={start}&to={chain['today']}", "trend-data")
    runs = quiet_rows(body)
    assert len(runs) == 1, runs
    first, last, words = runs[0]
    weeks = (date.fromisoformat(last) - date.fromisoformat(first)).days // 7 + 1
    assert weeks >= 10 and words.endswith(f"({weeks} weeks)"), words
