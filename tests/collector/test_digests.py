"""The digests: a store's day and the chain's week by e-mail, on each store's clock, once.

A real SMTP server (aiosmtpd) receives them; the mails are parsed and their
figures compared with :mod:`sync.collector.reports`, the functions behind the
dashboard and the API.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from sync.clock import format_utc, utc_now
from sync.collector import reports
from sync.collector.db.digests import CHAIN, RETRY_AFTER_S
from sync.collector.db.storage import Storage
from sync.collector.notify.digest import (
    COLOURS,
    FACE_COLOURS,
    Words,
    compose_daily,
    compose_weekly,
)
from sync.collector.notify.schedule import send_due
from sync.collector.settings import Settings
from sync.collector.tokens import Principal
from sync.collector.web.i18n import Translator
from sync.wire import parse_rating
from tests.support.collector import free_port, rating, release_database, run_cli
from tests.support.smtp import smtp_server

DAY = "2026-12-01"  # a Tuesday
#: 07:30 in Helsinki on the day after DAY; 00:30 in New York.
HELSINKI_SEVEN = datetime(2026, 12, 2, 5, 30, tzinfo=UTC)
#: 07:30 in New York on the day after DAY.
NEW_YORK_SEVEN = datetime(2026, 12, 2, 12, 30, tzinfo=UTC)
#: Scores planted on DAY in Kamppi: 9 satisfied of 13, a burst of unhappy at 14:00.
SCORES = [5, 5, 5, 4, 4, 4, 5, 4, 5, 1, 2, 1, 3]


def plant(storage: Storage, store_id: str, scores: list[int], day_start: datetime,
          reasons: dict[int, str] | None = None, scale: int = 5) -> None:
    """Ratings five minutes apart from ``day_start``, from the store's kiosk."""
    kiosk = f"{store_id}-k"
    tz = storage.store(store_id)["timezone"]
    items = [parse_rating(rating(seq, score, scale, at=day_start + timedelta(minutes=5 * seq),
                                 tz=tz, reason=(reasons or {}).get(seq)))
             for seq, score in enumerate(scores, start=1)]
    storage.ingest(Principal(0, "kiosk", store_id, kiosk), items,
                   day_start + timedelta(minutes=5 * len(scores) + 1))


@pytest.fixture
def chain(chain_storage) -> Storage:
    """Kamppi (Helsinki) with SCORES on DAY; Manhattan (New York) with three taps."""
    storage = chain_storage({"hki-kamppi": "Europe/Helsinki", "nyc-soho": "America/New_York"})
    plant(storage, "hki-kamppi", SCORES, datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
          {10: "queue", 11: "queue", 12: "staff"})
    plant(storage, "nyc-soho", [5, 4, 1], datetime(2026, 12, 1, 18, 0, tzinfo=UTC))
    return storage


def settings(url: str) -> Settings:
    return Settings(smtp_url=url, mail_from="hymy@example.com")


