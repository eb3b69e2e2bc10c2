"""An alert's page in a real Chromium: its tables of facts end cleanly.

Found in a user trial: the last row of each details table ("Cleared", "Limit")
kept a rule under its label and none under its value, a line stopping halfway.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sync.clock import utc_now
from sync.collector import alertlog
from sync.collector.settings import Settings
from tests.support.alerting import plant_taps
from tests.support.browser import signed_in_page
from tests.support.inprocess import collector_in_process

#: The last row's label and value: the width of the rule under each.
LAST_ROWS = """() => [...document.querySelectorAll('main table.details')].map(table => {
  const cells = [...table.rows[table.rows.length - 1].cells];
  return cells.map(cell => getComputedStyle(cell).borderBottomWidth); })"""


@pytest.mark.browser
def test_the_details_tables_last_row_has_no_half_rule(browser_chromium, tmp_path):
    with collector_in_process(tmp_path / "c.db") as running:
        storage = running.storage
        storage.add_store("s1", "Kamppi", "Europe/Helsinki")
        storage.add_kiosk("s1-k", "s1")
        plant_taps(storage, "s1", "s1-k", datetime.now(UTC))
        [opened] = alertlog.evaluate(storage, Settings(alert_rules="burst,silent,baseline"),
                                     utc_now())  # not run(): the server's own turn came first
        office = storage.add_token("office").token
        with signed_in_page(browser_chromium, running.url, office, lang="en") as page:
            page.goto(f"{running.url}/alerts/{opened['id']}?lang=en")
            rules = page.evaluate(LAST_ROWS)
    assert len(rules) == 2, rules  # the alert's details and the numbers behind it
    for row in rules:
        assert len(row) == 2 and set(row) == {"0px"}, row
