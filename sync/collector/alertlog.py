"""The alert log's evaluator: the rules run on a clock, and alerts get a life.

The rules themselves live in :mod:`sync.collector.alerts` (``chain_alerts``,
``Rules``); this module only turns their answer into stored rows
(:mod:`sync.collector.db.alertlog`), so the office page reads a table instead
of recomputing every rule per page view.

Each turn (the ``alerts`` chore, every :data:`EVERY_S` seconds):

1. one process claims the turn (a conditional UPDATE of ``alert_runs``), so
   several server processes evaluate once between them;
2. the rules run over a recent window only: bursts over the last
   ``burst_lookback_hours`` of taps, silent kiosks from the kiosk table and
   the hourly roll-ups, the baseline from the daily roll-ups over
   :data:`PERIOD_DAYS` days.  Nothing rescans all raw ratings;
3. an alert the rules report that is not open yet is opened (the partial
   unique index keeps one open per rule, store and kiosk); one still open
   gets the latest numbers; an open one the rules no longer report is closed.

:func:`evaluate` returns the rows it opened, for whoever fans them out
(e-mail, chat).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sync.clock import format_utc, utc_now
from sync.collector import alerts, reports
from sync.collector.db import alertlog as sql
from sync.collector.db.storage import NotFound, Storage
from sync.collector.settings import Settings
from sync.collector.tokens import Principal

#: How often the chore comes round, in seconds.
EVERY_S = 60.0
#: The period the baseline rule compares (the office page's default period).
PERIOD_DAYS = 30
#: The longest acknowledgement comment kept.
COMMENT_MAX = 1000

Key = tuple[str, str, str | None]


def key_of(alert: alerts.Alert) -> Key:
    """What makes two evaluations the same alert: its rule, store and kiosk."""
    return alert.kind, alert.store_id, alert.data.get("kiosk_id")


def numbers(alert: alerts.Alert) -> str:
    """The numbers behind an alert (and the instant it is about) as JSON text."""
    return json.dumps({**alert.data, "at": alert.at}, default=_jsonable, sort_keys=True)


def _jsonable(value: Any) -> Any:
    """Instants as RFC 3339 UTC text, dates as ISO dates: JSON has neither."""
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in an alert's numbers")


def evaluate(storage: Storage, settings: Settings,
             now: datetime | None = None) -> list[dict[str, Any]]:
    """Run the rules once, open, refresh and close stored alerts; the rows opened now."""
    now = now or utc_now()
    start, end = reports.parse_period(
        (now.date() - timedelta(days=PERIOD_DAYS - 1)).isoformat(), now.date().isoformat(),
        now.date())
    found = {key_of(a): a for a in alerts.chain_alerts(storage, start, end,
                                                       alerts.rules_from(settings), now=now)}
    stamp = format_utc(now)
    opened = []
    with storage.db.transaction(serialize=True) as conn:
        stored = {(row["kind"], row["store_id"], row["kiosk_id"]): row
                  for row in sql.open_alerts(conn)}
        for key, row in stored.items():
            if key not in found:
                sql.close(conn, row["id"], stamp)
        for key, alert in found.items():
            data = numbers(alert)
            row = stored.get(key)
            if row is None:
                new = sql.insert_open(conn, key, alert.severity, data, stamp)
                opened += [new] if new else []
            elif json.loads(data) != row["data"] or alert.severity != row["severity"]:
                sql.refresh(conn, row["id"], alert.severity, data)
    return opened


def run(storage: Storage, settings: Settings) -> list[dict[str, Any]]:
    """The chore: evaluate, unless another process did within the last turn."""
    now = utc_now()
    due_before = format_utc(now - timedelta(seconds=EVERY_S * 0.9))
    with storage.db.transaction(serialize=True) as conn:
        if not sql.claim_turn(conn, format_utc(now), due_before):
            return []
    return evaluate(storage, settings, now)


def by_priority(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored alerts in the order the rules rank them (most severe first)."""
    return sorted(rows, key=lambda row: alerts._priority(as_alert(row)))


def as_alert(row: dict[str, Any]) -> alerts.Alert:
    """A stored row as the rules' :class:`~sync.collector.alerts.Alert`, for the pages."""
    return alerts.Alert(row["kind"], row["store_id"], row["severity"],
                        row["data"].get("at"), row["data"])


class NotYours(PermissionError):
    """A staff member acknowledging another store's alert."""


class AlreadyAcknowledged(ValueError):
    """Someone acknowledged the alert before: the first acknowledgement stays."""


def acknowledge(storage: Storage, alert_id: int, principal: Principal,
                comment: str) -> dict[str, Any]:
    """Acknowledge an alert with a comment; the alert afterwards.

    The one rule for the API and the page: staff their own store's alerts,
    office and admin any.  Raises :class:`NotFound`, :class:`NotYours`,
    :class:`AlreadyAcknowledged`, or ValueError for a comment too long.
    """
    row = storage.alert(alert_id)
    if row is None:
        raise NotFound(f"no alert {alert_id}")
    if not principal.can_read(row["store_id"]):
        raise NotYours(f"alert {alert_id} is about store {row['store_id']!r}; this staff"
                       f" login may only acknowledge store {principal.store_id!r}'s alerts")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise ValueError(f"comment: at most {COMMENT_MAX} characters, not {len(comment)}")
    if not storage.acknowledge_alert(alert_id, principal, comment):
        done = storage.alert(alert_id) or row
        raise AlreadyAcknowledged(f"alert {alert_id} was acknowledged already, by"
                                  f" {done['acknowledged_by']}; the first acknowledgement"
                                  " stays")
    return storage.alert(alert_id) or row
