"""Every kind's figure by region, touchpoint and chain in the JSON API (issue #16), on
SQLite and PostgreSQL.

The demo chain with NPS kiosks at the exits and CES kiosks at the service desks
of its first stores (``kinds=True``).  The expected figures are computed here
with :func:`sync.metrics.figure` from the ratings the demo stored (the raw
rows, which the routes never read: they read the roll-ups), so a region's,
a touchpoint's and the chain's numbers are checked against the one definition
of each kind.  A bad ``kind`` is the same 422 as on a store's routes; a store's
touchpoints are its staff's and the office's to read, not another store's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from sync.collector.app import create_app
from sync.collector.demo import seed_demo
from sync.collector.settings import Settings
from tests.support.asgi import call
from tests.support.planted import counted_ratings, planted

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
START, END = "2025-05-10", "2025-06-01"
PERIOD = f"from={START}&to={END}"
STORE = "hki-kamppi"
#: The store's kiosks and what each asks: the smileys at the checkout, NPS at the exit,
#: CES at the service desk (demo.seed_kinds).
ASKED = {"checkout": ["csat"], "exit": ["nps"], "service_desk": ["ces"]}


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory,
          new_database: Callable[[Any], str]) -> dict[str, Any]:
    """The app, its tokens, its region tree and every counted rating of the period as
    ``(store, touchpoint, scale, score, local_date)``."""
    app = create_app(Settings(database=new_database(tmp_path_factory.mktemp("kinds"))))
    storage = app.state.storage
    tokens = seed_demo(storage, stores=8, days=30, seed=5, now=NOW, kinds=True)["tokens"]
    other = next(s["id"] for s in storage.stores() if s["id"] != STORE)
    return {"app": app, "tree": storage.region_tree(),
            "rated": counted_ratings(storage, START, END),
            "office": tokens["office"], "admin": tokens["admin"],
            "staff": tokens["staff"]["token"],
            "other_staff": storage.add_token("staff", other).token,
            "uusimaa": storage.add_token("office", region_id="uusimaa").token}


def get(chain: dict[str, Any], token: str, path: str):
    return call(chain["app"], "GET", path, {"Authorization": f"Bearer {chain[token]}"})


def shown(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer's figure as :func:`planted` gives one (CSAT's ``csat`` as its value)."""
    return {"responses": answer["responses"], "value": answer.get("value", answer.get("csat")),
            "ci_low": answer["ci_low"], "ci_high": answer["ci_high"]}


@pytest.mark.parametrize("region", ["uusimaa", "helsinki"])
@pytest.mark.parametrize("kind", ["nps", "ces"])
def test_a_regions_kind_is_every_response_of_that_kind_in_its_stores(chain, region, kind):
    stores = set(chain["tree"].stores_in(region))
    expected = planted(chain["rated"], kind, lambda row: row[0] in stores)
    assert expected["responses"] > 50
    answer = get(chain, "office", f"/api/v1/regions/{region}/summary?{PERIOD}&kind={kind}")
    assert answer.status == 200, answer.body
    found = answer.json()
    assert found["kind"] == kind and found["stores"] == len(stores)
    assert shown(found) == expected

    days = get(chain, "office", f"/api/v1/regions/{region}/daily?{PERIOD}&kind={kind}").json()
    assert sum(day["responses"] for day in days["days"]) == expected["responses"]
    last = days["days"][-1]
    assert last["date"] == END and last["kind"] == kind
    assert shown(last) == planted(chain["rated"], kind,
                                  lambda row: row[0] in stores and row[4] == END)


def test_a_regions_csat_is_unchanged_without_a_kind(chain):
    stores = set(chain["tree"].stores_in("uusimaa"))
    plain = get(chain, "office", f"/api/v1/regions/uusimaa/summary?{PERIOD}").json()
    assert get(chain, "office",
               f"/api/v1/regions/uusimaa/summary?{PERIOD}&kind=csat").json() == plain
    assert "kind" not in plain and shown(plain) == planted(chain["rated"], "csat",
                                                           lambda row: row[0] in stores)


@pytest.mark.parametrize("kind", ["csat", "nps", "ces"])
def test_the_chains_summary_is_every_store_together(chain, kind):
    answer = get(chain, "office", f"/api/v1/chain/summary?{PERIOD}&kind={kind}")
    assert answer.status == 200, answer.body
    found = answer.json()
    assert (found["from"], found["to"]) == (START, END)
    assert shown(found) == planted(chain["rated"], kind)


