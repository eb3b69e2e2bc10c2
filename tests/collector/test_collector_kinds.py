"""NPS and CES in the collector (issue #16): stored, computed, ranked and exported.

Batches of each kind, and one from a kiosk of today's release (no ``kind`` on
the wire), go through the real app on the backend under test; the rows, the
API's figures (equal to :mod:`sync.metrics` on the planted scores), the
ranking and the export bytes are checked as a reader would see them.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sync.collector import Database, Storage, alerts, reports
from sync.collector.app import create_app
from sync.collector.demo import seed_demo
from sync.collector.settings import Settings
from sync.metrics import ces_figure, nps_figure
from tests.support.asgi import call
from tests.support.collector import batch, rating

AT = (datetime.now(UTC) - timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
DAY = AT.date().isoformat()
PERIOD = f"from={DAY}&to={DAY}"
#: Planted answers: NPS at two stores' exits, CES at one service desk.
EXIT_NPS = {"exit-a": [10, 10, 9, 9, 9, 8, 7, 6, 0], "exit-b": [10, 9, 6, 5, 3, 2, 1, 0]}
DESK_CES = [7, 7, 6, 5, 5, 3, 1]


class Chain:
    """The app, its office token and each kiosk's token."""

    def __init__(self, database: str) -> None:
        self.app = create_app(Settings(database=database))
        storage = self.storage = self.app.state.storage
        self.tokens: dict[str, str] = {}
        for store_id in ("exit-a", "exit-b"):
            storage.add_store(store_id, f"Store {store_id}", "Europe/Helsinki")
            self.tokens[store_id] = storage.add_kiosk(f"{store_id}-k", store_id).token
        self.office = storage.add_token("office").token

    def get(self, path: str) -> Any:
        answer = call(self.app, "GET", path, {"Authorization": f"Bearer {self.office}"})
        assert answer.status == 200, answer.body
        return answer

    def post(self, store_id: str, ratings: list[dict[str, Any]]) -> dict[str, Any]:
        answer = call(self.app, "POST", "/api/v1/batches",
                      {"Authorization": f"Bearer {self.tokens[store_id]}",
                       "Content-Type": "application/json"},
                      json.dumps(batch(ratings)).encode())
        assert answer.status == 200, answer.body
        return answer.json()


def answers(kind: str, scale: int, scores: list[int], first_seq: int) -> list[dict[str, Any]]:
    """Ratings of one kind, a minute apart from AT."""
    return [rating(first_seq + n, score=score, scale=scale, kind=kind,
                   at=AT + timedelta(minutes=n)) for n, score in enumerate(scores)]


@pytest.fixture
def chain(collector_database: str) -> Chain:
    chain = Chain(collector_database)
    for store_id, scores in EXIT_NPS.items():
        assert chain.post(store_id, answers("nps", 11, scores, 1))["accepted"] == len(scores)
    desk = answers("ces", 7, DESK_CES, 100)
    desk[0]["followup"] = "timeout"
    assert chain.post("exit-a", desk)["accepted"] == len(DESK_CES)
    # A kiosk of today's release: no kind, no followup; its taps are CSAT.
    old = [{key: value for key, value in item.items() if key not in ("kind", "followup")}
           for item in answers("csat", 5, [5, 4, 1], 200)]
    assert chain.post("exit-a", old)["accepted"] == 3
    return chain


def test_each_rating_is_stored_with_its_kind_and_followup(chain: Chain):
    rows = chain.storage.db.query(
        "SELECT kind, followup, COUNT(*) AS n FROM ratings WHERE store_id = 'exit-a'"
        " GROUP BY kind, followup")
    assert sorted((row["kind"], row["followup"] or "", row["n"]) for row in rows) == [
        ("ces", "", 6), ("ces", "timeout", 1), ("csat", "", 3), ("nps", "", 9)]
    assert chain.storage.check() == []


