"""The comment link's checks, the text as stored, and retention, in this process.

``test_comments.py`` drives a collector process over HTTP; mutation testing
only sees code that runs in the test's own process (docs/reliability.md), so
these call the app as ASGI (``tests/support/asgi.py``) and the checks
directly, and assert what a shopper and the staff see: the page's status and
words, the comment row as stored, the link a kiosk's QR code carries.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from sync.clock import format_utc, utc_now
from sync.collector import comments
from sync.collector.app import create_app
from sync.collector.settings import Settings
from sync.commentlink import (
    CLOCK_SLACK_S,
    LIFETIME_S,
    Link,
    comment_key,
    link_url,
    make_token,
    read_token,
    token_hash,
)
from tests.support.asgi import call

RATING = "0192f0c4-7a3e-7c1a-9b2d-5e6f7a8b9c0d"
#: An upload token that is no kiosk's.
STRANGER = "hymy_not-this-kiosks-token"


@pytest.fixture
def app(collector_database):
    """An app with one store, its kiosk and the kiosk's upload token."""
    app = create_app(Settings(database=collector_database))
    storage = app.state.storage
    storage.add_store("s1", "Kamppi", "Europe/Helsinki")
    storage.add_kiosk("s1-k", "s1")
    app.state.kiosk_token = storage.add_token("kiosk", kiosk_id="s1-k").token
    return app


def link_path(app, rating_id: str = RATING, made_at: float | None = None,
              token: str | None = None, kiosk_id: str = "s1-k") -> str:
    """The path of the link the kiosk's QR code shows for ``rating_id``."""
    key = comment_key(token_hash(token or app.state.kiosk_token))
    url = link_url("http://hymy.example", key, kiosk_id, rating_id,
                   time.time() if made_at is None else made_at)
    return url.removeprefix("http://hymy.example")


def post(app, path: str, text: str):
    """Open the comment page as a phone would (its CSRF cookie and field), then send ``text``."""
    form = call(app, "GET", path, {"Accept-Language": "en"})
    cookie = re.search(r"hymy_csrf=([^;]+)", form.headers.get("set-cookie", "")).group(1)
    found = re.search(rb'name="csrf" value="([^"]+)"', form.body)
    csrf = found.group(1).decode() if found else cookie
    return call(app, "POST", path, {
        "Accept-Language": "en", "Cookie": f"hymy_csrf={cookie}",
        "Content-Type": "application/x-www-form-urlencoded",
    }, urlencode({"text": text, "csrf": csrf}).encode())


def stored(app) -> list[tuple]:
    """Every comment row: kiosk, rating, store, body, flagged."""
    return [(r["kiosk_id"], r["rating_id"], r["store_id"], r["body"], bool(r["flagged"]))
            for r in app.state.storage.db.query(
                "SELECT kiosk_id, rating_id, store_id, body, flagged FROM comments ORDER BY id")]


def test_a_kiosks_link_is_the_same_url_on_every_version():
    # Printed QR codes outlive kiosk updates: the link a kiosk makes today must be
    # the one every collector checks, byte for byte.
    key = comment_key(token_hash("hymy_kiosk-token-for-the-test"))
    url = link_url("https://hymy.example/", key, "hki-kamppi-1", RATING, 1_800_000_000.9)
    assert url == ("https://hymy.example/c/hki-kamppi-1~0192f0c47a3e7c1a9b2d5e6f7a8b9c0d"
                   "~1800001800~G80CG2kevOyoyrsnOr3cAg")
    assert token_hash("hymy_kiosk-token-for-the-test") == (
        "953535353d5efa3fcd3e05f5a9a46becd79e6420dfaccd8fd79f80a605467d3c")


def test_the_kiosk_and_the_collector_digest_a_token_alike():
    # The link's key comes from the digest the collector stores of the kiosk's token.
    from sync.collector.tokens import hash_token

    for token in ("hymy_abc", "hymy_\u00e4\u20ac", "hymy_\ud800"):
        assert token_hash(token) == hash_token(token)
    path = link_url("https://hymy.example/BOX/", b"key", "k", RATING, 0)
    assert path.startswith("https://hymy.example/BOX/c/k~")


def test_a_token_reads_back_as_its_link_and_nothing_else_reads_at_all():
    link = Link("hki-kamppi-1", RATING, 1_800_001_800)
    token = make_token(b"key", link)
    assert read_token(token) == (link, token.rsplit("~", 1)[1])
    for broken in ("", "garbage", token.upper(), token + "A", token.replace("~", "-"),
                   "a" * 65 + token[token.index("~"):]):
        assert read_token(broken) is None, broken


def test_a_good_link_takes_one_comment_masked_and_flagged(app):
    path = link_path(app)
    page = call(app, "GET", path, {"Accept-Language": "en"})
    assert page.status == 200 and b'name="text"' in page.body
    sent = post(app, path, "Paskaa jonoa! Soita 040 123 4567 tai maija@example.fi\r\n")
    assert sent.status == 200 and b"Thank you" in sent.body
    assert stored(app) == [("s1-k", RATING, "s1",
                            "Paskaa jonoa! Soita [phone] tai [e-mail]", True)]
    again = post(app, path, "Second thoughts")
    assert again.status == 410 and b"This link has been used" in again.body
    assert call(app, "GET", path, {"Accept-Language": "en"}).status == 410
    assert len(stored(app)) == 1