def parts(message) -> tuple[str, str]:
    """The plain-text and HTML parts of a received digest."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_the_daily_digest_arrives_with_the_dashboard_figures_in_each_recipients_language(chain):
    chain.add_digest_recipient("hki-kamppi", "manager@example.com", "fi")
    chain.add_digest_recipient("hki-kamppi", "owner@example.com", "en")
    fig = reports.summary_report(chain, "hki-kamppi", DAY, DAY)
    assert (fig["responses"], fig["satisfied"]) == (13, 9)
    with smtp_server() as box:
        assert send_due(chain, settings(box.url), HELSINKI_SEVEN) == 2
        received = {m["To"]: m for m in box.wait(2)}
    fi, en = received["manager@example.com"], received["owner@example.com"]
    t_fi = Translator("fi")
    interval_fi = t_fi.pct_range(fig["ci_low"], fig["ci_high"])
    subject = f"Hymy · Store hki-kamppi · ti 1.12.: {t_fi.pct(fig['csat'])} ({interval_fi})"
    assert fi["Subject"] == subject.replace("\u00a0", " ")
    assert en["Subject"].startswith("Hymy · Store hki-kamppi · Tue 1 Dec: 69%")
    text, html = parts(fi)
    for body in (text, html):
        assert t_fi.pct(fig["csat"]) in body and interval_fi in body
        assert "13 vastausta" in body and "Päivän kooste" in body
        assert "Jono" in body  # the top reason, in Finnish
        assert "Erittäin tyytyväinen" in body
    # Counts per face as the report has them (5: 5, 4: 4, 3: 1, 2: 1, 1: 2).
    assert fig["counts"] == {"1": 2, "2": 1, "3": 1, "4": 4, "5": 5}
    for label, n in (("Erittäin tyytyväinen", 5), ("Tyytyväinen", 4),
                     ("Erittäin tyytymätön", 2)):
        assert f"  {label}: {n} (" in text
    # The unhappy run from 14:40 local raised no alert (nothing in the alert log): the
    # digest runs no rule of its own, so it reports none.
    assert "tyytymättömiä" not in text and "Ei hälytyksiä tänä päivänä." in text
    text_en, html_en = parts(en)
    assert "Daily digest" in html_en and "13 responses" in text_en and "Queue" in text_en
    assert "<script" not in html and "http" not in html.split("<body", 1)[1]


def test_each_store_gets_its_digest_at_seven_on_its_own_clock(chain):
    chain.add_digest_recipient("hki-kamppi", "kamppi@example.com", "en")
    chain.add_digest_recipient("nyc-soho", "soho@example.com", "en")

    def sent() -> list[tuple[str, str]]:
        return sorted((row["scope"], row["day"]) for row in chain.digests_sent())

    with smtp_server() as box:
        # 06:59 in Helsinki (23:59 on the 1st in New York, whose 30th is due).
        assert send_due(chain, settings(box.url), HELSINKI_SEVEN - timedelta(minutes=31)) == 1
        assert sent() == [("nyc-soho", "2026-11-30")]
        assert send_due(chain, settings(box.url), HELSINKI_SEVEN) == 1  # 07:30 in Helsinki
        assert sent() == [("hki-kamppi", DAY), ("nyc-soho", "2026-11-30")]
        # 06:59 in New York: its 1st is not due yet; 07:30: it is.
        assert send_due(chain, settings(box.url), NEW_YORK_SEVEN - timedelta(minutes=31)) == 0
        assert send_due(chain, settings(box.url), NEW_YORK_SEVEN) == 1
        assert sent() == [("hki-kamppi", DAY), ("nyc-soho", "2026-11-30"), ("nyc-soho", DAY)]
        messages = box.wait(3)
    assert [m["To"] for m in messages] == ["soho@example.com", "kamppi@example.com",
                                           "soho@example.com"]
    assert messages[1]["Subject"].startswith("Hymy · Store hki-kamppi · Tue 1 Dec: 69%")
    assert messages[2]["Subject"].startswith("Hymy · Store nyc-soho · Tue 1 Dec: 67%")
    # A store may choose another hour: 06 in New York is 11:00 UTC.
    chain.set_digest_hour("nyc-soho", 6)
    with smtp_server() as box:
        assert send_due(chain, settings(box.url), datetime(2026, 12, 3, 11, 1, tzinfo=UTC)) == 2
    assert ("nyc-soho", "2026-12-02") in sent()


def test_two_chore_runs_at_once_and_again_later_send_each_digest_once(chain):
    chain.add_digest_recipient("hki-kamppi", "manager@example.com", "fi")
    chain.add_digest_recipient(CHAIN, "office@example.com", "en")
    monday = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # 08:00 in Helsinki, Monday
    with smtp_server() as box:
        runs = [threading.Thread(target=send_due, args=(chain, settings(box.url), monday))
                for _ in range(4)]
        for run in runs:
            run.start()
        for run in runs:
            run.join()
        send_due(chain, settings(box.url), monday + timedelta(hours=3))
        box.wait(2)
        threading.Event().wait(0.5)  # anything doubled would have arrived by now
        subjects = sorted(m["Subject"] for m in box.messages)
    assert len(subjects) == 2, subjects
    assert subjects[0].startswith("Hymy · Store hki-kamppi · su 6.12.: ")  # the day before
    assert subjects[1].startswith("Hymy · week 49 (30 Nov – 6 Dec 2026): ")


def test_a_mail_server_that_is_down_is_recorded_and_tried_again_later(chain):
    chain.add_digest_recipient("hki-kamppi", "manager@example.com", "fi")
    down = settings(f"smtp://127.0.0.1:{free_port()}")
    assert send_due(chain, down, HELSINKI_SEVEN) == 0
    [row] = chain.digests_sent()
    assert row["status"] == "failed" and "cannot reach the mail server" in row["error"]
    with smtp_server() as box:
        # Too soon for a retry; then, RETRY_AFTER_S later, it goes.
        assert send_due(chain, settings(box.url), HELSINKI_SEVEN + timedelta(minutes=1)) == 0
        later = HELSINKI_SEVEN + timedelta(seconds=RETRY_AFTER_S)
        assert send_due(chain, settings(box.url), later) == 1
        assert len(box.wait(1)) == 1
    [row] = chain.digests_sent()
    assert (row["status"], row["attempts"], row["error"]) == ("sent", 2, None)


def test_the_weekly_digest_ranks_stores_by_the_wilson_lower_bound(chain):
    from sync.collector.notify.digest import compose_weekly

    mail = compose_weekly(chain, "2026-11-30", "en", min_responses=1)
    ranking = reports.ranking_report(chain, "2026-11-30", "2026-12-06", 1, "ci_low")
    assert [row["store_id"] for row in ranking] == ["hki-kamppi", "nyc-soho"]
    first, second = (mail.text.index(f"{n}. Store {row['store_id']}: ")
                     for n, row in enumerate(ranking, start=1))
    assert first < second
    assert "16 responses" in mail.text  # the chain's week: 13 + 3
    with pytest.raises(ValueError, match="not one"):
        compose_weekly(chain, "2026-12-01", "en")


def test_the_cli_sets_up_previews_and_sends_a_digest_with_clear_errors(chain, tmp_path,
                                                                       collector_database,
                                                                       monkeypatch):
    db = collector_database
    out = run_cli(db, "store", "digest", "hki-kamppi", "--hour", "6", "--to", "a@example.com",
                  "--to", "b@example.com", "--lang", "en").stdout
    assert "at 06:00 local time, to a@example.com (en), b@example.com (en)" in out
    bad = run_cli(db, "store", "digest", "hki-kamppi", "--to", "not-an-address", check=False)
    assert bad.returncode == 1 and "is not an e-mail address" in bad.stderr
    assert "Traceback" not in bad.stderr
    late = run_cli(db, "store", "digest", "hki-kamppi", "--hour", "24", check=False)
    assert late.returncode == 1 and "0-23" in late.stderr
    html = tmp_path / "d.html"
    subject = run_cli(db, "digest", "preview", "hki-kamppi", "--day", DAY, "--lang", "en",
                      "--html", str(html)).stdout.strip()
    assert subject.startswith("Hymy · Store hki-kamppi · Tue 1 Dec: 69%")
    assert "Daily digest" in html.read_text(encoding="utf-8")
    with smtp_server() as box:
        monkeypatch.setenv("HYMY_SMTP_URL", box.url)
        sent = run_cli(db, "digest", "send", "hki-kamppi", "--day", DAY, "--to",
                       "me@example.com")
        assert "sent 'Hymy · Store hki-kamppi · ti 1.12." in sent.stdout
        assert box.wait(1)[0]["To"] == "me@example.com"


@pytest.mark.parametrize("level", ["002", "003"])
def test_a_database_of_an_earlier_release_gets_digests_after_its_upgrade(level, backend,
                                                                         tmp_path, request):
    """Migration 013 on a release's database (both backends): its stores get digests, once."""
    from sync.collector.db.connection import Database

    database = release_database(backend, tmp_path, request, level)
    db = Database(database)
    assert "013_digests.sql" in db.migrate()
    storage = Storage(db)
    try:
        store_id = storage.stores()[0]["id"]
        storage.add_digest_recipient(store_id, "manager@example.com", "fi")
        day = db.query("SELECT MAX(local_date) AS day FROM ratings WHERE store_id = ?",
                       (store_id,))[0]["day"]
        seven = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1, hours=10)
        with smtp_server() as box:
            assert send_due(storage, settings(box.url), seven) == 1
            assert send_due(storage, settings(box.url), seven) == 0
            [mail] = box.wait(1)
        fig = reports.summary_report(storage, store_id, day, day)
        assert fig["responses"] and Translator("fi").pct(fig["csat"]) in parts(mail)[0]
    finally:
        db.close()