@pytest.mark.parametrize("kind", ["csat", "nps", "ces"])
def test_the_chains_days_are_every_store_together_on_its_local_date(chain, kind):
    answer = get(chain, "office", f"/api/v1/chain/daily?{PERIOD}&kind={kind}")
    assert answer.status == 200, answer.body
    days = answer.json()["days"]
    assert (days[0]["date"], days[-1]["date"]) == (START, END)
    assert sum(day["responses"] for day in days) == planted(chain["rated"], kind)["responses"]
    assert shown(days[-1]) == planted(chain["rated"], kind, lambda row: row[4] == END)
    assert get(chain, "staff", f"/api/v1/chain/daily?{PERIOD}").status == 403


def test_a_stores_touchpoints_each_have_their_own_kinds_figure(chain):
    answer = get(chain, "staff", f"/api/v1/stores/{STORE}/touchpoints?{PERIOD}")
    assert answer.status == 200, answer.body
    found = answer.json()
    assert found["store_id"] == STORE
    points = {entry["touchpoint"]: entry for entry in found["touchpoints"]}
    assert {point: entry["kinds"] for point, entry in points.items()} == ASKED
    for point, entry in points.items():
        (fig,) = entry["figures"]
        expected = planted(chain["rated"], fig["kind"], lambda row, p=point: row[:2] == (STORE, p))
        assert shown(fig) == expected and entry["responses"] == expected["responses"]
    responses = [entry["responses"] for entry in found["touchpoints"]]
    assert responses == sorted(responses, reverse=True)
    store_total = planted(chain["rated"], "csat", lambda row: row[0] == STORE)["responses"]
    assert points["checkout"]["responses"] == store_total


def test_a_touchpoint_asking_two_kinds_has_a_figure_for_each(chain):
    storage = chain["app"].state.storage
    storage.set_touchpoint(f"{STORE}-exit", "service_desk")
    try:
        found = get(chain, "office", f"/api/v1/stores/{STORE}/touchpoints?{PERIOD}").json()
    finally:
        storage.set_touchpoint(f"{STORE}-exit", "exit")
    desk = next(e for e in found["touchpoints"] if e["touchpoint"] == "service_desk")
    assert desk["kinds"] == ["nps", "ces"]
    assert [fig["kind"] for fig in desk["figures"]] == ["nps", "ces"]
    assert desk["responses"] == sum(fig["responses"] for fig in desk["figures"])


@pytest.mark.parametrize("path", [
    f"/api/v1/regions/uusimaa/summary?{PERIOD}&kind=smiles",
    f"/api/v1/regions/uusimaa/daily?{PERIOD}&kind=smiles",
    f"/api/v1/chain/summary?{PERIOD}&kind=smiles",
])
def test_a_bad_kind_is_the_same_422_as_a_stores(chain, path):
    store = get(chain, "office", f"/api/v1/stores/{STORE}/summary?{PERIOD}&kind=smiles")
    answer = get(chain, "office", path)
    assert answer.status == store.status == 422
    assert json.loads(answer.body)["detail"] == store.json()["detail"]
    assert "csat, nps, ces" in answer.json()["detail"]


@pytest.mark.parametrize(("token", "path", "status"), [
    ("other_staff", f"/api/v1/stores/{STORE}/touchpoints", 403),
    ("staff", f"/api/v1/stores/{STORE}/touchpoints", 200),
    ("uusimaa", f"/api/v1/stores/{STORE}/touchpoints", 200),
    ("office", "/api/v1/stores/nowhere/touchpoints", 404),
    ("staff", "/api/v1/chain/summary", 403),
    ("uusimaa", "/api/v1/chain/summary", 403),
    ("admin", "/api/v1/chain/summary?kind=ces", 200),
    ("office", f"/api/v1/stores/{STORE}/touchpoints?from=2025-06-02&to=2025-06-01", 422),
])
def test_who_reads_touchpoints_and_the_chain(chain, token, path, status):
    assert get(chain, token, path).status == status


def test_a_kiosk_at_the_demo_exit_or_service_desk_asks_what_the_dashboard_shows_there(chain):
    """A kiosk enrolled at the demo's exit asked CSAT while the store page showed NPS
    from that touchpoint: the demo seeded NPS and CES taps but no touchpoint survey."""
    for touchpoint, kind, scale in (("exit", "nps", 11), ("service_desk", "ces", 7)):
        answer = get(chain, "staff", f"/api/v1/stores/{STORE}/touchpoints/{touchpoint}/survey")
        assert answer.status == 200
        survey = answer.json()
        assert (survey["kind"], survey["scale"]) == (kind, scale)
        assert survey["questions"]["en"].startswith(
            "How likely" if kind == "nps" else "It was easy")
    checkout = get(chain, "staff", f"/api/v1/stores/{STORE}/touchpoints/checkout/survey")
    assert checkout.json().get("kind", "csat") == "csat"  # a csat survey leaves it out
