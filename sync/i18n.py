"""Hymy's words: one TOML catalog per language, read by the kiosk and the dashboard.

``assets/i18n/<code>.toml`` holds everything a person reads in that language::

    language_name = "Svenska"    # the language picker, in the language itself
    locale = "sv_SE"             # Babel locale for numbers and dates (default: the code)
    [faces]                      # labels under the faces, shared by kiosk and dashboard
    [kiosk]                      # the kiosk's screens
    [dashboard]                  # the collector's web pages
    [digest]                     # the daily and weekly e-mail digests (over [dashboard])

``en.toml`` is the reference: every catalog has exactly its keys, with the same
``{placeholders}`` (``tests/sync/test_i18n_catalogs.py``).  A key missing from a
catalog falls back to English, then to the key itself.

The catalogs ship in the wheel inside ``kiosk/assets/i18n`` (``assets/`` is
the package ``kiosk.assets``); this module finds that folder by its path beside
``sync/`` and never imports ``kiosk`` or Kivy, so a collector installed without
Kivy reads the same files.  An extra folder named by ``HYMY_I18N_DIR`` adds
languages (or overrides keys of a shipped one) on an installed kiosk or
collector without a reinstall; it is read once per process, so restart after
adding a file.

Which face artwork each scale shows (:data:`FACE_ART`) is defined here too, so
kiosk and dashboard pair the same picture with the same label, and so are the
two number formats both show (:func:`number`, :func:`percent`, from Babel).
"""

from __future__ import annotations

import os
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.numbers import format_decimal, format_percent

from sync.assets import ASSETS

REFERENCE = "en"
SECTIONS = ("faces", "kiosk", "dashboard", "digest")
EXTRA_DIR_ENV = "HYMY_I18N_DIR"
#: The order of the language picker; codes not listed follow alphabetically.
PREFERRED_ORDER = ("fi", "sv", "en", "de")
#: Which artwork (face-N.png / face-N.svg) each scale uses, lowest score first.
FACE_ART: dict[int, tuple[int, ...]] = {5: (1, 2, 3, 4, 5), 4: (1, 2, 4, 5), 3: (1, 3, 5)}
_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_PLACEHOLDER = re.compile(r"{(\w*)[^{}]*}")


CATALOG_DIR = ASSETS / "i18n"


def catalog_dirs() -> tuple[Path, ...]:
    """The shipped catalogs, then ``$HYMY_I18N_DIR`` when set (its files win)."""
    extra = os.environ.get(EXTRA_DIR_ENV, "").strip()
    return (CATALOG_DIR, Path(extra).expanduser()) if extra else (CATALOG_DIR,)


def face_label_key(score: int, scale: int) -> str:
    """The ``[faces]`` key of the text under a face, e.g. ``face5_1`` ("Very dissatisfied")."""
    return f"face{scale}_{score}"


def placeholders(text: str) -> set[str]:
    """The ``str.format`` names in a string: ``{n} of {total}`` -> ``{"n", "total"}``."""
    return set(_PLACEHOLDER.findall(text))


@lru_cache(maxsize=64)
def _read_file(path: Path, mtime_ns: int) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def read(lang: str, directories: tuple[Path, ...] | None = None) -> dict[str, Any]:
    """One language's catalog as TOML data, later folders' files laid over earlier ones."""
    merged: dict[str, Any] = {}
    if not _CODE.match(lang):  # a code names a file: no paths, no "../"
        return merged
    for directory in directories or catalog_dirs():
        path = directory / f"{lang}.toml"
        if not path.is_file():
            continue
        for key, value in _read_file(path, path.stat().st_mtime_ns).items():
            if isinstance(value, dict):
                merged[key] = {**merged.get(key, {}), **value}
            else:
                merged[key] = value
    return merged


def strings(lang: str, part: str, directories: tuple[Path, ...] | None = None) -> dict[str, str]:
    """The flat strings one screen reads: top-level keys, ``[faces]`` and ``[part]``.

    Only what the catalog itself has; :func:`with_fallback` fills gaps from English.
    """
    data = read(lang, directories)
    flat = {key: str(value) for key, value in data.items() if not isinstance(value, dict)}
    for name in ("faces", part):
        flat.update({key: str(value) for key, value in data.get(name, {}).items()})
    return flat


def with_fallback(
    lang: str, part: str, directories: tuple[Path, ...] | None = None,
) -> dict[str, str]:
    """:func:`strings` with the reference (English) catalog filling any missing key."""
    return {**strings(REFERENCE, part, directories), **strings(lang, part, directories)}


def languages(part: str | None = None, directories: tuple[Path, ...] | None = None) -> list[str]:
    """Codes with a catalog (and with a ``[part]`` section, when given), picker order."""
    found = set()
    for directory in directories or catalog_dirs():
        if directory.is_dir():
            found |= {path.stem for path in directory.glob("*.toml") if _CODE.match(path.stem)}
    if part:
        found = {code for code in found if read(code, directories).get(part)}
    rank = {code: index for index, code in enumerate(PREFERRED_ORDER)}
    return sorted(found, key=lambda code: (rank.get(code, len(rank)), code))


def has_catalog(lang: str, directories: tuple[Path, ...] | None = None) -> bool:
    """Whether ``<lang>.toml`` exists in a catalog folder."""
    return bool(_CODE.match(lang)) and any(
        (directory / f"{lang}.toml").is_file() for directory in directories or catalog_dirs()
    )


def locale_name(lang: str, directories: tuple[Path, ...] | None = None) -> str:
    """The Babel locale for numbers and dates: the catalog's ``locale``, else the code."""
    return str(read(lang, directories).get("locale") or lang).replace("-", "_")


# Numbers -------------------------------------------------------------------


@lru_cache(maxsize=32)
def babel_locale(lang: str) -> Locale:
    """The catalog's Babel locale; the bare code, then British English, when Babel lacks it."""
    for name in (locale_name(lang), lang, "en_GB"):
        try:
            return Locale.parse(name)
        except (ValueError, LookupError):
            continue
    raise LookupError(lang)  # pragma: no cover - en_GB always exists


def round_half_up(value: float, decimals: int = 0) -> float:
    """Round the way people do (82.5 -> 83), not Python's banker's rounding.

    The input is the API's one-decimal figure, so the page and the JSON agree:
    a page never shows a number the API's own rounding would not give.
    """
    factor = 10**decimals
    # A tiny epsilon absorbs binary noise such as 82.49999999 for 82.5.
    return int(value * factor + (0.5 + 1e-9 if value >= 0 else -0.5 - 1e-9)) / factor


def number(value: float, lang: str, decimals: int = 0) -> str:
    """``12 345`` / ``12,345`` / ``12.345``; ``82,5`` / ``82.5``; minus as U+2212."""
    pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
    text = format_decimal(round_half_up(value, decimals), pattern, locale=babel_locale(lang))
    return _minus(text)


def percent(value: float, lang: str, decimals: int = 0) -> str:
    """A percentage (82.4 is 82.4 %) with its unit: ``82 %`` (fi, sv, de), ``82%`` (en)."""
    locale = babel_locale(lang)
    pattern = locale.percent_formats[None].pattern
    if decimals:  # "#,##0 %" -> "#,##0.0 %"
        pattern = pattern.replace("#,##0", "#,##0." + "0" * decimals, 1)
    return _minus(format_percent(round_half_up(value, decimals) / 100, pattern, locale=locale))


def _minus(text: str) -> str:
    """The real minus sign (U+2212) where a locale's data gives a hyphen-minus."""
    return text.replace("-", "\u2212")
