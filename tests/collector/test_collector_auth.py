"""The auth matrix: every role against every API endpoint.

401 for no or an unknown token, 403 for a role that may not, 2xx otherwise.
``staff`` reads its own store only; ``kiosk`` uploads and fetches its survey
but cannot read numbers; ``office`` reads everything and exports; ``admin``
can do all of that and manage.  A test fails when an API route has no row.
"""

from __future__ import annotations

import itertools
import uuid

import pytest

from tests.support.collector import batch, rating
from tests.support.roles import MATRIX, ROLES, TOUCHPOINT, openapi_path

_unique = itertools.count(1)


@pytest.fixture(scope="module")
def principals(collector_server):
    """Tokens for every role, and a second store for the other staff member."""
    store = collector_server.new_store()
    other = collector_server.new_store()
    tokens = {
        "anonymous": None,
        "unknown": "hymy_" + uuid.uuid4().hex,
        "kiosk": store.kiosk_token,
        "staff": store.staff_token,
        "staff_other": other.staff_token,
        "office": collector_server.office_token,
        "admin": collector_server.admin_token,
    }
    return store, tokens


def _body(method: str, template: str, store) -> dict:
    """A valid request body for endpoints that need one."""
    n = next(_unique)
    if template == "/api/v1/batches":
        return {"json": batch([rating(1000 + n, tz=store.timezone)])}
    if template == "/api/v1/stores":
        return {"json": {"id": f"auth-{n}-{uuid.uuid4().hex[:4]}", "name": "Auth",
                         "timezone": "Europe/Helsinki"}}
    if template.endswith("/kiosks") and method == "POST":
        return {"json": {"id": f"auth-kiosk-{n}-{uuid.uuid4().hex[:4]}"}}
    if template.endswith("/survey") and method == "PUT":
        return {"json": {"scale": 5, "questions": {"en": "How did we do?"}}}
    if method == "PATCH":
        return {"json": {}}  # a change of nothing: the current state
    if template == "/api/v1/tokens" and method == "POST":
        return {"json": {"role": "office", "label": "auth matrix"}}
    if template == "/api/v1/regions" and method == "POST":
        return {"json": {"id": f"auth-region-{n}-{uuid.uuid4().hex[:4]}", "name": "Auth"}}
    if template.endswith("/ack"):
        return {"json": {"comment": "auth matrix"}}
    return {}


def new_alert(collector, store_id: str) -> int:
    """A fresh open alert of ``store_id`` in the collector's database (a kiosk-less rule's
    row, so the rules never report it; an alert the evaluator closes may still be acked)."""
    from sync.collector import Database
    from sync.collector.db import alertlog as sql

    db = Database(str(collector.database), create=False)
    try:
        with db.transaction(serialize=True) as conn:
            made = sql.insert_open(conn, (f"auth-{next(_unique)}", store_id, None), 1, "{}",
                                   "2026-01-01T00:00:00.000Z")
    finally:
        db.close()
    assert made is not None
    return made["id"]


@pytest.mark.parametrize(("method", "template", "expected"), MATRIX,
                         ids=[f"{m} {p}" for m, p, _ in MATRIX])
@pytest.mark.parametrize("role", ROLES)
def test_auth_matrix(collector_server, principals, method, template, expected, role):
    store, tokens = principals
    path = template.replace("{store}", store.store_id).replace("{kiosk_id}", store.kiosk_id)
    path = path.replace("{touchpoint}", TOUCHPOINT)
    if "{spare_store}" in path or "{spare_kiosk}" in path:
        spare = collector_server.new_store()
        path = path.replace("{spare_store}", spare.store_id)
        if "{spare_kiosk}" in path:
            kiosk_id = f"spare-{uuid.uuid4().hex[:8]}"
            made = collector_server.request("POST", f"/api/v1/stores/{spare.store_id}/kiosks",
                                            collector_server.admin_token, json={"id": kiosk_id})
            assert made.status_code == 201
            path = path.replace("{spare_kiosk}", kiosk_id)
    if "{token_id}" in path:
        spare = collector_server.request("POST", "/api/v1/tokens", collector_server.admin_token,
                                         json={"role": "office"}).json()
        path = path.replace("{token_id}", str(spare["id"]))
    for placeholder in ("{region}", "{spare_region}"):
        if placeholder in path:
            made = collector_server.request("POST", "/api/v1/regions",
                                            collector_server.admin_token,
                                            json=_body("POST", "/api/v1/regions", store)["json"])
            assert made.status_code == 201
            path = path.replace(placeholder, made.json()["id"])
    if "{alert}" in path:
        path = path.replace("{alert}", str(new_alert(collector_server, store.store_id)))
    before = collector_server.count() if method == "POST" and "batches" in path else None
    # Streamed: the body of the export stream never ends, only its status is asked for.
    with collector_server.request(method, path, tokens[role], stream=True,
                                  **_body(method, template, store)) as answer:
        want = expected[ROLES.index(role)]
        assert answer.status_code == want, answer.text
        if want in (401, 403):
            assert answer.json()["detail"]
    if want in (401, 403) and before is not None:
        assert collector_server.count() == before


def test_every_api_route_is_in_the_matrix(collector_server):
    spec = collector_server.request("GET", "/openapi.json").json()
    routes = {
        (method.upper(), path)
        for path, operations in spec["paths"].items() if path.startswith("/api/")
        for method in operations
    }
    covered = {(method, openapi_path(template)) for method, template, _ in MATRIX}
    assert routes == covered


def test_staff_sees_only_its_own_store(collector_server, principals):
    store, tokens = principals
    listed = collector_server.request("GET", "/api/v1/stores", tokens["staff"]).json()
    assert [item["id"] for item in listed] == [store.store_id]
    everything = collector_server.request("GET", "/api/v1/stores", tokens["office"]).json()
    assert len(everything) > 1
    other = collector_server.request("GET", f"/api/v1/stores/{store.store_id}/daily",
                                     tokens["staff_other"])
    assert other.status_code == 403
    assert "may only read store" in other.json()["detail"]
    nowhere = collector_server.request("GET", "/api/v1/stores/no-such-store/daily",
                                       tokens["staff"])
    assert nowhere.status_code == 403


def test_kiosk_token_cannot_read_anything(collector_server, principals):
    store, tokens = principals
    for method, template, _ in MATRIX:
        if method == "GET" and template not in ("/api/v1/survey", "/api/v1/kiosk"):
            path = template.replace("{store}", store.store_id).replace("{touchpoint}",
                                                                       TOUCHPOINT)
            assert collector_server.request(method, path, tokens["kiosk"]).status_code == 403


def test_health_and_docs_need_no_token(collector_server):
    assert collector_server.request("GET", "/healthz").json()["status"] == "ok"
    assert collector_server.request("GET", "/docs").status_code == 200
    spec = collector_server.request("GET", "/openapi.json").json()
    batches = spec["paths"]["/api/v1/batches"]["post"]
    named = batches["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schemas = spec["components"]["schemas"]
    assert "sent_at" in schemas[named.rsplit("/", 1)[-1]]["properties"]
    assert "score" in schemas["Rating"]["properties"]
