"""The kiosk's words: the ``[faces]`` and ``[kiosk]`` parts of the shared catalogs.

Every string the shopper or the staff sees comes from ``assets/i18n/<code>.toml``
(``fi.toml``, ``sv.toml``, ``en.toml``...), the same files the dashboard reads,
through :mod:`sync.i18n` (which also reads an extra folder named by
``HYMY_I18N_DIR``).  A key missing from one catalog falls back to the English
text, then to the key itself, so a half-translated catalog never shows an empty
button.  The store's own question (``questions`` in the kiosk config) overrides
the catalog's ``question``.

No Kivy here: the catalogs are loaded and tested without a display.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.config import ASSETS
from sync import i18n as catalogs
from sync.i18n import FACE_ART, face_label_key

__all__ = [
    "CATALOG_DIR", "FACE_ART", "face_image", "face_label_key", "load_strings", "read_catalog",
    "text", "with_survey",
]

CATALOG_DIR = catalogs.CATALOG_DIR
FALLBACK = catalogs.REFERENCE


def _dirs(directory: Path | None) -> tuple[Path, ...] | None:
    return (directory,) if directory is not None else None


def read_catalog(lang: str, directory: Path | None = None) -> dict[str, str]:
    """One language's kiosk strings (top-level keys, faces, kiosk) as a flat dict."""
    return catalogs.strings(lang, "kiosk", _dirs(directory))


def load_strings(
    languages: list[str], questions: dict[str, str] | None = None,
    directory: Path | None = None, kind: str = "csat",
) -> dict[str, dict[str, str]]:
    """Strings for each language, English filling any gaps, the store's question on top.

    ``kind`` (csat, nps, ces) picks the catalog's question and the scale's end labels.
    """
    fallback = read_catalog(FALLBACK, directory)
    strings = {}
    for lang in languages:
        merged = {**fallback, **read_catalog(lang, directory)}
        if kind != "csat":
            merged["question"] = merged.get(f"{kind}_question", merged["question"])
        merged["scale_low"] = merged.get(f"{kind}_low", "")
        merged["scale_high"] = merged.get(f"{kind}_high", "")
        if questions and questions.get(lang):
            merged["question"] = questions[lang]
        strings[lang] = merged
    return strings


def face_image(score: int, scale: int) -> Path:
    """The artwork for ``score`` on a ``scale``-face kiosk (shape and colour both vary)."""
    return ASSETS / "faces" / f"face-{FACE_ART[scale][score - 1]}.png"


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
    texts: dict[str, dict[str, str]] | None = None,
) -> dict[str, dict[str, str]]:
    """Strings with a collector survey's questions and reason labels laid over them.

    A reason the catalogs do not know gets the survey's label in that language,
    else its English label, else the key itself.  ``texts`` lays more of the
    survey's words over their strings: ``{"scale_low": {"fi": ...}, ...}``.
    """
    english = reason_labels.get(FALLBACK, {})
    merged = {}
    for lang, catalog in strings.items():
        catalog = dict(catalog)
        for key, by_lang in {"question": questions, **(texts or {})}.items():
            if by_lang.get(lang):
                catalog[key] = by_lang[lang]
        labels = reason_labels.get(lang, {})
        for key in reasons:
            name = f"reason_{key}"
            catalog[name] = labels.get(key) or catalog.get(name) or english.get(key) or key
        merged[lang] = catalog
    return merged
