"""Figures below and above a store: its touchpoints, and the whole chain.

- ``GET /api/v1/stores/{id}/touchpoints?from&to``: each touchpoint of the
  store with the figure of every question kind asked there (a CES desk by
  its CES mean, not as CSAT), for the store's staff and the office.
- ``GET /api/v1/chain/summary?from&to&kind`` and ``/chain/daily``: the
  chain's figure of one kind over the period and per local date, from its
  per-date roll-up (office and admin; a region's token reads its region's
  ``/api/v1/regions/{id}/summary`` and ``/daily``).

A region's figures are in :mod:`~sync.collector.api.regions`, a store's in
:mod:`~sync.collector.api.read`; every figure comes from :mod:`sync.metrics`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from sync.clock import utc_now
from sync.collector import regions, reports
from sync.collector.api.models import ChainDailyOfKind, ChainSummaryOfKind, StoreTouchpoints
from sync.collector.api.read import FROM, STORE_ERRORS, TO, Asked, period, question_kind
from sync.collector.auth import chain_reader
from sync.collector.reads import reads_of
from sync.collector.reports import chain_zone
from sync.collector.tokens import Principal

router = APIRouter(prefix="/api/v1", tags=["read"])


@router.get("/stores/{store_id}/touchpoints", response_model=StoreTouchpoints,
            responses=STORE_ERRORS, summary="A store's touchpoints, each by its own kind")
def touchpoints(asked: Asked) -> dict[str, Any]:
    """Each touchpoint (kiosks naming none as ``touchpoint: null``), most responses first,
    with the figure and 95% interval of every kind asked there."""
    return asked.answer(touchpoints=asked.report(regions.touchpoints_report))


@router.get("/chain/summary", response_model=ChainSummaryOfKind,
            summary="The whole chain's CSAT, NPS or CES over a period")
def chain_summary(request: Request, principal: Principal = Depends(chain_reader),
                  start: str | None = FROM, end: str | None = TO,
                  kind: str = Depends(question_kind)) -> dict[str, Any]:
    """Every store's responses of one kind (default CSAT) together, with a 95% interval;
    the period's default ends today on the chain's main clock."""
    storage = reads_of(request)
    start, end = chain_period(storage, start, end)
    return {"from": start, "to": end, **reports.chain_summary_report(storage, start, end, kind)}


@router.get("/chain/daily", response_model=ChainDailyOfKind,
            summary="The whole chain's CSAT, NPS or CES per local date")
def chain_daily(request: Request, principal: Principal = Depends(chain_reader),
                start: str | None = FROM, end: str | None = TO,
                kind: str = Depends(question_kind)) -> dict[str, Any]:
    """Every store's responses of one kind (default CSAT) per local date, each date with
    its 95% interval; days without responses included."""
    storage = reads_of(request)
    start, end = chain_period(storage, start, end)
    days = reports.chain_kind_days_report(storage, start, end, kind)
    return {"from": start, "to": end, "days": days}


def chain_period(storage: Any, start: str | None, end: str | None) -> tuple[str, str]:
    """``from``/``to`` checked; the default ends today on the chain's main clock."""
    return period(start, end, utc_now().astimezone(chain_zone(storage)).date())
