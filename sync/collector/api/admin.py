"""Routes for admin tokens: stores, kiosks, tokens and surveys.

The same operations as the ``hymy-collector store/kiosk/token/survey``
commands, for setting up a collector without shell access: creating,
renaming, re-zoning, moving, retiring, restoring and deleting.  New tokens
appear in the response once and are never retrievable again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from sync.clock import zone
from sync.collector.api.models import (
    CreatedKiosk,
    CreatedStore,
    CreatedToken,
    KioskState,
    SavedSurvey,
    Store,
    Tokens,
    errors,
)
from sync.collector.auth import admin, storage_of
from sync.collector.db.regions import clean_touchpoint
from sync.collector.db.storage import AlreadyExists, InUse, NotFound, Storage
from sync.collector.tokens import Principal
from sync.survey import parse_survey

router = APIRouter(prefix="/api/v1", tags=["admin"])

#: Every route here is for admin tokens only.
Admin = Annotated[Principal, Depends(admin)]
#: The collector's storage, for a route that needs nothing else of the request.
Stored = Annotated[Storage, Depends(storage_of)]


class NewStore(BaseModel):
    """A store to create."""

    id: str = Field(description="Short id, e.g. hki-kamppi")
    name: str
    timezone: str = Field(description="IANA zone, e.g. Europe/Helsinki")
    region_id: str | None = Field(default=None, description="Its region (default: the chain)")


class NewKiosk(BaseModel):
    """A kiosk to register in the store of the path."""

    id: str = Field(description="Short id, e.g. hki-kamppi-1")
    label: str | None = None
    touchpoint: str | None = Field(default=None, description="e.g. checkout, service_desk")


class NewTokenRequest(BaseModel):
    """A staff, office or admin token to create (kiosk tokens come with their kiosk)."""

    role: str = Field(description="staff, office or admin")
    store_id: str | None = Field(default=None, description="Required for staff (or region_id)")
    region_id: str | None = Field(default=None,
                                  description="Scope a staff or office token to a region")
    label: str | None = None


class Change(BaseModel):
    """A PATCH body: every field is optional, and one left out (None) stays as it is.

    Each field's description is the docstring under it.
    """

    model_config = ConfigDict(use_attribute_docstrings=True)


class StoreChange(Change):
    """What to change about a store; fields left out stay as they are."""

    name: str | None = None
    """New display name"""
    timezone: str | None = None
    """New IANA zone; past ratings keep their local dates"""
    retired: bool | None = None
    """true: retire (no uploads, out of rankings); false: restore"""
    region_id: str | None = None
    """Put it in this region ('' for directly under the chain)"""


class KioskChange(Change):
    """What to change about a kiosk; fields left out stay as they are."""

    label: str | None = None
    """New label ('' for none)"""
    store_id: str | None = None
    """Move it here: later ratings count for this store"""
    retired: bool | None = None
    """true: retire (its uploads get 403); false: restore"""
    touchpoint: str | None = None
    """Where in its store it stands, e.g. checkout ('' for none)"""


#: The request body of PUT .../survey, read by :func:`~sync.survey.parse_survey` (so its
#: messages name the field at fault); ``version`` is ignored (the collector numbers it).
SURVEY_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Survey"},
    "example": {"scale": 5, "questions": {"en": "How did we do?"}, "reasons": ["queue"]}}}}}


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, read here rather than by a ``Body`` parameter so
    that the OpenAPI document names its schema (``openapi_extra``) instead of ``Body``."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise HTTPException(422, "body: not JSON; send a JSON object") from None
    if not isinstance(body, dict):
        raise HTTPException(422, "body: Input should be a valid dictionary")
    return body


#: Keys of a survey's answer the collector makes: a request body may hold them (an answer
#: sent back as it came) and they are ignored.
ANSWER_ONLY = ("version", "warnings")


def set_survey(storage: Storage, store_id: str, body: dict[str, Any],
               touchpoint: str | None = None) -> Response:
    """Store a PUT's survey for the store or one touchpoint; answer it with its warnings."""
    survey = _apply(lambda: parse_survey({k: v for k, v in body.items()
                                          if k not in ANSWER_ONLY}))
    saved = _apply(lambda: storage.set_survey(store_id, survey, touchpoint))
    warnings = storage.survey_warnings(store_id, saved)
    return JSONResponse({**saved.body(), "warnings": warnings}, headers={"ETag": saved.etag()})


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


def _change(change: Change, thing_id: str, state: Callable[[str], Any],
            **steps: Callable[[str, Any], Any]) -> Any:
    """Apply a PATCH body to one store or kiosk and answer its ``state`` after.

    ``steps`` maps a field to the storage call that changes it (given the id
    and the new value), in the order they run; a field left out (None) is not
    touched, and the first refused step answers (:func:`_apply`) so the steps
    after it do not run.
    """
    for field, step in steps.items():
        value = getattr(change, field)
        if value is not None:
            _apply(partial(step, thing_id, value))
    return state(thing_id)


def _gone(action: Callable[[], Any]) -> Response:
    """Delete or revoke (errors as :func:`_apply` answers them); 204 No Content."""
    _apply(action)
    return Response(status_code=204)


@router.post("/stores", status_code=201, response_model=CreatedStore,
             responses=errors(409, e409="A store with this id exists"), summary="Create a store")
