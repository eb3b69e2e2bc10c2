"""A store's daily digest lists the alerts the alert system raised, not a rule of its own.

A user trial found the digest's "Alerts" section running HappyOrNot's burst
rule by itself while the alert log (the chain's rules, ``HYMY_ALERT_RULES``)
had raised other alerts or none.  The chain's weekly digest lists the week's
alerts of every store the same way, each store's week on its own clock.  Here
the alert log's rows are written with its own SQL
(:mod:`sync.collector.db.alertlog`) on a real database of either backend, and
the digest goes through a real SMTP server.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sync.clock import format_utc
from sync.collector.db import alertlog as sql
from sync.collector.db.storage import NotFound, Storage
from sync.collector.notify.digest import Words, compose_daily, compose_weekly
from sync.collector.notify.schedule import send_due
from sync.collector.settings import Settings
from tests.support.smtp import smtp_server

DAY = "2026-12-01"  # Helsinki is UTC+2 in December: the day is 30 Nov 22:00Z to 1 Dec 22:00Z
SITE = "https://hymy.example.com"
EN = Words("en")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def rate(at: str, unhappy: int) -> str:
    """A rate alert's numbers, as the evaluator stores them."""
    end = utc(at)
    return json.dumps({"at": format_utc(end), "start": format_utc(end - timedelta(minutes=15)),
                       "end": format_utc(end), "minutes": 15, "responses": 9,
                       "unhappy": unhappy, "expected": 0.8, "level": 1.0, "tail": 1e-5})


def silent(at: str, kiosk: str) -> str:
    """A silent kiosk's numbers: heard from last at ``at``."""
    return json.dumps({"at": format_utc(utc(at)), "hours": 3, "kiosk_id": kiosk,
                       "silent_s": 3 * 3600})


def log_alert(storage: Storage, key: tuple[str, str, str | None], data: str, opened: str,
              closed: str | None = None, acked: str | None = None) -> int:
    """One alert-log row opened (and closed, acknowledged) at the given UTC instants."""
    with storage.db.transaction(serialize=True) as conn:
        row = sql.insert_open(conn, key, 1, data, format_utc(utc(opened)))
        assert row is not None
        if acked:
            sql.acknowledge(conn, row["id"], acked, "seen", format_utc(utc(opened)))
        if closed:
            sql.close(conn, row["id"], format_utc(utc(closed)))
    return row["id"]


@pytest.fixture
def logged(chain_storage) -> tuple[Storage, dict[str, int]]:
    """Kamppi (Helsinki) and Soho (New York) with alert-log rows around DAY."""
    storage = chain_storage({"hki-kamppi": "Europe/Helsinki", "nyc-soho": "America/New_York"})
    kamppi, kiosk = "hki-kamppi", "hki-kamppi-k"
    ids = {
        # 00:30 local on DAY (22:30 UTC the day before), still open.
        "half_past_midnight": log_alert(storage, ("rate", kamppi, ""),
                                        rate("2026-11-30T22:30", 5), "2026-11-30T22:30"),
        # The day before, 10:00-22:00 local: over before DAY began.
        "day_before": log_alert(storage, ("silent", kamppi, kiosk),
                                silent("2026-11-30T05:00", kiosk), "2026-11-30T08:00",
                                closed="2026-11-30T20:00"),
        # Opened the day before at 21:00 local, closed at 01:00 local on DAY, acknowledged.
        "overnight": log_alert(storage, ("rate", kamppi, "x"), rate("2026-11-30T19:00", 4),
                               "2026-11-30T19:00", closed="2026-11-30T23:00",
                               acked="Anna (staff)"),
        # 12:00-13:00 local on DAY, closed, nobody acknowledged it.
        "noon": log_alert(storage, ("rate", kamppi, "z"), rate("2026-12-01T10:00", 3),
                          "2026-12-01T10:00", closed="2026-12-01T11:00"),
        # An unhappy burst (a rule HYMY_ALERT_RULES may name) at 14:00 local, still open.
        "burst": log_alert(storage, ("burst", kamppi, None), json.dumps(
            {"at": "2026-12-01T12:00:00Z", "start": "2026-12-01T11:45:00Z",
             "end": "2026-12-01T12:00:00Z", "unhappy": 3, "responses": 6, "incidents": 1}),
            "2026-12-01T12:00"),
        # 23:30 local on DAY, acknowledged and still open.
        "late": log_alert(storage, ("silent", kamppi, kiosk), silent("2026-12-01T18:00", kiosk),
                          "2026-12-01T21:30", acked="Head office (office)"),
        # 00:10 local the day after DAY (still 1 Dec in UTC).
        "day_after": log_alert(storage, ("rate", kamppi, "y"), rate("2026-12-01T22:10", 7),
                               "2026-12-01T22:10"),
        # Another store's alert in the middle of DAY.
        "other_store": log_alert(storage, ("rate", "nyc-soho", ""), rate("2026-12-01T12:00", 6),
                                 "2026-12-01T12:00"),
    }
    return storage, ids


