"""The outbox: alerts, digests, reports queued per channel, sent by a chore, never doubled.

Others call two functions:

- :func:`fanout` (``storage, event, store_id, key, mail``) queues one delivery
  per live channel subscribed to ``event`` for that store (or every store);
- :func:`enqueue` queues one delivery to one channel.

``key`` names the event instance (``alert:42``, ``digest:hki-kamppi:2026-12-02``):
``(key, channel)`` is queued once, however often it is offered.  The
``deliver`` chore (every :data:`EVERY_S` seconds in every server process)
claims due rows with a lease (:func:`sync.collector.db.delivery.claim`: one
process wins each row), sends them and records ``sent_at``, or the error and
the next attempt: 30 s, 2 min, 8 min, 32 min, ~2 h, then every 6 h (see
:func:`retry_delay`), given up as failed once a row is a day old.  A row whose
channel was removed is given up at once.  A process that dies between sending
and recording leaves the row leased; after :data:`LEASE_S` it is sent again -
the one case of a repeat, which a webhook receiver can spot by its
``X-Hymy-Delivery`` key.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from sync.clock import format_utc, parse_utc, utc_now
from sync.collector.db import delivery as sql
from sync.collector.db.connection import Connection
from sync.collector.db.storage import NotFound, Storage
from sync.collector.notify.channels import DeliveryError, Message, kind_of, new_secret, send
from sync.collector.notify.mail import Attachment, Mail
from sync.collector.settings import Settings

logger = logging.getLogger("hymy.collector.delivery")

EVENTS = ("alert", "digest", "weekly")
#: How often the chore looks for due rows, and how many it sends per turn.
EVERY_S = 5.0
BATCH = 50
#: A claimed row is another sender's again after this long (a send takes at most ~20 s).
LEASE_S = 300
#: A row not sent within this long of being queued is given up as failed.
GIVE_UP_AFTER = timedelta(hours=24)
FIRST_RETRY_S = 30
MAX_RETRY_S = 6 * 3600


def retry_delay(attempts: int) -> timedelta:
    """The wait before attempt ``attempts + 1``: 30 s, then x4 each time, at most 6 h."""
    return timedelta(seconds=min(FIRST_RETRY_S * 4 ** max(attempts - 1, 0), MAX_RETRY_S))


# -- channels and subscriptions ------------------------------------------------------


def add_channel(storage: Storage, owner: str, target: str,
                kind: str | None = None) -> tuple[int, str, str | None]:
    """Make a channel: ``(id, kind, secret)``; the secret (webhooks only) is shown once."""
    if not owner.strip():
        raise ValueError("a channel needs an owner: a user's e-mail or a team name")
    kind = kind_of(target, kind)
    secret = new_secret() if kind == "webhook" else None
    with storage.db.transaction(serialize=True) as conn:
        made = sql.add_channel(conn, owner.strip(), kind, target.strip(), secret, _now())
    return made, kind, secret


def remove_channel(storage: Storage, channel_id: int) -> None:
    """Disable a channel: nothing more is queued or sent to it; its history stays."""
    with storage.db.transaction(serialize=True) as conn:
        if not sql.disable_channel(conn, channel_id, _now()):
            raise NotFound(f"no channel with id {channel_id}")


def subscribe(storage: Storage, channel_id: int, event: str, store_id: str | None,
              on: bool = True) -> bool:
    """Let ``event`` for ``store_id`` (None: every store) reach a channel (``on=False``: stop)."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}: use one of {', '.join(EVENTS)}")
    with storage.db.transaction(serialize=True) as conn:
        found = sql.channel(conn, channel_id)
        if found is None:
            raise NotFound(f"no channel with id {channel_id}")
        if on and found["disabled_at"]:
            raise ValueError(f"channel {channel_id} was removed")
        if store_id is not None and not conn.scalar("SELECT 1 FROM stores WHERE id = ?",
                                                    (store_id,)):
            raise NotFound(f"no store {store_id!r}")
        if on:
            return sql.subscribe(conn, channel_id, event, store_id, _now())
        return bool(sql.unsubscribe(conn, channel_id, event, store_id))


def channels(storage: Storage) -> list[dict[str, Any]]:
    """Every channel with its subscriptions (no secrets)."""
    with storage.db.connection() as conn:
        return sql.channels(conn)


