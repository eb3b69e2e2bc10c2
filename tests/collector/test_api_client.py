"""A client generated from the live ``/openapi.json`` returns typed objects.

What an analyst does (docs/export.md, "A typed client"): start a collector,
run ``openapi-python-client`` on its ``/openapi.json``, import the package
it writes and call the API.  Here a kiosk uploads through the generated
client too, and every answer read back is an instance of a generated attrs
class (``Daily``, ``Day``, ``Ranking``, ...) holding the figures the plain
JSON API gives, with errors as the generated ``Error``.  Generating takes
about two seconds, so the test runs in ``make test`` with no marker.
"""

from __future__ import annotations

import importlib
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

from sync.clock import format_utc, utc_now
from tests.support.collector import Collector

pytest.importorskip("openapi_python_client")

PACKAGE = "hymy_client"
CONFIG = f"package_name_override: {PACKAGE}\nproject_name_override: hymy-client\npost_hooks: []\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    collector = Collector(tmp_path_factory.mktemp("client"))
    collector.start()
    yield collector
    collector.stop()


@pytest.fixture(scope="module")
def client_package(server: Collector, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[ModuleType]:
    """The package ``openapi-python-client`` writes from the running collector, imported."""
    folder = tmp_path_factory.mktemp("generated")
    (folder / "config.yaml").write_text(CONFIG)
    tool = Path(sys.executable).with_name("openapi-python-client")
    made = subprocess.run(
        [str(tool), "generate", "--url", server.url + "/openapi.json", "--meta", "none",
         "--config", str(folder / "config.yaml"), "--output-path", str(folder / PACKAGE),
         "--fail-on-warning"],
        capture_output=True, text=True, timeout=120, cwd=folder)
    assert made.returncode == 0, made.stdout + made.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def generated(package: ModuleType, name: str) -> Any:
    """A module of the generated package, e.g. ``api.read.daily`` or ``models``."""
    return importlib.import_module(f"{package.__name__}.{name}")


def test_the_generated_client_returns_typed_objects(server, client_package):
    store = server.new_store()
    models = generated(client_package, "models")
    client = generated(client_package, "client")
    kiosk = client.AuthenticatedClient(base_url=server.url, token=store.kiosk_token)
    office = client.AuthenticatedClient(base_url=server.url, token=server.office_token)
    when = utc_now() - timedelta(minutes=5)
    ratings = store.ratings([5, 4, 1], at=when)
    batch = models.Batch.from_dict({"sent_at": format_utc(utc_now()), "ratings": ratings})

    result = generated(client_package, "api.kiosk.post_batch").sync(client=kiosk, body=batch)
    assert isinstance(result, models.BatchResult) and result.accepted == 3
    day = ratings[0]["local_date"]

    stores = generated(client_package, "api.read.list_stores").sync(client=office)
    assert all(isinstance(item, models.Store) for item in stores)
    assert store.store_id in {item.id for item in stores}

    daily = generated(client_package, "api.read.daily").sync(
        store.store_id, client=office, from_=day, to=day)
    assert isinstance(daily, models.Daily) and daily.from_ == day
    [row] = daily.days
    assert isinstance(row, models.Day) and attrs.has(type(row))
    assert (row.date, row.responses, row.satisfied, row.csat) == (day, 3, 2, 66.7)
    assert row.counts.additional_properties == {"1": 1, "2": 0, "3": 0, "4": 1, "5": 1}
    assert row.to_dict() == store.daily(day, day)[day]  # the same figures as plain JSON

    ranking = generated(client_package, "api.read.ranking").sync(
        client=office, from_=day, to=day, min_responses=1)
    assert isinstance(ranking, models.Ranking)
    assert ranking.ranked_by == models.RankingRankedBy.CI_LOW
    ranked = {entry.store_id: entry for entry in ranking.stores}
    assert isinstance(ranked[store.store_id], models.RankedStore)
    assert (ranked[store.store_id].rank, ranked[store.store_id].responses) == (1, 3)

    fleet = generated(client_package, "api.read.fleet").sync(client=office,
                                                            store=store.store_id)
    [health] = fleet.kiosks
    assert isinstance(health, models.FleetKiosk) and health.kiosk_id == store.kiosk_id
    assert health.state == models.FleetKioskState.OK and health.missing == 0
    kiosks = generated(client_package, "api.read.kiosks").sync(store.store_id, client=office)
    assert isinstance(kiosks.kiosks[0], models.StoreKiosk) and kiosks.kiosks[0].received == 3


def test_errors_arrive_as_the_generated_error_class(server, client_package):
    models = generated(client_package, "models")
    client = generated(client_package, "client")
    office = client.AuthenticatedClient(base_url=server.url, token=server.office_token)
    answer = generated(client_package, "api.read.get_store").sync_detailed(
        "nowhere", client=office)
    assert answer.status_code == 404 and isinstance(answer.parsed, models.Error)
    assert answer.parsed.detail == "no store 'nowhere'"
    assert answer.parsed.request_id == answer.headers["x-request-id"]

    stranger = client.AuthenticatedClient(base_url=server.url, token=secrets.token_hex(16))
    refused = generated(client_package, "api.read.list_stores").sync(client=stranger)
    assert isinstance(refused, models.Error) and "token" in refused.detail
