"""Dashboard strings and number formats in Finnish and English."""

from __future__ import annotations

import re

import pytest

from sync.collector.web import i18n
from tests.support import ROOT

NBSP = "\u00a0"
TEMPLATES = ROOT / "sync" / "collector" / "web" / "templates"


def test_every_string_has_finnish_and_english():
    for key, entry in i18n.STRINGS.items():
        assert set(i18n.LANGUAGES) <= set(entry), key
        fi = set(re.findall(r"{(\w+)}", entry["fi"]))
        en = set(re.findall(r"{(\w+)}", entry["en"]))
        assert fi == en, f"{key}: placeholders differ"


def test_templates_only_use_keys_that_exist():
    used = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z0-9_]+)'\s*[,)]", path.read_text()))
    assert used and used <= set(i18n.STRINGS)


@pytest.mark.parametrize(("lang", "value", "text"), [
    ("fi", 82.4, f"82{NBSP}%"), ("en", 82.4, "82%"), ("fi", 82.5, f"83{NBSP}%"),
    ("en", None, "–"), ("fi", 0, f"0{NBSP}%"),
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


def test_dates_and_relative_times():
    fi, en = i18n.Translator("fi"), i18n.Translator("en")
    assert fi.day("2026-03-02", weekday=True) == "ma 2.3.2026"
    assert en.day("2026-03-02", weekday=True, year=False) == "Mon 2 Mar"
    assert fi.ago(30) == "juuri nyt" and en.ago(600) == "10 min ago"
    assert fi.ago(3 * 86400) == "3 pv sitten" and en.ago(None) == "Never"


def test_round_half_up_matches_what_people_expect():
    assert i18n.round_half_up(82.5) == 83
    assert i18n.round_half_up(81.5) == 82
    assert i18n.round_half_up(82.49) == 82
    assert i18n.round_half_up(82.45, 1) == 82.5


@pytest.mark.parametrize(("asked", "cookie", "header", "lang"), [
    ("en", "fi", "fi", "en"),
    (None, "en", "fi", "en"),
    (None, None, "sv-SE,en;q=0.8,fi;q=0.5", "en"),
    (None, None, "de-DE", "fi"),
    ("xx", None, "fi-FI", "fi"),
    (None, None, None, "fi"),
])
def test_language_choice(asked, cookie, header, lang):
    assert i18n.pick(asked, cookie, header) == lang
