"""Comments from the shopper's phone: checking the link, cleaning the text, keeping it.

A thank-you screen's QR code carries a link the kiosk signed offline
(:mod:`sync.commentlink`).  :func:`check_link` says whether a link is good:
well formed, signed with the key of one of its kiosk's live tokens, not
expired, and not used.  :func:`clean` masks e-mail addresses and phone
numbers **before** anything is stored, and :func:`flagged` marks (never
deletes) a comment holding a word of ``assets/profanity.toml``.  Nothing
about the writer is kept: no address, no user agent; the throttles that
limit posts per client address and per kiosk live in memory only.

The ``comments`` chore (:func:`prune`) deletes comments older than
``comment_retention_days``.
"""

from __future__ import annotations

import re
import time
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from sync.assets import ASSETS
from sync.clock import format_utc, utc_now
from sync.collector.db.storage import Storage
from sync.collector.settings import Settings
from sync.commentlink import CLOCK_SLACK_S, LIFETIME_S, Link, comment_key, read_token, signed_by

#: The longest comment kept, in characters.
MAX_CHARS = 1000
#: Posts one client address may make per window, and a kiosk's comments per window.
PER_ADDRESS = 6
PER_KIOSK = 40
WINDOW_S = 10 * 60
#: How often the retention chore runs.
EVERY_S = 3600.0
EMAIL_MASK = "[e-mail]"
PHONE_MASK = "[phone]"

_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
#: A run of digits with spaces, dashes, slashes or brackets between, optionally "+" first.
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d ()/-]{5,}\d(?!\w)")
_MIN_PHONE_DIGITS = 7
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Checked:
    """A link's verdict: ``problem`` is None (good), ``unknown``, ``expired`` or ``used``."""

    link: Link | None
    store_id: str | None
    problem: str | None


def check_link(storage: Storage, token: str, now_s: float | None = None) -> Checked:
    """Whether ``token`` may carry a comment now; a forged or malformed one is ``unknown``
    (the same answer for a kiosk that is not there), and says nothing more."""
    now_s = time.time() if now_s is None else now_s
    read = read_token(token) if len(token) < 200 else None
    if read is None:
        return Checked(None, None, "unknown")
    link, mac = read
    store_id, hashes = storage.comment_keys(link.kiosk_id)
    if store_id is None or not any(signed_by(comment_key(h), link, mac) for h in hashes):
        return Checked(None, None, "unknown")
    if link.expires > now_s + LIFETIME_S + CLOCK_SLACK_S:  # signed, but for years ahead
        return Checked(None, None, "unknown")
    if link.expires < now_s:
        return Checked(link, store_id, "expired")
    if storage.comment_taken(link.kiosk_id, link.rating_id):
        return Checked(link, store_id, "used")
    return Checked(link, store_id, None)


def clean(text: str) -> str:
    """The text as stored: control characters gone, e-mail addresses and phone numbers
    masked, line ends normalised, blanks trimmed."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _EMAIL.sub(EMAIL_MASK, text)
    return _PHONE.sub(_mask_phone, text).strip()


def _mask_phone(found: re.Match) -> str:
    digits = sum(ch.isdigit() for ch in found.group())
    return PHONE_MASK if digits >= _MIN_PHONE_DIGITS else found.group()


@lru_cache(maxsize=1)
def profanity() -> tuple[frozenset[str], tuple[str, ...]]:
    """Every language's words from ``assets/profanity.toml``: whole words, and prefixes."""
    lists = tomllib.loads((ASSETS / "profanity.toml").read_text(encoding="utf-8"))
    entries = [word.casefold() for words in lists.values() for word in words]
    whole = frozenset(w for w in entries if not w.endswith("*"))
    prefixes = tuple(w[:-1] for w in entries if w.endswith("*"))
    return whole, prefixes


def flagged(text: str) -> bool:
    """True when a word of the text is on a profanity list (whole, or by its prefix)."""
    whole, prefixes = profanity()
    return any(word in whole or word.startswith(prefixes)
               for word in (w.casefold() for w in _WORD.findall(text)))


def prune(storage: Storage, settings: Settings) -> int:
    """The retention chore: delete comments older than ``comment_retention_days``.
    Safe to run twice at once: a DELETE by age removes each row once."""
    before = utc_now() - timedelta(days=settings.comment_retention_days)
    return storage.delete_comments_before(format_utc(before))
