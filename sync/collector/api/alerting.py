"""Admin routes for a store's own alerting: opening hours and threshold overrides.

The same as ``hymy-collector store hours`` and ``store alerts``.  Kept apart
from ``PATCH /api/v1/stores/{id}``, whose answer (:class:`Store`) is a public
contract these fields would change; the values are parsed and checked by
:func:`sync.collector.alerts.settled`, so a bad one is a 422 naming it and
nothing changes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from sync.collector import alerts
from sync.collector.api.admin import Admin, Change, Stored, _apply
from sync.collector.api.models import StoreAlerting, errors

router = APIRouter(prefix="/api/v1", tags=["admin"])


class AlertingChange(Change):
    """What to change about a store's alerting; fields left out stay as they are."""

    opening_hours: str | None = Field(default=None, examples=["mon-fri 9-21; sat 10-18"])
    """Store-local opening hours, e.g. 'mon-fri 9-21; sat 10-18; sun closed'; '' forgets
    them (inferred again)"""
    silent_hours: float | None = None
    """Opening hours a kiosk may be silent"""
    funnel_sigmas: float | None = None
    """Standard errors above the store's usual unhappy share (funnel rule)"""
    funnel_min_responses: int | None = None
    """Fewest responses in the window for the funnel rule"""
    burst_share: float | None = None
    """Unhappy share (0-1) of a burst"""
    burst_min_responses: int | None = None
    """Fewest responses in a burst"""
    rate_alpha: float | None = Field(default=None, examples=[1e-3])
    """How rare (above 0, below 0.5) a window's unhappy taps must be at the store's usual
    rate for its hour (rate rule)"""
    reset: bool | None = None
    """true: every threshold back to the chain's, before the values given here"""


def _answer(store_id: str, row: dict[str, Any]) -> dict[str, Any]:
    return {"store_id": store_id, **row}


@router.get("/stores/{store_id}/alerting", response_model=StoreAlerting, responses=errors(404),
            summary="A store's alerting")
def get_alerting(store_id: str, storage: Stored, principal: Admin) -> dict[str, Any]:
    """The store's opening hours and the thresholds it overrides (null: the chain's)."""
    return _answer(store_id, _apply(lambda: storage.alerting(store_id)))


@router.patch("/stores/{store_id}/alerting", response_model=StoreAlerting,
              responses=errors(404), summary="Change a store's alerting")
def patch_alerting(store_id: str, change: AlertingChange, storage: Stored,
                   principal: Admin) -> dict[str, Any]:
    """Set opening hours or thresholds; 404 unknown store, 422 a value that cannot work."""
    wanted = change.model_dump(exclude={"opening_hours", "reset"})
    values = _apply(lambda: alerts.settled(change.opening_hours, bool(change.reset), **wanted))
    return _answer(store_id, _apply(lambda: storage.set_alerting(store_id, values)))
