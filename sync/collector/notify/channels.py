"""Where a message can go, and how it is sent there: e-mail, chat, a signed webhook.

A channel is a *kind* and a *target*:

- ``email``: an address; the message goes out over ``HYMY_SMTP_URL``
  (:func:`sync.collector.notify.mail.send_mail`), text plus HTML;
- ``slack``, ``teams``, ``apprise``: a URL Apprise understands (``slack://...``,
  ``msteams://...``, Slack's ``https://hooks.slack.com/...``, or any other of
  Apprise's services); the subject is the title, the text (and link) the body;
- ``webhook``: any other ``http(s)://`` URL; the message is POSTed as JSON,
  signed with the channel's secret: ``X-Hymy-Signature: sha256=<hex>`` is
  HMAC-SHA256 over the raw body, and ``X-Hymy-Timestamp`` (Unix seconds, also
  the body's ``timestamp``, so the signature covers it) lets a receiver refuse
  a replayed body.  ``X-Hymy-Delivery`` is the delivery's key, the same on
  every retry, for a receiver that wants to drop a repeat.

:func:`kind_of` tells the kind from a target; :func:`send` sends one
:class:`Message` and raises :class:`DeliveryError` whose text says why not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from sync.collector.notify.mail import Mail, MailError, send_mail
from sync.collector.settings import Settings

KINDS = ("email", "slack", "teams", "apprise", "webhook")
#: Seconds a webhook receiver has to answer.
WEBHOOK_TIMEOUT_S = 10.0
_ADDRESS = re.compile(r"^[^@\s:/]+@[^@\s:/]+\.[^@\s:/]+$")
_SLACK_HOSTS = ("hooks.slack.com",)
_TEAMS_HOSTS = (".webhook.office.com", ".logic.azure.com", "webhook.office.com")


class DeliveryError(Exception):
    """A message was not taken by its channel (the text says why, for a row or a CLI line)."""


@dataclass(frozen=True)
class Message:
    """A :class:`Mail` (its ``to`` is each channel's own) and what chats and webhooks add."""

    event: str
    mail: Mail
    store_id: str | None = None
    key: str = ""
    link: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def kind_of(target: str, kind: str | None = None) -> str:
    """The kind of channel ``target`` is (checked against ``kind`` when given).

    Raises ValueError saying what a target should look like.
    """
    target = target.strip()
    found = _guess(target)
    if kind is None or kind == found:
        return found
    if kind not in KINDS:
        raise ValueError(f"unknown channel kind {kind!r}: use one of {', '.join(KINDS)}")
    if kind in ("slack", "teams", "apprise") and found in ("slack", "teams", "apprise"):
        return kind
    if kind == "webhook" and found in ("slack", "teams"):
        return kind  # a Slack/Teams https URL taken as a plain signed webhook, when asked
    raise ValueError(f"{_shown(target)!r} is not a {kind} target (it looks like {found})")


def _guess(target: str) -> str:
    if "://" not in target:
        if _ADDRESS.match(target):
            return "email"
        raise ValueError(f"{target!r} is neither an e-mail address nor a URL"
                         " (e.g. manager@example.com, slack://..., https://example.com/hook)")
    scheme, host = urlsplit(target).scheme.lower(), (urlsplit(target).hostname or "").lower()
    if scheme in ("http", "https"):
        if not host:
            raise ValueError(f"{_shown(target)!r} has no host")
        if host in _SLACK_HOSTS:
            return "slack"
        if host.endswith(_TEAMS_HOSTS):
            return "teams"
        return "webhook"
    if scheme == "slack":
        return "slack"
    if scheme == "msteams":
        return "teams"
    if _apprise_understands(target):
        return "apprise"
    raise ValueError(f"{scheme}:// is not a URL Apprise understands (see its list of services)")


def _apprise_understands(target: str) -> bool:
    import apprise

    return apprise.Apprise.instantiate(target) is not None


def new_secret() -> str:
    """A webhook channel's signing secret (shown once, when the channel is made)."""
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, body: bytes) -> str:
    """The ``X-Hymy-Signature`` value for ``body``: ``sha256=`` and the HMAC in hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def shown(kind: str, target: str) -> str:
    """A target as the page and ``channel list`` show it: a URL without its path (the
    path of a Slack or Teams webhook is itself a secret)."""
    return target if kind == "email" else _shown(target)


def _shown(target: str) -> str:
    parts = urlsplit(target)
    if not parts.scheme or not parts.netloc:
        return target
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{':' + str(parts.port) if parts.port else ''}/…"


def send(kind: str, target: str, secret: str | None, message: Message, settings: Settings) -> None:
    """Send ``message`` to one channel now; :class:`DeliveryError` if it was not taken."""
    if kind == "email":
        _send_mail(target, message, settings)
    elif kind == "webhook":
        _send_webhook(target, secret or "", message)
    elif kind in ("slack", "teams", "apprise"):
        _send_apprise(target, message)
    else:
        raise DeliveryError(f"unknown channel kind {kind!r}")


def _send_mail(address: str, message: Message, settings: Settings) -> None:
    if not settings.smtp_url:
        raise DeliveryError("no mail server: set HYMY_SMTP_URL (docs/collector.md)")
    text = message.mail.text + (f"\n\n{message.link}\n" if message.link else "")
    mail = replace(message.mail, to=address, text=text)
    try:
        send_mail(settings.smtp_url, settings.mail_from, mail)
    except MailError as error:
        raise DeliveryError(str(error)) from None


def webhook_body(message: Message, timestamp: int) -> bytes:
    """The JSON a webhook receives (its raw bytes are what the signature covers)."""
    body = {"event": message.event, "store_id": message.store_id,
            "subject": message.mail.subject, "text": message.mail.text, "link": message.link,
            "key": message.key,
            "timestamp": timestamp, **message.extra}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _send_webhook(url: str, secret: str, message: Message) -> None:
    import httpx

    timestamp = int(time.time())
    body = webhook_body(message, timestamp)
    headers = {"Content-Type": "application/json", "User-Agent": "hymy-collector",
               "X-Hymy-Event": message.event, "X-Hymy-Delivery": message.key,
               "X-Hymy-Timestamp": str(timestamp), "X-Hymy-Signature": sign(secret, body)}
    try:
        answer = httpx.post(url, content=body, headers=headers, timeout=WEBHOOK_TIMEOUT_S)
    except httpx.HTTPError as error:
        raise DeliveryError(f"cannot reach the webhook {_shown(url)}: {error}") from None
    if not 200 <= answer.status_code < 300:
        said = " ".join(answer.text.split())[:200]
        raise DeliveryError(f"the webhook {_shown(url)} answered {answer.status_code}"
                            + (f": {said}" if said else ""))


def _send_apprise(url: str, message: Message) -> None:
    import apprise

    sender = apprise.Apprise()
    if not sender.add(url):
        raise DeliveryError(f"{_shown(url)!r} is not a URL Apprise understands")
    body = message.mail.text + (f"\n\n{message.link}" if message.link else "")
    with apprise.LogCapture(level=logging.WARNING) as log:
        taken = sender.notify(body=body, title=message.mail.subject)
    if not taken:
        said = " ".join(log.getvalue().split())[:300] or "no reason given"
        raise DeliveryError(f"{_shown(url)} did not take the message: {said}")