@pytest.mark.parametrize("lang", ["fi", "sv", "en", "de"])
def test_a_digest_tells_its_reader_where_to_stop_it_themselves(chain, lang):
    """A person who ticked a digest on their notifications page can untick it there:
    the footer names that page (it used to send everyone to the administrator)."""
    page = Translator(lang)("me_title")
    for mail in (compose_daily(chain, "hki-kamppi", DAY, lang),
                 compose_weekly(chain, "2026-11-30", lang)):
        assert page in mail.text
        assert page in (mail.html or "")


def test_the_daily_and_weekly_digests_read_line_by_line(chain):
    """Both mails' plain text whole, with a baseline week before (20 very satisfied on
    Tuesday 24 Nov) and a kiosk in Soho open round the clock and silent: the headline's
    difference and verdict, the bars, the movers, the ranking and the silent kiosk."""
    from sync.collector import alerts

    plant(chain, "hki-kamppi", [5] * 20, datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    # One very dissatisfied on each Sunday: the 22nd is before the week before, the 29th
    # its last day (both in the day's 28-day baseline).
    plant(chain, "hki-kamppi", [1], datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    plant(chain, "hki-kamppi", [1], datetime(2026, 11, 29, 10, 0, tzinfo=UTC))
    chain.set_alerting("nyc-soho", alerts.settled("mon-sun 0-24", silent_hours=1))
    quiet = format_utc(utc_now() - timedelta(hours=3, minutes=1))  # its last batch
    with chain.db.transaction() as conn:
        conn.execute("UPDATE kiosks SET last_seen = ? WHERE id = 'nyc-soho-k'", (quiet,))
    mail = compose_daily(chain, "hki-kamppi", DAY, "en")
    assert mail.text.endswith("anywhere inside it.\n") and mail.text.startswith("Hymy · ")
    html = mail.html or ""
    assert f"<title>{mail.subject}</title>" in html  # no NBSP in this subject
    for colour in (COLOURS["accent"], COLOURS["bg"], *FACE_COLOURS.values()):
        assert colour in html
    daily = mail.text.splitlines()
    assert daily[:26] == [
        "Hymy · Daily digest",
        "Store hki-kamppi · Tue, 1 Dec 2026",
        "==================================",
        "",
        "CSAT 69% (95% CI 42–87%), 13 responses",
        "−22 pts vs 28-day baseline 91%. Clearly worse: the interval lies below it",
        "",
        "Responses by face",
        "  Very satisfied: 5 (38%)",
        "  Satisfied: 4 (31%)",
        "  Neutral: 1 (8%)",
        "  Dissatisfied: 1 (8%)",
        "  Very dissatisfied: 2 (15%)",
        "",
        "Top reasons",
        "  Queue: 2 (67%)",
        "  Staff: 1 (33%)",
        "",
        "Alerts",
        "  No alerts on this day.",
        "",
        "Shoppers' comments",
        "  No comments in recent days.",
        "",
        "Silent kiosks",
        "  Every kiosk has called in.",
    ]
    assert "You get this digest for Store hki-kamppi every morning." in mail.text
    # A one-day baseline (the 30th, no responses) has nothing to compare with.
    short = compose_daily(chain, "hki-kamppi", DAY, "en", alerts.Rules(baseline_days=1))
    assert short.text.splitlines()[4:6] == ["CSAT 69% (95% CI 42–87%), 13 responses", ""]
    week = compose_weekly(chain, "2026-11-30", "en", min_responses=1)
    assert week.subject == "Hymy · week 49 (30 Nov – 6 Dec 2026): 69% (44–86%)"
    weekly = week.text.splitlines()
    assert "\n".join(weekly[:30]) == f"""\
Hymy · Weekly chain digest
Week 49, 30 Nov – 6 Dec 2026
============================

CSAT 69% (95% CI 44–86%), 16 responses
−26 pts vs the week before 95%. Clearly worse: the interval lies below it

Day by day
  Mon 30 Nov: – (No responses)
  Tue 1 Dec: 69% (16 responses)
  Wed 2 Dec: – (No responses)
  Thu 3 Dec: – (No responses)
  Fri 4 Dec: – (No responses)
  Sat 5 Dec: – (No responses)
  Sun 6 Dec: – (No responses)

Biggest movers
  - Store hki-kamppi: −26 pts (95% the week before, 69% now)

Store ranking
  1. Store hki-kamppi: 69% (42–87%), Responses 13, Change −26 pts
  2. Store nyc-soho: 67% (21–94%), Responses 3, Change –
  {Words("en")("ranking_rule", n="1")}

Alerts
  No alerts this week.

Silent kiosks
  - Store nyc-soho, kiosk nyc-soho-k: last heard from 3\u00a0h ago
"""
    daily_soho = compose_daily(chain, "nyc-soho", DAY, "en").text.splitlines()
    assert "  - Kiosk nyc-soho-k: last heard from 3\u00a0h ago" in daily_soho


def test_the_daily_digest_quotes_the_first_five_comments_of_the_store_local_day(chain):
    """Kamppi's DAY is 30 Nov 22:00 to 1 Dec 22:00 UTC; a comment on either side of it
    stays out, and only the day's first five are quoted."""
    def comment(n: int, at: str) -> None:
        chain.add_comment({"kiosk_id": "hki-kamppi-k", "rating_id": f"r{n}",
                           "store_id": "hki-kamppi", "body": f"note {n}", "lang": "en",
                           "flagged": n == 2, "created_at": at})

    def quoted() -> list[str]:
        text = compose_daily(chain, "hki-kamppi", DAY, "en").text
        return text.split("\nShoppers' comments\n", 1)[1].split("\n\n", 1)[0].splitlines()

    unrated = Translator("en")("comment_no_rating")
    comment(0, "2026-11-30T21:59:59.999Z")
    comment(1, "2026-11-30T22:00:00.000Z")
    comment(2, "2026-12-01T08:00:00.000Z")
    comment(3, "2026-12-01T21:59:59.999Z")
    comment(9, "2026-12-01T22:00:00.000Z")
    assert quoted() == [f"  - 1 Dec 2026 00:00 · {unrated}: “note 1”",
                        f"  - 1 Dec 2026 10:00 · {unrated} · Contains profanity: “note 2”",
                        f"  - 1 Dec 2026 23:59 · {unrated}: “note 3”"]
    for n, hour in ((4, 9), (5, 10), (6, 11)):
        comment(n, f"2026-12-01T{hour:02d}:00:00.000Z")
    assert [line.split(" · ")[0] for line in quoted()] == [
        f"  - 1 Dec 2026 {hour}" for hour in ("00:00", "10:00", "11:00", "12:00", "13:00")]


def test_a_three_face_store_gets_three_face_bars_and_a_retired_store_no_silent_row(chain):
    """The faces are the store's own scale, not the chain's five; a retired store's
    silent kiosk is not the office's concern in the weekly digest."""
    from sync.survey import DEFAULT_SURVEY

    chain.add_store("tre", "Three faces", "Europe/Helsinki")
    chain.add_kiosk("tre-k", "tre")
    chain.set_survey("tre", DEFAULT_SURVEY.model_copy(update={"scale": 3}))
    plant(chain, "tre", [3, 3, 2, 1], datetime(2026, 12, 1, 9, 0, tzinfo=UTC), scale=3)
    text = compose_daily(chain, "tre", DAY, "en").text
    faces = text.split("\nResponses by face\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert faces == ["  Satisfied: 2 (50%)", "  Neutral: 1 (25%)", "  Dissatisfied: 1 (25%)"]
    from sync.collector import alerts

    chain.set_alerting("tre", alerts.settled("mon-sun 0-24", silent_hours=1))
    quiet = format_utc(utc_now() - timedelta(hours=3, minutes=1))
    with chain.db.transaction() as conn:
        conn.execute("UPDATE kiosks SET last_seen = ? WHERE id = 'tre-k'", (quiet,))
    assert "Three faces, kiosk tre-k" in compose_weekly(chain, "2026-11-30", "en").text
    chain.retire_store("tre")
    assert "tre-k" not in compose_weekly(chain, "2026-11-30", "en").text
