"""The role matrix beyond ``test_collector_auth.py``: pages, revoked tokens, foreign stores.

``test_collector_auth.py`` runs every API route for every role (anonymous,
unknown, kiosk, staff of this store, staff of another store, office, admin)
and fails when a route is missing from its table.  This adds:

- every dashboard page for every role, logged in through the real login form
  (a kiosk token cannot log in at all), for the role's own store and another;
- every API route with a *revoked* token of every role: 401;
- a kiosk token can only deliver its own store's and kiosk's ratings: ratings
  claiming another store or kiosk are rejected one by one and nothing lands
  in the other store.
"""

from __future__ import annotations

import re

import pytest
import requests

from sync.clock import local_date, utc_now, zone
from tests.support.collector import Collector, batch, rating
from tests.support.fleet import register
from tests.support.roles import MATRIX, TOUCHPOINT

pytestmark = pytest.mark.reliability
TODAY = local_date(utc_now(), zone("Europe/Helsinki"))
PAGE_ROLES = ("anonymous", "staff", "staff_other", "office", "admin")
SEE, DENY, LOGIN = 200, 403, 303
#: page -> expected status per role in PAGE_ROLES order ("own" = store a, staff's store)
PAGES = {
    "/stores/a": (LOGIN, SEE, DENY, SEE, SEE),
    f"/stores/a/days/{TODAY}": (LOGIN, SEE, DENY, SEE, SEE),
    "/stores/b": (LOGIN, DENY, SEE, SEE, SEE),
    "/office": (LOGIN, DENY, DENY, SEE, SEE),
    "/office/ranking?q=a&page=1": (LOGIN, DENY, DENY, SEE, SEE),
    "/office/funnel": (LOGIN, DENY, DENY, SEE, SEE),
    "/office/export/daily.csv": (LOGIN, DENY, DENY, SEE, SEE),
    "/office/export/ratings.csv": (LOGIN, DENY, DENY, SEE, SEE),
    "/alerts": (LOGIN, DENY, DENY, SEE, SEE),
    "/stores/a/alerts": (LOGIN, SEE, DENY, SEE, SEE),
    "/stores/b/alerts": (LOGIN, DENY, SEE, SEE, SEE),
    "/admin/deliveries": (LOGIN, DENY, DENY, DENY, SEE),
    "/admin/users": (LOGIN, DENY, DENY, DENY, SEE),
    "/me/notifications": (LOGIN, SEE, SEE, SEE, SEE),
}


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """Stores a and b with a kiosk each, staff tokens for both; bad tokens not throttled."""
    collector = Collector(tmp_path_factory.mktemp("roles"))
    collector.start(env={"HYMY_AUTH_FAILURES_PER_MINUTE": "100000"})
    kiosks = {**register(collector, "a", ["a-1"]), **register(collector, "b", ["b-1"])}
    staff = {store: collector.request("POST", "/api/v1/tokens", collector.admin_token,
                                      json={"role": "staff", "store_id": store}).json()["token"]
             for store in ("a", "b")}
    tokens = {"staff": staff["a"], "staff_other": staff["b"], "office": collector.office_token,
              "admin": collector.admin_token, "kiosk": kiosks["a-1"], "kiosk_b": kiosks["b-1"]}
    answer = collector.request("POST", "/api/v1/batches", kiosks["a-1"],
                               json=batch([rating(1), rating(2)]))
    assert answer.status_code == 200
    yield collector, tokens
    collector.stop()


def browser(collector: Collector, token: str | None) -> requests.Session:
    """A session logged in through the login form with ``token`` (None: not logged in)."""
    session = requests.Session()
    if token is None:
        return session
    form = session.get(collector.url + "/login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    done = session.post(collector.url + "/login", data={"token": token, "csrf": csrf},
                        allow_redirects=False, timeout=10)
    assert done.status_code == 303, done.text[:300]
    return session


@pytest.mark.parametrize("role", PAGE_ROLES)
def test_page_matrix(chain, role):
    collector, tokens = chain
    session = browser(collector, tokens.get(role))
    for page, expected in PAGES.items():
        answer = session.get(collector.url + page, allow_redirects=False, timeout=30)
        want = expected[PAGE_ROLES.index(role)]
        assert answer.status_code == want, (role, page, answer.status_code)
        if want == LOGIN:
            assert answer.headers["location"].startswith("/login")


@pytest.mark.parametrize("role", ["kiosk", "kiosk_b"])
def test_kiosk_tokens_cannot_log_in(chain, role):
    collector, tokens = chain
    session = requests.Session()
    form = session.get(collector.url + "/login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = session.post(collector.url + "/login", data={"token": tokens[role], "csrf": csrf},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 401 and "hymy_session" not in session.cookies


@pytest.mark.parametrize("role", ["kiosk", "staff", "office", "admin"])
def test_revoked_tokens_get_401_on_every_route(chain, role):
    collector, _ = chain
    if role == "kiosk":
        made = collector.request("POST", "/api/v1/stores/a/kiosks", collector.admin_token,
                                 json={"id": f"revoke-{role}"}).json()
        token, token_id = made["token"], made["token_id"]
    else:
        body = {"role": role, **({"store_id": "a"} if role == "staff" else {})}
        made = collector.request("POST", "/api/v1/tokens", collector.admin_token,
                                 json=body).json()
        token, token_id = made["token"], made["id"]
    assert collector.request("DELETE", f"/api/v1/tokens/{token_id}",
                             collector.admin_token).status_code == 204
    for method, template, expected in MATRIX:
        if expected[0] != 401:  # a route that takes no token (enrollment) ignores it
            continue
        path = template.replace("{store}", "a").replace("{token_id}", "999999")
        path = path.replace("{touchpoint}", TOUCHPOINT)
        answer = collector.request(method, path, token, json={})
        assert answer.status_code == 401, (method, path, answer.status_code)


def test_a_kiosk_cannot_deliver_for_another_store_or_kiosk(chain):
    collector, tokens = chain
    before = {row["id"] for row in collector.export()[0]}
    claims = [rating(10, store_id="b"), rating(11, kiosk_id="b-1"),
              rating(12, store_id="b", kiosk_id="b-1"), rating(13, store_id="a", kiosk_id="a-1")]
    answer = collector.request("POST", "/api/v1/batches", tokens["kiosk"], json=batch(claims))
    result = answer.json()
    assert (result["accepted"], result["rejected"]) == (1, 3)
    assert all("does not match this kiosk's token" in item["reason"] for item in result["items"])
    stored = [row for row in collector.export()[0] if row["id"] not in before]
    assert [(row["store_id"], row["kiosk_id"], row["seq"]) for row in stored] == [("a", "a-1", 13)]
    other = collector.request("GET", "/api/v1/stores/b/kiosks", tokens["office"]).json()
    assert other["kiosks"][0]["received"] == 0 and other["kiosks"][0]["last_seen"] is None
