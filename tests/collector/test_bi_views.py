"""The BI views (migration 008) answer with the API's own figures, on both backends.

A BI tool reads ``bi_*`` views; the dashboard and the JSON API compute with
``sync/metrics.py``.  The rule is written twice (once per language), so these
tests hold the views equal to the API's answers for the same ratings: stores
on 3-, 4- and 5-face scales, suppressed taps, a day of suppressed taps only,
reasons, two kiosks, a retired store.  The ratings go in through the ingest
route's code and the API is called in this process (``tests/support/asgi.py``),
on a real SQLite file and a real PostgreSQL database.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sync import metrics
from sync.collector.api import ingest
from sync.collector.app import create_app
from sync.collector.db.bi import BI_VIEWS
from sync.collector.db.storage import Storage
from sync.collector.settings import Settings
from sync.survey import DEFAULT_SURVEY
from tests.support.asgi import call
from tests.support.collector import batch, rating

HEL, NYC, TYO = "Europe/Helsinki", "America/New_York", "Asia/Tokyo"
DAY = (datetime.now(UTC) - timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
NEXT = DAY + timedelta(days=1, hours=6)
#: (kiosk, seq, score, scale, at, reason, suppressed): the chain's ratings.
TAPS = [
    *[("hel-k", seq, score, 5, DAY + timedelta(minutes=seq), reason, False)
      for seq, (score, reason) in enumerate(
          [(5, None), (5, None), (4, None), (3, "queue"), (1, "price"), (2, "queue")], 1)],
    *[("hel-j", seq, score, 3, DAY + timedelta(hours=2, minutes=seq), None, seq == 4)
      for seq, score in enumerate([3, 2, 1, 3], 1)],
    *[("hel-k", seq, score, 5, NEXT + timedelta(minutes=seq), None, False)
      for seq, score in enumerate([4, 4, 1], 7)],
    *[("nyc-k", seq, score, 4, DAY + timedelta(hours=5, minutes=seq), "staff" if seq == 1 else None,
       False) for seq, score in enumerate([4, 3, 2, 1, 4], 1)],
    ("tyo-k", 1, 5, 5, NEXT, None, True),  # a day of suppressed taps only
]


def upload(storage: Storage) -> None:
    """Every tap of TAPS through the ingest route's code, one batch per kiosk."""
    zones = {"hel": HEL, "nyc": NYC, "tyo": TYO}
    for kiosk_id in dict.fromkeys(tap[0] for tap in TAPS):
        ratings = [rating(seq, score, scale, at=at, tz=zones[kiosk[:3]], reason=reason,
                          suppressed=suppressed)
                   for kiosk, seq, score, scale, at, reason, suppressed in TAPS
                   if kiosk == kiosk_id]
        principal = storage.principal(storage.add_token("kiosk", kiosk_id=kiosk_id).token)
        answer = ingest.handle_batch(storage, principal, json.dumps(batch(ratings)).encode())
        assert answer.accepted == len(ratings), answer


@pytest.fixture
def chain(chain_storage) -> Storage:
    storage = chain_storage({"hel": HEL, "nyc": NYC, "tyo": TYO})
    storage.add_kiosk("hel-j", "hel", label="By the door")
    storage.set_survey("hel", DEFAULT_SURVEY.model_copy(update={"reasons": ["queue", "price"]}))
    storage.set_survey("nyc", DEFAULT_SURVEY.model_copy(update={"scale": 4, "reasons": ["staff"]}))
    upload(storage)
    storage.retire_store("nyc")
    return storage


def view(storage: Storage, name: str, order: str) -> list[dict[str, Any]]:
    return storage.db.query(f"SELECT * FROM {name} ORDER BY {order}")


def api(storage: Storage, path: str, **params: str) -> dict[str, Any]:
    """GET an API path with an office token, from an app on the same database."""
    app = create_app(Settings(database=storage.db.url))
    token = storage.add_token("office").token
    query = "&".join(f"{key}={value}" for key, value in params.items())
    answer = call(app, "GET", f"{path}?{query}", {"Authorization": f"Bearer {token}"})
    assert answer.status == 200, answer.body
    return answer.json()


def assert_same_figures(row: dict[str, Any], figures: dict[str, Any]) -> None:
    """A view row carries the API's figures: counts exact, CSAT and Happy Index as rounded."""
    assert row["responses"] == figures["responses"]
    assert row["satisfied"] == figures["satisfied"]
    if figures["csat"] is None:
        assert row["csat"] is None and row["happy_index"] is None
    else:
        assert round(row["csat"], 1) == figures["csat"]
        assert row["happy_index"] == pytest.approx(figures["happy_index"], abs=0.05)
    if "suppressed" in row and "suppressed" in figures:
        assert row["suppressed"] == figures["suppressed"]
    counts = figures.get("counts", {})
    for face in range(1, 6):
        assert row[f"face_{face}"] == counts.get(str(face), 0), face


