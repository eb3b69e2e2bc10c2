"""What reaches a person by e-mail: their own choices, kept as an e-mail channel of theirs.

A signed-in person picks, on ``/me/notifications``, which events reach them
(``alert``, ``digest``; office and admin also ``weekly``).  Their choices
become one e-mail channel owned by their address (:mod:`.outbox`), subscribed
to each chosen event for each of their stores (staff; a person scoped to
regions: the stores in them when they save) or for every store (office,
admin), so alerts and digests reach them through the same outbox,
retries and records as any other channel.
"""

from __future__ import annotations

from typing import Any

from sync.collector.db.connection import Connection
from sync.collector.db.storage import Storage
from sync.collector.notify import outbox
from sync.collector.tokens import Principal
from sync.collector.web.i18n import DEFAULT

#: The events a person may choose, by role.
CHOICES = {"staff": ("alert", "digest"), "office": ("alert", "digest", "weekly"),
           "admin": ("alert", "digest", "weekly")}


def scope(person: Principal) -> tuple[str | None, ...]:
    """The stores a person's subscriptions cover: their regions' stores and their own (a
    person scoped to regions), theirs (staff), or every store (None)."""
    if person.region_id is not None:
        return tuple(sorted(person.region_stores))
    return person.store_ids if person.role == "staff" else (None,)


def choices(person: Principal) -> tuple[str, ...]:
    """The events ``person`` may choose: their role's, less the chain's weekly digest for
    a person scoped to regions (it is the whole chain's figures)."""
    allowed = CHOICES.get(person.role, ())
    if person.region_id is not None:
        return tuple(event for event in allowed if event != "weekly")
    return allowed


def own_channel(storage: Storage, email: str) -> dict[str, Any] | None:
    """The person's live e-mail channel to their own address, if they have one."""
    for channel in outbox.channels(storage):
        if (channel["kind"] == "email" and not channel["disabled_at"]
                and channel["owner"] == email and channel["target"] == email):
            return channel
    return None


def chosen(storage: Storage, person: Principal) -> set[str]:
    """The events that reach ``person`` now (each for every store of their scope)."""
    channel = own_channel(storage, person.email or "")
    if channel is None:
        return set()
    wanted = {f"{store or '*'}" for store in scope(person)}
    found: dict[str, set[str]] = {}
    for text in channel["subscriptions"]:
        event, _, store = text.partition(":")
        found.setdefault(event, set()).add(store)
    return {event for event, stores in found.items() if wanted <= stores}


def choose(storage: Storage, person: Principal, events: set[str]) -> set[str]:
    """Make exactly ``events`` (of those the person's role may choose) reach the person."""
    if not person.email:
        raise ValueError("only a person signed in with their own account chooses e-mails")
    allowed = choices(person)
    events = {event for event in events if event in allowed}
    channel = own_channel(storage, person.email)
    if channel is None:
        if not events:
            return set()
        channel_id, _kind, _secret = outbox.add_channel(storage, person.email, person.email,
                                                        kind="email")
    else:
        channel_id = channel["id"]
    for event in allowed:
        for store in scope(person):
            outbox.subscribe(storage, channel_id, event, store, on=event in events)
    return events


def language_of(conn: Connection, channel: dict[str, Any]) -> str:
    """A person's language for their e-mail channel; the default for any other."""
    if channel["kind"] == "email":
        found = conn.scalar("SELECT language FROM users WHERE email = ? AND disabled_at IS NULL",
                            (channel["target"].strip().lower(),))
        if found:
            return found
    return DEFAULT
