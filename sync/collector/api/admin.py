"""Routes for admin tokens: stores, kiosks, tokens and surveys.

The same operations as the ``hymy-collector store/kiosk/token/survey``
commands, for setting up a collector without shell access: creating,
renaming, re-zoning, moving, retiring, restoring and deleting.  New tokens
appear in the response once and are never retrievable again.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sync.clock import zone
from sync.collector.auth import admin, storage_of
from sync.collector.db.storage import AlreadyExists, InUse, NotFound
from sync.collector.tokens import Principal
from sync.survey import Survey, parse_survey

router = APIRouter(prefix="/api/v1", tags=["admin"])


class NewStore(BaseModel):
    """A store to create."""

    id: str = Field(description="Short id, e.g. hki-kamppi")
    name: str
    timezone: str = Field(description="IANA zone, e.g. Europe/Helsinki")


class NewKiosk(BaseModel):
    """A kiosk to register in the store of the path."""

    id: str = Field(description="Short id, e.g. hki-kamppi-1")
    label: str | None = None


class NewTokenRequest(BaseModel):
    """A staff, office or admin token to create (kiosk tokens come with their kiosk)."""

    role: str = Field(description="staff, office or admin")
    store_id: str | None = Field(default=None, description="Required for staff")
    label: str | None = None


class StoreChange(BaseModel):
    """What to change about a store; fields left out stay as they are."""

    name: str | None = Field(default=None, description="New display name")
    timezone: str | None = Field(
        default=None, description="New IANA zone; past ratings keep their local dates"
    )
    retired: bool | None = Field(
        default=None, description="true: retire (no uploads, out of rankings); false: restore"
    )


class StoreState(BaseModel):
    """A store after a change."""

    id: str
    name: str
    timezone: str
    retired_at: str | None = Field(description="When it was retired (UTC), or null")
    kiosks: int


class KioskChange(BaseModel):
    """What to change about a kiosk; fields left out stay as they are."""

    label: str | None = Field(default=None, description="New label ('' for none)")
    store_id: str | None = Field(
        default=None, description="Move it here: later ratings count for this store"
    )
    retired: bool | None = Field(
        default=None, description="true: retire (its uploads get 403); false: restore"
    )


class KioskState(BaseModel):
    """A kiosk after a change."""

    id: str
    store_id: str
    label: str | None
    retired_at: str | None = Field(description="When it was retired (UTC), or null")
    received: int = Field(description="Ratings it has delivered")


def _apply(action: Any) -> Any:
    """Run a storage action, turning its errors into 404 / 409 / 422 answers."""
    try:
        return action()
    except NotFound as error:
        raise HTTPException(404, str(error)) from None
    except (AlreadyExists, InUse) as error:
        raise HTTPException(409, str(error)) from None
    except ValueError as error:
        raise HTTPException(422, str(error)) from None


@router.post("/stores", status_code=201, summary="Create a store")
def create_store(
    request: Request, store: NewStore, principal: Principal = Depends(admin)
) -> dict[str, Any]:
    """A new store; 409 when the id is taken, 422 for a bad id or time zone."""
    return _apply(lambda: storage_of(request).add_store(store.id, store.name, store.timezone))


@router.post("/stores/{store_id}/kiosks", status_code=201, summary="Register a kiosk")
def create_kiosk(
    request: Request, store_id: str, kiosk: NewKiosk, principal: Principal = Depends(admin)
) -> dict[str, Any]:
    """A new kiosk and its token (shown only in this response)."""
    made = _apply(lambda: storage_of(request).add_kiosk(kiosk.id, store_id, kiosk.label))
    return {"kiosk_id": made.kiosk_id, "store_id": made.store_id, "token_id": made.id,
            "token": made.token}


@router.post("/tokens", status_code=201, summary="Create a token")
def create_token(
    request: Request, wanted: NewTokenRequest, principal: Principal = Depends(admin)
) -> dict[str, Any]:
    """A staff, office or admin token (shown only in this response)."""
    if wanted.role == "kiosk":
        raise HTTPException(422, "kiosk tokens come with POST /api/v1/stores/{id}/kiosks")
    made = _apply(
        lambda: storage_of(request).add_token(wanted.role, wanted.store_id, None, wanted.label)
    )
    return {"id": made.id, "role": made.role, "store_id": made.store_id, "token": made.token}


@router.get("/tokens", summary="List tokens")
def list_tokens(request: Request, principal: Principal = Depends(admin)) -> list[dict[str, Any]]:
    """Every token's id, role, scope and dates (never the secret)."""
    return storage_of(request).tokens()


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke a token")
def revoke_token(
    request: Request, token_id: int, principal: Principal = Depends(admin)
) -> Response:
    """Revoke at once: the token's next request gets 401."""
    _apply(lambda: storage_of(request).revoke_token(token_id))
    return Response(status_code=204)


