"""An alert's heading names its kind once, in every language.

In-process on a real SQLite file: one stored alert of every rule kind
(silent, rate, funnel, burst, baseline).  The alert's page heads it with the
kind and its figures in one line ("Silent kiosk: s1-k"), never the kind and then
a sentence that says it again ("Silent kiosk: Kiosk k1 silent since ..."); the
store's alert log lists it by the same line.
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from typing import Any

import pytest

from sync.clock import format_utc, utc_now
from sync.collector.db import alertlog as sql
from sync.collector.web.i18n import Translator
from tests.support.asgi import call, session_cookie
from tests.support.collector import app_of_stores

LANGS = ("fi", "sv", "en", "de")
NOW = utc_now() - timedelta(minutes=5)
WINDOW = {"start": format_utc(NOW - timedelta(minutes=60)), "end": format_utc(NOW)}
#: kind -> (its stored numbers, the figures its heading names)
ALERTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "silent": ({"at": format_utc(NOW - timedelta(hours=4)), "hours": 3.5, "kiosk_id": "s1-k",
                "silent_s": 14400}, {"kiosk": "s1-k"}),
    "rate": ({**WINDOW, "responses": 40, "unhappy": 9, "minutes": 60, "expected": 2.5,
              "tail": 0.0005}, {"unhappy": 9, "minutes": 60}),
    "funnel": ({**WINDOW, "responses": 20, "unhappy": 8, "minutes": 60, "expected": 0.1,
                "limit": 0.3}, {"unhappy": 8, "n": 20, "minutes": 60}),
    "burst": ({**WINDOW, "responses": 6, "unhappy": 5, "incidents": 1},
              {"unhappy": 5, "n": 6, "minutes": 15}),
    "baseline": ({"period": {"csat": 70.0, "ci_low": 65.0, "ci_high": 75.0, "responses": 300},
                  "baseline": {"csat": 80.0, "responses": 900}}, {}),
}


@pytest.fixture
def alerted(tmp_path) -> dict[str, Any]:
    """A store with one open alert of every kind; their ids by kind and an office cookie."""
    app = app_of_stores(str(tmp_path / "c.db"), {"s1": "Kamppi"}, kiosk=True)
    storage = app.state.storage
    ids = {}
    with storage.db.transaction(serialize=True) as conn:
        for kind, (numbers, _) in ALERTS.items():
            made = sql.insert_open(conn, (kind, "s1", "s1-k" if kind == "silent" else None), 1,
                                   json.dumps(numbers), format_utc(NOW))
            ids[kind] = made["id"]
    return {"app": app, "ids": ids,
            "cookie": session_cookie(app, storage.add_token("office").token)}


def heading(t: Translator, kind: str) -> str:
    """The heading the catalog gives ``kind``'s alert of :data:`ALERTS`."""
    words = dict(ALERTS[kind][1])
    if kind == "baseline":
        words = {"csat": t.pct(70.0), "baseline": t.pct(80.0)}
    return t(f"alert_head_{kind}", **words)


@pytest.mark.parametrize("lang", LANGS)
def test_every_kind_of_alert_is_headed_by_its_kind_once(alerted, lang):
    t = Translator(lang)
    log = html.unescape(call(alerted["app"], "GET", f"/stores/s1/alerts?lang={lang}",
                             alerted["cookie"]).body.decode())
    for kind, alert_id in alerted["ids"].items():
        page = call(alerted["app"], "GET", f"/alerts/{alert_id}?lang={lang}", alerted["cookie"])
        assert page.status == 200
        [h1] = re.findall(r'<h1 id="alert-title">(.*?)</h1>', html.unescape(page.body.decode()),
                          re.S)
        assert h1 == heading(t, kind)
        assert h1.startswith(t(f"alert_kind_{kind}") + ":"), h1
        # the kind's name once: the sentence cards use (which names it) is not repeated
        assert h1.lower().count(t(f"alert_kind_{kind}").split()[-1].lower()) == 1, h1
        row = re.search(rf'<tr data-alert="{alert_id}".*?</tr>', log, re.S).group(0)
        assert f"<strong>{heading(t, kind)}</strong>" in row
