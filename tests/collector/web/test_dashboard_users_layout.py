"""The admin's users page in a real Chromium: the invitation form reads top to bottom.

Found in a user trial: the store and region checkboxes were squeezed into one
grid column (their ``span-all`` class had no rule), pushing the e-mail field
to the bottom of a tall empty block at 1366 px.
"""

from __future__ import annotations

import pytest

from tests.support.asgi import person_cookie
from tests.support.browser import signed_in_page
from tests.support.inprocess import collector_in_process

PERSON = "anna@example.com"
STORES = ("Iso Omena", "Nordstan", "Itäkeskus", "Kamppi", "Forum Jyväskylä", "Valkea",
          "Sampokeskus", "Gallerian", "Viru", "Ratina", "Koskikeskus", "Hansa", "Jumbo")


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """Thirteen stores in two regions, served in this process; an admin's token, the app."""
    with collector_in_process(tmp_path_factory.mktemp("users") / "c.db") as running:
        storage = running.storage
        storage.add_region("north", "North")
        storage.add_region("south", "South")
        for number, name in enumerate(STORES):
            storage.add_store(f"s{number}", f"Hymy {name}", "Europe/Helsinki",
                              region_id="north" if number % 2 else "south")
        storage.add_user(PERSON, "staff", ["s1", "s2"])
        yield running.url, storage.add_token("admin").token, running.app


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 1920, 390])
def test_the_invitation_form_starts_with_the_address_and_its_choices_span_the_form(
        browser_chromium, chain, width):
    url, admin, _ = chain
    with signed_in_page(browser_chromium, url, admin, width=width, height=800,
                        lang="en") as page:
        page.goto(url + "/admin/users?lang=en")
        form = page.locator("#user-add-form").bounding_box()
        email = page.locator("#add-email").bounding_box()
        assert email["y"] - form["y"] < 60, (form, email)  # the first thing in the form
        for picks in ("#user-add-form fieldset.store-picks >> nth=0", "#add-regions"):
            box = page.locator(picks).bounding_box()
            assert box["width"] > 0.9 * form["width"], (picks, box, form)
        assert page.evaluate("document.documentElement.scrollWidth") <= width



@pytest.mark.browser
def test_my_notifications_leaves_room_between_the_stores_line_and_save(browser_chromium, chain):
    """Found in a user trial: "For your stores: ..." sat on the Save button, in a larger
    type than the choices above it."""
    url, _, app = chain
    name, _, value = person_cookie(app, PERSON)["Cookie"].partition("=")
    with signed_in_page(browser_chromium, url, None, width=390, height=844, lang="en") as page:
        page.context.add_cookies([{"name": name, "value": value, "url": url}])
        page.goto(url + "/me/notifications?lang=en")
        scope, save = page.locator("#me-scope"), page.locator("#me-save")
        gap = save.bounding_box()["y"] - sum(scope.bounding_box()[k] for k in ("y", "height"))
        assert gap >= 8, gap
        size = "e => parseFloat(getComputedStyle(e).fontSize)"
        assert scope.evaluate(size) <= page.locator("#me-form label").first.evaluate(size)
