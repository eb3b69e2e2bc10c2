"""The digests' HTML as a browser draws it: nothing to run, nothing to fetch, and it reads well.

Mail clients are stricter than browsers, so headless Chromium is the lenient
judge: a digest that loads a script or an image from the network here would do
so in a mail client too.  The screenshots in docs/screenshots come from here.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from sync.collector import reports
from sync.collector.db import Database, Storage
from sync.collector.notify.digest import compose_daily, compose_weekly
from tests.support import ROOT
from tests.support.browser import seed_demo

SHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def demo_storage(tmp_path_factory):
    database = tmp_path_factory.mktemp("digest") / "demo.db"
    seed_demo(database, stores=6, days=40)
    db = Database(str(database))
    yield Storage(db)
    db.close()


def busiest_recent_day(storage: Storage, store_id: str) -> str:
    """The store's latest day with responses in the last two weeks."""
    today = reports.store_today(storage, store_id)
    days = reports.daily_report(storage, store_id, (today - timedelta(days=14)).isoformat(),
                                today.isoformat())
    return [row["date"] for row in days if row["responses"]][-1]


def show(browser, html: str, shot: Path) -> dict:
    """Draw ``html`` at a mail client's width; what it asked the network for, and what it has."""
    context = browser.new_context(viewport={"width": 720, "height": 900}, locale="fi-FI")
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    try:
        page.set_content(html, wait_until="load")
        found = page.evaluate("""() => ({
            scripts: document.querySelectorAll('script').length,
            sources: [...document.querySelectorAll('[src], link[href]')].map(
                e => e.getAttribute('src') || e.getAttribute('href')),
            handlers: [...document.querySelectorAll('*')].flatMap(
                e => [...e.attributes].map(a => a.name).filter(n => n.startsWith('on'))),
            width: document.documentElement.scrollWidth,
            text: document.body.innerText,
        })""")
        page.screenshot(path=str(shot), full_page=True)
    finally:
        context.close()
    return {**found, "asked": [url for url in asked if not url.startswith(("about:", "data:"))]}


@pytest.mark.browser
def test_the_daily_digest_draws_without_scripts_or_remote_images(browser_chromium, demo_storage):
    day = busiest_recent_day(demo_storage, "hki-kamppi")
    mail = compose_daily(demo_storage, "hki-kamppi", day, "fi")
    fig = reports.summary_report(demo_storage, "hki-kamppi", day, day)
    drawn = show(browser_chromium, mail.html, SHOTS / "digest-daily.png")
    assert drawn["scripts"] == 0 and drawn["handlers"] == [] and drawn["asked"] == []
    assert all(source.startswith("cid:") for source in drawn["sources"])
    assert "<script" not in mail.html.lower() and "http" not in mail.html
    assert drawn["width"] <= 720  # no sideways scrolling at a mail pane's width
    assert "PÄIVÄN KOOSTE" in drawn["text"] and "Vastaukset kasvoittain" in drawn["text"]
    assert f"{fig['responses']} vastausta".replace(",", "") in drawn["text"].replace("\u00a0", "")


@pytest.mark.browser
def test_the_weekly_digest_draws_without_scripts_or_remote_images(browser_chromium, demo_storage):
    today = date.fromisoformat(reports.store_today(demo_storage, "hki-kamppi").isoformat())
    monday = (today - timedelta(days=today.weekday() + 7)).isoformat()
    mail = compose_weekly(demo_storage, monday, "en")
    drawn = show(browser_chromium, mail.html, SHOTS / "digest-weekly.png")
    assert drawn["scripts"] == 0 and drawn["handlers"] == [] and drawn["asked"] == []
    assert all(source.startswith("cid:") for source in drawn["sources"])
    assert drawn["width"] <= 720
    ranking = reports.ranking_report(demo_storage, monday,
                                     (date.fromisoformat(monday) + timedelta(days=6)).isoformat(),
                                     30, "ci_low")
    names = [row["name"] for row in ranking]
    positions = [drawn["text"].index(name, drawn["text"].index("Store ranking")) for name in names]
    assert positions == sorted(positions)  # best lower bound first, as the office page
