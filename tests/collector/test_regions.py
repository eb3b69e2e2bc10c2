"""Regions and touchpoints (migration 016), on SQLite and PostgreSQL.

The admin API builds the tree (201/204, refusals 404/409/422 that change
nothing); a region's figures are its stores' figures added up, sub-regions
included; a store's touchpoints add up to the store; a token scoped to a
region reads its stores and regions only, and none of the chain's routes.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from sync.collector.app import create_app
from sync.collector.cli import cli
from sync.collector.demo import seed_demo
from sync.collector.settings import Settings
from tests.support.asgi import call

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
PERIOD = "from=2025-05-10&to=2025-06-01"


@pytest.fixture
def demo(collector_database):
    """The demo chain (Uusimaa > Helsinki, Pirkanmaa, ...) with a token per role."""
    app = create_app(Settings(database=collector_database))
    storage = app.state.storage
    tokens = seed_demo(storage, stores=8, days=30, seed=3, now=NOW)["tokens"]
    tokens = {"office": tokens["office"], "admin": tokens["admin"],
              "staff": tokens["staff"]["token"],
              "uusimaa": storage.add_token("office", region_id="uusimaa").token,
              "helsinki_staff": storage.add_token("staff", region_id="helsinki").token}
    return app, tokens


def ask(app, token: str | None, method: str, path: str, body=None):
    """One JSON request, with a bearer token when given."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else b""
    return call(app, method, path, headers, data)


def summary(app, token: str, path: str) -> dict:
    found = ask(app, token, "GET", f"{path}/summary?{PERIOD}")
    assert found.status == 200, found.body
    return found.json()


def test_a_region_counts_every_store_in_it_and_below(demo):
    app, tokens = demo
    office = tokens["office"]
    stores = {s["id"]: s["region_id"] for s in ask(app, office, "GET", "/api/v1/stores").json()}
    assert stores["hki-kamppi"] == "helsinki" and stores["espoo-isoomena"] == "uusimaa"
    inside = [s for s, region in stores.items() if region in ("uusimaa", "helsinki")]
    assert len(inside) == 4
    parts = [summary(app, office, f"/api/v1/stores/{s}") for s in inside]
    region = summary(app, office, "/api/v1/regions/uusimaa")
    assert region["stores"] == 4 and region["responses"] > 0
    for key in ("responses", "satisfied", "suppressed"):
        assert region[key] == sum(part[key] for part in parts), key
    assert region["csat"] == round(100 * region["satisfied"] / region["responses"], 1)
    assert region["ci_low"] < region["csat"] < region["ci_high"]

    daily = ask(app, office, "GET", f"/api/v1/regions/helsinki/daily?{PERIOD}").json()
    assert daily["region_id"] == "helsinki" and len(daily["days"]) == 23
    per_store = [ask(app, office, "GET", f"/api/v1/stores/{s}/daily?{PERIOD}").json()["days"]
                 for s, region in stores.items() if region == "helsinki"]
    for index, day in enumerate(daily["days"]):
        assert day["responses"] == sum(days[index]["responses"] for days in per_store)