def test_a_clean_comment_is_not_flagged_and_keeps_its_rating(app):
    other = str(uuid.uuid4())
    assert post(app, link_path(app, other), "Friendly staff").status == 200
    assert stored(app) == [("s1-k", other, "s1", "Friendly staff", False)]


@pytest.mark.parametrize(("made", "status", "words"), [
    (-LIFETIME_S - 5, 410, b"This link has expired"),
    (CLOCK_SLACK_S + 86400, 404, b"This link is not valid"),
])
def test_an_expired_or_far_future_link_takes_nothing(app, made, status, words):
    path = link_path(app, made_at=time.time() + made)
    answer = post(app, path, "Too late")
    assert answer.status == status and words in answer.body
    assert stored(app) == []


def test_links_signed_with_another_key_or_for_another_kiosk_are_unknown(app):
    storage = app.state.storage
    for path in (link_path(app, token=STRANGER),
                 link_path(app, kiosk_id="no-such-kiosk"),
                 link_path(app)[:-2] + "AA", "/c/" + "x" * 300):
        answer = call(app, "GET", path, {"Accept-Language": "en"})
        assert answer.status == 404 and b"This link is not valid" in answer.body, path
    # A second live token of the kiosk (a replaced one not yet revoked) signs good links too.
    second = storage.add_token("kiosk", kiosk_id="s1-k").token
    assert call(app, "GET", link_path(app, token=second)).status == 200
    assert call(app, "GET", link_path(app)).status == 200


def test_the_link_check_at_its_edges(app):
    storage = app.state.storage
    key = comment_key(token_hash(app.state.kiosk_token))
    link = Link("s1-k", RATING, 1_800_000_000)
    token = make_token(key, link)
    assert comments.check_link(storage, token, 1_800_000_000) == comments.Checked(
        link, "s1", None)  # its last second
    assert comments.check_link(storage, token, 1_800_000_000.5) == comments.Checked(
        link, "s1", "expired")
    # A kiosk clock up to CLOCK_SLACK_S ahead still makes links the collector takes.
    ahead = 1_800_000_000 - LIFETIME_S - CLOCK_SLACK_S
    assert comments.check_link(storage, token, ahead).problem is None
    assert comments.check_link(storage, token, ahead - 1) == comments.Checked(
        None, None, "unknown")
    assert comments.check_link(storage, token + "x", 1_800_000_000).problem == "unknown"
    storage.add_comment({"kiosk_id": "s1-k", "rating_id": RATING, "store_id": "s1",
                         "body": "Hi", "lang": "en", "flagged": False,
                         "created_at": format_utc(utc_now())})
    assert comments.check_link(storage, token, 1_800_000_000) == comments.Checked(
        link, "s1", "used")
    assert comments.check_link(storage, token, 1_800_000_001).problem == "expired"


@pytest.mark.parametrize(("typed", "kept"), [
    ("Call me: +358 40 123 4567.", "Call me: [phone]."),
    ("(09) 876-5432 or 09/876 5432", "[phone] or [phone]"),
    ("Seven digits 123 4567 but six 12 3456", "Seven digits [phone] but six 12 3456"),
    ("Receipt 12.3.2026 at 14:05, code AB1234567", "Receipt 12.3.2026 at 14:05, code AB1234567"),
    ("1234567890abc", "1234567890abc"),
    ("Mail maija.m+x@example.co.uk or 12345678@example.fi",
     "Mail [e-mail] or [e-mail]"),
    ("root@localhost stays", "root@localhost stays"),
    ("a\r\nb\rc\x00\x07\x1b[1m\x7f\td", "a\nb\nc[1m\td"),
    ("  \n spaced out \n\n ", "spaced out"),
])
def test_what_the_staff_read_of_a_comment(typed, kept):
    assert comments.clean(typed) == kept


@pytest.mark.parametrize(("text", "is_flagged"), [
    ("Paskaa palvelua", True),  # prefix entry "paska*"
    ("SCHEISSLADEN", True),  # prefix, any case
    ("Kuk", True),  # whole-word entry "kuk"
    ("Kukka on kaunis", False),  # ... matches that word only
    ("crap", True), ("crappy coffee", False),
    ("Hyvä kahvi, kiitos", False), ("", False),
])
def test_which_comments_are_flagged(text, is_flagged):
    assert comments.flagged(text) is is_flagged


def test_the_retention_chore_deletes_what_is_older_than_the_setting(app):
    storage = app.state.storage
    now = utc_now()
    for rating_id, age in (("a", timedelta(days=10, minutes=1)), ("b", timedelta(days=9, hours=23)),
                           ("c", timedelta(0))):
        storage.add_comment({"kiosk_id": "s1-k", "rating_id": rating_id, "store_id": "s1",
                             "body": rating_id, "lang": "en", "flagged": False,
                             "created_at": format_utc(now - age)})
    assert comments.prune(storage, Settings(comment_retention_days=10)) == 1
    assert [row[3] for row in stored(app)] == ["b", "c"]
    assert comments.prune(storage, Settings(comment_retention_days=10)) == 0
