"""The alert log filters by the days a store manager lives in, not by UTC days.

In-process (a real SQLite file): a Helsinki store (UTC+2 in January) had an
unhappy burst at 00:30 local on 15 January, which is 22:30 UTC on the 14th.
Its store's alert log and the chain's list it under 15 January and not under
the 14th, and say which zone their days are in.  The deliveries page shows
its times in the chain's zone and names it, and a message queued at 00:30
local on 15 January under that date's filter, not the 14th's.
``GET /api/v1/alerts`` keeps its documented UTC dates.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import pytest

from sync.clock import format_utc
from sync.collector import alertlog
from sync.collector.app import create_app
from sync.collector.db import delivery
from sync.collector.notify import outbox
from sync.collector.notify.mail import Mail
from sync.collector.reports import MAX_DAYS
from sync.collector.settings import Settings
from sync.collector.web.i18n import Translator
from tests.support.alerting import plant_taps
from tests.support.asgi import call, session_cookie

EN = Translator("en")
#: 00:30 on 15 January in Helsinki.
LOCAL_0030 = datetime(2026, 1, 14, 22, 30, tzinfo=UTC)
BURSTS = Settings(alert_rules="burst")


@pytest.fixture
def served(tmp_path) -> dict[str, Any]:
    app = create_app(Settings(database=str(tmp_path / "c.db")))
    storage = app.state.storage
    storage.add_store("s1", "Kamppi", "Europe/Helsinki")
    storage.add_kiosk("s1-k", "s1")
    plant_taps(storage, "s1", "s1-k", LOCAL_0030, minutes_ago=(8, 6, 4, 1))
    [opened] = alertlog.evaluate(storage, BURSTS, now=LOCAL_0030)
    return {"app": app, "alert": opened["id"], "office": storage.add_token("office").token,
            "admin": storage.add_token("admin").token,
            "staff": storage.add_token("staff", store_id="s1").token}


def page(served: dict[str, Any], who: str, path: str) -> str:
    answer = call(served["app"], "GET", path, session_cookie(served["app"], served[who]))
    assert answer.status == 200, answer.body[:300]
    return html.unescape(answer.body.decode())


@pytest.mark.parametrize(("who", "path"), [("staff", "/stores/s1/alerts"), ("office", "/alerts")])
def test_an_alert_at_0030_local_is_under_that_local_date(served, who, path):
    listed = f'data-alert="{served["alert"]}"'
    on_15th = page(served, who, f"{path}?from=2026-01-15&to=2026-01-15&lang=en")
    assert listed in on_15th
    assert EN("days_in_zone", zone="Europe/Helsinki") in on_15th
    assert "15 Jan 2026 00:" in on_15th  # its times in the store's own zone, as before
    assert listed not in page(served, who, f"{path}?from=2026-01-14&to=2026-01-14&lang=en")


def test_the_api_keeps_utc_dates(served):
    answer = call(served["app"], "GET", "/api/v1/alerts?from=2026-01-14&to=2026-01-14",
                  {"Authorization": f"Bearer {served['office']}"})
    assert [alert["id"] for alert in answer.json()["alerts"]] == [served["alert"]]


def test_deliveries_show_times_in_the_chain_zone_and_say_so(served):
    storage = served["app"].state.storage
    channel, _, _ = outbox.add_channel(storage, "manager@example.com", "manager@example.com")
    outbox.subscribe(storage, channel, "alert", "s1")
    outbox.fanout(storage, "alert", "s1", "alert:1", Mail("-", "Kamppi", "Unhappy burst."))
    shown = page(served, "admin", "/admin/deliveries?lang=en")
    assert EN("times_in_zone", zone="Europe/Helsinki") in shown
    row = shown[shown.index('data-delivery="'):shown.index("</tr>", shown.index("data-delivery"))]
    assert " EET" in row or " EEST" in row
    assert " UTC" not in row


def test_a_delivery_at_0030_local_is_under_that_local_date(served):
    storage = served["app"].state.storage
    channel, _, _ = outbox.add_channel(storage, "manager@example.com", "manager@example.com")
    message = outbox.Message("alert", Mail("-", "Kamppi", "Unhappy burst."), "s1", "alert:7")
    with storage.db.connection() as conn:  # queued at 00:30 local on the 15th
        delivery.enqueue(conn, "alert:7", channel, "alert", "s1", outbox.payload(message),
                         format_utc(LOCAL_0030))
    [queued] = outbox.recent(storage)
    listed = f'data-delivery="{queued["id"]}"'
    on_15th = page(served, "admin", "/admin/deliveries?from=2026-01-15&to=2026-01-15&lang=en")
    assert listed in on_15th and "15 Jan 2026 00:30 EET" in on_15th
    assert EN("days_in_zone", zone="Europe/Helsinki") in on_15th
    on_14th = page(served, "admin", "/admin/deliveries?from=2026-01-14&to=2026-01-14&lang=en")
    assert listed not in on_14th and EN("deliveries_empty") in on_14th
    answer = call(served["app"], "GET", "/admin/deliveries?from=2026-01-15&to=2026-01-14&lang=en",
                  session_cookie(served["app"], served["admin"]))
    assert answer.status == 400 and EN("bad_period", days=MAX_DAYS) in html.unescape(
        answer.body.decode())
