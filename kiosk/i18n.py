"""The kiosk's words: one TOML catalog per language in ``assets/i18n/``.

Every string the shopper or the staff sees comes from a catalog (``fi.toml``,
``sv.toml``, ``en.toml``...).  A key missing from one catalog falls back to the
English text, then to the key itself, so a half-translated catalog never
shows an empty button.  The store's own question (``questions`` in the kiosk
config) overrides the catalog's ``question``.

No Kivy here: the catalogs are loaded and tested without a display.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from kiosk.config import ASSETS

CATALOG_DIR = ASSETS / "i18n"
FALLBACK = "en"
#: Which artwork (assets/faces/face-N.png) each scale uses, lowest score first.
FACE_ART: dict[int, tuple[int, ...]] = {5: (1, 2, 3, 4, 5), 4: (1, 2, 4, 5), 3: (1, 3, 5)}


def read_catalog(lang: str, directory: Path = CATALOG_DIR) -> dict[str, str]:
    """One language's catalog as a flat ``key -> text`` dict ({} when absent)."""
    path = directory / f"{lang}.toml"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return {key: str(value) for key, value in data.items() if not isinstance(value, dict)}


def load_strings(
    languages: list[str], questions: dict[str, str] | None = None,
    directory: Path = CATALOG_DIR,
) -> dict[str, dict[str, str]]:
    """Strings for each language, English filling any gaps, the store's question on top."""
    fallback = read_catalog(FALLBACK, directory)
    strings = {}
    for lang in languages:
        merged = {**fallback, **read_catalog(lang, directory)}
        if questions and questions.get(lang):
            merged["question"] = questions[lang]
        strings[lang] = merged
    return strings


def face_image(score: int, scale: int) -> Path:
    """The artwork for ``score`` on a ``scale``-face kiosk (shape and colour both vary)."""
    return ASSETS / "faces" / f"face-{FACE_ART[scale][score - 1]}.png"


def face_label_key(score: int, scale: int) -> str:
    """The catalog key of the text under a face, e.g. ``face5_1`` ("Very dissatisfied")."""
    return f"face{scale}_{score}"


def text(strings: dict[str, str], key: str, **values: object) -> str:
    """A catalog string with ``{placeholders}`` filled; the key itself when missing."""
    template = strings.get(key, key)
    try:
        return template.format(**values) if values else template
    except (KeyError, IndexError, ValueError):
        return template


def with_survey(
    strings: dict[str, dict[str, str]], questions: dict[str, str],
    reason_labels: dict[str, dict[str, str]], reasons: list[str],
) -> dict[str, dict[str, str]]:
    """Strings with a collector survey's questions and reason labels laid over them.

    A reason the catalogs do not know gets the survey's label in that language,
    else its English label, else the key itself.
    """
    english = reason_labels.get(FALLBACK, {})
    merged = {}
    for lang, catalog in strings.items():
        catalog = dict(catalog)
        if questions.get(lang):
            catalog["question"] = questions[lang]
        labels = reason_labels.get(lang, {})
        for key in reasons:
            name = f"reason_{key}"
            catalog[name] = labels.get(key) or catalog.get(name) or english.get(key) or key
        merged[lang] = catalog
    return merged