def test_the_tree_is_built_and_refused_through_the_admin_api(demo):
    app, tokens = demo
    admin = tokens["admin"]
    made = ask(app, admin, "POST", "/api/v1/regions",
               {"id": "tampere", "name": "Tampere", "parent_id": "pirkanmaa"})
    assert made.status == 201, made.body
    assert made.json() == {"id": "tampere", "name": "Tampere", "parent_id": "pirkanmaa",
                           "regions": [], "stores": [], "all_stores": 0}
    refusals = [
        ("POST", "/api/v1/regions", {"id": "tampere", "name": "Again"}, 409, "already exists"),
        ("POST", "/api/v1/regions", {"id": "x", "name": "X", "parent_id": "nowhere"}, 404,
         "no parent region 'nowhere'"),
        ("POST", "/api/v1/regions", {"id": "bad id", "name": "X"}, 422, "region id"),
        ("PATCH", "/api/v1/regions/pirkanmaa", {"parent_id": "tampere"}, 409, "inside"),
        ("PATCH", "/api/v1/regions/nowhere", {"name": "X"}, 404, "no region 'nowhere'"),
        ("DELETE", "/api/v1/regions/pirkanmaa", None, 409, "holds"),
        ("DELETE", "/api/v1/regions/nowhere", None, 404, "no region"),
        ("PATCH", "/api/v1/stores/tampere-ratina", {"region_id": "nowhere"}, 404, "no region"),
        ("PATCH", "/api/v1/kiosks/hki-kamppi-1", {"touchpoint": "x" * 65}, 422, "at most 64"),
    ]
    for method, path, body, status, words in refusals:
        answer = ask(app, admin, method, path, body)
        assert (answer.status, words in answer.json()["detail"]) == (status, True), answer.body
    assert ask(app, tokens["office"], "POST", "/api/v1/regions",
               {"id": "y", "name": "Y"}).status == 403
    assert ask(app, None, "GET", "/api/v1/regions").status == 401

    moved = ask(app, admin, "PATCH", "/api/v1/stores/tampere-ratina", {"region_id": "tampere"})
    assert moved.status == 200 and moved.json()["region_id"] == "tampere"
    top = ask(app, admin, "PATCH", "/api/v1/regions/tampere", {"parent_id": "", "name": "Tre"})
    assert (top.json()["parent_id"], top.json()["name"]) == (None, "Tre")
    kiosk = ask(app, admin, "PATCH", "/api/v1/kiosks/hki-kamppi-1", {"touchpoint": "exit"})
    assert kiosk.status == 200 and kiosk.json()["touchpoint"] == "exit"
    assert ask(app, admin, "PATCH", "/api/v1/stores/tampere-ratina",
               {"region_id": ""}).json()["region_id"] is None
    assert ask(app, admin, "DELETE", "/api/v1/regions/tampere").status == 204
    listed = [r["id"] for r in ask(app, admin, "GET", "/api/v1/regions").json()]
    assert listed == ["helsinki", "pirkanmaa", "sweden", "uusimaa", "varsinais-suomi"]


def test_a_token_scoped_to_a_region_reads_only_that_region(demo):
    app, tokens = demo
    regional, staff = tokens["uusimaa"], tokens["helsinki_staff"]
    assert [r["id"] for r in ask(app, regional, "GET", "/api/v1/regions").json()] == [
        "helsinki", "uusimaa"]
    assert sorted(s["id"] for s in ask(app, staff, "GET", "/api/v1/stores").json()) == [
        "hki-itakeskus", "hki-kamppi"]
    expected = [
        (regional, "/api/v1/regions/helsinki/summary", 200),
        (regional, "/api/v1/stores/espoo-isoomena/summary", 200),
        (regional, "/api/v1/stores/tampere-ratina/summary", 403),
        (regional, "/api/v1/regions/pirkanmaa/summary", 403),
        (regional, "/api/v1/ranking", 403),
        (regional, "/api/v1/export/daily", 403),
        (regional, "/api/v1/kiosks?store=vantaa-jumbo", 200),
        (regional, "/api/v1/kiosks?store=tampere-ratina", 403),
        (regional, "/api/v1/alerts?store=tampere-ratina", 403),
        (staff, "/api/v1/stores/hki-kamppi/daily", 200),
        (staff, "/api/v1/stores/espoo-isoomena/daily", 403),
        (staff, "/api/v1/regions/uusimaa/daily", 403),
        (tokens["staff"], "/api/v1/regions/helsinki/summary", 403),
        (tokens["office"], "/api/v1/regions/nowhere/summary", 404),
        (tokens["office"], "/api/v1/regions/uusimaa/summary?from=2025-13-01", 422),
    ]
    got = [(path, ask(app, token, "GET", path).status) for token, path, _ in expected]
    assert got == [(path, status) for _, path, status in expected]
    fleet = ask(app, regional, "GET", "/api/v1/kiosks").json()["kiosks"]
    assert {k["store_id"] for k in fleet} == {"hki-kamppi", "hki-itakeskus", "espoo-isoomena",
                                             "vantaa-jumbo"}