def test_bi_faces_is_the_rule_of_sync_metrics(chain: Storage):
    faces = view(chain, "bi_faces", "scale, score")
    scales = sorted(scale for scales in metrics.KIND_SCALES.values() for scale in scales)
    low = {scale: metrics.LOWEST[metrics.kind_of(scale)] for scale in scales}
    assert [(row["scale"], row["score"]) for row in faces] == [
        (scale, score) for scale in scales for score in range(low[scale], low[scale] + scale)]
    for row in faces:
        kind = metrics.kind_of(row["scale"])
        assert row["question_kind"] == kind
        one = [(row["scale"], row["score"], 1)]
        assert row["points"] == pytest.approx(metrics.figure(kind, one).value)
        if kind != "csat":
            assert row["satisfied"] is None and row["happy_value"] is None
            continue
        assert row["satisfied"] == int(metrics.is_satisfied(row["score"], row["scale"]))
        assert row["happy_value"] == metrics.happy_value(row["score"], row["scale"])


def test_store_daily_holds_the_apis_daily_figures(chain: Storage):
    rows = view(chain, "bi_store_daily", "store_id, local_date")
    assert {(row["store_id"], row["retired"]) for row in rows} == {
        ("hel", 0), ("nyc", 1), ("tyo", 0)}
    assert {row["question_kind"] for row in rows} == {"csat"}
    assert rows[0]["store_name"] == "Store hel"
    for store_id in ("hel", "nyc", "tyo"):
        mine = {row["local_date"]: row for row in rows if row["store_id"] == store_id}
        days = api(chain, f"/api/v1/stores/{store_id}/daily", **{"from": min(mine),
                                                                  "to": max(mine)})["days"]
        with_taps = [day for day in days if day["responses"] or day["suppressed"]]
        assert [day["date"] for day in with_taps] == sorted(mine), store_id  # no more, no less
        for day in with_taps:
            assert_same_figures(mine[day["date"]], day)
    tyo = next(row for row in rows if row["store_id"] == "tyo")
    assert (tyo["responses"], tyo["suppressed"], tyo["csat"]) == (0, 1, None)


def test_kiosk_daily_holds_the_apis_figures_per_kiosk(chain: Storage):
    rows = view(chain, "bi_kiosk_daily", "kiosk_id, local_date")
    assert {row["kiosk_id"]: row["kiosk_label"] for row in rows}["hel-j"] == "By the door"
    for row in rows:
        days = api(chain, f"/api/v1/stores/{row['store_id']}/daily", kiosk=row["kiosk_id"],
                   **{"from": row["local_date"], "to": row["local_date"]})["days"]
        assert_same_figures(row, days[0])
    assert sum(row["suppressed"] for row in rows if row["kiosk_id"] == "hel-j") == 1


def test_reasons_and_hours_hold_the_apis_figures_for_each_day(chain: Storage):
    reasons = view(chain, "bi_store_reasons_daily", "store_id, local_date, reason")
    assert [(row["store_id"], row["reason"], row["responses"]) for row in reasons] == [
        ("hel", "price", 1), ("hel", "queue", 2), ("nyc", "staff", 1)]
    for row in reasons:
        answer = api(chain, f"/api/v1/stores/{row['store_id']}/reasons",
                     **{"from": row["local_date"], "to": row["local_date"]})
        figures = {item["reason"]: item for item in answer["reasons"]}[row["reason"]]
        assert_same_figures(row, figures)
    hours = view(chain, "bi_store_hourly", "store_id, local_date, hour")
    assert sum(row["responses"] for row in hours) == sum(not tap[-1] for tap in TAPS)
    for row in hours:
        cells = api(chain, f"/api/v1/stores/{row['store_id']}/heatmap",
                    **{"from": row["local_date"], "to": row["local_date"]})["cells"]
        (cell,) = [cell for cell in cells if cell["hour"] == row["hour"] and cell["responses"]]
        assert (row["responses"], row["satisfied"]) == (cell["responses"], cell["satisfied"])
        assert round(row["csat"], 1) == cell["csat"]


def test_chain_daily_adds_up_every_stores_day(chain: Storage):
    stores = view(chain, "bi_store_daily", "local_date")
    for row in view(chain, "bi_chain_daily", "local_date"):
        mine = [store for store in stores if store["local_date"] == row["local_date"]]
        assert row["stores"] == len(mine)
        for column in ("responses", "satisfied", "suppressed", "face_1", "face_5"):
            assert row[column] == sum(store[column] for store in mine), column
        summary = metrics.summarize(
            (5, face, sum(store[f"face_{face}"] for store in mine)) for face in range(1, 6))
        if row["responses"]:
            assert row["csat"] == row["satisfied"] * 100.0 / row["responses"]
            assert summary.responses == row["responses"]
        else:
            assert row["csat"] is None


def test_a_read_only_sqlite_connection_reads_the_views_and_writes_nothing(chain: Storage):
    if chain.db.backend != "sqlite":
        pytest.skip("SQLite's read-only open (PostgreSQL: the bi-role test)")
    reader = sqlite3.connect(f"file:{chain.db.path}?mode=ro", uri=True)
    try:
        for name in BI_VIEWS:
            reader.execute(f"SELECT * FROM {name}").fetchall()
        before = chain.db.query("SELECT COUNT(*) AS n FROM ratings")[0]["n"]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.execute("DELETE FROM ratings")
        # The collector keeps writing while the reader is open, and the reader sees it.
        upload_more = rating(99, 5, tz=HEL)
        principal = chain.principal(chain.add_token("kiosk", kiosk_id="hel-k").token)
        assert ingest.handle_batch(chain, principal,
                                   json.dumps(batch([upload_more])).encode()).accepted == 1
        assert reader.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == before + 1
    finally:
        reader.close()
