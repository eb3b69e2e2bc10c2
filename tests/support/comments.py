"""A shopper's side of the comment link: the URL a kiosk's QR code carries, and the form post.

The link is made exactly as the kiosk makes it (:mod:`sync.commentlink`), from
the kiosk's own token, so a test needs no kiosk window to get one.
"""

from __future__ import annotations

import re
import time
import uuid

import requests

from sync.commentlink import comment_key, link_url, token_hash


def link_for(base: str, kiosk_token: str, kiosk_id: str, rating_id: str | None = None,
             made_at: float | None = None) -> str:
    """The comment URL a kiosk with ``kiosk_token`` shows for ``rating_id`` (a new id when None),
    as made at ``made_at`` (now when None)."""
    rating_id = rating_id or str(uuid.uuid4())
    made_at = time.time() if made_at is None else made_at
    return link_url(base, comment_key(token_hash(kiosk_token)), kiosk_id, rating_id, made_at)


def send_comment(url: str, text: str, session: requests.Session | None = None,
                 lang: str = "en") -> requests.Response:
    """Open the page like a phone would (its CSRF cookie and field), then post ``text``."""
    session = session or requests.Session()
    headers = {"Accept-Language": lang, "Accept": "text/html"}
    form = session.get(url, headers=headers, timeout=10)
    found = re.search(r'name="csrf" value="([^"]+)"', form.text)
    # A page without the form (a used or expired link) still set the cookie: post anyway.
    csrf = found.group(1) if found else session.cookies.get("hymy_csrf", "")
    return session.post(url, data={"text": text, "csrf": csrf}, headers=headers, timeout=10)
