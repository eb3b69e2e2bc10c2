"""The admin's delivery page: channels, and what became of each message sent to them.

- ``GET /admin/deliveries``: every channel (kind, owner, where it goes - a
  URL without its path, which may itself be a secret - and what it receives),
  then the newest deliveries queued in the period (``?from&to``, local days of
  the chain's zone, as the chain's alert log; the last 30 days by default): sent
  (when), retrying (the error and the next attempt), queued, or failed (the last
  error), with their attempts.  Days and times are in the chain's zone
  (:func:`reports.chain_zone`, the office page's), named on the page, each time
  with its abbreviation.

Admins only, like the CLI that makes channels: a channel's target is an
address or a webhook.  Staff and office users get the 403 page.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sync.collector import reports
from sync.collector.auth import storage_of
from sync.collector.notify import outbox
from sync.collector.notify.channels import shown
from sync.collector.web.access import admin_page
from sync.collector.web.i18n import Translator
from sync.collector.web.render import Page
from sync.collector.web.views import local_instant, zone_period

router = APIRouter(include_in_schema=False)
#: Deliveries listed, newest first.
RECENT = 100
STATE_KINDS = {"sent": "ok", "retrying": "warn", "queued": "muted", "failed": "bad"}


@router.get("/admin/deliveries")
def deliveries_page(request: Request, ctx: Page = Depends(admin_page)) -> Response:
    """Channels and recent deliveries (admins)."""
    t, storage = ctx.t, storage_of(request)
    found = outbox.channels(storage)
    tz = reports.chain_zone(storage)
    queued, period = zone_period(ctx, "/admin/deliveries", tz, request.query_params)
    return ctx.render(
        "deliveries.html",
        **period,
        title=t("deliveries_title"),
        active="deliveries",
        sub=t.plural("deliveries_sub", len(found)),
        times_text=t("times_in_zone", zone=tz.key),
        channels=[channel_row(t, row, tz) for row in found],
        deliveries=[delivery_row(t, row, tz)
                    for row in outbox.recent(storage, RECENT, queued)],
    )


def channel_row(t: Translator, row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    """A channel as the page shows it: its target without secrets, what it receives."""
    receives = []
    for text in row["subscriptions"]:
        event, _, store = text.partition(":")
        where = t("channel_all_stores") if store == "*" else store
        receives.append(f"{t('event_' + event)} · {where}")
    return {**row, "target": shown(row["kind"], row["target"]), "receives": receives,
            "removed": t("channel_removed", when=local_instant(t, row["disabled_at"], tz))
            if row["disabled_at"] else None}


def delivery_row(t: Translator, row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    """A delivery with its state's word and colour and what to say about it, its times in
    ``tz`` (the chain's zone, as the office page's days)."""
    def instant(text: str) -> str:
        return local_instant(t, text, tz)

    state = row["state"]
    if state == "sent":
        detail = t("delivery_sent_at", when=instant(row["sent_at"]))
    elif state == "failed":
        detail = t("delivery_failed_at", when=instant(row["failed_at"]))
    else:
        detail = t("delivery_next", when=instant(row["due_at"]))
    return {**row, "target": shown(row["kind"], row["target"]),
            "state_text": t("delivery_" + state), "state_kind": STATE_KINDS[state],
            "event_text": t("event_" + row["event"]), "detail": detail,
            "queued": instant(row["created_at"]), "attempts_text": t.number(row["attempts"])}
