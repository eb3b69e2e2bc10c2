"""Alerts reach people: each open alert queued once to every channel subscribed to its store.

The ``alerts`` chore opens alerts (:mod:`sync.collector.alertlog`); then
:func:`announce` queues each alert still open that was opened within
:data:`ANNOUNCE_HOURS` to each channel subscribed to ``alert`` for its store,
under the key ``alert:<id>``.  The outbox (:mod:`.outbox`) refuses a key it
has queued to a channel before, retries and records, so announcing every turn
rather than only at the turn that opened the alert costs a lookup and means a
crash between opening and queueing loses nothing.  A person's e-mail channel
gets the message in that person's language; the message links the alert's own
page, where it is acknowledged with a comment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Any

from sync.clock import format_utc, utc_now
from sync.collector import alerts
from sync.collector.db import delivery as delivery_sql
from sync.collector.db.storage import Storage
from sync.collector.notify import mine, outbox
from sync.collector.notify.channels import Message
from sync.collector.notify.links import base_url
from sync.collector.notify.mail import Mail
from sync.collector.settings import Settings
from sync.collector.web.i18n import Translator

#: Alerts opened longer ago than this are not announced to channels subscribed since.
ANNOUNCE_HOURS = 24


def announce(storage: Storage, settings: Settings, now: datetime | None = None) -> int:
    """Queue every recent open alert to each subscribed channel not queued yet; how many."""
    since = format_utc((now or utc_now()) - timedelta(hours=ANNOUNCE_HOURS))
    recent = [row for row in storage.open_alerts() if row["opened_at"] >= since]
    queued = 0
    mails: dict[tuple[int, str], tuple[Mail, str]] = {}
    with storage.db.connection() as conn:
        for row in recent:
            key = f"alert:{row['id']}"
            done = {r["channel_id"] for r in conn.query(
                "SELECT channel_id FROM deliveries WHERE key = ?", (key,))}
            for channel in delivery_sql.subscribed(conn, "alert", row["store_id"]):
                if channel["id"] in done:
                    continue
                lang = mine.language_of(conn, channel)
                if (row["id"], lang) not in mails:
                    mails[row["id"], lang] = alert_mail(storage, settings, row, lang)
                mail, link = mails[row["id"], lang]
                queued += outbox.enqueue(conn, key, channel["id"], Message(
                    "alert", mail, row["store_id"], key, link,
                    {"alert_id": row["id"], "rule": row["kind"], "severity": row["severity"]}))
    return queued


def alert_mail(storage: Storage, settings: Settings, row: dict[str, Any],
               lang: str) -> tuple[Mail, str]:
    """The message about one stored alert in ``lang``, and the link to its page."""
    from sync.collector.web.views import alert_views  # the pages' words for an alert

    t = Translator(lang)
    today = utc_now().date()
    start = (today - timedelta(days=29)).isoformat()
    [view] = alert_views(t, [row], storage, start, today.isoformat(),
                         alerts.rules_from(settings))
    link = base_url(settings) + view["page"]
    subject = t("alert_mail_subject", store=view["store"], title=view["title"])
    footer = t("alert_mail_footer", store=view["store"])
    text = "\n".join([view["title"], view["detail"], "", t("alert_mail_ack"), link, "",
                      footer]) + "\n"
    html = (f'<!doctype html><html lang="{t.lang}"><body style="font-family:sans-serif">'
            f'<p style="font-size:18px;font-weight:600">{escape(view["title"])}</p>'
            f'<p>{escape(view["store"])} · {escape(view["detail"])}</p>'
            f'<p><a href="{escape(link, quote=True)}" style="display:inline-block;'
            f'padding:10px 18px;background:#1f6f5c;color:#ffffff;border-radius:6px;'
            f'text-decoration:none">{escape(t("alert_mail_button"))}</a></p>'
            f'<p style="color:#555;font-size:13px">{escape(footer)}</p></body></html>')
    return Mail("", subject, text, html), link
