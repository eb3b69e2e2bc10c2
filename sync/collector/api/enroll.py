"""``POST /api/v1/enroll``: a new kiosk trades its one-time code for everything it needs.

An admin issues the code (``hymy-collector kiosk add`` or ``kiosk
enroll-code``, or the kiosk's dashboard page); ``hymy-kiosk enroll URL CODE``
sends it here without a token and writes its config from the answer.

- 200: the kiosk's store, time zone, a kiosk token minted at this moment,
  the kiosk's survey (its touchpoint's, else its store's) and the sync URL;
  the code is used up in the same transaction;
- 404: no such code (mistyped, or never issued);
- 410: a code that was used, expired, replaced by a newer one, or whose
  kiosk or store is retired;
- 429: more than :data:`ENROLL_FAILURES_PER_MINUTE` refused codes from one
  address within a minute; every code from that address, right or wrong,
  then waits for ``Retry-After`` seconds, so guessing gets nowhere.

A refused code changes nothing.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field, field_serializer
from starlette.concurrency import run_in_threadpool

from sync.collector.api.models import errors
from sync.collector.auth import FailureThrottle, storage_of
from sync.collector.db.storage import CodeGone, NotFound
from sync.collector.logs import log_fields
from sync.survey import Survey

router = APIRouter(tags=["kiosk"])
#: Refused codes one client address may send per minute before 429.
ENROLL_FAILURES_PER_MINUTE = 10


class EnrollRequest(BaseModel):
    """The code an admin gave the kiosk's installer."""

    code: str = Field(max_length=64, description="Enrollment code, e.g. K7QM-4TXD"
                                                 " (case, spaces and dashes do not matter)")


class Enrollment(BaseModel):
    """Everything a kiosk needs to start: who it is, its token, its survey, where to sync."""

    store_id: str
    store_name: str
    kiosk_id: str
    timezone: str = Field(description="The store's IANA time zone")
    token: str = Field(description="A new kiosk token, shown this once")
    survey: Survey
    sync_url: str = Field(description="The collector's base URL as this request reached it")

    @field_serializer("survey")
    def _survey(self, survey: Survey) -> dict:
        """The survey as ``GET /api/v1/survey`` gives it: a kiosk from before question
        kinds refuses keys it does not know, so the new ones appear only when set."""
        return survey.body()


@router.post(
    "/api/v1/enroll",
    response_model=Enrollment,
    summary="Exchange a one-time enrollment code for a kiosk token and config",
    responses=errors(404, 410, 422, 429,
                     e404="Unknown code; nothing changed",
                     e429="Too many refused codes from this address; see Retry-After"),
)
async def enroll(body: EnrollRequest, request: Request) -> Enrollment:
    """Trade a code for a new kiosk token (once), with the store, survey and sync URL."""
    throttle: FailureThrottle = request.app.state.failed_enroll
    client = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(client)
    if wait > 0:
        raise HTTPException(429, "too many wrong enrollment codes from this address;"
                                 " retry after Retry-After seconds",
                            {"Retry-After": str(math.ceil(wait))})
    storage = storage_of(request)
    try:
        made = await run_in_threadpool(storage.enroll, body.code)
    except NotFound as error:
        throttle.failed(client)
        raise HTTPException(404, str(error)) from None
    except CodeGone as error:
        throttle.failed(client)
        raise HTTPException(410, str(error)) from None
    survey = await run_in_threadpool(storage.kiosk_survey, made["store_id"], made["kiosk_id"])
    log_fields(request).update(kiosk_id=made["kiosk_id"], store_id=made["store_id"])
    return Enrollment(**made, survey=survey, sync_url=str(request.base_url).rstrip("/"))
