"""Routes for the chain's regions: the tree (admin writes it) and figures per region.

A region's figures are all its stores' responses together, its sub-regions'
stores included (:mod:`sync.collector.regions`).  Office and admin tokens read
every region; a token scoped to a region reads it and the regions below it
(403 for others); a staff token of one store reads none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from sync.clock import utc_now
from sync.collector import regions
from sync.collector.api.admin import Admin, Change, Stored, _apply, _gone
from sync.collector.api.models import (
    Region,
    RegionDailyOfKind,
    Regions,
    RegionSummaryOfKind,
    errors,
)
from sync.collector.api.read import FROM, TO, Kind, period
from sync.collector.auth import reader, storage_of
from sync.collector.db.regions import RegionError, Tree
from sync.collector.db.storage import Storage
from sync.collector.reports import chain_zone
from sync.collector.tokens import Principal

router = APIRouter(prefix="/api/v1", tags=["regions"])
#: What a route reading one region answers besides its figures.
REGION_ERRORS = errors(403, 404, e403="This token is scoped to another region (or a store)",
                       e404="No such region")


class NewRegion(BaseModel):
    """A region to create, directly under the chain or inside another region."""

    id: str = Field(description="Short id, e.g. uusimaa")
    name: str
    parent_id: str | None = Field(default=None, description="The region it is part of")


class RegionChange(Change):
    """What to change about a region; fields left out stay as they are."""

    name: str | None = None
    """New display name"""
    parent_id: str | None = None
    """Move it (with its stores and sub-regions) into this region ('' for the chain)"""


@dataclass
class RegionPeriod:
    """A readable region, the tree it is in and the validated period asked for."""

    storage: Storage
    tree: Tree
    region_id: str
    start: str
    end: str

    def answer(self, **values: Any) -> dict[str, Any]:
        """What every region read answers: ``region_id``, ``from`` and ``to``, then ``values``."""
        return {"region_id": self.region_id, "from": self.start, "to": self.end, **values}


def readable_region(region_id: str, request: Request,
                    principal: Principal = Depends(reader)) -> Tree:
    """The chain's tree, if this caller may read ``region_id`` (403) and it exists (404)."""
    if not principal.can_read_region(region_id):
        raise HTTPException(403, f"this token may not read region {region_id!r}")
    tree = storage_of(request).region_tree()
    if region_id not in tree.regions:
        raise HTTPException(404, f"no region {region_id!r}")
    return tree


def region_period(region_id: str, request: Request, tree: Tree = Depends(readable_region),
                  start: str | None = FROM, end: str | None = TO) -> RegionPeriod:
    """The region in the path and ``from``/``to`` (defaults on the chain's calendar)."""
    storage = storage_of(request)
    today = utc_now().astimezone(chain_zone(storage)).date()
    return RegionPeriod(storage, tree, region_id, *period(start, end, today))


Asked = Annotated[RegionPeriod, Depends(region_period)]


def _shown(region: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in region.items() if key != "created_at"}


@router.get("/regions", response_model=Regions, summary="Regions this token may read")
def list_regions(storage: Stored, principal: Principal = Depends(reader)
                 ) -> list[dict[str, Any]]:
    """Every region for office and admin tokens; a region-scoped token sees its own and
    those below; a store's staff token none."""
    return [_shown(region) for region in storage.regions()
            if principal.can_read_region(region["id"])]


@router.post("/regions", status_code=201, response_model=Region,
             responses=errors(404, 409, e404="No such parent region",
                              e409="A region with this id exists"),
             summary="Create a region")
def create_region(wanted: NewRegion, storage: Stored, principal: Admin) -> dict[str, Any]:
    """A new region; 409 when the id is taken, 404 for an unknown parent, 422 a bad id."""
    return _shown(_apply(lambda: storage.add_region(wanted.id, wanted.name, wanted.parent_id)))


@router.patch("/regions/{region_id}", response_model=Region,
              responses=errors(404, 409, e409="The move would put it inside itself"),
              summary="Rename or move a region")
def patch_region(region_id: str, change: RegionChange, storage: Stored,
                 principal: Admin) -> dict[str, Any]:
    """Rename a region, or move it with its stores and sub-regions under another."""
    def change_it() -> dict[str, Any]:
        try:
            return storage.change_region(region_id, change.name, change.parent_id or None,
                                         to_top=change.parent_id == "")
        except RegionError as error:  # a loop: a conflict with the tree, not a bad value
            raise HTTPException(409, str(error)) from None

    return _shown(_apply(change_it))


@router.delete("/regions/{region_id}", status_code=204,
               responses=errors(404, 409, e409="It holds stores, sub-regions or tokens"),
               summary="Remove an empty region")
def delete_region(region_id: str, storage: Stored, principal: Admin) -> Response:
    """Remove a region without stores, sub-regions or live tokens (else 409)."""
    return _gone(lambda: storage.remove_region(region_id))


@router.get("/regions/{region_id}/daily", response_model=RegionDailyOfKind,
            responses=REGION_ERRORS, summary="A region's CSAT, NPS or CES per local day")
def region_daily(asked: Asked, kind: Kind) -> dict[str, Any]:
    """One row per local day (days without taps included): all the region's stores,
    its sub-regions' too, counted together; ``kind=nps|ces`` as the store's daily."""
    return asked.answer(days=regions.region_daily(
        asked.storage, asked.tree, asked.region_id, asked.start, asked.end, kind))


@router.get("/regions/{region_id}/summary", response_model=RegionSummaryOfKind,
            responses=REGION_ERRORS, summary="A region's CSAT, NPS or CES over a period")
def region_summary(asked: Asked, kind: Kind) -> dict[str, Any]:
    """The region's figures of one kind (default CSAT) over the period, with a 95%
    interval over all its responses."""
    return asked.answer(**regions.region_summary(
        asked.storage, asked.tree, asked.region_id, asked.start, asked.end, kind))
