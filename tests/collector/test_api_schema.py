"""The OpenAPI document names every shape, validates, and tells the truth about errors.

A client generated from ``/openapi.json`` is only as typed as the document:
an answer without a named schema becomes a bare dict (or a class called
``RankingApiV1RankingGetResponseRankingApiV1RankingGet``), an error status
without a schema becomes "unexpected".  So every JSON answer refers to a
named component, no component has a name FastAPI made up from a route, every
4xx/5xx refers to ``Error``, and the errors the app really sends have that
shape, with the request id of the ``X-Request-ID`` header.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from sync.collector.app import create_app
from sync.collector.settings import Settings
from tests.support.asgi import call

#: What FastAPI names a schema it makes up for a route: ``Body_create_api_v1_...``,
#: ``Response_Daily_Api_V1_...``, ``...Get``/``...Post`` and the like.
MADE_UP = re.compile(r"Api_?V1|api_v1|^Body_|^Response_|(Get|Post|Put|Patch|Delete)$",
                     re.IGNORECASE)
ERROR = {"$ref": "#/components/schemas/Error"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    made = create_app(Settings(database=str(tmp_path_factory.mktemp("schema") / "c.db")))
    made.state.storage.add_store("s1", "Store one", "Europe/Helsinki")
    made.state.admin_token = made.state.storage.add_token("admin").token
    return made


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``("GET /path", operation)`` for every operation of the document."""
    return [(f"{method.upper()} {path}", operation)
            for path, methods in document["paths"].items()
            for method, operation in methods.items()]


def titles(node: Any) -> list[str]:
    """Every ``title`` in a schema tree."""
    if isinstance(node, dict):
        own = [node["title"]] if isinstance(node.get("title"), str) else []
        return own + [title for value in node.values() for title in titles(value)]
    if isinstance(node, list):
        return [title for value in node for title in titles(value)]
    return []


def test_the_document_validates(app):
    from openapi_spec_validator import validate

    validate(app.openapi())


def test_no_schema_has_a_name_made_up_from_a_route(app):
    document = app.openapi()
    names = list(document["components"]["schemas"])
    inline = [title for _, operation in operations(document)
              for title in titles({key: operation.get(key) for key in ("requestBody",
                                                                      "responses")})]
    assert [name for name in names + inline if MADE_UP.search(name)] == []


def test_operations_are_named_after_their_functions(app):
    """A generated client's functions are named after these: ``daily``, not
    ``daily_api_v1_stores_store_id_daily_get``."""
    ids = [operation["operationId"] for _, operation in operations(app.openapi())]
    assert len(set(ids)) == len(ids)
    assert [name for name in ids if MADE_UP.search(name)] == []
    assert {"daily", "ranking", "list_stores", "post_batch"} <= set(ids)


def test_every_answer_is_a_named_schema_or_a_declared_file_type(app):
    unnamed = []
    for name, operation in operations(app.openapi()):
        for status, response in operation["responses"].items():
            if status not in ("200", "201"):
                continue
            content = response.get("content", {})
            json_schema = content.get("application/json", {}).get("schema")
            if json_schema is None and content and "application/json" not in content:
                continue  # a download: text/csv, application/x-ndjson, ...
            if not (json_schema or {}).get("$ref", "").startswith("#/components/schemas/"):
                unnamed.append(f"{name} {status}")
    assert unnamed == []


def test_every_request_body_is_a_named_schema(app):
    unnamed = [name for name, operation in operations(app.openapi())
               if "requestBody" in operation
               and "$ref" not in operation["requestBody"]["content"]["application/json"]
               ["schema"]]
    assert unnamed == []


def test_every_error_status_is_the_error_schema_and_token_routes_declare_401_403(app):
    document = app.openapi()
    wrong, undeclared = [], []
    for name, operation in operations(document):
        for status, response in operation["responses"].items():
            if status[0] in "45" and response.get("content") != {
                    "application/json": {"schema": ERROR}}:
                wrong.append(f"{name} {status}")
        if operation.get("security") and not {"401", "403"} <= set(operation["responses"]):
            undeclared.append(name)
    assert wrong == [] and undeclared == []
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["detail", "request_id"]
    assert "HTTPValidationError" not in document["components"]["schemas"]


@pytest.mark.parametrize(("method", "path", "token", "status"), [
    ("GET", "/api/v1/stores", None, 401),  # no token
    ("GET", "/api/v1/stores/nowhere", "admin", 404),  # a route's own error
    ("GET", "/api/v1/stores/s1/daily?from=yesterday", "admin", 422),  # reports' message
    ("GET", "/api/v1/export/ratings?limit=0", "admin", 422),  # FastAPI's validation
    ("DELETE", "/api/v1/stores", "admin", 405),  # no such method
    ("GET", "/api/v1/nothing-here", None, 404),  # no such route
    ("PUT", "/api/v1/stores/s1/survey", "admin", 422),  # the survey body read by hand
])
def test_errors_the_app_sends_have_the_one_shape(app, method, path, token, status):
    headers = {"Authorization": f"Bearer {app.state.admin_token}"} if token else {}
    answer = call(app, method, path, headers, b"[]")
    assert answer.status == status
    body = answer.json()
    assert set(body) == {"detail", "request_id"} and body["detail"].strip()
    assert body["request_id"] == answer.headers["x-request-id"]
