"""An invitation opens in the language it was sent in.

Found in a user trial: a person invited with ``--language en`` got an English
mail, and its link opened a Finnish page (the browser's or the default language).
In-process against a real database; the link as ``hymy-collector user add`` prints it.
"""

from __future__ import annotations

import re

import pytest

from sync.collector.web.i18n import Translator
from tests.support.asgi import call
from tests.support.collector import app_of_stores, run_cli


@pytest.mark.parametrize("lang", ["sv", "en", "de"])
def test_the_invitation_link_opens_in_the_persons_language(collector_database, lang):
    app = app_of_stores(collector_database, {"s1": "Kamppi"})
    added = run_cli(collector_database, "user", "add", f"{lang}@example.com", "--role", "staff",
                    "--store", "s1", "--language", lang)
    link = re.search(r"http://\S+/login/invite/\S+", added.stdout).group(0)
    path = link[link.index("/login/"):]
    page = call(app, "GET", path, headers={"Accept-Language": "fi-FI,fi;q=0.9"})
    assert page.status == 200
    assert f"<h1>{Translator(lang)('invite_title')}</h1>" in page.body.decode()
