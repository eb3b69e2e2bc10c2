"""A kiosk's health in its status: declared once in ``sync.wire.KioskStatus``, bounded,
optional both ways (old kiosks omit it, old collectors ignore it)."""

from __future__ import annotations

import json

import msgspec
import pytest

from sync.clock import format_utc, utc_now
from sync.wire import MAX_INT, BadBatch, KioskStatus, decode_batch, encode, make_batch

HEALTH = {"app_version": "1.2.0", "pending": 0, "last_seq": 40, "rejected": 3,
          "uptime_s": 86_400, "disk_free_bytes": 12_000_000_000,
          "disk_total_bytes": 29_000_000_000, "database_bytes": 5_242_880,
          "timezone": "America/Argentina/Buenos_Aires"}


class ReleasedStatus(msgspec.Struct, kw_only=True, frozen=True):
    """``KioskStatus`` as the collector before kiosk health declared it."""

    app_version: str | None = None
    pending: int | None = None
    oldest_pending_at: str | None = None
    last_seq: int | None = None


class ReleasedBatch(msgspec.Struct, kw_only=True):
    """``Batch`` as that collector decoded it (ratings left aside)."""

    format: int = 1
    sent_at: str
    status: ReleasedStatus | None = None
    ratings: list[msgspec.Raw]


def body(status: dict) -> bytes:
    return json.dumps({"format": 1, "sent_at": format_utc(utc_now()), "status": status,
                       "ratings": []}).encode()


def test_the_health_a_kiosk_sends_is_what_the_collector_reads():
    data, _ = encode(make_batch([], HEALTH), compress=False)
    batch, _ = decode_batch(data)
    assert msgspec.structs.asdict(batch.status) == {"oldest_pending_at": None, **HEALTH}


def test_a_kiosk_leaves_out_what_it_does_not_know():
    data, _ = encode(make_batch([], {"app_version": "1.2.0", "uptime_s": None}), compress=False)
    assert json.loads(data)["status"] == {"app_version": "1.2.0"}


def test_the_collector_before_kiosk_health_reads_a_new_kiosks_body():
    data, _ = encode(make_batch([], HEALTH), compress=False)
    old = msgspec.json.decode(data, type=ReleasedBatch)
    assert (old.status.app_version, old.status.pending, old.status.last_seq) == ("1.2.0", 0, 40)


@pytest.mark.parametrize(("field", "value", "why"), [
    ("disk_free_bytes", -1, "status.disk_free_bytes: Expected `int` >= 0"),
    ("database_bytes", MAX_INT + 1, f"status.database_bytes: Expected `int` <= {MAX_INT}"),
    ("uptime_s", 1.5, "status.uptime_s: Expected `int | null`, got `float`"),
    ("rejected", "3", "status.rejected: Expected `int | null`, got `str`"),
    ("timezone", "Europe/" + "x" * 60, "status.timezone: Expected `str` of length <= 64"),
    ("timezone", "Europe/Helsinki\n", "status.timezone: Expected `str` matching regex"),
])
def test_a_health_figure_out_of_bounds_refuses_the_envelope_saying_which(field, value, why):
    with pytest.raises(BadBatch) as refused:
        decode_batch(body({field: value}))
    assert refused.value.kind == "shape" and str(refused.value).startswith(why)


def test_the_kiosk_drops_a_figure_the_collector_would_refuse_and_sends_the_rest():
    status = make_batch([], {**HEALTH, "disk_free_bytes": -4096, "timezone": "bad\x00zone"}).status
    assert (status.disk_free_bytes, status.timezone) == (None, None)
    assert (status.database_bytes, status.rejected) == (HEALTH["database_bytes"], 3)
    batch, _ = decode_batch(encode(make_batch([], msgspec.structs.asdict(status)),
                                   compress=False)[0])
    assert batch.status == status == KioskStatus(**{
        k: v for k, v in HEALTH.items() if k not in ("disk_free_bytes", "timezone")})