def alert_lines(text: str) -> list[str]:
    """The plain-text part's Alerts section, line by line."""
    section = text.split("\nAlerts\n", 1)[1].split("\n\n", 1)[0]
    return section.splitlines()


def test_the_daily_digest_lists_the_alert_logs_alerts_of_the_store_local_day(logged):
    storage, ids = logged
    storage.add_digest_recipient("hki-kamppi", "manager@example.com", "en")
    staff, office = EN("role_staff"), EN("role_office")
    with smtp_server() as box:
        sent = Settings(smtp_url=box.url, mail_from="hymy@example.com", public_url=SITE + "/")
        assert send_due(storage, sent, utc("2026-12-02T05:30")) == 1  # 07:30 in Helsinki
        [message] = box.wait(1)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert alert_lines(text) == [  # in the order they opened
        f"  - 30 Nov 21:00 · 4 unhappy in the last 15\u00a0min · closed,"
        f" acknowledged by Anna ({staff})",
        f"    {SITE}/alerts/{ids['overnight']}",
        "  - 00:30 · 5 unhappy in the last 15\u00a0min · open",
        f"    {SITE}/alerts/{ids['half_past_midnight']}",
        "  - 12:00 · 3 unhappy in the last 15\u00a0min · closed",
        f"    {SITE}/alerts/{ids['noon']}",
        "  - 14:00 · 3 of 6 unhappy within 15\u00a0min · open",
        f"    {SITE}/alerts/{ids['burst']}",
        f"  - 23:30 · Kiosk hki-kamppi-k silent since 1 Dec 2026 20:00 EET"
        f" · acknowledged by Head office ({office})",
        f"    {SITE}/alerts/{ids['late']}",
    ]
    for gone in ("day_before", "day_after", "other_store"):
        assert f"/alerts/{ids[gone]}\n" not in text and f"/alerts/{ids[gone]}\"" not in html
    assert "· 6 unhappy" not in text and "· 7 unhappy" not in text
    for line in ("00:30 · 5 unhappy in the last 15\u00a0min · open",
                 f"30 Nov 21:00 · 4 unhappy in the last 15\u00a0min · closed, acknowledged by"
                 f" Anna ({staff})"):
        assert line in html
    for name in ("half_past_midnight", "overnight", "noon", "burst", "late"):
        assert f'<a href="{SITE}/alerts/{ids[name]}"' in html
    assert html.count(">Open the alert</a>") == 5
    assert EN("day_alerts_none") not in text


@pytest.mark.parametrize("lang", ["fi", "sv", "de"])
def test_the_alert_lines_speak_the_readers_language(logged, lang):
    storage, ids = logged
    t = Words(lang)
    mail = compose_daily(storage, "hki-kamppi", DAY, lang, base_url=SITE)
    staff = t("role_staff")
    closed = t("day_alert_closed") + ", " + t("day_alert_acknowledged", who=f"Anna ({staff})")
    assert closed in mail.text and closed in (mail.html or "")
    assert f"· {t('day_alert_open')}\n    {SITE}/alerts/{ids['half_past_midnight']}" in mail.text
    assert t("alert_mail_button") in (mail.html or "")
    # Without an address given, the links point where a collector with default settings
    # listens.
    plain = compose_daily(storage, "hki-kamppi", DAY, lang).text
    assert f"\n    http://127.0.0.1:8080/alerts/{ids['late']}\n" in plain


