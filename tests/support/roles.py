"""The API's roles matrix: which role may call which endpoint (docs/collector.md)."""

ROLES = ("anonymous", "unknown", "kiosk", "staff", "staff_other", "office", "admin")

# Expected status per role, in ROLES order: 401 without a (known) token, 403 for a
# role that may not, the endpoint's success status otherwise.  {store} and
# {kiosk_id} are the test's store and its kiosk; {spare_store} and {spare_kiosk}
# a store and a kiosk made for the request, without ratings, so that DELETE may succeed;
# {alert} an alert of {store} made for the request, so that each acknowledgement is the first;
# {region} and {spare_region} a region made for the request (a staff token of one store
# reads no region); {touchpoint} a named touchpoint (TOUCHPOINT) of {store}.
# POST /api/v1/enroll takes no token at all: every caller gets the same answer
# (422 here, for a body without a code; the code alone decides, see
# tests/collector/test_collector_enroll.py).
TABLE = """
POST   /api/v1/batches                 401 401 200 403 403 403 403
GET    /api/v1/survey                  401 401 200 403 403 403 403
GET    /api/v1/kiosk                   401 401 200 403 403 403 403
POST   /api/v1/enroll                  422 422 422 422 422 422 422
GET    /api/v1/stores                  401 401 403 200 200 200 200
GET    /api/v1/kiosks                  401 401 403 200 200 200 200
GET    /api/v1/stores/{store}          401 401 403 200 403 200 200
GET    /api/v1/stores/{store}/daily    401 401 403 200 403 200 200
GET    /api/v1/stores/{store}/summary  401 401 403 200 403 200 200
GET    /api/v1/stores/{store}/heatmap  401 401 403 200 403 200 200
GET    /api/v1/stores/{store}/reasons  401 401 403 200 403 200 200
GET    /api/v1/stores/{store}/kiosks   401 401 403 200 403 200 200
GET    /api/v1/stores/{store}/survey   401 401 403 200 403 200 200
GET    /api/v1/stores/{store}/touchpoints 401 401 403 200 403 200 200
GET    /api/v1/chain/summary           401 401 403 403 403 200 200
GET    /api/v1/chain/daily             401 401 403 403 403 200 200
GET    /api/v1/ranking                 401 401 403 403 403 200 200
GET    /api/v1/export/ratings          401 401 403 403 403 200 200
GET    /api/v1/export/daily            401 401 403 403 403 200 200
GET    /api/v1/export/stream           401 401 403 403 403 200 200
GET    /api/v1/export/comments         401 401 403 403 403 200 200
POST   /api/v1/stores                  401 401 403 403 403 403 201
POST   /api/v1/stores/{store}/kiosks   401 401 403 403 403 403 201
PUT    /api/v1/stores/{store}/survey   401 401 403 403 403 403 200
POST   /api/v1/tokens                  401 401 403 403 403 403 201
GET    /api/v1/tokens                  401 401 403 403 403 403 200
DELETE /api/v1/tokens/{token_id}       401 401 403 403 403 403 204
PATCH  /api/v1/stores/{store}          401 401 403 403 403 403 200
DELETE /api/v1/stores/{spare_store}    401 401 403 403 403 403 204
PATCH  /api/v1/kiosks/{kiosk_id}       401 401 403 403 403 403 200
DELETE /api/v1/kiosks/{spare_kiosk}    401 401 403 403 403 403 204
GET    /api/v1/alerts                  401 401 403 200 200 200 200
POST   /api/v1/alerts/{alert}/ack      401 401 403 200 403 200 200
GET    /api/v1/stores/{store}/alerting 401 401 403 403 403 403 200
PATCH  /api/v1/stores/{store}/alerting 401 401 403 403 403 403 200
GET    /api/v1/regions                 401 401 403 200 200 200 200
POST   /api/v1/regions                 401 401 403 403 403 403 201
PATCH  /api/v1/regions/{region}        401 401 403 403 403 403 200
DELETE /api/v1/regions/{spare_region}  401 401 403 403 403 403 204
GET    /api/v1/regions/{region}/daily  401 401 403 403 403 200 200
GET    /api/v1/regions/{region}/summary 401 401 403 403 403 200 200
GET    /api/v1/stores/{store}/surveys  401 401 403 200 403 200 200
GET    /api/v1/stores/{store}/touchpoints/{touchpoint}/survey 401 401 403 200 403 200 200
PUT    /api/v1/stores/{store}/touchpoints/{touchpoint}/survey 401 401 403 403 403 403 200
DELETE /api/v1/stores/{store}/touchpoints/{touchpoint}/survey 401 401 403 403 403 403 204
"""
#: The touchpoint {touchpoint} stands for: one of the named ones, so any store has it.
TOUCHPOINT = "exit"
#: (method, path template, expected status per role in ROLES order)
MATRIX = [(method, path, tuple(int(s) for s in statuses))
          for method, path, *statuses in (line.split() for line in TABLE.strip().splitlines())]
#: The parameter name each placeholder stands for in the OpenAPI paths.
PLACEHOLDERS = {"{store}": "{store_id}", "{spare_store}": "{store_id}",
                "{spare_kiosk}": "{kiosk_id}", "{alert}": "{alert_id}",
                "{region}": "{region_id}", "{spare_region}": "{region_id}"}


def openapi_path(template: str) -> str:
    """A matrix path as the OpenAPI schema writes it."""
    for placeholder, name in PLACEHOLDERS.items():
        template = template.replace(placeholder, name)
    return template