def create_store(
    request: Request, store: NewStore, principal: Admin
) -> dict[str, Any]:
    """A new store; 409 when the id is taken, 422 for a bad id or time zone."""
    return _apply(lambda: storage_of(request).add_store(store.id, store.name, store.timezone,
                                                        store.region_id))


@router.post("/stores/{store_id}/kiosks", status_code=201, response_model=CreatedKiosk,
             responses=errors(404, 409, e409="A kiosk with this id exists"),
             summary="Register a kiosk")
def create_kiosk(
    request: Request, store_id: str, kiosk: NewKiosk, principal: Admin
) -> dict[str, Any]:
    """A new kiosk and its token (shown only in this response)."""
    made = _apply(lambda: storage_of(request).add_kiosk(kiosk.id, store_id, kiosk.label,
                                                        kiosk.touchpoint))
    return {"kiosk_id": made.kiosk_id, "store_id": made.store_id, "token_id": made.id,
            "token": made.token}


@router.post("/tokens", status_code=201, response_model=CreatedToken, responses=errors(404),
             summary="Create a token")
def create_token(
    request: Request, wanted: NewTokenRequest, principal: Admin
) -> dict[str, Any]:
    """A staff, office or admin token (shown only in this response)."""
    if wanted.role == "kiosk":
        raise HTTPException(422, "kiosk tokens come with POST /api/v1/stores/{id}/kiosks")
    made = _apply(lambda: storage_of(request).add_token(
        wanted.role, wanted.store_id, None, wanted.label, wanted.region_id))
    return {"id": made.id, "role": made.role, "store_id": made.store_id,
            "region_id": wanted.region_id, "token": made.token}


@router.get("/tokens", response_model=Tokens, summary="List tokens")
def list_tokens(request: Request, principal: Admin) -> list[dict[str, Any]]:
    """Every token's id, role, scope and dates (never the secret)."""
    return storage_of(request).tokens()


@router.delete("/tokens/{token_id}", status_code=204, responses=errors(404),
               summary="Revoke a token")
def revoke_token(request: Request, token_id: int, principal: Admin) -> Response:
    """Revoke at once: the token's next request gets 401."""
    return _gone(lambda: storage_of(request).revoke_token(token_id))


@router.put("/stores/{store_id}/survey", response_model=SavedSurvey, responses=errors(404),
            openapi_extra=SURVEY_BODY, summary="Set a store's survey")
def put_survey(
    request: Request,
    store_id: str,
    body: Annotated[dict[str, Any], Depends(json_object)],
    principal: Admin,
) -> Response:
    """Store a new survey version (numbered by the collector); kiosks pick it up on next sync.
    ``warnings`` names texts left to the kiosks' stock words in some of the store's
    languages (the survey is stored all the same)."""
    return set_survey(storage_of(request), store_id, body)


@router.patch("/stores/{store_id}", response_model=Store, responses=errors(404),
              summary="Change a store")
def patch_store(store_id: str, change: StoreChange, storage: Stored,
                principal: Admin) -> dict[str, Any]:
    """Rename, re-zone, retire, restore or re-region a store; 404 unknown store or region,
    422 bad name or zone."""
    if storage.store(store_id) is None:
        raise HTTPException(404, f"no store {store_id!r}")
    if change.timezone is not None:  # checked before anything changes
        _apply(lambda: zone(change.timezone))
    if change.name is not None and not change.name.strip():
        raise HTTPException(422, "a store needs a name, e.g. 'Hymy Kamppi'")
    return _change(change, store_id, storage.store,
                   region_id=storage.set_store_region,  # first: may be refused (404)
                   name=storage.rename_store, timezone=storage.set_timezone,
                   retired=storage.retire_store)


#: A delete's refusals: nothing by that id, or it holds ratings (409 says how many).
HOLDS_RATINGS = errors(404, 409, e409="It holds ratings; retire it instead")


@router.delete("/stores/{store_id}", status_code=204, responses=HOLDS_RATINGS,
               summary="Delete an empty store")
def delete_store(request: Request, store_id: str, principal: Admin) -> Response:
    """Delete a store without ratings, with its kiosks and tokens (else 409)."""
    return _gone(lambda: storage_of(request).delete_store(store_id))


@router.patch("/kiosks/{kiosk_id}", response_model=KioskState, responses=errors(404),
              summary="Change a kiosk")
def patch_kiosk(kiosk_id: str, change: KioskChange, storage: Stored,
                principal: Admin) -> dict[str, Any]:
    """Relabel, move, retire, restore or re-touchpoint a kiosk; 404 unknown kiosk or store,
    422 a touchpoint name too long."""
    _apply(lambda: storage.kiosk(kiosk_id))
    if change.touchpoint is not None:  # checked before anything changes
        _apply(lambda: clean_touchpoint(change.touchpoint))
    return _change(change, kiosk_id, storage.kiosk,
                   store_id=storage.move_kiosk,  # first: the one change that may be refused
                   label=storage.rename_kiosk, retired=storage.retire_kiosk,
                   touchpoint=storage.set_touchpoint)


@router.delete("/kiosks/{kiosk_id}", status_code=204, responses=HOLDS_RATINGS,
               summary="Delete a kiosk without ratings")
def delete_kiosk(request: Request, kiosk_id: str, principal: Admin) -> Response:
    """Delete a kiosk that delivered no ratings, with its tokens (else 409)."""
    return _gone(lambda: storage_of(request).delete_kiosk(kiosk_id))
