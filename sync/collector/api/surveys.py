"""Routes for surveys per touchpoint (issue #16): one store, a question per touchpoint.

The store's own survey keeps its routes (``PUT /api/v1/stores/{id}/survey`` in
``admin.py``, ``GET`` in ``read.py``); these add the same for one touchpoint
of the store, a listing of them all, and removing a touchpoint's survey so its
kiosks show the store's again.  A kiosk gets its survey from
``GET /api/v1/survey`` (``ingest.py``), resolved for its touchpoint.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse

from sync.collector.api.admin import SURVEY_BODY, Admin, Stored, _apply, json_object, set_survey
from sync.collector.api.models import SavedSurvey, StoreSurveys, errors
from sync.collector.auth import readable_store
from sync.survey import Survey

router = APIRouter(prefix="/api/v1")
#: The path of one touchpoint's survey.
TOUCHPOINT_SURVEY = "/stores/{store_id}/touchpoints/{touchpoint}/survey"
UNKNOWN = errors(404, e404="No such store, or no such touchpoint in it")


@router.get("/stores/{store_id}/surveys", response_model=StoreSurveys, tags=["read"],
            responses=errors(404, e404="No such store"),
            summary="A store's survey and its touchpoints' surveys")
def list_surveys(storage: Stored, store: dict = Depends(readable_store)) -> dict[str, Any]:
    """The store's own survey (null if none) and every touchpoint's that has one."""
    found = storage.store_surveys(store["id"])
    return {"store_id": store["id"], "store": found["store"],
            "touchpoints": [{"touchpoint": name, "survey": survey}
                            for name, survey in found["touchpoints"].items()]}


@router.get(TOUCHPOINT_SURVEY, response_model=Survey, tags=["read"], responses=UNKNOWN,
            summary="The survey kiosks at a touchpoint show")
def touchpoint_survey(touchpoint: str, storage: Stored,
                      store: dict = Depends(readable_store)) -> Response:
    """The touchpoint's survey, else the store's, else the default (version 0)."""
    survey = _apply(lambda: storage.touchpoint_survey(store["id"], touchpoint))
    return JSONResponse(survey.body(), headers={"ETag": survey.etag()})


@router.put(TOUCHPOINT_SURVEY, response_model=SavedSurvey, tags=["admin"], responses=UNKNOWN,
            openapi_extra=SURVEY_BODY, summary="Set a touchpoint's survey")
def put_touchpoint_survey(
    store_id: str, touchpoint: str, storage: Stored,
    body: Annotated[dict[str, Any], Depends(json_object)], principal: Admin,
) -> Response:
    """A new survey version for kiosks at this touchpoint (numbered with the store's), with
    ``warnings`` as for the store's own survey."""
    return set_survey(storage, store_id, body, touchpoint)


@router.delete(TOUCHPOINT_SURVEY, status_code=204, tags=["admin"], responses=UNKNOWN,
               summary="Remove a touchpoint's survey")
def delete_touchpoint_survey(store_id: str, touchpoint: str, storage: Stored,
                             principal: Admin) -> Response:
    """Kiosks at the touchpoint show the store's survey again (204 also if it had none)."""
    _apply(lambda: storage.unset_survey(store_id, touchpoint))
    return Response(status_code=204)

