"""A shopper's comment through the QR link: stored masked, once, tied to its rating, kept a while.

A real collector over loopback HTTP on each backend; links are signed from the
kiosk's token the way the kiosk signs them (``tests/support/comments.py``).
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
import requests

from sync.collector.comments import PER_ADDRESS
from tests.support.collector import Collector, run_cli
from tests.support.comments import link_for, send_comment


@pytest.fixture
def collector(tmp_path: Path, collector_database: str):
    running = Collector(tmp_path, collector_database)
    running.start()
    yield running
    running.stop()


def exported(collector: Collector) -> list[dict]:
    answer = collector.request("GET", "/api/v1/export/comments", collector.office_token,
                               params={"format": "jsonl"})
    assert answer.status_code == 200, answer.text
    return [json.loads(line) for line in answer.text.splitlines()]


def store_page(collector: Collector, store) -> str:
    from tests.support.browser import login_session

    session = login_session({"url": collector.url}, store.staff_token)
    answer = session.get(f"{collector.url}/stores/{store.store_id}?lang=en", timeout=30)
    assert answer.status_code == 200
    return answer.text


def test_a_comment_before_its_rating_is_masked_shown_and_joined_when_the_rating_comes(collector):
    store = collector.new_store()
    rating_id = str(uuid.uuid4())
    url = link_for(collector.url, store.kiosk_token, store.kiosk_id, rating_id)
    text = ("Long queue. Mail me: maija.meikalainen@example.fi or call +358 40 123 4567,"
            " or 09-876 5432. Bought 2 items on 12.3.2026.")
    answer = send_comment(url, text, lang="fi")
    assert answer.status_code == 200, answer.text
    assert "Kiitos kommentistasi!" in answer.text
    masked = ("Long queue. Mail me: [e-mail] or call [phone], or [phone]."
              " Bought 2 items on 12.3.2026.")
    (row,) = exported(collector)
    assert (row["body"], row["rating_id"], row["store_id"], row["score"]) == (
        masked, rating_id, store.store_id, None)
    assert (row["lang"], row["flagged"]) == ("fi", False)
    page = store_page(collector, store)
    assert masked in page and "maija" not in page and "Rating not arrived yet" in page

    # The kiosk comes back online: its rating arrives, and the comment has its face.
    assert store.post(store.ratings([2], id=rating_id)).json()["accepted"] == 1
    (row,) = exported(collector)
    assert (row["score"], row["scale"]) == (2, 5)
    page = store_page(collector, store)
    assert masked in page and "Rating not arrived yet" not in page
    assert f'data-rating="{rating_id}"' in page and 'alt="Dissatisfied"' in page


def test_a_link_takes_one_comment(collector):
    store = collector.new_store()
    url = link_for(collector.url, store.kiosk_token, store.kiosk_id)
    phone = requests.Session()
    assert send_comment(url, "Friendly staff", phone).status_code == 200
    # The same page posted again (the back button, a double tap on Send).
    again = phone.post(url, data={"text": "Second thoughts", "csrf": phone.cookies["hymy_csrf"]},
                       headers={"Accept": "text/html", "Accept-Language": "en"}, timeout=10)
    assert again.status_code == 410 and "This link has been used" in again.text
    opened = collector.session.get(url, headers={"Accept-Language": "sv"})
    assert opened.status_code == 410 and "Länken är redan använd" in opened.text
    assert [row["body"] for row in exported(collector)] == ["Friendly staff"]


def test_expired_forged_and_revoked_links_are_refused_and_store_nothing(collector):
    store = collector.new_store()
    old = link_for(collector.url, store.kiosk_token, store.kiosk_id, made_at=time.time() - 3600)
    answer = send_comment(old, "Too late")
    assert answer.status_code == 410 and "This link has expired" in answer.text
    good = link_for(collector.url, store.kiosk_token, store.kiosk_id)
    forged = [
        good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),  # another MAC
        link_for(collector.url, "hymy_not-this-kiosks-token", store.kiosk_id),
        link_for(collector.url, store.kiosk_token, "no-such-kiosk"),
        link_for(collector.url, store.kiosk_token, store.kiosk_id, made_at=time.time() + 86400),
        collector.url + "/c/garbage",
    ]
    for url in forged:
        answer = send_comment(url, "Forged")
        assert answer.status_code == 404, url
        assert "This link is not valid" in answer.text
    # A revoked kiosk token retires its links.
    tokens = collector.request("GET", "/api/v1/tokens", collector.admin_token).json()
    (mine,) = [t["id"] for t in tokens if t["kiosk_id"] == store.kiosk_id]
    assert collector.request("DELETE", f"/api/v1/tokens/{mine}",
                             collector.admin_token).status_code == 204
    assert collector.session.get(good, headers={"Accept": "text/html"}).status_code == 404
    assert exported(collector) == []


def test_bad_input_gets_a_clear_page_and_keeps_the_text(collector):
    store = collector.new_store()
    url = link_for(collector.url, store.kiosk_token, store.kiosk_id)
    empty = send_comment(url, "   ")
    assert empty.status_code == 422 and "Please write a comment first." in empty.text
    long = send_comment(url, "x" * 1001)
    assert long.status_code == 422 and "up to 1,000 characters" in long.text
    no_csrf = collector.session.post(url, data={"text": "hi"}, headers={"Accept": "text/html"})
    assert no_csrf.status_code == 403
    assert exported(collector) == []
    # The link still works after those.
    flagged = send_comment(url, "Paskaa palvelua, mutta hyvä kahvi")
    assert flagged.status_code == 200
    (row,) = exported(collector)
    assert row["flagged"] is True and row["body"] == "Paskaa palvelua, mutta hyvä kahvi"


def test_posts_are_limited_per_client_address(collector):
    store = collector.new_store()
    for n in range(PER_ADDRESS):
        url = link_for(collector.url, store.kiosk_token, store.kiosk_id)
        assert send_comment(url, f"Comment {n}").status_code == 200
    url = link_for(collector.url, store.kiosk_token, store.kiosk_id)
    refused = send_comment(url, "One too many")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many comments" in refused.text
    assert len(exported(collector)) == PER_ADDRESS


def test_the_export_pages_with_a_cursor(collector):
    store = collector.new_store()
    for text in ("one", "two", "three"):
        assert send_comment(link_for(collector.url, store.kiosk_token, store.kiosk_id),
                            text).status_code == 200
    first = collector.request("GET", "/api/v1/export/comments", collector.office_token,
                              params={"limit": 2})
    assert first.headers["X-More"] == "true" and first.text.splitlines()[0].startswith("id,")
    rest = collector.request("GET", "/api/v1/export/comments", collector.office_token,
                             params={"after": first.headers["X-Next-Cursor"], "format": "jsonl"})
    assert [json.loads(line)["body"] for line in rest.text.splitlines()] == ["three"]
    assert rest.headers["X-More"] == "false"
    refused = collector.request("GET", "/api/v1/export/comments", collector.office_token,
                                params={"format": "xlsx"})
    assert refused.status_code == 422 and "csv or jsonl" in refused.json()["detail"]


def test_the_retention_chore_deletes_old_comments(collector, collector_database):
    store = collector.new_store()
    for text in ("old", "new"):
        assert send_comment(link_for(collector.url, store.kiosk_token, store.kiosk_id),
                            text).status_code == 200
    from sync.collector.db.connection import Database

    db = Database(collector_database)
    try:
        with db.transaction() as conn:
            conn.execute("UPDATE comments SET created_at = '2020-01-01T00:00:00.000Z'"
                         " WHERE body = 'old'")
    finally:
        db.close()
    run_cli(collector_database, "chores")
    assert [row["body"] for row in exported(collector)] == ["new"]


def test_the_daily_digest_quotes_the_days_comments_masked(collector, collector_database):
    from sync.clock import local_date, utc_now, zone
    from sync.collector.db.connection import Database
    from sync.collector.db.storage import Storage
    from sync.collector.notify.digest import compose_daily

    store = collector.new_store()
    url = link_for(collector.url, store.kiosk_token, store.kiosk_id)
    assert send_comment(url, "Call me on 040 123 4567 about the queue").status_code == 200
    storage = Storage(Database(collector_database))
    try:
        today = local_date(utc_now(), zone(store.timezone))
        mail = compose_daily(storage, store.store_id, today, "en")
    finally:
        storage.db.close()
    assert "Shoppers' comments" in mail.text
    assert "Call me on [phone] about the queue" in mail.text and "4567" not in mail.text
    assert "Call me on [phone] about the queue" in (mail.html or "")
