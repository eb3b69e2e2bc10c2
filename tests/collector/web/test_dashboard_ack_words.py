"""Who acknowledged an alert, in the reader's language.

Found in a user trial: a Finnish page said "Ville (staff)", the role in English
as the database keeps it (the API's ``acknowledged_by`` keeps that form).
In-process against a real database, a person's session as signing in makes one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sync.collector import alertlog
from sync.collector.settings import Settings
from sync.collector.tokens import Principal
from sync.collector.web.i18n import Translator
from tests.support.alerting import plant_taps
from tests.support.asgi import call, person_cookie
from tests.support.collector import app_of_stores

BURSTS = Settings(alert_rules="burst,silent,baseline")


@pytest.fixture
def acked(collector_database):
    """An app whose store's burst alert Ville, staff of the store, has acknowledged."""
    app = app_of_stores(collector_database, {"s1": "Iso Omena"}, kiosk=True)
    storage = app.state.storage
    storage.add_user("ville@example.com", "staff", ["s1"], name="Ville")
    plant_taps(storage, "s1", "s1-k", datetime.now(UTC))
    [opened] = alertlog.run(storage, BURSTS)
    user_id = storage.user("ville@example.com")["id"]
    person = Principal(None, "staff", "s1", user_id=user_id, stores=("s1",))
    assert storage.acknowledge_alert(opened["id"], person, "Kassa kytketty")
    return app, opened["id"]


@pytest.mark.parametrize("lang", ["fi", "sv", "en", "de"])
def test_the_alert_page_and_log_name_the_role_in_the_readers_language(acked, lang):
    app, alert_id = acked
    cookie = person_cookie(app, "ville@example.com")
    expected = f"Ville ({Translator(lang)('role_staff')})"
    for path in (f"/alerts/{alert_id}?lang={lang}", f"/stores/s1/alerts?lang={lang}"):
        page = call(app, "GET", path, headers=cookie)
        assert page.status == 200
        assert expected in page.body.decode()
        assert "Ville (staff)" not in page.body.decode()
