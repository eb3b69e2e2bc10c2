"""Schemathesis against the live collector's OpenAPI: no 5xx, no answer outside the schema.

A collector on loopback with one store and kiosk; schemathesis reads its
``/openapi.json`` and, for every operation, generates requests from the
declared parameters and bodies (valid ones and, by design, edge cases:
unicode, huge numbers, empty strings, odd dates).  Kiosk operations go with
the kiosk's token, everything else with an admin token.  Every answer must be
no server error (5xx), have the declared content type, and match the
declared response schema.

``DELETE /api/v1/tokens/{token_id}`` is left out: a generated id could revoke
the admin token this test runs on (the auth matrix covers it).  The number of
examples per operation is ``SIZES.schemathesis_examples``.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode, checks  # noqa: E402

from tests.support.collector import Collector  # noqa: E402
from tests.support.fleet import register  # noqa: E402
from tests.support.sizes import SIZES, record  # noqa: E402

# Imported now, at the module's top level: imported lazily from deep inside a schema's
# strategy, Python 3.11.7's compiler can fail with "AST constructor recursion depth
# mismatch" (a CPython bug fixed in 3.11.8), which CI met once.
pytest.importorskip("schemathesis.generation.jsonschema.strategy")

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(900)]
KIOSK_PATHS = {"/api/v1/batches", "/api/v1/survey", "/api/v1/kiosk"}
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance,
          checks.content_type_conformance]
seen: dict[str, int] = {}


@pytest.fixture(scope="module")
def fuzz_collector(tmp_path_factory):
    collector = Collector(tmp_path_factory.mktemp("schemathesis"))
    collector.start()
    collector.kiosk_token = register(collector, "fz", ["fz-1"])["fz-1"]
    yield collector
    collector.stop()


@pytest.fixture(scope="module")
def api_schema(fuzz_collector):
    schema = schemathesis.openapi.from_url(fuzz_collector.url + "/openapi.json")
    return schema.exclude(method="DELETE", path="/api/v1/tokens/{token_id}")


def fuzz_operation(operation, mode, collector) -> int:
    """Run one operation's generated cases through the checks; the number of calls."""
    kiosk = operation.path in KIOSK_PATHS
    token = collector.kiosk_token if kiosk else collector.admin_token
    calls = 0

    @settings(max_examples=SIZES.schemathesis_examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        nonlocal calls
        response = case.call(headers={"Authorization": f"Bearer {token}"}, timeout=30)
        calls += 1
        assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
        case.validate_response(response, checks=CHECKS)

    run()
    return calls


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_every_operation_answers_within_its_schema(api_schema, fuzz_collector, mode):
    generation = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
    failures, calls = [], 0
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        try:
            calls += fuzz_operation(operation, generation, fuzz_collector)
        except Unsatisfiable:
            continue  # negative mode: nothing to make invalid (no parameters, no body)
        except Exception as error:  # collect every operation's failure, then report all
            failures.append(f"{operation.label}: {str(error)[:1500]}")
    seen[mode] = calls
    assert not failures, "\n\n".join(failures)
    record(f"schemathesis_{mode}", operations=len(operations), requests=calls,
           server_errors=0, schema_violations=0)