def recent(storage: Storage, limit: int = 100,
           queued: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    """The newest deliveries, newest first, each with its ``state`` (``queued``: only
    those queued between these two UTC instants)."""
    with storage.db.connection() as conn:
        rows = sql.recent(conn, limit, queued)
    return [{**row, "state": state_of(row)} for row in rows]


def state_of(row: dict[str, Any]) -> str:
    """sent, failed, retrying (tried, due again later) or queued (not tried yet)."""
    if row["sent_at"]:
        return "sent"
    if row["failed_at"]:
        return "failed"
    return "retrying" if row["attempts"] else "queued"


# -- queueing ------------------------------------------------------------------------


def payload(message: Message) -> str:
    """A message as the outbox row keeps it (JSON; inline images as base64)."""
    data = asdict(message)
    data["mail"]["inline"] = [{"name": a.name, "mime": a.mime,
                               "content": base64.b64encode(a.content).decode()}
                              for a in message.mail.inline]
    return json.dumps(data, ensure_ascii=False)


def message_of(text: str) -> Message:
    """The :class:`Message` an outbox row keeps (see :func:`payload`)."""
    data = json.loads(text)
    inline = tuple(Attachment(a["name"], base64.b64decode(a["content"]), a["mime"])
                   for a in data["mail"].pop("inline"))
    return Message(**{**data, "mail": Mail(**data["mail"], inline=inline)})


def enqueue(target: Storage | Connection, key: str, channel_id: int, message: Message | Mail,
            event: str = "alert", store_id: str | None = None) -> bool:
    """Queue ``message`` to one channel; False when ``(key, channel)`` was queued before.

    ``target`` is a :class:`Storage` or a connection inside the caller's own
    transaction (so an alert and its deliveries commit together).  A plain
    :class:`Mail` is sent as ``event`` about ``store_id``.
    """
    if not key:
        raise ValueError("a delivery needs a key naming its event instance, e.g. alert:42")
    if isinstance(message, Mail):
        message = Message(event, message, store_id)
    message = replace(message, key=key)
    if isinstance(target, Storage):
        with target.db.connection() as conn:
            return _enqueue(conn, key, channel_id, message)
    return _enqueue(target, key, channel_id, message)


def _enqueue(conn: Connection, key: str, channel_id: int, message: Message) -> bool:
    return sql.enqueue(conn, key, channel_id, message.event, message.store_id,
                       payload(message), _now())


def fanout(storage: Storage | Connection, event: str, store_id: str | None, key: str,
           mail: Mail, link: str | None = None, extra: dict[str, Any] | None = None) -> int:
    """Queue ``mail`` to every live channel subscribed to ``event`` for ``store_id``.

    E-mail channels get the whole mail (text, HTML, inline images) at their
    own address (``mail.to`` is not used); chat channels the subject and
    text (and ``link``); webhooks a JSON body with ``event``, ``store_id``,
    ``subject``, ``text``, ``link`` and ``extra``'s fields.  Returns how
    many rows were queued now (0 when this ``key`` was fanned out before).
    """
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}: use one of {', '.join(EVENTS)}")
    message = Message(event, mail, store_id, key, link, dict(extra or {}))
    if isinstance(storage, Storage):
        with storage.db.connection() as conn:
            return _fanout(conn, event, store_id, key, message)
    return _fanout(storage, event, store_id, key, message)


def _fanout(conn: Connection, event: str, store_id: str | None, key: str,
            message: Message) -> int:
    return sum(_enqueue(conn, key, row["id"], message)
               for row in sql.subscribed(conn, event, store_id))


# -- sending -------------------------------------------------------------------------


def deliver(storage: Storage, settings: Settings, now: datetime | None = None) -> int:
    """The chore: claim and send every due row (up to :data:`BATCH`); how many were sent."""
    moment = now or utc_now()
    at, lease = format_utc(moment), format_utc(moment + timedelta(seconds=LEASE_S))
    with storage.db.connection() as conn:
        candidates = sql.due(conn, at, BATCH)
    sent = 0
    for delivery_id in candidates:
        with storage.db.connection() as conn:
            if not sql.claim(conn, delivery_id, at, lease):
                continue  # another process has it
            row = sql.claimed(conn, delivery_id)
        sent += _attempt(storage, settings, row, moment)
    return sent


def _attempt(storage: Storage, settings: Settings, row: dict[str, Any],
             moment: datetime) -> bool:
    """Send one claimed row and record what happened; True when it was taken."""
    try:
        if row["disabled_at"]:
            raise DeliveryError("the channel was removed")
        send(row["kind"], row["target"], row["secret"], message_of(row["payload"]), settings)
    except DeliveryError as error:
        _record_failure(storage, row, str(error), moment)
        return False
    except Exception as error:  # a bug or a library's surprise: recorded, retried
        logger.exception("delivery failed", extra={"delivery": row["id"]})
        _record_failure(storage, row, f"{type(error).__name__}: {error}", moment)
        return False
    with storage.db.connection() as conn:
        sql.mark_sent(conn, row["id"], format_utc(utc_now()))
    return True


def _record_failure(storage: Storage, row: dict[str, Any], error: str,
                    moment: datetime) -> None:
    """Keep the row queued with its next attempt, or give it up when it is too old."""
    next_at = moment + retry_delay(row["attempts"])
    with storage.db.connection() as conn:
        if row["disabled_at"] or next_at > parse_utc(row["created_at"]) + GIVE_UP_AFTER:
            sql.mark_failed(conn, row["id"], error, format_utc(moment))
        else:
            sql.mark_retry(conn, row["id"], error, format_utc(next_at))
    logger.warning("delivery not taken", extra={"delivery": row["id"], "error": error})


def send_test(target: str, settings: Settings, kind: str | None = None) -> str:
    """``notify test``: send a test message to ``target`` now; the kind it was sent as."""
    kind = kind_of(target, kind)
    message = Message("test", Mail(target, "Hymy: test message",
                                   "This is a test message from the Hymy collector. If you can"
                                   " read it, alerts and digests will reach you here."),
                      key="test")
    send(kind, target.strip(), new_secret(), message, settings)
    return kind


def _now() -> str:
    return format_utc(utc_now())
