"""The dashboard's words and number formats, in every language with a catalog.

The strings are the ``[faces]`` and ``[dashboard]`` sections of the shared
catalogs in ``assets/i18n/<code>.toml`` (read by :mod:`sync.i18n`, the same
files the kiosk reads); a key a catalog lacks falls back to English.
Placeholders use ``str.format`` names: ``t("responses_n", n=3)``.

Numbers and dates come from Babel in the catalog's ``locale``: Finnish and
Swedish write ``82 %`` (non-breaking space), ``82,5`` and ``12 345``; German
``82 %``, ``82,5`` and ``12.345``; English ``82%``, ``82.5`` and ``12,345``.
Negative numbers use the real minus sign (U+2212) in every language.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from babel.dates import format_skeleton, format_timedelta, get_day_names
from babel.numbers import format_decimal
from babel.units import format_unit

from sync import i18n as catalogs
from sync.i18n import round_half_up

__all__ = ["DEFAULT", "LANGUAGES", "Translator", "pick", "round_half_up"]

#: Languages with a dashboard: every catalog that has a ``[dashboard]`` section
#: (the shipped fi, sv, en, de plus any in ``$HYMY_I18N_DIR``), picker order.
LANGUAGES = tuple(catalogs.languages("dashboard"))
DEFAULT = "fi" if "fi" in LANGUAGES else catalogs.REFERENCE
NBSP = "\u00a0"
#: Byte units, largest first: (bytes in one, Babel's unit, its number pattern).
BYTE_UNITS = ((10**9, "digital-gigabyte", "#,##0.#"), (10**6, "digital-megabyte", "#,##0.#"),
              (10**3, "digital-kilobyte", "#,##0"), (1, "digital-byte", "#,##0"))


@lru_cache(maxsize=32)
def _strings(lang: str) -> dict[str, str]:
    return catalogs.with_fallback(lang, "dashboard")


def pick(requested: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The page language: ``?lang=``, then the cookie, then Accept-Language, then Finnish."""
    for candidate in (requested, cookie):
        if candidate in LANGUAGES:
            return candidate
    for lang in _accepted(accept_language or ""):
        if lang in LANGUAGES:
            return lang
    return DEFAULT


