"""What the uploader learns from the collector and tells it about the kiosk, in this process.

``fetch_identity`` (``GET /api/v1/kiosk``) is how a kiosk learns its store's
time zone and notices a config the collector disagrees with; the status block
carries the kiosk's health to the fleet page.  A real collector app runs in
this process (``tests/support/inprocess.py``), behind the fault proxy where
an answer must be one a collector would not give, and what is asserted is
what the kiosk's ``Store`` holds and what the collector's database got.
"""

from __future__ import annotations

import itertools
import logging

import pytest

from sync.uploader import Backoff, Fatal, TokenRejected, Uploader
from sync.uploader.client import KIOSK_PATH
from sync.uploader.push import IDENTITY_KEY
from tests.support.faultproxy import Respond
from tests.support.inprocess import collector_fixture
from tests.support.uploading import proxied_kiosk, tap

_kiosks = itertools.count(1)
collector = collector_fixture("identity")


@pytest.fixture
def kiosk(collector, tmp_path):
    with proxied_kiosk(collector, tmp_path, f"i{next(_kiosks)}") as proxied:
        yield proxied


def uploader(kiosk, **options) -> Uploader:
    return Uploader(kiosk.store, kiosk.proxy.url, kiosk.token,
                    backoff=Backoff(rng=lambda: 0), **options)


def kiosk_row(collector, kiosk_id: str) -> dict:
    return collector.storage.db.query("SELECT * FROM kiosks WHERE id = ?", (kiosk_id,))[0]


def test_the_collectors_word_on_store_kiosk_and_zone_is_saved_once(collector, kiosk, caplog):
    up = uploader(kiosk)
    with caplog.at_level(logging.INFO, logger="sync.uploader.push"):
        identity = up.fetch_identity()
        again = up.fetch_identity()
    expected = {"store_id": "s1", "store_name": "S1", "kiosk_id": kiosk.kiosk_id,
                "timezone": "Europe/Helsinki"}
    assert identity == again == expected
    assert kiosk.store.get_state(IDENTITY_KEY) == expected
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("collector:")]
    assert said == [f"collector: store s1 (S1), kiosk {kiosk.kiosk_id},"
                    " time zone Europe/Helsinki"]  # logged when it changes, not every time


def test_a_changed_answer_replaces_the_saved_one(collector, kiosk):
    kiosk.store.set_state(IDENTITY_KEY, {"store_id": "old", "store_name": "Old",
                                         "kiosk_id": kiosk.kiosk_id, "timezone": "Europe/Oslo"})
    assert uploader(kiosk).fetch_identity()["store_id"] == "s1"
    assert kiosk.store.get_state(IDENTITY_KEY)["timezone"] == "Europe/Helsinki"


def test_a_collector_without_the_endpoint_answers_none_and_nothing_is_saved(kiosk):
    kiosk.proxy.add(KIOSK_PATH, Respond(404, {}, b'{"detail": "Not Found"}'))
    assert uploader(kiosk).fetch_identity() is None
    assert kiosk.store.get_state(IDENTITY_KEY) is None


@pytest.mark.parametrize(("status", "error"), [(500, Fatal), (403, TokenRejected)])
def test_other_refusals_are_raised(kiosk, status, error):
    kiosk.proxy.add(KIOSK_PATH, Respond(status, {}, b'{"detail": "no"}'))
    with pytest.raises(error):
        uploader(kiosk).fetch_identity()
    assert kiosk.store.get_state(IDENTITY_KEY) is None


@pytest.mark.parametrize(("body", "why"), [
    (b"not json", "Expecting value"),
    (b"[1, 2]", "list indices must be integers"),
    (b'{"store_id": "s1"}', "'store_name'"),
    (b"null", "'NoneType' object is not subscriptable"),
])
def test_an_answer_without_the_four_fields_is_unusable_and_saves_nothing(kiosk, body, why):
    kiosk.proxy.add(KIOSK_PATH, Respond(200, {"Content-Type": "application/json"}, body))
    with pytest.raises(Fatal, match=r"^kiosk identity from the collector is unusable: ") as failed:
        uploader(kiosk).fetch_identity()
    assert why in str(failed.value)
    assert kiosk.store.get_state(IDENTITY_KEY) is None


def test_the_request_asks_for_json_with_the_kiosks_token(kiosk):
    uploader(kiosk).fetch_identity()
    (request,) = kiosk.proxy.requests(KIOSK_PATH)
    assert request.method == "GET"
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert headers["accept"] == "application/json"
    assert headers["authorization"] == f"Bearer {kiosk.token}"


def test_health_figures_reach_the_collector_with_each_heartbeat(collector, kiosk):
    health = {"uptime_s": 3600, "disk_free_bytes": 123_456_789, "disk_total_bytes": 987_654_321,
              "database_bytes": 40960, "timezone": "Europe/Oslo"}
    assert uploader(kiosk, health=lambda: health).push_once().batches == 1
    row = kiosk_row(collector, kiosk.kiosk_id)
    assert (row["uptime_s"], row["disk_free_bytes"], row["disk_total_bytes"],
            row["database_bytes"], row["config_timezone"]) == (
        3600, 123_456_789, 987_654_321, 40960, "Europe/Oslo")
    assert row["rejected"] == 0 and row["pending"] == 0


def test_a_failing_health_probe_is_logged_and_the_batch_still_goes(collector, kiosk, caplog):
    def broken() -> dict:
        raise OSError("statvfs: no such file")

    tap(kiosk.store, 1)
    with caplog.at_level(logging.WARNING, logger="sync.uploader.push"):
        assert uploader(kiosk, health=broken).push_once().accepted == 1
    assert ("WARNING", "kiosk health not reported: statvfs: no such file") in [
        (record.levelname, record.getMessage()) for record in caplog.records]
    row = kiosk_row(collector, kiosk.kiosk_id)
    assert row["disk_free_bytes"] is None and row["pending"] == 1  # counted as it left
