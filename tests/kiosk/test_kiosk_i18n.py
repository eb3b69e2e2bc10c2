"""The kiosk's words: complete catalogs, every key the screens use, faces per scale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk.config import ASSETS, KNOWN_POSITIVE_REASONS, KNOWN_REASONS
from kiosk.i18n import (
    CATALOG_DIR,
    FACE_ART,
    face_image,
    face_label_key,
    load_strings,
    read_catalog,
    text,
    with_survey,
)
from tests.support import ROOT

KIOSK = ROOT / "kiosk"
LANGUAGES = sorted(path.stem for path in CATALOG_DIR.glob("*.toml"))


def keys_used_by_the_screens() -> set[str]:
    used = set()
    for path in [*KIOSK.rglob("*.kv"), *KIOSK.rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        for inside in re.findall(r"app\.strings\[([^\]]+)\]", source):
            used |= set(re.findall(r"'([a-z_0-9]+)'", inside)) - {"reason_"}
        used |= set(re.findall(r"""(?:app\.t|text)\((?:strings|self\.strings), ['"](\w+)['"]""",
                               source))
        used |= set(re.findall(r"""app\.t\(['"](\w+)['"]""", source))
    for scale in FACE_ART:
        used |= {face_label_key(score, scale) for score in range(1, scale + 1)}
    used |= {f"reason_{key}" for key in KNOWN_REASONS + KNOWN_POSITIVE_REASONS}
    used |= {f"{kind}_{part}" for kind in ("nps", "ces") for part in ("question", "low", "high")}
    used -= {"scale_low", "scale_high"}  # load_strings makes them from <kind>_low, <kind>_high
    return used


def test_the_four_shipped_languages_exist():
    assert {"fi", "sv", "en", "de"} <= set(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_the_kiosk_shows_is_in_every_catalog(lang):
    used = keys_used_by_the_screens()
    assert {"question", "thanks", "pin_locked", "staff_title", "sync_now"} <= used
    missing = used - set(read_catalog(lang))
    assert not missing, f"{lang}.toml lacks {sorted(missing)}"
    assert "{seconds}" in read_catalog(lang)["pin_locked"]


def test_missing_keys_fall_back_to_english(tmp_path: Path):
    (tmp_path / "en.toml").write_text('[kiosk]\nquestion = "Q"\nthanks = "Thanks"\n',
                                      encoding="utf-8")
    (tmp_path / "xx.toml").write_text('[kiosk]\nquestion = "Kysymys"\n[dashboard]\nx = "y"\n',
                                      encoding="utf-8")
    strings = load_strings(["xx", "en"], {"en": "How did we do?"}, directory=tmp_path)
    assert strings["xx"] == {"question": "Kysymys", "thanks": "Thanks",
                             "scale_low": "", "scale_high": ""}  # no ends on a face scale
    assert strings["en"]["question"] == "How did we do?"


def test_nps_and_ces_ask_their_own_question_with_their_end_labels():
    nps = load_strings(["sv", "de"], kind="nps")
    assert nps["sv"]["question"] == nps["sv"]["nps_question"]
    assert (nps["de"]["scale_low"], nps["de"]["scale_high"]) == (
        "Äußerst unwahrscheinlich", "Äußerst wahrscheinlich")
    ces = load_strings(["en"], {"en": "Finding things was easy."}, kind="ces")
    assert ces["en"]["question"] == "Finding things was easy."  # the store's own statement
    assert ces["en"]["scale_high"] == "Strongly agree"
    merged = with_survey(ces, {}, {}, [], texts={"scale_high": {"en": "Yes!"}})
    assert (merged["en"]["scale_low"], merged["en"]["scale_high"]) == ("Strongly disagree", "Yes!")


def test_text_fills_placeholders_and_tolerates_mistakes():
    strings = {"pin_locked": "Try again in {seconds} s.", "odd": "{nope}"}
    assert text(strings, "pin_locked", seconds=30) == "Try again in 30 s."
    assert text(strings, "odd", seconds=1) == "{nope}"
    assert text(strings, "absent") == "absent"


@pytest.mark.parametrize(("scale", "art"), [(5, [1, 2, 3, 4, 5]), (4, [1, 2, 4, 5]),
                                            (3, [1, 3, 5])])
def test_each_scale_uses_its_faces(scale, art):
    paths = [face_image(score, scale) for score in range(1, scale + 1)]
    assert [int(p.stem.split("-")[1]) for p in paths] == art
    assert all(p.exists() and p.parent == ASSETS / "faces" for p in paths)


def test_with_survey_lays_questions_and_reason_labels_over_the_catalogs():
    strings = load_strings(["fi", "en"])
    merged = with_survey(
        strings, {"fi": "Miten onnistuimme?"},
        {"en": {"parking": "Parking"}, "fi": {"queue": "Jonotus"}}, ["queue", "parking"],
    )
    assert merged["fi"]["question"] == "Miten onnistuimme?"
    assert merged["en"]["question"] == strings["en"]["question"]
    assert merged["fi"]["reason_queue"] == "Jonotus"
    assert merged["en"]["reason_queue"] == strings["en"]["reason_queue"]
    assert merged["fi"]["reason_parking"] == "Parking"  # English label as fallback
    assert strings["fi"]["question"] != "Miten onnistuimme?"  # input left alone