def test_a_day_without_alerts_in_the_log_says_so_whatever_its_taps(chain_storage):
    storage = chain_storage({"hki-kamppi": "Europe/Helsinki"})
    mail = compose_daily(storage, "hki-kamppi", DAY, "en")
    assert (mail.to, mail.subject) == ("", "Hymy · Store hki-kamppi · Tue 1 Dec: no responses")
    assert alert_lines(mail.text) == ["  " + EN("day_alerts_none")]
    with pytest.raises(NotFound, match="no store 'nowhere'"):
        compose_daily(storage, "nowhere", DAY, "en")
    assert EN("day_alerts_none") in (mail.html or "") and "/alerts/" not in (mail.html or "")


def test_the_weekly_digest_lists_every_stores_alerts_of_its_local_week(logged):
    storage, ids = logged
    kamppi, soho = "Store hki-kamppi", "Store nyc-soho"
    ids |= {  # Sunday 29 Nov in Helsinki: the week before
        "sunday_before": log_alert(storage, ("rate", "hki-kamppi", "s"),
                                   rate("2026-11-29T10:00", 8), "2026-11-29T10:00",
                                   closed="2026-11-29T12:00"),
        # 23:00 on Sunday 6 Dec in New York (7 Dec in UTC): its week still
        "soho_sunday": log_alert(storage, ("rate", "nyc-soho", "s"), rate("2026-12-07T04:00", 9),
                                 "2026-12-07T04:00"),
        # 00:30 on Monday 7 Dec in Helsinki (6 Dec in UTC): the week after
        "monday_after": log_alert(storage, ("rate", "hki-kamppi", "m"),
                                  rate("2026-12-06T22:30", 2), "2026-12-06T22:30"),
    }
    staff, office = EN("role_staff"), EN("role_office")
    mail = compose_weekly(storage, "2026-11-30", "en", base_url=SITE)
    unhappy = "unhappy in the last 15\u00a0min"
    assert alert_lines(mail.text) == [  # in the order they opened, on each store's clock
        f"  - {kamppi} · 30 Nov 10:00 · Kiosk hki-kamppi-k silent since 30 Nov 2026 07:00 EET"
        " · closed",
        f"    {SITE}/alerts/{ids['day_before']}",
        f"  - {kamppi} · 30 Nov 21:00 · 4 {unhappy} · closed, acknowledged by Anna ({staff})",
        f"    {SITE}/alerts/{ids['overnight']}",
        f"  - {kamppi} · 1 Dec 00:30 · 5 {unhappy} · open",
        f"    {SITE}/alerts/{ids['half_past_midnight']}",
        f"  - {kamppi} · 1 Dec 12:00 · 3 {unhappy} · closed",
        f"    {SITE}/alerts/{ids['noon']}",
        f"  - {kamppi} · 1 Dec 14:00 · 3 of 6 unhappy within 15\u00a0min · open",
        f"    {SITE}/alerts/{ids['burst']}",
        f"  - {soho} · 1 Dec 07:00 · 6 {unhappy} · open",
        f"    {SITE}/alerts/{ids['other_store']}",
        f"  - {kamppi} · 1 Dec 23:30 · Kiosk hki-kamppi-k silent since 1 Dec 2026 20:00 EET"
        f" · acknowledged by Head office ({office})",
        f"    {SITE}/alerts/{ids['late']}",
        f"  - {kamppi} · 2 Dec 00:10 · 7 {unhappy} · open",
        f"    {SITE}/alerts/{ids['day_after']}",
        f"  - {soho} · 6 Dec 23:00 · 9 {unhappy} · open",
        f"    {SITE}/alerts/{ids['soho_sunday']}",
    ]
    html = mail.html or ""
    assert html.count(">Open the alert</a>") == 9
    assert f'<a href="{SITE}/alerts/{ids["soho_sunday"]}"' in html
    for gone in ("sunday_before", "monday_after"):
        assert f"/alerts/{ids[gone]}" not in mail.text and f"/alerts/{ids[gone]}" not in html
    quiet = compose_weekly(storage, "2026-11-16", "fi", base_url=SITE)
    assert alert_lines(quiet.text.replace(Words("fi")("alerts"), "Alerts")) == [
        "  " + Words("fi")("week_alerts_none")]
    assert Words("fi")("week_alerts_none") in (quiet.html or "")
