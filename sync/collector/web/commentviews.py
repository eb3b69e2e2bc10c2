"""Shoppers' comments as pages and mails show them: the store page's list, a digest's lines.

Not a route module (:mod:`~sync.collector.web.comment` serves the shopper's
phone page), so the store page and the digest can share these without a
route module importing another.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sync.clock import format_utc, parse_utc, utc_now, zone
from sync.collector.db.storage import Storage
from sync.collector.web.i18n import Translator
from sync.collector.web.render import static_url
from sync.i18n import FACE_ART, face_label_key

# -- the store page's list ------------------------------------------------------

#: How far back, and how many, comments the store page lists.
RECENT_DAYS = 30
RECENT_LIMIT = 20


def comment_rows(t: Translator, rows: list[dict[str, Any]], tz: ZoneInfo) -> list[dict[str, Any]]:
    """Comments for a page: the text (masked when stored), the store-local time, and the
    rating's face once the rating has arrived."""
    shown = []
    for row in rows:
        moment = parse_utc(row["created_at"]).astimezone(tz)
        face = None
        if row["score"] is not None and row["scale"] in FACE_ART:
            art = FACE_ART[row["scale"]][row["score"] - 1]
            face = {"icon": static_url(f"face-{art}.svg"),
                    "name": t(face_label_key(row["score"], row["scale"]))}
        shown.append({"body": row["body"], "flagged": bool(row["flagged"]), "face": face,
                      "when": f"{t.day(moment.date())} {t.time(moment)}",
                      "at": row["created_at"], "rating_id": row["rating_id"]})
    return shown


def comment_lines(t: Translator, rows: list[dict[str, Any]], tz: ZoneInfo) -> list[str]:
    """Comments as one line each, for a digest: time, face, flag, then the masked text."""
    lines = []
    for row in comment_rows(t, rows, tz):
        face = row["face"]["name"] if row["face"] else t("comment_no_rating")
        flag = f" · {t('comment_flagged')}" if row["flagged"] else ""
        lines.append(f"{row['when']} · {face}{flag}: “{' '.join(row['body'].split())}”")
    return lines


def recent_for_page(t: Translator, storage: Storage, store_id: str,
                    timezone: str) -> list[dict[str, Any]]:
    """The store page's comments: the newest :data:`RECENT_LIMIT` of :data:`RECENT_DAYS`."""
    since = format_utc(utc_now() - timedelta(days=RECENT_DAYS))
    return comment_rows(t, storage.recent_comments(store_id, since, RECENT_LIMIT), zone(timezone))