def test_nps_and_ces_figures_are_those_of_sync_metrics(chain: Chain):
    summary = chain.get(f"/api/v1/stores/exit-a/summary?{PERIOD}&kind=nps").json()
    expected = nps_figure((score, 1) for score in EXIT_NPS["exit-a"]).as_dict()
    assert {key: summary[key] for key in ("value", "ci_low", "ci_high", "responses")} == {
        key: expected[key] for key in ("value", "ci_low", "ci_high", "responses")}
    assert summary["value"] == pytest.approx((5 - 2) * 100 / 9, abs=0.05)
    ces = chain.get(f"/api/v1/stores/exit-a/summary?{PERIOD}&kind=ces").json()
    expected = ces_figure((score, 1) for score in DESK_CES).as_dict()
    assert (ces["value"], ces["ci_low"], ces["ci_high"]) == (
        expected["value"], expected["ci_low"], expected["ci_high"])
    day = chain.get(f"/api/v1/stores/exit-a/daily?{PERIOD}&kind=ces").json()["days"]
    assert [(row["date"], row["responses"], row["value"]) for row in day] == [
        (DAY, 7, expected["value"])]


def test_csat_figures_count_only_csat_taps(chain: Chain):
    summary = chain.get(f"/api/v1/stores/exit-a/summary?{PERIOD}").json()
    assert (summary["responses"], summary["satisfied"], summary["counts"]) == (
        3, 2, {"1": 1, "2": 0, "3": 0, "4": 1, "5": 1})
    assert chain.get(f"/api/v1/stores/exit-a/heatmap?{PERIOD}").status == 200
    ranking = chain.get(f"/api/v1/ranking?{PERIOD}&min_responses=1").json()
    assert [(row["store_id"], row["responses"]) for row in ranking["stores"]] == [
        ("exit-a", 3), ("exit-b", 0)]


def test_stores_rank_by_nps(chain: Chain):
    ranking = chain.get(f"/api/v1/ranking?{PERIOD}&kind=nps&min_responses=1").json()
    assert (ranking["kind"], ranking["ranked_by"]) == ("nps", "ci_low")
    assert [(row["store_id"], row["rank"], row["value"]) for row in ranking["stores"]] == [
        ("exit-a", 1, round(nps_figure((s, 1) for s in EXIT_NPS["exit-a"]).value, 1)),
        ("exit-b", 2, round(nps_figure((s, 1) for s in EXIT_NPS["exit-b"]).value, 1))]


def test_a_score_that_does_not_fit_its_kind_is_rejected_and_nothing_stored(chain: Chain):
    before = chain.storage.db.query("SELECT COUNT(*) AS n FROM ratings")[0]["n"]
    bad = [rating(300, score=0, scale=7, kind="ces", at=AT),
           rating(301, score=4, scale=5, kind="nps", at=AT),
           rating(302, score=9, scale=11, at=AT),  # no kind: csat, which has no 11
           rating(303, score=5, scale=11, kind="smiles", at=AT)]
    result = chain.post("exit-b", bad)
    assert (result["accepted"], result["rejected"]) == (0, 4)
    reasons = [item["reason"] for item in result["items"]]
    assert reasons[:3] == ["score 0 is outside the ces scale 1-7",
                           "a nps rating has a scale of 11, not 5",
                           "a csat rating has a scale of 3 or 4 or 5, not 11"]
    assert "kind" in reasons[3]
    assert chain.storage.db.query("SELECT COUNT(*) AS n FROM ratings")[0]["n"] == before


def test_a_resent_rating_of_any_kind_is_a_duplicate(chain: Chain):
    first = answers("nps", 11, [10], 400)
    first[0]["followup"] = "skipped"
    assert chain.post("exit-b", first)["accepted"] == 1
    again = chain.post("exit-b", first)
    assert (again["accepted"], again["duplicate"]) == (0, 1)
    changed = chain.post("exit-b", [{**first[0], "followup": None}])
    assert changed["conflict"] == 1 and "followup" in changed["items"][0]["reason"]


