"""The alert log's JSON API: history by period and store, acknowledging with a comment.

Staff see and acknowledge their own store's alerts; office and admin all.
Every refusal is a 4xx whose detail says why, and changes nothing.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from sync.collector import alertlog
from sync.collector.app import create_app
from sync.collector.settings import Settings
from tests.support.alerting import plant_taps
from tests.support.asgi import call

#: The lifecycle is tested on HappyOrNot's burst rule: a few unhappy taps open an alert.
BURSTS = Settings(alert_rules="burst,silent,baseline")

NOW = datetime.now(UTC)
TODAY = NOW.date().isoformat()


@pytest.fixture
def chain(collector_database):
    """An app with two stores in a burst each, their alerts opened, and a token per role."""
    app = create_app(Settings(database=collector_database, alert_rules=BURSTS.alert_rules))
    storage = app.state.storage
    for store in ("s1", "s2"):
        storage.add_store(store, f"Store {store}", "Europe/Helsinki")
        storage.add_kiosk(f"{store}-k", store)
        plant_taps(storage, store, f"{store}-k", NOW)
    opened = {row["store_id"]: row["id"] for row in alertlog.evaluate(storage, BURSTS, NOW)}
    tokens = {"office": storage.add_token("office", label="Head office").token,
              "admin": storage.add_token("admin").token,
              "staff": storage.add_token("staff", store_id="s1", label="Kamppi staff").token,
              "staff_other": storage.add_token("staff", store_id="s2").token}
    return app, tokens, opened


def ask(app, token: str, method: str, path: str, body=None):
    """One JSON request with a bearer token."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else b""
    return call(app, method, path, headers, data)


def test_office_sees_every_store_and_staff_their_own(chain):
    app, tokens, opened = chain
    everything = ask(app, tokens["office"], "GET", f"/api/v1/alerts?from={TODAY}&to={TODAY}")
    assert everything.status == 200
    found = everything.json()
    assert (found["from"], found["to"], found["store_id"]) == (TODAY, TODAY, None)
    assert sorted(a["store_id"] for a in found["alerts"]) == ["s1", "s2"]
    first = next(a for a in found["alerts"] if a["store_id"] == "s1")
    assert (first["kind"], first["state"], first["store_name"]) == ("burst", "open", "Store s1")
    assert first["data"]["unhappy"] == 4 and first["closed_at"] is None
    one = ask(app, tokens["office"], "GET", "/api/v1/alerts?store=s2").json()
    assert [a["store_id"] for a in one["alerts"]] == ["s2"]
    own = ask(app, tokens["staff"], "GET", "/api/v1/alerts").json()
    assert own["store_id"] == "s1" and [a["id"] for a in own["alerts"]] == [opened["s1"]]
    before = ask(app, tokens["office"], "GET", "/api/v1/alerts?from=2020-01-01&to=2020-01-31")
    assert before.json()["alerts"] == []


def test_history_refusals_say_why(chain):
    app, tokens, _ = chain
    other = ask(app, tokens["staff"], "GET", "/api/v1/alerts?store=s2")
    assert other.status == 403 and "may only read store 's1'" in other.json()["detail"]
    nowhere = ask(app, tokens["office"], "GET", "/api/v1/alerts?store=nowhere")
    assert nowhere.status == 404 and nowhere.json()["detail"] == "no store 'nowhere'"
    bad = ask(app, tokens["office"], "GET", "/api/v1/alerts?from=yesterday")
    assert bad.status == 422 and "from: 'yesterday' is not a date" in bad.json()["detail"]


def test_staff_acknowledge_their_store_alert_once_with_a_comment(chain):
    app, tokens, opened = chain
    path = f"/api/v1/alerts/{opened['s1']}/ack"
    done = ask(app, tokens["staff"], "POST", path, {"comment": "  Queue at till 2, opened till 3 "})
    assert done.status == 200, done.json()
    alert = done.json()
    assert alert["state"] == "acknowledged" and alert["closed_at"] is None
    assert alert["acknowledged_by"] == "Kamppi staff (staff)"
    assert alert["ack_comment"] == "Queue at till 2, opened till 3"
    assert alert["acknowledged_at"] >= alert["opened_at"]
    again = ask(app, tokens["office"], "POST", path, {"comment": "me too"})
    assert again.status == 409
    assert again.json()["detail"] == (f"alert {opened['s1']} was acknowledged already, by"
                                      " Kamppi staff (staff); the first acknowledgement stays")
    stored = ask(app, tokens["office"], "GET", "/api/v1/alerts?store=s1").json()["alerts"][0]
    assert stored["ack_comment"] == "Queue at till 2, opened till 3"


def test_acknowledging_refusals_say_why_and_change_nothing(chain):
    app, tokens, opened = chain
    path = f"/api/v1/alerts/{opened['s1']}/ack"
    other = ask(app, tokens["staff_other"], "POST", path, {"comment": "not mine"})
    assert other.status == 403
    assert "may only acknowledge store 's2'" in other.json()["detail"]
    missing = ask(app, tokens["office"], "POST", "/api/v1/alerts/999999/ack", {"comment": ""})
    assert missing.status == 404 and missing.json()["detail"] == "no alert 999999"
    long = ask(app, tokens["office"], "POST", path, {"comment": "x" * 1001})
    assert long.status == 422
    assert long.json()["detail"] == "comment: at most 1000 characters, not 1001"
    empty = ask(app, tokens["office"], "POST", path, {})
    assert empty.status == 422 and "comment" in empty.json()["detail"]
    word = ask(app, tokens["office"], "POST", "/api/v1/alerts/first/ack", {"comment": ""})
    assert word.status == 422 and "alert_id" in word.json()["detail"]
    state = ask(app, tokens["office"], "GET", "/api/v1/alerts?store=s1").json()["alerts"][0]
    assert state["state"] == "open" and state["acknowledged_by"] is None


def test_a_closed_alert_can_still_be_acknowledged_and_stays_closed(chain):
    app, tokens, opened = chain
    storage = app.state.storage
    alertlog.evaluate(storage, BURSTS, NOW.replace(year=NOW.year + 1))  # bursts gone
    done = ask(app, tokens["admin"], "POST", f"/api/v1/alerts/{opened['s2']}/ack",
               {"comment": "read the mail late"})
    assert done.status == 200
    assert done.json()["state"] == "closed"
    assert re.fullmatch(r"admin token \d+", done.json()["acknowledged_by"])  # no label
