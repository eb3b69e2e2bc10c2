"""The alert log over JSON: its history, and acknowledging an alert with a comment.

- ``GET /api/v1/alerts?from&to&store``: alerts open at any time in the period
  (UTC dates, inclusive; default the last 30 days).  Office and admin tokens
  see every store (or ``store``), a staff token its own store.
- ``POST /api/v1/alerts/{id}/ack`` with ``{"comment": "..."}``: records who
  (the token's label and role), when and why.  Staff acknowledge their own
  store's alerts, office and admin any; an alert is acknowledged once (409
  afterwards, naming who did).

The alerts themselves are opened and closed by the evaluator chore
(:mod:`sync.collector.alertlog`); nothing here runs the rules.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from sync.clock import utc_now
from sync.collector import alertlog
from sync.collector.api.models import AlertHistory, StoredAlert, errors
from sync.collector.api.read import FROM, TO, period, store_scope
from sync.collector.auth import reader, storage_of
from sync.collector.db.storage import NotFound
from sync.collector.tokens import Principal
from sync.wire import MAX_INT

router = APIRouter(prefix="/api/v1", tags=["alerts"])


class Ack(BaseModel):
    """An acknowledgement: what was done about the alert (may be empty)."""

    comment: str = Field(description="What was done or found, at most 1000 characters")


def day_start(day: str) -> str:
    """Midnight UTC starting a date, as stored instants are written."""
    return f"{day}T00:00:00.000Z"


@router.get("/alerts", response_model=AlertHistory, responses=errors(404, e404="No such store"),
            summary="The alert log")
def alert_history(
    request: Request,
    principal: Principal = Depends(reader),
    start: str | None = FROM,
    end: str | None = TO,
    store: str | None = Query(None, description="Only this store's alerts"),
) -> dict[str, Any]:
    """Alerts open at some time in the period, newest first, with their acknowledgement.

    ``from``/``to`` are UTC dates here: one chain's alerts span time zones.
    """
    storage = storage_of(request)
    store = store_scope(storage, principal, store)
    first, last = period(start, end, utc_now().date())
    after = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    found = storage.alert_history(day_start(first), day_start(after), store)
    return {"from": first, "to": last, "store_id": store if isinstance(store, str) else None,
            "alerts": found}


@router.post("/alerts/{alert_id}/ack", response_model=StoredAlert,
             responses=errors(404, 409, e404="No such alert",
                              e409="Acknowledged already; the answer names who"),
             summary="Acknowledge an alert")
def acknowledge_alert(
    request: Request, body: Ack, principal: Principal = Depends(reader),
    alert_id: int = Path(ge=1, le=MAX_INT, description="The alert's id"),
) -> dict[str, Any]:
    """Acknowledge an alert with a comment; the alert as stored afterwards."""
    try:
        return alertlog.acknowledge(storage_of(request), alert_id, principal, body.comment)
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    except alertlog.NotYours as error:
        raise HTTPException(403, str(error)) from None
    except alertlog.AlreadyAcknowledged as error:
        raise HTTPException(409, str(error)) from None
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