@router.put("/stores/{store_id}/survey", response_model=Survey, summary="Set a store's survey")
def put_survey(
    request: Request,
    store_id: str,
    body: dict[str, Any] = Body(
        examples=[{"scale": 5, "questions": {"en": "How did we do?"}, "reasons": ["queue"]}]
    ),
    principal: Principal = Depends(admin),
) -> Response:
    """Store a new survey version (numbered by the collector); kiosks pick it up on next sync."""
    survey = _apply(lambda: parse_survey({k: v for k, v in body.items() if k != "version"}))
    saved = _apply(lambda: storage_of(request).set_survey(store_id, survey))
    return JSONResponse(saved.body(), headers={"ETag": saved.etag()})


@router.patch("/stores/{store_id}", response_model=StoreState, summary="Change a store")
def patch_store(
    request: Request, store_id: str, change: StoreChange, principal: Principal = Depends(admin)
) -> dict[str, Any]:
    """Rename, re-zone, retire or restore a store; 404 unknown, 422 bad name or zone."""
    storage = storage_of(request)
    if storage.store(store_id) is None:
        raise HTTPException(404, f"no store {store_id!r}")
    if change.timezone is not None:  # checked before anything changes
        _apply(lambda: zone(change.timezone))
    if change.name is not None and not change.name.strip():
        raise HTTPException(422, "a store needs a name, e.g. 'Hymy Kamppi'")
    if change.name is not None:
        _apply(lambda: storage.rename_store(store_id, change.name))
    if change.timezone is not None:
        _apply(lambda: storage.set_timezone(store_id, change.timezone))
    if change.retired is not None:
        _apply(lambda: storage.retire_store(store_id, change.retired))
    return storage.store(store_id)


@router.delete("/stores/{store_id}", status_code=204, summary="Delete an empty store")
def delete_store(
    request: Request, store_id: str, principal: Principal = Depends(admin)
) -> Response:
    """Delete a store without ratings (and its kiosks and tokens); 409 naming how many
    ratings it holds otherwise (retire it instead)."""
    _apply(lambda: storage_of(request).delete_store(store_id))
    return Response(status_code=204)


@router.patch("/kiosks/{kiosk_id}", response_model=KioskState, summary="Change a kiosk")
def patch_kiosk(
    request: Request, kiosk_id: str, change: KioskChange, principal: Principal = Depends(admin)
) -> dict[str, Any]:
    """Relabel, move, retire or restore a kiosk; 404 unknown kiosk or store."""
    storage = storage_of(request)
    _apply(lambda: storage.kiosk(kiosk_id))
    if change.store_id is not None:  # first: the one change that may be refused
        _apply(lambda: storage.move_kiosk(kiosk_id, change.store_id))
    if change.label is not None:
        _apply(lambda: storage.rename_kiosk(kiosk_id, change.label))
    if change.retired is not None:
        _apply(lambda: storage.retire_kiosk(kiosk_id, change.retired))
    return storage.kiosk(kiosk_id)


@router.delete("/kiosks/{kiosk_id}", status_code=204, summary="Delete a kiosk without ratings")
def delete_kiosk(
    request: Request, kiosk_id: str, principal: Principal = Depends(admin)
) -> Response:
    """Delete a kiosk that delivered no ratings (and its tokens); 409 naming how many
    ratings it holds otherwise (retire it instead)."""
    _apply(lambda: storage_of(request).delete_kiosk(kiosk_id))
    return Response(status_code=204)