def test_exports_carry_the_question_kind_and_followup(chain: Chain):
    text = chain.get("/api/v1/export/ratings?format=csv").body.decode("utf-8")
    header = text.split("\r\n" if "\r\n" in text else "\n", 1)[0]
    assert header.endswith(",store_name,local_time,question_kind,followup")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted({(row["store_id"], row["question_kind"], row["followup"]) for row in rows}) == [
        ("exit-a", "ces", ""), ("exit-a", "ces", "timeout"), ("exit-a", "csat", ""),
        ("exit-a", "nps", ""), ("exit-b", "nps", "")]
    lines = chain.get("/api/v1/export/ratings?format=jsonl").body.decode().splitlines()
    items = [json.loads(line) for line in lines]
    assert list(items[0])[-2:] == ["question_kind", "followup"]
    assert {(item["scale"], item["question_kind"]) for item in items} == {
        (11, "nps"), (7, "ces"), (5, "csat")}


def test_bi_views_give_each_kind_its_own_row(chain: Chain):
    rows = chain.storage.db.query(
        "SELECT question_kind, responses, csat, value FROM bi_store_daily"
        " WHERE store_id = 'exit-a' ORDER BY question_kind")
    nps = nps_figure((score, 1) for score in EXIT_NPS["exit-a"]).value
    ces = ces_figure((score, 1) for score in DESK_CES).value
    assert [row["question_kind"] for row in rows] == ["ces", "csat", "nps"]
    assert [row["responses"] for row in rows] == [7, 3, 9]
    assert [row["csat"] is None for row in rows] == [True, False, True]
    assert [row["value"] for row in rows] == pytest.approx([ces, 200 / 3, nps])


def test_the_demo_with_kinds_adds_nps_and_ces_and_keeps_its_csat(new_database, tmp_path):
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    chains = {}
    for kinds in (False, True):
        folder = tmp_path / str(kinds)
        folder.mkdir()
        storage = Storage(Database(new_database(folder)))
        storage.db.migrate()
        seed_demo(storage, stores=3, days=20, seed=1, now=now, kinds=kinds)
        chains[kinds] = storage
    period = ("2025-05-13", "2025-06-01")
    assert reports.ranking_report(chains[True], *period, 1) == reports.ranking_report(
        chains[False], *period, 1)
    for kind in ("nps", "ces"):
        ranked = reports.ranking_report(chains[True], *period, 30, kind=kind)
        assert [row["rank"] for row in ranked] == [1, 2, 3], kind
        assert all(row["ci_low"] < row["value"] < row["ci_high"] for row in ranked)
        assert reports.ranking_report(chains[False], *period, 1, kind=kind)[0]["responses"] == 0
    assert chains[True].check() == []
    for storage in chains.values():
        storage.db.close()


def test_unhappy_bursts_are_of_faces_not_of_nps_or_ces_answers(collector_database: str):
    chain = Chain(collector_database)
    now = datetime.now(UTC)
    at = now - timedelta(minutes=30)
    zeros = [rating(n + 1, score=0, scale=11, kind="nps", at=at + timedelta(minutes=n))
             for n in range(6)]
    assert chain.post("exit-a", zeros)["accepted"] == 6  # six detractors in six minutes
    faces = [rating(n + 1, score=1, scale=5, at=at + timedelta(minutes=n)) for n in range(6)]
    assert chain.post("exit-b", faces)["accepted"] == 6  # six unhappy faces
    today = now.date().isoformat()
    found = alerts.chain_alerts(chain.storage, today, today, alerts.Rules(rules=("burst",)),
                                now=now)  # HappyOrNot's rule, which counts faces in a window
    assert [(alert.kind, alert.store_id) for alert in found if alert.kind == "burst"] == [
        ("burst", "exit-b")]