def _accepted(header: str) -> list[str]:
    """Primary language tags of an Accept-Language header, best first."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            weighted.append((-quality, position, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(weighted)]


class Translator:
    """Strings and number formats for one language; templates call it as ``t``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self.strings = _strings(self.lang)
        self.locale = catalogs.babel_locale(self.lang)

    def __call__(self, key: str, **values: object) -> str:
        text = self.strings.get(key, key)
        return text.format(**values) if values else text

    def plural(self, stem: str, n: int, **values: object) -> str:
        """``stem_0`` / ``stem_1`` for none and one where a catalog has them, else
        ``stem_n`` (or ``stem`` itself): "1 store", "Jaksolla ei hälytyksiä", "12 stores";
        ``n`` formatted."""
        other = f"{stem}_n" if f"{stem}_n" in self.strings else stem
        key = next((f"{stem}_{n}" for k in (0, 1) if n == k and f"{stem}_{n}" in self.strings),
                   other)
        return self(key, n=self.number(n), **values)

    # Numbers ---------------------------------------------------------------

    def number(self, value: float | int | None, decimals: int = 0) -> str:
        """``12 345`` / ``12,345``; ``82,4`` / ``82.4``; an en dash for no value."""
        if value is None:
            return "–"
        return catalogs.number(value, self.lang, decimals)

    def pct(self, value: float | None, decimals: int = 0) -> str:
        """A percentage with its unit: ``82 %`` in Finnish, ``82%`` in English."""
        if value is None:
            return "–"
        return catalogs.percent(value, self.lang, decimals)

    def pct_range(self, low: float | None, high: float | None) -> str:
        """``78–86 %`` / ``78–86%``: an interval with one unit."""
        if low is None or high is None:
            return "–"
        return f"{self.number(low)}–{self.pct(high)}"

    def ci(self, low: float | None, high: float | None) -> str:
        """``95 % luottamusväli 78–86 %`` / ``95% CI 78–86%``."""
        if low is None or high is None:
            return ""
        return self("ci", low=self.number(low), high=self.pct(high))

    def points(self, value: float | None) -> str:
        """A signed difference in percentage points: ``−3 %-yks.`` / ``+2 pts``."""
        if value is None:
            return "–"
        rounded = round_half_up(value)
        sign = "+" if rounded > 0 else "±" if rounded == 0 else ""
        return self("pp", value=sign + self.number(rounded))

    def points_between(self, value: float, baseline: float) -> str:
        """:meth:`points` from ``baseline`` to ``value`` as the reader sees them: the
        difference of the two rounded percentages, so "74% vs 73%" reads "+1 pts",
        never "±0 pts" (73.6 - 73.4)."""
        return self.points(round_half_up(value) - round_half_up(baseline))

    def responses(self, n: int) -> str:
        """``1 vastaus`` / ``240 vastausta``, ``1 response`` / ``240 responses``."""
        return self.plural("responses", n)

    def index(self, value: float | None) -> str:
        """A Happy Index: ``74 / 100``."""
        if value is None:
            return "–"
        return f"{self.number(value)}{NBSP}/{NBSP}100"

    def bytes(self, value: int | None) -> str:
        """A size in decimal units, as disks are sold: ``21,4 Gt`` / ``21.4 GB``, ``310 MB``;
        the number and its unit never part (a non-breaking space, as German has)."""
        if value is None:
            return "–"
        size, unit, pattern = next(u for u in BYTE_UNITS if value >= u[0] or u[0] == 1)
        return format_unit(value / size, unit, length="short", format=pattern,
                           locale=self.locale).replace(" ", NBSP)

    # Dates -----------------------------------------------------------------

    def duration(self, seconds: float | None) -> str:
        """A length of time, roughly: ``5 t`` / ``5 hr``, ``4 vk`` / ``4 wks``."""
        if seconds is None:
            return "–"
        return format_timedelta(timedelta(seconds=seconds), threshold=2, format="short",
                                locale=self.locale)

    def weekday(self, index: int) -> str:
        """Short weekday name, Monday = 0: ``ma``, ``mån``, ``Mon``, ``Mo``."""
        return get_day_names("abbreviated", "stand-alone", self.locale)[index]

    def day(self, value: date | str, weekday: bool = False, year: bool = True) -> str:
        """``ma 3.3.2025`` / ``Mon, 3 Mar 2025`` / ``Mo., 3. März 2025``; weekday, year optional."""
        if isinstance(value, str):
            value = date.fromisoformat(value)
        skeleton = ("y" if year else "") + "MMM" + ("E" if weekday else "") + "d"
        return format_skeleton(skeleton, value, locale=self.locale)

    def time(self, moment: datetime, seconds: bool = False) -> str:
        """``14.05`` / ``14:05``; with ``seconds``, ``14.05.09`` / ``14:05:09``."""
        return format_skeleton("Hms" if seconds else "Hm", moment, locale=self.locale)

    def hour(self, hour: int) -> str:
        """An hour-of-day label: ``09``, ``14``."""
        return format_decimal(hour, "00", locale=self.locale)

    def ago(self, seconds: float | None) -> str:
        """``5 min sitten`` / ``5 min ago``; never for no value."""
        if seconds is None:
            return self("status_never")
        if seconds < 90:
            return self("just_now")
        if seconds < 3600 * 1.5:
            return self("minutes_ago", n=round(seconds / 60))
        if seconds < 86400 * 2:
            return self("hours_ago", n=round(seconds / 3600))
        return self("days_ago", n=round(seconds / 86400))
