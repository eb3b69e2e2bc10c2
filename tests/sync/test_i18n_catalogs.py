"""The one set of catalogs: same keys and placeholders everywhere, read without Kivy."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest

from sync import i18n
from tests.support import ROOT

FILES = sorted(i18n.CATALOG_DIR.glob("*.toml"))
REFERENCE = tomllib.loads((i18n.CATALOG_DIR / "en.toml").read_text(encoding="utf-8"))


def test_the_four_languages_ship_and_en_is_the_reference():
    assert {"fi", "sv", "en", "de"} <= {path.stem for path in FILES}
    assert set(REFERENCE) == {"language_name", "locale", *i18n.SECTIONS}
    assert i18n.languages("dashboard", (i18n.CATALOG_DIR,))[:4] == ["fi", "sv", "en", "de"]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
@pytest.mark.parametrize("part", [None, *i18n.SECTIONS])
def test_every_catalog_has_the_reference_keys_and_placeholders(path, part):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if part is None:  # the top level: language_name, locale and the three sections
        assert set(data) == set(REFERENCE), path.name
        assert all(isinstance(data[name], dict) for name in i18n.SECTIONS)
        return
    ours, reference = data[part], REFERENCE[part]
    assert set(ours) == set(reference), (
        f"{path.name} [{part}]: missing {sorted(set(reference) - set(ours))}, "
        f"extra {sorted(set(ours) - set(reference))}")
    for key, text in reference.items():
        assert isinstance(ours[key], str) and ours[key].strip(), f"{path.name} [{part}] {key}"
        assert i18n.placeholders(ours[key]) == i18n.placeholders(text), (
            f"{path.name} [{part}] {key}: placeholders differ from en.toml")


def test_every_face_label_of_every_scale_is_in_faces():
    keys = {i18n.face_label_key(score, scale)
            for scale, art in i18n.FACE_ART.items() for score in range(1, len(art) + 1)}
    assert keys == set(REFERENCE["faces"])


def test_an_extra_folder_adds_a_language_and_overrides_keys(tmp_path):
    (tmp_path / "et.toml").write_text(
        'language_name = "Eesti"\n[faces]\nface5_5 = "Väga rahul"\n'
        '[dashboard]\nresponses = "Vastused"\n', encoding="utf-8")
    (tmp_path / "fi.toml").write_text('[kiosk]\nquestion = "Miten onnistuimme?"\n',
                                      encoding="utf-8")
    dirs = (i18n.CATALOG_DIR, tmp_path)
    assert "et" in i18n.languages("dashboard", dirs) and i18n.has_catalog("et", dirs)
    estonian = i18n.with_fallback("et", "dashboard", dirs)
    assert estonian["responses"] == "Vastused" and estonian["face5_5"] == "Väga rahul"
    assert estonian["trend"] == REFERENCE["dashboard"]["trend"]  # English fills the gaps
    finnish = i18n.strings("fi", "kiosk", dirs)
    assert finnish["question"] == "Miten onnistuimme?" and finnish["thanks"] == "Kiitos!"
    assert i18n.locale_name("et", dirs) == "et"
    assert not i18n.has_catalog("../en", dirs)


def test_the_collector_and_the_kiosk_read_the_extra_folder_from_the_environment(tmp_path):
    (tmp_path / "et.toml").write_text(
        'language_name = "Eesti"\n[dashboard]\nresponses = "Vastused"\n', encoding="utf-8")
    code = ("from sync.collector.web.i18n import LANGUAGES, Translator; "
            "from kiosk.config import _languages; "
            "print(LANGUAGES, Translator('et')('responses'), _languages(['fi', 'et']))")
    env = {**os.environ, i18n.EXTRA_DIR_ENV: str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == "('fi', 'sv', 'en', 'de', 'et') Vastused ['fi', 'et']"


def test_sync_reads_the_catalogs_without_kiosk_or_kivy():
    code = ("import sys, sync.i18n, sync.collector.web.i18n as w; "
            "assert w.Translator('sv')('responses') == 'Svar'; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('kiosk', 'kivy')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == "[]"