def test_a_store_page_compares_its_touchpoints_that_add_up_to_the_store(demo):
    from sync.collector import regions

    app, _ = demo
    storage = app.state.storage
    found = regions.touchpoints_report(storage, "hki-kamppi", "2025-05-10", "2025-06-01")
    whole = summary(app, demo[1]["office"], "/api/v1/stores/hki-kamppi")
    points = [entry["touchpoint"] for entry in found]
    assert set(points) <= {"checkout", "service_desk", "exit"} and "checkout" in points
    assert sum(entry["responses"] for entry in found) == whole["responses"]
    storage.set_touchpoint("hki-kamppi-1", "")  # not named: its taps count apart
    after = regions.touchpoints_report(storage, "hki-kamppi", "2025-05-10", "2025-06-01")
    assert None in [entry["touchpoint"] for entry in after]
    assert sum(entry["responses"] for entry in after) == whole["responses"]


def run(database: str, *args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(cli, [*args, "--database", database])
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def test_the_cli_builds_the_tree_and_refuses_in_one_line(collector_database):
    db = collector_database
    run(db, "region", "add", "uusimaa", "Uusimaa")
    run(db, "region", "add", "helsinki", "Helsinki", "--parent", "uusimaa")
    run(db, "region", "add", "pirkanmaa", "Pirkanmaa")
    assert "in region helsinki" in run(db, "store", "add", "s1", "--name", "One",
                                       "--timezone", "Europe/Helsinki", "--region", "helsinki")
    run(db, "store", "add", "s2", "--name", "Two", "--timezone", "Europe/Helsinki")
    run(db, "store", "region", "s2", "pirkanmaa")
    run(db, "kiosk", "add", "k1", "--store", "s1", "--touchpoint", "checkout")
    assert "'service desk'" in run(db, "kiosk", "touchpoint", "k1", "service  desk")
    listed = {r["id"]: r for r in json.loads(run(db, "region", "list", "--json"))}
    assert (listed["uusimaa"]["all_stores"], listed["helsinki"]["parent_id"]) == (1, "uusimaa")
    assert listed["pirkanmaa"]["stores"] == ["s2"]
    assert re.search(r"^pirkanmaa +\(chain\) +1 store +Pirkanmaa$", run(db, "region", "list"), re.M)
    refused = [
        (("region", "add", "x", "X", "--parent", "nowhere"), "no parent region 'nowhere'"),
        (("region", "move", "uusimaa", "--parent", "helsinki"), "inside"),
        (("region", "remove", "pirkanmaa"), "holds 1 store;"),
        (("store", "region", "s1", "nowhere"), "no region 'nowhere'"),
        (("token", "add", "--role", "admin", "--region", "uusimaa"), "only staff and office"),
        (("token", "add", "--role", "staff", "--store", "s1", "--region", "uusimaa"),
         "one store or one region"),
        (("token", "add", "--role", "staff", "--region", "nowhere"), "no region 'nowhere'"),
    ]
    for args, words in refused:
        output = run(db, *args, ok=False)
        assert words in output and len(output.strip().splitlines()) == 1, output
    run(db, "region", "move", "helsinki")
    run(db, "store", "region", "s2", "")
    assert "Removed region pirkanmaa" in run(db, "region", "remove", "pirkanmaa")
    run(db, "token", "add", "--role", "office", "--region", "uusimaa")
    assert "region uusimaa" in run(db, "token", "list")
    assert [r["parent_id"] for r in json.loads(run(db, "region", "list", "--json"))] == [
        None, None]
