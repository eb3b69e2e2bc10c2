"""Every JSON endpoint answers exactly what it answered before it had typed models.

The API is a public contract: scripts and dashboards read its field names,
nesting, nulls and number types (``80`` is not ``80.0`` to a strict reader).
A small demo chain (fixed seed, fixed "now") is asked every JSON endpoint
once, with explicit periods, on SQLite and on PostgreSQL, and each answer is
compared, as JSON text with sorted keys, with ``tests/fixtures/api/answers.json``:
what the collector answered on SQLite before the routes had response models
(commit 51ab199).  Values
that follow the wall clock or are random (``silent_s``, ``created_at``, new
tokens) are compared by type only.  Error answers are compared by their
``detail``; ``test_api_schema.py`` checks their shape.

After a deliberate change to an answer, rewrite the file with
``HYMY_WRITE_ANSWERS=1 pytest tests/collector/test_api_answers.py`` and
review the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sync.collector import alertlog
from sync.collector.app import create_app
from sync.collector.demo import seed_demo
from sync.collector.settings import Settings
from tests.support.asgi import call
from tests.support.collector import batch, rating

ANSWERS = Path(__file__).parents[1] / "fixtures" / "api" / "answers.json"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
PERIOD = "from=2025-05-20&to=2025-06-01"
#: Keys whose values follow the wall clock, chance or the release: compared by type.
VOLATILE = {"silent_s", "created_at", "token", "clock_offset_s", "acknowledged_at",
            "app_version", "newest_version"}
STORE = "hki-kamppi"


def masked(value: Any, key: str = "") -> Any:
    """``value`` with volatile values replaced by their type's name."""
    if key in VOLATILE and value is not None:
        return f"<{type(value).__name__}>"
    if isinstance(value, dict):
        return {name: masked(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def requests_made(tokens: dict[str, Any], code: str,
                  alert: int) -> list[tuple[str, str, str, Any]]:
    """``(role, method, path, body)`` of every JSON request the test makes, in order;
    ``alert`` is an open alert of the staff token's store."""
    read = [("office", "GET", f"/api/v1/stores/{STORE}/{part}?{PERIOD}", None)
            for part in ("daily", "summary", "heatmap", "reasons")]
    upload = batch([rating(1, id="01890000-0000-7000-8000-000000000001"),
                    rating(2, score=9, id="01890000-0000-7000-8000-000000000002")])
    return [
        ("none", "GET", "/healthz", None),
        ("kiosk", "GET", "/api/v1/kiosk", None),
        ("kiosk", "GET", "/api/v1/survey", None),
        ("staff", "GET", "/api/v1/stores", None),
        ("office", "GET", "/api/v1/stores", None),
        ("office", "GET", f"/api/v1/stores/{STORE}", None),
        *read,
        ("office", "GET", f"/api/v1/stores/{STORE}/daily?{PERIOD}&kiosk={STORE}-1", None),
        ("office", "GET", f"/api/v1/stores/{STORE}/reasons?{PERIOD}&lang=fi", None),
        ("office", "GET", f"/api/v1/stores/{STORE}/kiosks", None),
        ("office", "GET", f"/api/v1/stores/{STORE}/survey", None),
        ("office", "GET", "/api/v1/kiosks", None),
        ("staff", "GET", "/api/v1/kiosks", None),
        ("office", "GET", f"/api/v1/ranking?{PERIOD}", None),
        ("office", "GET", f"/api/v1/ranking?{PERIOD}&order=csat&min_responses=100000", None),
        ("office", "GET", "/api/v1/stores/nowhere", None),
        ("office", "GET", f"/api/v1/stores/{STORE}/daily?from=yesterday", None),
        ("staff", "GET", "/api/v1/ranking", None),
        ("admin", "GET", "/api/v1/tokens", None),
        ("admin", "POST", "/api/v1/stores", {"id": "new-store", "name": "New",
                                             "timezone": "Europe/Oslo"}),
        ("admin", "POST", "/api/v1/stores", {"id": "new-store", "name": "New",
                                             "timezone": "Europe/Oslo"}),
        ("admin", "POST", "/api/v1/stores/new-store/kiosks", {"id": "new-store-1"}),
        ("admin", "POST", "/api/v1/tokens", {"role": "staff", "store_id": "new-store"}),
        ("admin", "PATCH", "/api/v1/stores/new-store", {"name": "Newer"}),
        ("admin", "PATCH", "/api/v1/kiosks/new-store-1", {"label": "by the door"}),
        ("admin", "PUT", "/api/v1/stores/new-store/survey",
         {"scale": 3, "questions": {"en": "Fine?"}, "reasons": ["queue"]}),
        # Surveys per touchpoint: NPS at the exit, a mistyped touchpoint, the listing.
        ("admin", "PUT", "/api/v1/stores/new-store/touchpoints/exit/survey",
         {"kind": "nps", "questions": {"en": "Would you recommend us?"}}),
        ("admin", "PUT", "/api/v1/stores/new-store/touchpoints/servce_desk/survey",
         {"kind": "ces", "questions": {"en": "Easy?"}}),
        ("office", "GET", "/api/v1/stores/new-store/touchpoints/exit/survey", None),
        ("office", "GET", "/api/v1/stores/new-store/surveys", None),
        ("office", "GET", f"/api/v1/alerts?{PERIOD}", None),
        ("staff", "GET", f"/api/v1/alerts?{PERIOD}", None),
        ("staff", "GET", f"/api/v1/alerts?{PERIOD}&store=hki-itakeskus", None),
        ("staff", "POST", f"/api/v1/alerts/{alert}/ack", {"comment": "Till 2 reopened"}),
        ("office", "POST", f"/api/v1/alerts/{alert}/ack", {"comment": "again"}),
        ("office", "POST", "/api/v1/alerts/999999/ack", {"comment": ""}),
        ("office", "POST", f"/api/v1/alerts/{alert}/ack", {}),

        ("admin", "PATCH", "/api/v1/stores/new-store/alerting",
         {"opening_hours": "mon-fri 9-21, sat 10-18", "silent_hours": 3, "rate_alpha": 1e-3}),
        ("admin", "PATCH", "/api/v1/stores/new-store/alerting", {"opening_hours": "mon 9"}),
        ("admin", "PATCH", "/api/v1/stores/new-store/alerting", {"rate_alpha": 0.5}),
        ("admin", "PATCH", "/api/v1/stores/nowhere/alerting", {"silent_hours": 3}),
        ("admin", "GET", "/api/v1/stores/new-store/alerting", None),
        ("office", "GET", "/api/v1/regions", None),
        ("office", "GET", f"/api/v1/regions/uusimaa/summary?{PERIOD}", None),
        ("office", "GET", f"/api/v1/regions/helsinki/daily?{PERIOD}", None),
        ("staff", "GET", "/api/v1/regions/uusimaa/summary", None),
        ("admin", "POST", "/api/v1/regions", {"id": "new-region", "name": "New",
                                              "parent_id": "uusimaa"}),
        ("admin", "POST", "/api/v1/regions", {"id": "new-region", "name": "New"}),
        ("admin", "PATCH", "/api/v1/regions/new-region", {"parent_id": ""}),
        ("admin", "PATCH", "/api/v1/regions/nowhere", {"name": "X"}),
        # Last: they change what the reads above would answer.
        ("kiosk", "POST", "/api/v1/batches", upload),
        ("kiosk", "POST", "/api/v1/batches", {"sent_at": "yesterday", "ratings": []}),
        ("none", "POST", "/api/v1/enroll", {"code": code}),
        ("none", "POST", "/api/v1/enroll", {"code": "AAAA-AAAA"}),
        # NPS and CES (issue #16): a batch of both kinds and one that does not fit its
        # kind, then the reads that take kind=; without it they answer CSAT as above.
        ("kiosk", "POST", "/api/v1/batches", kinds_batch()),
        *[("office", "GET", f"/api/v1/stores/{STORE}/{part}?{PERIOD}&kind={kind}", None)
          for part, kind in (("daily", "nps"), ("summary", "nps"), ("summary", "ces"))],
        ("office", "GET", f"/api/v1/ranking?{PERIOD}&kind=nps", None),
        ("office", "GET", f"/api/v1/ranking?{PERIOD}&kind=ces&order=value", None),
        ("office", "GET", f"/api/v1/ranking?{PERIOD}&kind=nps&order=csat", None),
        ("office", "GET", f"/api/v1/stores/{STORE}/summary?{PERIOD}&kind=smiles", None),
        # Each kind by region, touchpoint and chain.
        *[(role, "GET", f"/api/v1/{path}", None) for role, path in (
            ("office", f"regions/uusimaa/summary?{PERIOD}&kind=nps"),
            ("office", f"regions/helsinki/daily?{PERIOD}&kind=ces"),
            ("office", f"regions/uusimaa/summary?{PERIOD}&kind=smiles"),
            ("staff", f"stores/{STORE}/touchpoints?{PERIOD}"),
            ("office", f"chain/summary?{PERIOD}"), ("office", f"chain/summary?{PERIOD}&kind=nps"),
            ("staff", "chain/summary"), ("office", f"chain/daily?{PERIOD}"),
            ("office", f"chain/daily?{PERIOD}&kind=ces"))],
    ]


def kinds_batch() -> dict[str, Any]:
    """NPS and CES ratings of the last days of the period, and one NPS rating on 5 faces."""
    at = "2025-05-31T09:00:00.000Z"
    answers = [("nps", 11, score) for score in (10, 9, 9, 7, 3, 0)] + [
        ("ces", 7, score) for score in (7, 6, 5, 2)] + [("nps", 5, 4)]
    return batch([
        rating(100 + n, score=score, scale=scale, at=at, kind=kind,
               id=f"01890000-0000-7000-8000-0000000001{n:02d}",
               followup="skipped" if n == 9 else None)
        for n, (kind, scale, score) in enumerate(answers)])


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory,
            new_database: Callable[[Path], str]) -> list[dict[str, Any]]:
    """Each request of :func:`requests_made` with its status and masked JSON answer, on the
    backend under test (PostgreSQL's numbers must come out as SQLite's do)."""
    # HappyOrNot's burst rule finds the demo's planted bursts, so the alert log has rows to show.
    app = create_app(Settings(database=new_database(tmp_path_factory.mktemp("answers")),
                              alert_rules="burst,silent,baseline"))
    storage = app.state.storage
    tokens = seed_demo(storage, stores=3, days=40, seed=1, now=NOW)["tokens"]
    code = storage.issue_code(f"{STORE}-2").code
    opened = alertlog.evaluate(storage, app.state.settings, NOW)
    alert = next(row["id"] for row in opened if row["store_id"] == STORE)
    bearer = {"kiosk": tokens["kiosk"]["token"], "staff": tokens["staff"]["token"],
              "office": tokens["office"], "admin": tokens["admin"]}
    found = []
    for role, method, path, body in requests_made(tokens, code, alert):
        headers = {"Content-Type": "application/json"}
        if role in bearer:
            headers["Authorization"] = f"Bearer {bearer[role]}"
        data = json.dumps(body).encode() if body is not None else b""
        answer = call(app, method, path, headers, data)
        content = answer.json()
        if answer.status >= 400:
            content = {"detail": content["detail"]}
        if path == "/healthz":
            content = {**content, "version": "<str>"}
        found.append({"request": f"{role} {method} {path}", "status": answer.status,
                      "answer": masked(content)})
    return found


def test_every_json_answer_is_as_before(answers: list[dict[str, Any]]) -> None:
    if os.environ.get("HYMY_WRITE_ANSWERS"):
        ANSWERS.parent.mkdir(parents=True, exist_ok=True)
        ANSWERS.write_text(json.dumps(answers, indent=1, sort_keys=True, ensure_ascii=False)
                           + "\n", encoding="utf-8")
    before = json.loads(ANSWERS.read_text(encoding="utf-8"))
    assert [item["request"] for item in answers] == [item["request"] for item in before]
    for now, then in zip(answers, before, strict=True):
        assert now["status"] == then["status"], now["request"]
        assert json.dumps(now["answer"], sort_keys=True) == \
            json.dumps(then["answer"], sort_keys=True), now["request"]
