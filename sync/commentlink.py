"""The comment link on the thank-you screen's QR code: made by the kiosk, checked by the collector.

A link is ``<base>/c/<token>`` with ``token = KIOSK~RATING~EXPIRES~MAC``:
the kiosk's id, the rating's UUID as 32 hex digits, the expiry as Unix
seconds, and the first 16 bytes of an HMAC-SHA256 over the three (base64url).
The kiosk makes it offline, at the tap, so a shopper can write while the
kiosk's network is down.

The key (:func:`comment_key`) is derived from the SHA-256 of the kiosk's
upload token, which the kiosk holds in its config and the collector stores
(``tokens.hash``, the same digest :func:`sync.collector.tokens.hash_token`
makes): no new secret to issue, copy or migrate, every kiosk enrolled today
can make links, and revoking or replacing the token retires its links too.
The digest never leaves either side; the key is one more HMAC away from it,
so a link does not reveal it either.

Nothing here imports the kiosk or the collector: both ends use this module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

#: Seconds a link works after the tap.
LIFETIME_S = 30 * 60
#: A kiosk clock this far ahead still makes links the collector takes.
CLOCK_SLACK_S = 10 * 60
_CONTEXT = b"hymy comment link v1"
_TOKEN = re.compile(r"^([A-Za-z0-9._-]{1,64})~([0-9a-f]{32})~([0-9]{1,12})~([A-Za-z0-9_-]{22})$")


@dataclass(frozen=True)
class Link:
    """What a token says: which kiosk's which rating, until when (Unix seconds)."""

    kiosk_id: str
    rating_id: str
    expires: int


def comment_key(token_hash: str) -> bytes:
    """The kiosk's comment-link key from the SHA-256 hex digest of its upload token."""
    return hmac.new(token_hash.encode("ascii"), _CONTEXT, hashlib.sha256).digest()


def token_hash(token: str) -> str:
    """The SHA-256 hex digest of an upload token: what the collector stores of it."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _mac(key: bytes, link: Link) -> str:
    message = f"{link.kiosk_id}~{uuid.UUID(link.rating_id).hex}~{link.expires}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_token(key: bytes, link: Link) -> str:
    """The token of ``link``, signed with ``key``."""
    return f"{link.kiosk_id}~{uuid.UUID(link.rating_id).hex}~{link.expires}~{_mac(key, link)}"


def read_token(token: str) -> tuple[Link, str] | None:
    """The link a token names and its MAC, unchecked; None when it is no token at all."""
    found = _TOKEN.match(token)
    if found is None:
        return None
    kiosk_id, rating_hex, expires, mac = found.groups()
    return Link(kiosk_id, str(uuid.UUID(rating_hex)), int(expires)), mac


def signed_by(key: bytes, link: Link, mac: str) -> bool:
    """True when ``mac`` is ``link``'s MAC under ``key`` (constant time)."""
    return hmac.compare_digest(_mac(key, link), mac)


def link_url(base: str, key: bytes, kiosk_id: str, rating_id: str, now_s: float) -> str:
    """The URL for the QR code of one tap, good for :data:`LIFETIME_S` from ``now_s``."""
    link = Link(kiosk_id, rating_id, int(now_s) + LIFETIME_S)
    return f"{base.rstrip('/')}/c/{make_token(key, link)}"
