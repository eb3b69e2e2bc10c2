"""When the digests go out, to whom, and the chore that sends them.

A store's daily digest (the store-local day before) goes out once the
store's local clock has passed its digest hour (``hymy-collector store
digest STORE --hour 7``; 07 when unset).  The chain's weekly digest (the
Monday-to-Sunday week before) goes out once Monday's digest hour has passed
on the chain's main clock (:func:`~sync.collector.reports.chain_zone`).  A
collector that was down at that hour sends later the same day (week); it
never sends an older one.

Each (digest, address) is claimed in ``digests_sent`` before the mail is
handed over (:mod:`sync.collector.db.digests`), so any number of collector
processes running the ``digests`` chore at once send it once.  A failed hand-over
is recorded with its reason and tried again at a later turn, up to three
times.

:func:`digest_recipients` is the one place that says who gets a digest; the
delivery outbox (subscriptions per user) will take its place.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sync.clock import utc_now
from sync.collector import alerts, reports
from sync.collector.db import delivery as delivery_sql
from sync.collector.db.digests import CHAIN
from sync.collector.db.storage import Storage
from sync.collector.notify import mine
from sync.collector.notify.digest import compose_daily, compose_weekly
from sync.collector.notify.links import base_url
from sync.collector.notify.mail import Mail, MailError, send_mail
from sync.collector.settings import Settings
from sync.collector.web.i18n import LANGUAGES

logger = logging.getLogger("hymy.collector.digests")
ADDRESS = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


@dataclass(frozen=True)
class Due:
    """One digest whose time has come: ``daily`` for a store's day, ``weekly`` for the
    chain's week (``day`` is then its Monday)."""

    kind: str
    scope: str
    day: str


def check_recipient(address: str, lang: str) -> tuple[str, str]:
    """A usable address and language, or a ValueError that says what to give."""
    address = address.strip()
    if not ADDRESS.match(address):
        raise ValueError(f"{address!r} is not an e-mail address like manager@example.com")
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r}: use one of {', '.join(LANGUAGES)}")
    return address, lang


def digest_recipients(storage: Storage, store_id: str | None) -> list[tuple[str, str]]:
    """``(address, language)`` of who gets a store's daily digest, or (None) the weekly one:
    the addresses given with ``store digest --to``, then the e-mail channels subscribed to
    ``digest`` (``weekly``) for it, such as people's own choices (:mod:`.mine`)."""
    found = [(row["address"], row["lang"])
             for row in storage.digest_recipients(CHAIN if store_id is None else store_id)]
    seen = {address.lower() for address, _ in found}
    with storage.db.connection() as conn:
        for channel in delivery_sql.subscribed(conn, "weekly" if store_id is None else "digest",
                                               store_id):
            if channel["kind"] == "email" and channel["target"].lower() not in seen:
                seen.add(channel["target"].lower())
                found.append((channel["target"], mine.language_of(conn, channel)))
    return found


def due(storage: Storage, now: datetime) -> list[Due]:
    """Every digest whose hour has come at ``now``: each store's yesterday, the chain's
    last week.  Whether it already went out is for the claim to say."""
    found = []
    for store in storage.stores(active=True):
        local = now.astimezone(storage.zone(store["id"]))
        if local.hour >= storage.digest_hour(store["id"]):
            found.append(Due("daily", store["id"], (local.date() - timedelta(days=1)).isoformat()))
    local = now.astimezone(reports.chain_zone(storage))
    monday = local.date() - timedelta(days=local.weekday())
    if local.date() > monday or local.hour >= storage.digest_hour(CHAIN):
        found.append(Due("weekly", CHAIN, (monday - timedelta(days=7)).isoformat()))
    return found


def compose(storage: Storage, settings: Settings, digest: Due, lang: str) -> Mail:
    """The digest's mail in ``lang``, with the collector's alert thresholds and the
    dashboard's address for its links."""
    rules = alerts.rules_from(settings)
    if digest.kind == "weekly":
        return compose_weekly(storage, digest.day, lang, settings.min_responses, rules,
                              base_url(settings))
    return compose_daily(storage, digest.scope, digest.day, lang, rules, base_url(settings))


def send_due(storage: Storage, settings: Settings, now: datetime | None = None) -> int:
    """The chore: send every due digest to each recipient not sent to yet; how many went."""
    if not settings.smtp_url:
        return 0
    now = now or utc_now()
    sent = 0
    for digest in due(storage, now):
        scope = None if digest.kind == "weekly" else digest.scope
        mails: dict[str, Mail] = {}
        for address, lang in digest_recipients(storage, scope):
            if not storage.claim_digest(digest.kind, digest.scope, digest.day, address, now):
                continue
            error = deliver(storage, settings, digest, mails, address, lang)
            storage.finish_digest(digest.kind, digest.scope, digest.day, address, error)
            sent += error is None
    return sent


def deliver(storage: Storage, settings: Settings, digest: Due, mails: dict[str, Mail],
            address: str, lang: str) -> str | None:
    """Compose (once per language) and hand over one claimed digest; the error, if any."""
    try:
        if lang not in mails:
            mails[lang] = compose(storage, settings, digest, lang)
        send_mail(settings.smtp_url, settings.mail_from, replace(mails[lang], to=address))
    except MailError as error:
        logger.warning("digest not sent", extra={"digest": digest.kind, "scope": digest.scope,
                                                  "day": digest.day, "error": str(error)})
        return str(error)
    except Exception as error:  # a bug must not leave the claim "sending" for ever
        logger.exception("digest failed", extra={"digest": digest.kind, "scope": digest.scope})
        return f"{type(error).__name__}: {error}"
    return None


def send_now(settings: Settings, mail: Mail, addresses: list[str]) -> None:
    """Hand ``mail`` to each address now, without a claim (``hymy-collector digest send``)."""
    if not settings.smtp_url:
        raise ValueError("no mail server: set HYMY_SMTP_URL (e.g. smtp://localhost)")
    for address in addresses:
        send_mail(settings.smtp_url, settings.mail_from, replace(mail, to=address))


def last_week(storage: Storage, now: datetime | None = None) -> str:
    """The Monday of the last whole week on the chain's main clock."""
    today = (now or utc_now()).astimezone(reports.chain_zone(storage)).date()
    return (today - timedelta(days=today.weekday() + 7)).isoformat()


def yesterday(storage: Storage, store_id: str, now: datetime | None = None) -> str:
    """The store-local day before today."""
    today = (now or utc_now()).astimezone(storage.zone(store_id)).date()
    return (today - timedelta(days=1)).isoformat()


def week_of(day: str) -> str:
    """The Monday of the week ``day`` falls in."""
    first = date.fromisoformat(day)
    return (first - timedelta(days=first.weekday())).isoformat()
