"""A day page's kiosk tables, one per question kind, read as one table in a real Chromium.

Found in a user trial: each table took its own column widths, so on a desktop the
NPS and CES tables' responses and figures stood at other places than the CSAT
table's above them.  On a wide screen they now share the columns; on a phone
each keeps its own, its headers apart.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync.clock import local_date, utc_now, zone
from tests.support.browser import signed_in_page
from tests.support.collector import rating, send_as_kiosk
from tests.support.inprocess import collector_in_process

#: Each kiosk table's header cells: their words and boxes, in CSS pixels.
HEADS = """() => [...document.querySelectorAll('#per-kiosk table')].map(table =>
  [...table.querySelectorAll('thead th')].map(th => ({
    words: th.textContent.trim(), box: th.getBoundingClientRect().toJSON()})))"""


def seed_day(storage) -> str:
    """A store whose checkout, exit and desk kiosks answered CSAT, NPS and CES yesterday;
    that local day."""
    storage.add_store("mixed", "Kamppi", "Europe/Helsinki")
    for kiosk_id in ("mixed-checkout-kiosk", "mixed-exit", "mixed-desk"):
        storage.add_kiosk(kiosk_id, "mixed")
    at = utc_now() - timedelta(days=1)
    send_as_kiosk(storage, "mixed-checkout-kiosk", [rating(n, 4, 5, at) for n in range(1, 6)])
    send_as_kiosk(storage, "mixed-exit", [rating(n, 9, 11, at, kind="nps") for n in range(1, 6)])
    send_as_kiosk(storage, "mixed-desk", [rating(n, 6, 7, at, kind="ces") for n in range(1, 4)])
    return local_date(at, zone("Europe/Helsinki"))


@pytest.mark.browser
@pytest.mark.parametrize("width", [1440, 390])
def test_a_days_kiosk_tables_share_their_columns_on_a_wide_screen(
        browser_chromium, tmp_path, width):
    with collector_in_process(tmp_path / "c.db") as running:
        office = running.storage.add_token("office").token
        day = seed_day(running.storage)
        with signed_in_page(browser_chromium, running.url, office, width=width,
                            lang="en") as page:
            page.goto(f"{running.url}/stores/mixed/days/{day}?lang=en")
            csat, nps, ces = page.evaluate(HEADS)
    assert [head["words"] for head in nps] == ["Kiosk", "Responses", "NPS", "95% CI"]
    for table in (csat, nps, ces):
        shown = [head for head in table if head["box"]["width"]]  # a phone hides some
        for left, right in zip(shown, shown[1:], strict=False):
            assert left["box"]["right"] <= right["box"]["left"] + 0.5, (left, right)
    if width == 1440:
        for table in (nps, ces):
            for mine, above in zip(table, csat, strict=False):  # the CSAT table's first four
                assert abs(mine["box"]["left"] - above["box"]["left"]) < 1, (mine, above)
                assert abs(mine["box"]["right"] - above["box"]["right"]) < 1, (mine, above)
