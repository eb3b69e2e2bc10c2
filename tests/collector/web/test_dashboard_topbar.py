"""The top bar keeps a staff person's way back to their store on every page.

Found in a user trial: a store manager who opened "My notifications" (or a page
their account may not open) lost the link to their store from the top bar, as
only the store, alert, region, kiosk and fleet pages passed their store links.
In-process against a real SQLite database.
"""

from __future__ import annotations

import re

import pytest

from tests.support.asgi import call, person_cookie, session_cookie
from tests.support.collector import app_of_stores

STAFF = "anna@example.com"


@pytest.fixture
def app(collector_database):
    """An app with two stores, a staff person of Kamppi and a staff token of Kamppi."""
    app = app_of_stores(collector_database, {"hki-kamppi": "Hymy Kamppi", "hki-itis": "Hymy Itis"})
    app.state.storage.add_user(STAFF, "staff", ["hki-kamppi"])
    return app


def top_bar_links(body: bytes) -> list[str]:
    """The hrefs in the page's top-bar navigation."""
    nav = re.search(r'<nav class="nav".*?</nav>', body.decode(), re.S)
    assert nav, "the page has no top-bar navigation"
    return re.findall(r'href="([^"]+)"', nav.group(0))


@pytest.mark.parametrize(("path", "status"), [
    ("/me/notifications", 200), ("/alerts", 403), ("/office", 403),
    ("/stores/hki-itis", 403), ("/fleet", 200), ("/stores/hki-kamppi", 200),
])
def test_a_staff_person_sees_their_store_in_the_top_bar_on_every_page(app, path, status):
    answer = call(app, "GET", path, headers=person_cookie(app, STAFF))
    assert answer.status == status
    links = top_bar_links(answer.body)
    assert "/stores/hki-kamppi" in links
    assert "/stores/hki-itis" not in links


def test_a_staff_token_sees_its_store_on_a_page_it_may_not_open(app):
    token = app.state.storage.add_token("staff", "hki-kamppi", label="Kamppi staff").token
    answer = call(app, "GET", "/office", headers=session_cookie(app, token))
    assert answer.status == 403
    assert "/stores/hki-kamppi" in top_bar_links(answer.body)
