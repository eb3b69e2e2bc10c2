"""The JSON read API for staff, office and admin tokens.

Every route reads pre-aggregated roll-ups through :mod:`sync.collector.reports`,
never raw ratings.  Periods are ``from``/``to`` store-local dates (inclusive,
``YYYY-MM-DD``), defaulting to the last 30 days; a bad date or a reversed
period is a 422 with a message saying which.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from sync.clock import utc_now
from sync.collector import reports
from sync.collector.api.models import (
    DailyOfKind,
    Fleet,
    FleetKiosk,
    Heatmap,
    RankingOfKind,
    Reasons,
    Store,
    StoreKiosks,
    Stores,
    SummaryOfKind,
    errors,
)
from sync.collector.auth import chain_reader, readable_store, reader, storage_of
from sync.collector.db.storage import Storage
from sync.collector.reads import reads_of
from sync.collector.tokens import Principal
from sync.survey import Survey

router = APIRouter(prefix="/api/v1", tags=["read"])
#: What a route reading one store answers besides its figures.
STORE_ERRORS = errors(404, e404="No such store")

FROM = Query(None, alias="from", description="First local date, YYYY-MM-DD (default: 30 days ago)")
TO = Query(None, alias="to", description="Last local date, YYYY-MM-DD (default: today)")


def period(start: str | None, end: str | None, today: date) -> tuple[str, str]:
    """Validated ``(from, to)``; a 422 naming the bad parameter otherwise."""
    try:
        return reports.parse_period(start, end, today)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None


@dataclass
class StorePeriod:
    """A readable store and the validated period asked for: what most read routes need."""

    storage: Storage
    store: dict[str, Any]
    start: str
    end: str

    @property
    def store_id(self) -> str:
        return self.store["id"]

    def report(self, report: Callable[..., Any], *more: Any) -> Any:
        """``report(storage, store_id, start, end, *more)``: a :mod:`reports` function."""
        return report(self.storage, self.store_id, self.start, self.end, *more)

    def answer(self, **values: Any) -> dict[str, Any]:
        """What every store read answers: ``store_id``, ``from`` and ``to``, then ``values``."""
        return {"store_id": self.store_id, "from": self.start, "to": self.end, **values}


def store_period(
    request: Request,
    store: dict = Depends(readable_store),
    start: str | None = FROM,
    end: str | None = TO,
) -> StorePeriod:
    """The store in the path and ``from``/``to``, whose defaults follow the store's own calendar.

    The figures come from the replica while it keeps up (:func:`reads_of`).
    """
    storage = reads_of(request)
    today = reports.store_today(storage, store["id"])
    return StorePeriod(storage, store, *period(start, end, today))


def kiosk_filter(
    kiosk: str | None = Query(None, description="Only this kiosk's taps"),
) -> str | None:
    """``?kiosk=``; a dependency, like :func:`store_period`, so that the schema lists
    it after ``from`` and ``to`` (FastAPI puts a route's own parameters first)."""
    return kiosk


def question_kind(
    kind: str = Query("csat", description="The question's kind: csat (default), nps or ces"),
) -> str:
    """``?kind=``, checked: a 422 naming the kinds for any other value."""
    try:
        return reports.check_kind(kind)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None


#: ``?kind=``, after the route's other parameters.
Kind = Annotated[str, Depends(question_kind)]


def label_language(
    lang: str | None = Query(None, description="Language of the labels, e.g. fi"),
) -> str | None:
    """``?lang=``; a dependency for the same reason as :func:`kiosk_filter`."""
    return lang


@router.get("/stores", response_model=Stores, summary="Stores this token may read")
def list_stores(request: Request, principal: Principal = Depends(reader)) -> list[dict[str, Any]]:
    """Every store for office and admin tokens; a staff token sees its own store."""
    storage = storage_of(request)
    if principal.region_id is not None:
        return [store for store in storage.stores() if principal.can_read(store["id"])]
    if principal.role == "staff":
        return [found for store_id in principal.store_ids
                for found in storage.stores(only=store_id)]
    return storage.stores()


@router.get("/stores/{store_id}", response_model=Store, responses=STORE_ERRORS,
            summary="One store")
def get_store(store: dict = Depends(readable_store)) -> dict[str, Any]:
    """A store's id, name, time zone and number of kiosks."""
    return store


#: A store period route's parameters: the store (readable by the caller) and ``from``/``to``.
Asked = Annotated[StorePeriod, Depends(store_period)]


@router.get("/stores/{store_id}/daily", response_model=DailyOfKind,
            responses=STORE_ERRORS, summary="CSAT, NPS or CES per local day")
def daily(
    asked: Asked, kiosk: Annotated[str | None, Depends(kiosk_filter)], kind: Kind,
) -> dict[str, Any]:
    """One row per store-local day, days without taps included.

    Each row (CSAT, the default): ``date, responses, satisfied, csat, ci_low,
    ci_high, happy_index, suppressed`` and ``counts`` per face.  With
    ``kind=nps`` or ``kind=ces``: ``date, kind, responses, value, ci_low,
    ci_high, suppressed`` and ``counts`` per answer.
    """
    return asked.answer(days=asked.report(reports.daily_report, kiosk, kind))


@router.get("/stores/{store_id}/summary", response_model=SummaryOfKind,
            responses=STORE_ERRORS, summary="CSAT, NPS or CES over a period")
def summary(asked: Asked, kind: Kind) -> dict[str, Any]:
    """One store's figures of one question kind (default CSAT) for the whole period."""
    return asked.answer(**asked.report(reports.summary_report, kind))


@router.get("/stores/{store_id}/heatmap", response_model=Heatmap, responses=STORE_ERRORS,
            summary="Weekday x hour figures")
def heatmap(asked: Asked) -> dict[str, Any]:
    """168 cells (Monday 00 .. Sunday 23, store-local) with responses and CSAT."""
    return asked.answer(cells=asked.report(reports.heatmap_report))


@router.get("/stores/{store_id}/reasons", response_model=Reasons, responses=STORE_ERRORS,
            summary="Follow-up reasons")
def reasons(
    asked: Asked, lang: Annotated[str | None, Depends(label_language)]
) -> dict[str, Any]:
    """How often each reason was given, with its share and the faces it came with."""
    return asked.answer(**asked.report(reports.reasons_report, lang))


@router.get("/stores/{store_id}/kiosks", response_model=StoreKiosks,
            responses=STORE_ERRORS, summary="Kiosk status and lost taps")
def kiosks(request: Request, store: dict = Depends(readable_store)) -> dict[str, Any]:
    """Per kiosk: last seen, last sync, pending it reported, clock offset, seq gaps."""
    found = reports.kiosks_report(reads_of(request), store["id"])
    return {"store_id": store["id"], "kiosks": found}


def store_scope(storage: Storage, principal: Principal,
                store: str | None) -> str | tuple[str, ...] | None:
    """A chain-wide route's ``?store=`` as this caller may read it: staff one of their own
    (403 for another) or, unasked, all of their own (a tuple for a person with several
    stores); a region's token one of its region's stores or, unasked, all of them; office
    and admin the one asked for (404 for none) or every store (None)."""
    if principal.region_id is not None:
        if store is not None and not principal.can_read(store):
            raise HTTPException(403, f"this token may only read the stores of region"
                                     f" {principal.region_id!r}")
        if store is None and not principal.region_stores:
            raise HTTPException(403, f"region {principal.region_id!r} has no stores yet")
        store = store or tuple(sorted(principal.region_stores))
    elif principal.role == "staff":
        if store is not None and store not in principal.store_ids:
            raise HTTPException(403, f"this staff token may only read store"
                                     f" {principal.store_id!r}" if principal.store_id else
                                     "this staff login may only read stores"
                                     f" {', '.join(map(repr, principal.store_ids))}")
        store = store or principal.store_id or principal.store_ids
    if isinstance(store, str) and storage.store(store) is None:
        raise HTTPException(404, f"no store {store!r}")
    return store


@router.get("/kiosks", response_model=Fleet, responses=STORE_ERRORS,
            summary="Every kiosk's health, worst first")
def fleet(
    request: Request,
    principal: Principal = Depends(reader),
    store: str | None = Query(None, description="Only this store's kiosks"),
) -> Fleet:
    """Kiosks in use (retired ones left out) with what each last reported about itself.

    Office and admin tokens see the chain (or ``store``); a staff token sees
    its own store's kiosks.  Silent kiosks come first, then unhealthy ones,
    each by store and kiosk id.
    """
    store = store_scope(storage_of(request), principal, store)
    storage = reads_of(request)
    silent_after = request.app.state.settings.alert_silent_hours * 3600
    found = reports.fleet_report(storage, silent_after, store)
    return Fleet(**{**found, "kiosks": [FleetKiosk(kiosk_id=row["id"], **row)
                                        for row in found["kiosks"]]})


@router.get("/stores/{store_id}/survey", response_model=Survey, responses=STORE_ERRORS,
            summary="The store's current survey")
def store_survey(request: Request, store: dict = Depends(readable_store)) -> Response:
    """The survey kiosks of this store show (version 0 is the built-in default)."""
    survey = storage_of(request).survey(store["id"])
    return JSONResponse(survey.body(), headers={"ETag": survey.etag()})


@router.get("/ranking", response_model=RankingOfKind,
            summary="All stores ranked (office)")
def ranking(
    request: Request,
    principal: Principal = Depends(chain_reader),
    start: str | None = FROM,
    end: str | None = TO,
    order: str = Query("ci_low", description="ci_low (default), csat or happy_index;"
                                             " with kind=nps or ces: ci_low or value"),
    min_responses: int | None = Query(None, ge=0, description="Fewest responses to be ranked"),
    kind: str = Depends(question_kind),
) -> dict[str, Any]:
    """Every store's figures of one question kind (default CSAT) for the period, best first.

    Ranked by the lower end of the 95% interval (``ci_low``: Wilson for CSAT,
    adjusted Wald for NPS, t for CES) unless ``order`` says otherwise, so
    small samples do not win by luck.  Stores below ``min_responses`` have
    ``rank: null`` and are listed last.
    """
    start, end = period(start, end, utc_now().date())
    needed = request.app.state.settings.min_responses if min_responses is None else min_responses
    try:
        stores = reports.ranking_report(reads_of(request), start, end, needed, order, kind)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    answer = {"from": start, "to": end, "ranked_by": order, "min_responses": needed,
              "stores": stores}
    return answer if kind == "csat" else {**answer, "kind": kind}
