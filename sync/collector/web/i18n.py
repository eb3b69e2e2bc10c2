"""The dashboard's words and number formats, Finnish and English.

Every string a page shows comes from :data:`STRINGS`, one entry per key with
its ``fi`` and ``en`` text side by side, so a missing translation is visible in
review (and ``tests/collector/web/test_dashboard_i18n.py`` fails on one).  Placeholders use
``str.format`` names: ``t("responses_n", n=3)``.

Numbers follow each language's conventions: Finnish writes ``82 %`` with a
(non-breaking) space, a decimal comma and spaces between thousands; English
writes ``82%``, ``82.5`` and ``12,345``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

LANGUAGES = ("fi", "en")
DEFAULT = "fi"
NBSP = "\u00a0"

STRINGS: dict[str, dict[str, str]] = {
    # Chrome
    "app_name": {"fi": "Hymy", "en": "Hymy"},
    "app_tagline": {"fi": "Asiakastyytyväisyys", "en": "Customer satisfaction"},
    "nav_office": {"fi": "Ketjun näkymä", "en": "Chain overview"},
    "nav_stores": {"fi": "Myymälät", "en": "Stores"},
    "logout": {"fi": "Kirjaudu ulos", "en": "Log out"},
    "skip_to_content": {"fi": "Siirry sisältöön", "en": "Skip to content"},
    "language": {"fi": "Kieli", "en": "Language"},
    "role_staff": {"fi": "Myymälä", "en": "Store staff"},
    "role_office": {"fi": "Ketjun toimisto", "en": "Head office"},
    "role_admin": {"fi": "Ylläpitäjä", "en": "Administrator"},
    "footer": {
        "fi": "CSAT = kahden parhaan kasvon osuus vastauksista. Väli on 95\u00a0% Wilsonin "
        "luottamusväli: pienellä vastausmäärällä todellinen arvo voi olla missä tahansa "
        "sen sisällä.",
        "en": "CSAT = share of responses in the top two faces. The range is a 95% Wilson "
        "confidence interval: with few responses the true value can be anywhere inside it.",
    },
    # Login
    "login_title": {"fi": "Kirjaudu sisään", "en": "Sign in"},
    "login_lead": {
        "fi": "Liitä saamasi käyttötunniste (token). Myymälän tunnisteella näet oman "
        "myymäläsi, toimiston tunnisteella koko ketjun.",
        "en": "Paste the access token you were given. A store token shows your store, "
        "an office token the whole chain.",
    },
    "token": {"fi": "Käyttötunniste", "en": "Access token"},
    "login_button": {"fi": "Kirjaudu", "en": "Sign in"},
    "login_failed": {
        "fi": "Tunniste ei kelpaa. Tarkista, että kopioit sen kokonaan (alkaa hymy_).",
        "en": "That token is not valid. Check that you copied all of it (it starts with hymy_).",
    },
    "login_kiosk_token": {
        "fi": "Tämä on kioskin tunniste. Kirjaudu henkilökunnan tai toimiston tunnisteella.",
        "en": "This is a kiosk token. Sign in with a staff or office token.",
    },
    "login_throttled": {
        "fi": "Liian monta epäonnistunutta yritystä. Odota {minutes} min ja yritä uudelleen.",
        "en": "Too many failed attempts. Wait {minutes} min and try again.",
    },
    "csrf_failed": {
        "fi": "Lomake vanhentui. Lataa sivu uudelleen ja yritä uudelleen.",
        "en": "The form expired. Reload the page and try again.",
    },
    "logged_out": {"fi": "Olet kirjautunut ulos.", "en": "You have signed out."},
    "session_expired": {
        "fi": "Istunto päättyi. Kirjaudu uudelleen.",
        "en": "Your session ended. Please sign in again.",
    },
    # Period picker
    "period": {"fi": "Aikaväli", "en": "Period"},
    "from": {"fi": "Alkaen", "en": "From"},
    "to": {"fi": "Päättyen", "en": "To"},
    "apply": {"fi": "Näytä", "en": "Show"},
    "preset_today": {"fi": "Tänään", "en": "Today"},
    "preset_7": {"fi": "7 pv", "en": "7 days"},
    "preset_30": {"fi": "30 pv", "en": "30 days"},
    "preset_90": {"fi": "90 pv", "en": "90 days"},
    "preset_365": {"fi": "12 kk", "en": "12 months"},
    "bad_period": {
        "fi": "Aikaväli ei kelpaa: anna päivät muodossa VVVV-KK-PP, alku ennen loppua, "
        "enintään {days} päivää.",
        "en": "That period does not work: give dates as YYYY-MM-DD, start before end, "
        "at most {days} days.",
    },
    # KPI cards
    "today": {"fi": "Tänään", "en": "Today"},
    "selected_period": {"fi": "Valittu aikaväli", "en": "Selected period"},
    "csat": {"fi": "CSAT", "en": "CSAT"},
    "happy_index": {"fi": "Happy Index", "en": "Happy Index"},
    "happy_index_help": {
        "fi": "Kasvot asteikolla 0–100 tasavälein, keskiarvo (HappyOrNot-tyyli).",
        "en": "Faces mapped to 0–100 in equal steps, averaged (HappyOrNot style).",
    },
    "ci": {"fi": "95\u00a0% luottamusväli {low}–{high}", "en": "95% CI {low}–{high}"},
    "responses_n": {"fi": "{n} vastausta", "en": "{n} responses"},
    "responses_1": {"fi": "1 vastaus", "en": "1 response"},
    "responses": {"fi": "Vastauksia", "en": "Responses"},
    "no_responses": {"fi": "Ei vastauksia", "en": "No responses"},
    "no_responses_yet": {
        "fi": "Ei vielä vastauksia tänään.",
        "en": "No responses yet today.",
    },
    "suppressed_n": {
        "fi": "{n} liian nopeaa painallusta ei laskettu",
        "en": "{n} too-quick taps not counted",
    },
    "vs_baseline": {"fi": "vs. 28 pv taso {value}", "en": "vs 28-day baseline {value}"},
    "pp": {"fi": "{value} %-yks.", "en": "{value} pts"},
    "per_day": {"fi": "Ø {n} päivässä", "en": "Ø {n} per day"},
    "baseline_28": {"fi": "28 päivän taso", "en": "28-day baseline"},
    "trend": {"fi": "CSAT päivittäin", "en": "Daily CSAT"},
    "trend_lead": {
        "fi": "Varjostus on 95\u00a0% luottamusväli. Napsauta päivää nähdäksesi sen tunnit.",
        "en": "The shaded band is the 95% confidence interval. Click a day to open it.",
    },
    "chain_trend": {"fi": "Koko ketjun CSAT päivittäin", "en": "Chain-wide daily CSAT"},
    "distribution": {"fi": "Vastaukset kasvoittain", "en": "Responses by face"},
    "heatmap": {"fi": "Viikonpäivä × kellonaika", "en": "Weekday × hour"},
    "heatmap_lead": {
        "fi": "CSAT tunneittain. Tyhjä ruutu: alle {n} vastausta.",
        "en": "CSAT by hour of day. Empty cell: fewer than {n} responses.",
    },
    "heatmap_empty": {"fi": "alle {n} vastausta", "en": "under {n} responses"},
    "reasons": {"fi": "Yleisimmät syyt", "en": "Top reasons"},
    "reasons_lead": {
        "fi": "Jatkokysymyksen vastaukset: määrä ja osuus kaikista syistä.",
        "en": "Answers to the follow-up question: count and share of all reasons.",
    },
    "no_reasons": {"fi": "Ei jatkokysymyksen vastauksia.", "en": "No follow-up answers."},
    "reason": {"fi": "Syy", "en": "Reason"},
    "share": {"fi": "Osuus", "en": "Share"},
    "kiosks": {"fi": "Kioskit", "en": "Kiosks"},
    "kiosk": {"fi": "Kioski", "en": "Kiosk"},
    "last_seen": {"fi": "Viimeksi yhteydessä", "en": "Last seen"},
    "pending": {"fi": "Lähettä\u00admättä", "en": "Pending"},
    "seq_gaps": {"fi": "Puuttuvat", "en": "Missing"},
    "version": {"fi": "Versio", "en": "Version"},
    "status": {"fi": "Tila", "en": "Status"},
    "status_ok": {"fi": "Kunnossa", "en": "OK"},
    "status_silent": {"fi": "Hiljaa", "en": "Silent"},
    "status_gaps": {"fi": "Puuttuu vastauksia", "en": "Missing taps"},
    "status_never": {"fi": "Ei koskaan", "en": "Never"},
    "kiosk_help": {
        "fi": "Lähettämättä: kioskin ilmoittamat vastaukset, joita se ei ole vielä lähettänyt. "
        "Puuttuvat: järjestysnumerot, joita ei ole koskaan saapunut.",
        "en": "Pending: taps the kiosk reports it has not sent yet. Missing: sequence "
        "numbers that never arrived.",
    },
    "incidents": {"fi": "{n} kertaa {hours} h aikana", "en": "{n} times in {hours} h"},
    "no_kiosks": {"fi": "Myymälällä ei ole kioskeja.", "en": "This store has no kiosks."},
    "daily_table": {"fi": "Päivät", "en": "Days"},
    "date": {"fi": "Päivä", "en": "Date"},
    "interval": {"fi": "95\u00a0% väli", "en": "95% CI"},
    "open_day": {"fi": "Avaa päivä {date}", "en": "Open {date}"},
    # Day page
    "day_title": {"fi": "{store} – {date}", "en": "{store} – {date}"},
    "back_to_store": {"fi": "Takaisin myymälään", "en": "Back to store"},
    "previous_day": {"fi": "Edellinen päivä", "en": "Previous day"},
    "next_day": {"fi": "Seuraava päivä", "en": "Next day"},
    "hourly": {"fi": "Vastaukset tunneittain", "en": "Responses by hour"},
    "hourly_lead": {
        "fi": "Pylvään korkeus on vastausten määrä, sininen osa tyytyväiset; luku pylvään "
        "päällä on tunnin CSAT.",
        "en": "Bar height is the number of responses, the blue part the satisfied ones; the "
        "number on top is the hour's CSAT.",
    },
    "legend_satisfied": {"fi": "Tyytyväiset (lasketaan CSAT:iin)", "en": "Satisfied (count "
                         "towards CSAT)"},
    "legend_other": {"fi": "Muut vastaukset", "en": "Other responses"},
    "local_day": {"fi": "Myymälän paikallinen päivä ({zone})",
                  "en": "Store-local day ({zone})"},
    "hour": {"fi": "Tunti", "en": "Hour"},
    "per_kiosk": {"fi": "Kioskeittain", "en": "By kiosk"},
    # Office page
    "office_title": {"fi": "Ketjun näkymä", "en": "Chain overview"},
    "chain": {"fi": "Koko ketju", "en": "Whole chain"},
    "stores_n": {"fi": "{n} myymälää", "en": "{n} stores"},
    "ranking": {"fi": "Myymälät järjestyksessä", "en": "Store ranking"},
    "ranking_rule": {
        "fi": "Järjestys: Wilsonin luottamusvälin alaraja (varovainen arvio CSAT:sta), "
        "jotta pieni otos ei nouse kärkeen sattumalta. Alle {n} vastauksen myymälöitä ei "
        "järjestetä.",
        "en": "Ranked by the lower bound of the Wilson interval (a cautious CSAT estimate), "
        "so a small sample cannot top the list by luck. Stores with fewer than {n} "
        "responses are not ranked.",
    },
    "rank": {"fi": "Sija", "en": "Rank"},
    "store": {"fi": "Myymälä", "en": "Store"},
    "too_few": {"fi": "Liian vähän vastauksia", "en": "Too few responses"},
    "unranked": {"fi": "Ei sijoitusta", "en": "Not ranked"},
    "alerts": {"fi": "Hälytykset", "en": "Alerts"},
    "alerts_none": {
        "fi": "Ei hälytyksiä. Kaikki säännöt ovat kunnossa.",
        "en": "No alerts. Every rule is within bounds.",
    },
    "alerts_rules": {"fi": "Säännöt", "en": "Rules"},
    "alerts_more": {"fi": "Näytä loput {n}", "en": "Show {n} more"},
    "ranking_legend": {
        "fi": "Piste = CSAT, palkki = 95\u00a0% luottamusväli, katkoviiva = koko ketjun CSAT. "
        "Jos kahden myymälän palkit menevät päällekkäin, ero voi olla sattumaa.",
        "en": "Dot = CSAT, bar = 95% confidence interval, dashed line = the chain's CSAT. "
        "When two stores' bars overlap, the difference may be chance.",
    },
    "rule_silent": {
        "fi": "Kioski on ollut hiljaa yli {hours} h aukioloaikana (aukioloaika päätellään "
        "tunneista, joina myymälä on saanut vastauksia samana viikonpäivänä 4 viikon aikana).",
        "en": "A kiosk has been silent for more than {hours} h during opening hours (opening "
        "hours are inferred from the hours the store got responses on the same weekday in "
        "the last 4 weeks).",
    },
    "rule_burst": {
        "fi": "Vähintään {share} vastauksista tyytymättömiä {minutes} minuutin sisällä, "
        "vähintään {n} vastausta, viimeisen {hours} h "
        "aikana.",
        "en": "At least {share} of responses unhappy within {minutes} minutes, with at least "
        "{n} responses, in the last {hours} h.",
    },
    "rule_baseline": {
        "fi": "Jakson CSAT:n luottamusvälin yläraja on alle myymälän oman 28 päivän tason "
        "(jaksoa edeltävät 28 päivää): ero ei selity sattumalla.",
        "en": "The upper bound of the period's CSAT interval is below the store's own "
        "28-day baseline (the 28 days before the period): chance does not explain the gap.",
    },
    "alert_silent": {
        "fi": "Kioski {kiosk} hiljaa {hours} h",
        "en": "Kiosk {kiosk} silent for {hours} h",
    },
    "alert_silent_detail": {
        "fi": "Viimeksi yhteydessä {when}. Tarkista virta ja verkko.",
        "en": "Last seen {when}. Check its power and network.",
    },
    "alert_burst": {
        "fi": "{unhappy}/{n} tyytymättömiä {minutes} min sisällä",
        "en": "{unhappy} of {n} unhappy within {minutes} min",
    },
    "alert_burst_detail": {"fi": "{start}–{end}", "en": "{start}–{end}"},
    "alert_baseline": {
        "fi": "CSAT {csat}, selvästi alle oman tason {baseline}",
        "en": "CSAT {csat}, clearly below its own baseline {baseline}",
    },
    "alert_baseline_detail": {
        "fi": "Jakson väli {low}–{high}, {n}.",
        "en": "Period interval {low}–{high}, {n}.",
    },
    "export": {"fi": "Vienti", "en": "Export"},
    "export_lead": {
        "fi": "CSV-tiedostot valitulta aikaväliltä (UTF-8, pilkuin erotettu).",
        "en": "CSV files for the selected period (UTF-8, comma separated).",
    },
    "export_ratings": {"fi": "Kaikki vastaukset (CSV)", "en": "All ratings (CSV)"},
    "export_daily": {"fi": "Päiväluvut (CSV)", "en": "Daily numbers (CSV)"},
    # Errors
    "forbidden_title": {"fi": "Ei oikeuksia", "en": "Not allowed"},
    "forbidden": {
        "fi": "Tunnisteellasi ei voi avata tätä sivua. Myymälän henkilökunta näkee vain "
        "oman myymälänsä.",
        "en": "Your token cannot open this page. Store staff see only their own store.",
    },
    "not_found_title": {"fi": "Ei löytynyt", "en": "Not found"},
    "not_found": {"fi": "Myymälää tai sivua ei ole.", "en": "There is no such store or page."},
    "go_home": {"fi": "Etusivulle", "en": "Go to the start page"},
    # Relative time
    "just_now": {"fi": "juuri nyt", "en": "just now"},
    "minutes_ago": {"fi": "{n} min sitten", "en": "{n} min ago"},
    "hours_ago": {"fi": "{n} h sitten", "en": "{n} h ago"},
    "days_ago": {"fi": "{n} pv sitten", "en": "{n} days ago"},
    # Faces
    "face5_1": {"fi": "Erittäin tyytymätön", "en": "Very dissatisfied"},
    "face5_2": {"fi": "Tyytymätön", "en": "Dissatisfied"},
    "face5_3": {"fi": "Neutraali", "en": "Neutral"},
    "face5_4": {"fi": "Tyytyväinen", "en": "Satisfied"},
    "face5_5": {"fi": "Erittäin tyytyväinen", "en": "Very satisfied"},
    "face4_1": {"fi": "Erittäin tyytymätön", "en": "Very dissatisfied"},
    "face4_2": {"fi": "Tyytymätön", "en": "Dissatisfied"},
    "face4_3": {"fi": "Tyytyväinen", "en": "Satisfied"},
    "face4_4": {"fi": "Erittäin tyytyväinen", "en": "Very satisfied"},
    "face3_1": {"fi": "Tyytymätön", "en": "Dissatisfied"},
    "face3_2": {"fi": "Neutraali", "en": "Neutral"},
    "face3_3": {"fi": "Tyytyväinen", "en": "Satisfied"},
}

WEEKDAYS = {
    "fi": ("ma", "ti", "ke", "to", "pe", "la", "su"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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

    def __init__(self, lang: str, strings: Mapping[str, Mapping[str, str]] = STRINGS) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self.strings = strings

    def __call__(self, key: str, **values: object) -> str:
        entry = self.strings.get(key)
        if entry is None:
            return key
        text = entry.get(self.lang) or entry.get("en") or key
        return text.format(**values) if values else text

    # Numbers ---------------------------------------------------------------

    def number(self, value: float | int | None, decimals: int = 0) -> str:
        """``12 345`` / ``12,345``; ``82,4`` / ``82.4``; an en dash for no value."""
        if value is None:
            return "–"
        text = f"{value:,.{decimals}f}"
        if self.lang == "fi":
            text = text.replace(",", NBSP).replace(".", ",")
        return text.replace("-", "−")

    def pct(self, value: float | None, decimals: int = 0) -> str:
        """A percentage with its unit: ``82 %`` in Finnish, ``82%`` in English."""
        if value is None:
            return "–"
        number = self.number(round_half_up(value, decimals), decimals)
        return f"{number}{NBSP}%" if self.lang == "fi" else f"{number}%"

    def pct_range(self, low: float | None, high: float | None) -> str:
        """``78–86 %`` / ``78–86%``: an interval with one unit."""
        if low is None or high is None:
            return "–"
        lo = self.number(round_half_up(low))
        hi = self.number(round_half_up(high))
        return f"{lo}–{hi}{NBSP}%" if self.lang == "fi" else f"{lo}–{hi}%"

    def ci(self, low: float | None, high: float | None) -> str:
        """``95 % luottamusväli 78–86 %`` / ``95% CI 78–86%``."""
        if low is None or high is None:
            return ""
        lo = self.number(round_half_up(low))
        hi = self.pct(high)
        return self("ci", low=lo, high=hi)

    def points(self, value: float | None) -> str:
        """A signed difference in percentage points: ``−3 %-yks.`` / ``+2 pts``."""
        if value is None:
            return "–"
        rounded = round_half_up(value)
        sign = "+" if rounded > 0 else "±" if rounded == 0 else ""
        return self("pp", value=sign + self.number(rounded))

    def responses(self, n: int) -> str:
        """``1 vastaus`` / ``240 vastausta``, ``1 response`` / ``240 responses``."""
        return self("responses_1") if n == 1 else self("responses_n", n=self.number(n))

    def index(self, value: float | None) -> str:
        """A Happy Index: ``74 / 100``."""
        if value is None:
            return "–"
        return f"{self.number(round_half_up(value))}{NBSP}/{NBSP}100"

    # Dates -----------------------------------------------------------------

    def weekday(self, index: int) -> str:
        """Short weekday name, Monday = 0."""
        return WEEKDAYS[self.lang][index]

    def day(self, value: date | str, weekday: bool = False, year: bool = True) -> str:
        """``ma 3.3.2025`` / ``Mon 3 Mar 2025`` (weekday and year optional)."""
        if isinstance(value, str):
            value = date.fromisoformat(value)
        if self.lang == "fi":
            text = f"{value.day}.{value.month}." + (str(value.year) if year else "")
        else:
            text = f"{value.day} {MONTHS_EN[value.month - 1]}" + (f" {value.year}" if year else "")
        if weekday:
            text = f"{self.weekday(value.weekday())} {text}"
        return text

    def time(self, moment: datetime) -> str:
        """``14.05`` / ``14:05``."""
        sep = "." if self.lang == "fi" else ":"
        return f"{moment.hour:02d}{sep}{moment.minute:02d}"

    def hour(self, hour: int) -> str:
        """An hour-of-day label: ``14``."""
        return f"{hour:02d}" if self.lang == "fi" else f"{hour}"

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


def round_half_up(value: float, decimals: int = 0) -> float:
    """Round the way people do (82.5 -> 83), not Python's banker's rounding.

    The input is the API's one-decimal figure, so the page and the JSON agree:
    a page never shows a number the API's own rounding would not give.
    """
    factor = 10**decimals
    # A tiny epsilon absorbs binary noise such as 82.49999999 for 82.5.
    return int(value * factor + (0.5 + 1e-9 if value >= 0 else -0.5 - 1e-9)) / factor
