"""Dashboard strings (the catalogs' [faces] and [dashboard]) and Babel number and date formats."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from sync.collector.web import i18n
from sync.collector.web.views import comparison
from sync.i18n import strings
from tests.support import ROOT

NBSP = "\u00a0"
TEMPLATES = ROOT / "sync" / "collector" / "web" / "templates"
MODULES = TEMPLATES.parent  # the dashboard's Python modules: pages, views, render, ...


def test_every_dashboard_language_has_every_string():
    assert i18n.LANGUAGES[:4] == ("fi", "sv", "en", "de")
    reference = i18n.Translator("en").strings
    for lang in i18n.LANGUAGES:
        own = strings(lang, "dashboard")
        assert set(own) == set(reference), lang  # no English fallback needed


def test_templates_and_pages_only_use_keys_that_exist():
    used = set()
    for path in [*TEMPLATES.glob("*.html"), *MODULES.glob("*.py")]:
        used |= set(re.findall(r"\bt\(['\"]([a-z0-9_]+)['\"]\s*[,)]", path.read_text()))
    assert len(used) > 50 and used <= set(i18n.Translator("en").strings), (
        sorted(used - set(i18n.Translator("en").strings)))


@pytest.mark.parametrize(("lang", "value", "text"), [
    ("fi", 82.4, f"82{NBSP}%"), ("en", 82.4, "82%"), ("fi", 82.5, f"83{NBSP}%"),
    ("en", None, "–"), ("fi", 0, f"0{NBSP}%"), ("sv", 81.5, f"82{NBSP}%"),
    ("de", 82.4, f"82{NBSP}%"),
])
def test_percent_with_its_unit(lang, value, text):
    assert i18n.Translator(lang).pct(value) == text


def test_interval_and_numbers():
    fi, en = i18n.Translator("fi"), i18n.Translator("en")
    assert fi.ci(78.2, 86.1) == f"95{NBSP}% luottamusväli 78–86{NBSP}%"
    assert en.ci(78.2, 86.1) == "95% CI 78–86%"
    assert fi.number(12345) == f"12{NBSP}345" and en.number(12345) == "12,345"
    assert fi.number(82.45, 1) == "82,5" and en.number(-3) == "−3"
    assert fi.responses(1) == "1 vastaus" and en.responses(1234) == "1,234 responses"
    assert fi.points(-2.6) == "−3 %-yks." and en.points(2) == "+2 pts"
    assert fi.index(74.6) == f"75{NBSP}/{NBSP}100"
    assert fi.pct(82.45, 1) == f"82,5{NBSP}%" and en.pct(82.45, 1) == "82.5%"


def test_swedish_and_german_numbers():
    sv, de = i18n.Translator("sv"), i18n.Translator("de")
    assert sv.number(12345) == f"12{NBSP}345" and de.number(12345) == "12.345"
    assert sv.number(82.45, 1) == "82,5" and de.number(-3) == "−3"
    assert sv.ci(78.2, 86.1) == f"95{NBSP}% KI 78–86{NBSP}%"
    assert de.pct_range(78.2, 86.1) == f"78–86{NBSP}%"
    assert sv.responses(1234) == f"1{NBSP}234 svar" and de.responses(1) == "1 Antwort"
    assert sv.points(2) == "+2 %-enh." and de.points(-2.6) == "−3 Pp."


def test_dates_and_relative_times():
    fi, en = i18n.Translator("fi"), i18n.Translator("en")
    sv, de = i18n.Translator("sv"), i18n.Translator("de")
    assert fi.day("2026-03-02", weekday=True) == "ma 2.3.2026"
    assert fi.day("2026-03-02") == "2.3.2026"
    assert en.day("2026-03-02", weekday=True, year=False) == "Mon 2 Mar"
    assert sv.day("2026-03-02", weekday=True, year=False) == "mån 2 mars"
    assert de.day("2026-03-02") == "2. März 2026"
    assert [t.weekday(0) for t in (fi, sv, en, de)] == ["ma", "mån", "Mon", "Mo"]
    moment = datetime(2026, 3, 2, 14, 5)
    assert fi.time(moment) == "14.05" and en.time(moment) == "14:05" and de.time(moment) == "14:05"
    assert fi.hour(9) == "09" and de.hour(14) == "14"
    assert fi.ago(30) == "juuri nyt" and en.ago(600) == "10\u00a0min ago"
    assert fi.ago(3 * 86400) == "3\u00a0pv sitten" and en.ago(None) == "Never"


def test_round_half_up_matches_what_people_expect():
    assert i18n.round_half_up(82.5) == 83
    assert i18n.round_half_up(81.5) == 82
    assert i18n.round_half_up(82.49) == 82
    assert i18n.round_half_up(82.45, 1) == 82.5


@pytest.mark.parametrize(("asked", "cookie", "header", "lang"), [
    ("en", "fi", "fi", "en"),
    (None, "en", "fi", "en"),
    (None, None, "sv-SE,en;q=0.8,fi;q=0.5", "sv"),
    (None, None, "et-EE,en;q=0.8,fi;q=0.5", "en"),
    (None, None, "de-DE", "de"),
    (None, None, "nb-NO", "fi"),
    ("xx", None, "fi-FI", "fi"),
    (None, None, None, "fi"),
])
def test_language_choice(asked, cookie, header, lang):
    assert i18n.pick(asked, cookie, header) == lang


def test_a_difference_reads_as_the_two_percentages_shown_beside_it():
    """A card showing 74% against a baseline of 73% says +1, not the unrounded ±0
    (73.6 - 73.4) a trial reader found contradicting the two numbers beside it."""
    en, fi = i18n.Translator("en"), i18n.Translator("fi")
    fig = {"csat": 73.6, "ci_low": 73.2, "ci_high": 74.0, "responses": 90_000}
    card = comparison(en, fig, {"csat": 73.4})
    assert card is not None and card["text"] == "+1 pts"
    assert card["baseline"] == "vs 28-day baseline 73%" and en.pct(fig["csat"]) == "74%"
    assert fi.points_between(74.6, 74.9) == "±0 %-yks."
    assert en.points_between(72.4, 74.5) == "−3 pts"
