"""Which token gets in where, on a collector running in this process.

The same rules as ``test_collector_auth.py``'s matrix (which runs a server
process), here in-process so that mutation testing sees them: for each of
auth.py's gates (kiosk, reader, a readable store, chain reader, admin) every
kind of caller, the status and the message it is given, the
``WWW-Authenticate`` header on 401, and what the request's log line says
about the caller.
"""

from __future__ import annotations

import pytest

from tests.support.inprocess import collector_in_process

MISSING = "missing bearer token: send 'Authorization: Bearer <token>'"
UNKNOWN = "unknown or revoked token"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Stores a and b, kiosk a-1, a token of every role, a revoked one; no throttling."""
    folder = tmp_path_factory.mktemp("who")
    with collector_in_process(folder / "c.db", auth_failures_per_minute=100_000) as running:
        storage = running.storage
        storage.add_store("a", "A", "Europe/Helsinki")
        storage.add_store("b", "B", "Europe/Helsinki")
        kiosk = storage.add_kiosk("a-1", "a")
        revoked = storage.add_token("office")
        storage.revoke_token(revoked.id)
        running.tokens = {
            "kiosk": kiosk.token,
            "staff": storage.add_token("staff", store_id="a").token,
            "staff_b": storage.add_token("staff", store_id="b").token,
            "office": storage.add_token("office").token,
            "admin": storage.add_token("admin").token,
            "revoked": revoked.token,
            "unknown": "hymy_" + "x" * 32,
        }
        yield running


def forbidden(role: str, needs: str) -> str:
    return f"a {role} token cannot do this; it needs {needs}"


# Gate -> (path, {caller: expected status}).
KIOSK_ONLY = "/api/v1/survey"
READERS = "/api/v1/stores"
STORE_A = "/api/v1/stores/a"
CHAIN = "/api/v1/ranking"
ADMIN = "/api/v1/tokens"
EXPECTED = {
    KIOSK_ONLY: {"kiosk": 200, "staff": 403, "staff_b": 403, "office": 403, "admin": 403},
    READERS: {"kiosk": 403, "staff": 200, "staff_b": 200, "office": 200, "admin": 200},
    STORE_A: {"kiosk": 403, "staff": 200, "staff_b": 403, "office": 200, "admin": 200},
    CHAIN: {"kiosk": 403, "staff": 403, "staff_b": 403, "office": 200, "admin": 200},
    ADMIN: {"kiosk": 403, "staff": 403, "staff_b": 403, "office": 403, "admin": 200},
}
NEEDS = {
    KIOSK_ONLY: "a kiosk token",
    READERS: "a staff, office or admin token",
    STORE_A: "a staff, office or admin token",
    CHAIN: "an office or admin token",
    ADMIN: "an admin token",
}
ROLE_OF = {"kiosk": "kiosk", "staff": "staff", "staff_b": "staff", "office": "office",
           "admin": "admin"}


@pytest.mark.parametrize("path", list(EXPECTED))
def test_each_gate_lets_in_exactly_its_roles(served, path):
    got = {who: served.call("GET", path, served.tokens[who]) for who in EXPECTED[path]}
    assert {who: answer.status for who, answer in got.items()} == EXPECTED[path]
    for who, answer in got.items():
        if answer.status == 403 and not (path == STORE_A and who == "staff_b"):
            assert answer.detail == forbidden(ROLE_OF[who], NEEDS[path])
            assert "www-authenticate" not in answer.headers


@pytest.mark.parametrize("path", list(EXPECTED))
@pytest.mark.parametrize("who", [None, "unknown", "revoked"])
def test_no_token_or_a_bad_one_is_a_401_with_a_bearer_challenge(served, path, who):
    answer = served.call("GET", path, None if who is None else served.tokens[who])
    assert answer.status == 401
    assert answer.detail == (MISSING if who is None else UNKNOWN)
    assert answer.headers["www-authenticate"] == "Bearer"


def test_staff_read_only_their_own_store_and_a_missing_store_is_a_404(served):
    other = served.call("GET", STORE_A, served.tokens["staff_b"])
    assert (other.status, other.detail) == (403, "this staff token may only read store 'b'")
    assert served.call("GET", "/api/v1/stores/b", served.tokens["staff_b"]).body["id"] == "b"
    mine = served.call("GET", STORE_A, served.tokens["staff"])
    assert (mine.status, mine.body["id"]) == (200, "a")
    nowhere = served.call("GET", "/api/v1/stores/nope", served.tokens["office"])
    assert (nowhere.status, nowhere.detail) == (404, "no store 'nope'")
    # A staff member learns nothing about stores that are not theirs, not even existence.
    hidden = served.call("GET", "/api/v1/stores/nope", served.tokens["staff"])
    assert (hidden.status, hidden.detail) == (403, "this staff token may only read store 'a'")


def test_the_log_line_names_the_caller_and_its_scope(served):
    served.log.clear()
    served.call("GET", KIOSK_ONLY, served.tokens["kiosk"])
    served.call("GET", STORE_A, served.tokens["staff"])
    served.call("GET", CHAIN, served.tokens["office"])
    served.call("GET", ADMIN, served.tokens["unknown"])
    kiosk, = served.log_of(KIOSK_ONLY)
    assert (kiosk["role"], kiosk["store_id"], kiosk["kiosk_id"]) == ("kiosk", "a", "a-1")
    staff, = served.log_of(STORE_A)
    assert (staff["role"], staff["store_id"]) == ("staff", "a") and "kiosk_id" not in staff
    office, = served.log_of(CHAIN)
    assert office["role"] == "office"
    assert "store_id" not in office and "kiosk_id" not in office
    unknown, = served.log_of(ADMIN)
    assert unknown["status"] == 401 and "role" not in unknown


def test_the_api_documents_its_bearer_tokens(served):
    spec = served.call("GET", "/openapi.json").body
    scheme, = spec["components"]["securitySchemes"].values()
    assert scheme["type"] == "http" and scheme["scheme"].lower() == "bearer"
    assert scheme["description"] == (
        "A token from `hymy-collector kiosk add` or `hymy-collector token add`.")
