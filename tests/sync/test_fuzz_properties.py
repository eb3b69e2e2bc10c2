"""Property-based tests (hypothesis) of the wire format, kiosk config, metrics and store.

Each property holds for every input hypothesis can think of, not only the
examples someone wrote down:

- wire: a batch the kiosk builds (``make_batch`` + ``encode``) goes through
  the collector's own parsing (``read_body``'s ``gunzip``, ``read_batch``)
  with every rating valid and unchanged; any JSON value
  or byte string as a body ends in a 4xx ``HTTPException`` (400/413/422),
  never another exception; any rating item is valid or rejected with a reason;
- config: any TOML-like table is a ``Config`` or one ``ConfigError``, never
  another exception, also when read from a file of arbitrary text;
- metrics: counts add up, ``ci_low <= csat <= ci_high``, figures in 0..100,
  order and splitting of counts change nothing, the interval moves with the
  successes;
- store: any sequence of taps, reasons, syncs and prunes keeps ``seq`` 1..N
  without gaps and the queue figures right.

The number of examples is ``SIZES.hypothesis_examples`` (more in full mode).
"""

from __future__ import annotations

import gzip
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import HTTPException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import config as kc
from kiosk.pin import hash_pin
from kiosk.store import Store
from sync.clock import format_utc, local_date, utc_now, zone
from sync.collector.api.ingest import gunzip, read_batch
from sync.collector.tokens import Principal
from sync.metrics import happy_value, is_satisfied, summarize, wilson_interval
from sync.wire import MAX_BODY_BYTES, RATING_FIELDS, encode, make_batch
from tests.support.sizes import SIZES, record

pytestmark = pytest.mark.reliability
properties_run: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def report_examples():
    """Record how many properties ran and the examples each was given."""
    yield
    record("properties", properties=len(properties_run),
           examples_each_up_to=SIZES.hypothesis_examples,
           store_sequences_up_to=max(20, SIZES.hypothesis_examples // 5), failures=0)


@pytest.fixture(autouse=True)
def count_property(request):
    yield
    properties_run.append(request.node.name)
FUZZ = settings(max_examples=SIZES.hypothesis_examples, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SMALL = settings(max_examples=max(20, SIZES.hypothesis_examples // 5), deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])
KIOSK = Principal(1, "kiosk", "s1", "k1")
ZONES = ("Europe/Helsinki", "UTC", "America/St_Johns", "Pacific/Kiritimati", "Asia/Kathmandu")

# -- wire -----------------------------------------------------------------------


@st.composite
def kiosk_rows(draw) -> dict:
    """A row of the kiosk's ratings table, as ``Store.record_tap`` writes it."""
    scale = draw(st.sampled_from((3, 4, 5)))
    moment = draw(st.datetimes(min_value=datetime(2020, 1, 2), max_value=datetime(2026, 1, 1),
                               timezones=st.just(UTC)))
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return {
        "id": str(draw(st.uuids(version=4))),
        "seq": draw(st.integers(1, 2**53 - 1)),
        "store_id": draw(st.sampled_from(("s1", None))),
        "kiosk_id": draw(st.sampled_from(("k1", None))),
        "score": draw(st.integers(1, scale)),
        "scale": scale,
        "created_at": format_utc(moment),
        "local_date": local_date(moment, zone(draw(st.sampled_from(ZONES)))),
        "lang": draw(st.sampled_from(("fi", "sv", "en", "de", "pt-BR", "sme"))),
        "reason": draw(st.none() | st.from_regex(r"\A[a-z0-9][a-z0-9_.-]{0,63}\Z")),
        "suppressed": draw(st.sampled_from((0, 1))),
        "survey_version": draw(st.none() | st.integers(0, 2**53 - 1)),
        "synced_at": None, "awaiting_reason": 0, "rejected_reason": None,
    }


@FUZZ
@given(st.lists(kiosk_rows(), max_size=30), st.booleans())
def test_kiosk_batches_round_trip_through_the_collector_parser(rows, compress):
    data, headers = encode(make_batch(rows, {"pending": len(rows), "last_seq": 1}), compress)
    body = gunzip(data, MAX_BODY_BYTES) if headers.get("Content-Encoding") == "gzip" else data
    _batch, valid, rejected = read_batch(body, KIOSK)
    assert rejected == []
    assert len(valid) == len(rows)
    for (index, rating), row in zip(valid, rows, strict=True):
        assert index == rows.index(row)
        held = {"kind": "csat", "followup": None} | row  # rows from before question kinds
        for name in RATING_FIELDS:
            expected = bool(held[name]) if name == "suppressed" else held[name]
            assert getattr(rating, name) == expected, name


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=5),
    max_leaves=30,
)
ENVELOPE = st.fixed_dictionaries(
    {},
    optional={
        "format": JSON | st.just(1),
        "sent_at": JSON | st.just("2026-01-01T00:00:00.000Z"),
        "status": JSON | st.fixed_dictionaries({}, optional={
            "pending": JSON, "last_seq": JSON, "app_version": JSON, "oldest_pending_at": JSON}),
        "ratings": st.lists(JSON | st.dictionaries(st.sampled_from(RATING_FIELDS), JSON),
                            max_size=5),
    },
)


@FUZZ
@given(JSON | ENVELOPE)
def test_any_json_body_is_a_batch_or_a_4xx(body):
    try:
        _batch, valid, rejected = read_batch(json.dumps(body).encode(), KIOSK)
    except HTTPException as error:
        assert error.status_code in (400, 413, 422)
        assert isinstance(error.detail, str) and error.detail
        return
    assert len(valid) + len(rejected) == len(body["ratings"])
    for _, item in rejected:
        assert item.status == "rejected" and item.reason


@FUZZ
@given(st.binary(max_size=2000) | st.binary(max_size=200).map(gzip.compress))
def test_any_bytes_are_a_batch_or_a_4xx(data):
    for encoded in (True, False):
        try:
            body = gunzip(data, 4096) if encoded else data
            read_batch(body, KIOSK)
        except HTTPException as error:
            assert error.status_code in (400, 413, 422)


@SMALL
@given(st.integers(1, 64))
def test_gunzip_never_returns_more_than_the_limit(kib):
    bomb = gzip.compress(b"0" * (kib * 1024 + 1))
    with pytest.raises(HTTPException) as raised:
        gunzip(bomb, kib * 1024)
    assert raised.value.status_code == 413


# -- kiosk config -----------------------------------------------------------------

PIN_HASH = hash_pin("2468", iterations=1000)
GOOD = {"store_id": "s1", "kiosk_id": "k1", "timezone": "Europe/Helsinki",
        "staff_pin_hash": PIN_HASH}
NAMES = [s.name for s in kc.SETTINGS]
SYNC_NAMES = [s.name for s in kc.SYNC_SETTINGS]
TOML_VALUE = st.recursive(
    st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
    | st.sampled_from(["Europe", "Europe/Helsinki", "fi", "../fi", "a" * 300, "", " "]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=12,
)


@FUZZ
@given(st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=12), TOML_VALUE, max_size=8),
       st.dictionaries(st.sampled_from(SYNC_NAMES) | st.text(max_size=8), TOML_VALUE,
                       max_size=4) | TOML_VALUE,
       st.booleans())
def test_any_config_table_is_a_config_or_one_config_error(changes, sync_table, with_sync):
    data = {**GOOD, **changes}
    if with_sync:
        data["sync"] = sync_table
    try:
        config = kc.parse(data)
    except kc.ConfigError as error:
        assert str(error) and "\n" not in str(error).strip()
        return
    assert isinstance(config, kc.Config)
    assert all(face <= config.scale for face in config.followup_faces)


@SMALL
@given(st.text(max_size=300))
def test_any_config_file_is_a_config_or_one_config_error(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kiosk.toml"
        path.write_text(text, encoding="utf-8")
        try:
            kc.load(path)
        except kc.ConfigError as error:
            assert str(error)


# -- metrics --------------------------------------------------------------------

COUNTS = st.lists(
    st.sampled_from((3, 4, 5)).flatmap(
        lambda scale: st.tuples(st.just(scale), st.integers(1, scale), st.integers(0, 10_000))),
    max_size=15,
)


@FUZZ
@given(COUNTS, st.integers(0, 1000), st.randoms(use_true_random=False))
def test_summaries_add_up_and_stay_in_range(counts, suppressed, rng):
    summary = summarize(counts, suppressed=suppressed)
    assert summary.responses == sum(n for _, _, n in counts)
    assert summary.satisfied == sum(n for scale, score, n in counts if is_satisfied(score, scale))
    assert sum(summary.counts.values()) == summary.responses
    assert summary.suppressed == suppressed
    if summary.responses:
        assert 0 <= summary.ci_low <= summary.csat <= summary.ci_high <= 100
        assert 0 <= summary.happy_index <= 100
    else:
        assert summary.csat is summary.ci_low is summary.happy_index is None
    shuffled = list(counts)
    rng.shuffle(shuffled)
    split = [part for scale, score, n in shuffled
             for part in ((scale, score, n // 2), (scale, score, n - n // 2))]
    again = summarize(split, suppressed=suppressed)
    assert again.as_dict() == summary.as_dict()
    rounded = summary.as_dict()
    for key in ("csat", "ci_low", "ci_high", "happy_index"):
        if rounded[key] is not None:
            assert abs(rounded[key] - getattr(summary, key)) <= 0.05 + 1e-9


@FUZZ
@given(st.integers(1, 100_000), st.data())
def test_wilson_interval_moves_with_the_successes(n, data):
    low_s = data.draw(st.integers(0, n))
    high_s = data.draw(st.integers(low_s, n))
    low_a, high_a = wilson_interval(low_s, n)
    low_b, high_b = wilson_interval(high_s, n)
    assert 0 <= low_a <= high_a <= 100
    assert low_a <= low_b + 1e-9 and high_a <= high_b + 1e-9


@pytest.mark.parametrize("scale", [3, 4, 5])
def test_faces_are_ordered(scale):
    values = [happy_value(score, scale) for score in range(1, scale + 1)]
    assert values == sorted(values) and values[0] == 0 and values[-1] == 100
    flags = [is_satisfied(score, scale) for score in range(1, scale + 1)]
    assert flags == sorted(flags) and flags[-1] and not flags[0]


# -- kiosk store ----------------------------------------------------------------

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("tap"), st.integers(1, 5), st.floats(0, 10), st.booleans(),
                  st.integers(-3, 200)),
        st.tuples(st.just("reason"), st.integers(0, 50), st.none() | st.just("queue")),
        st.tuples(st.just("sync"), st.integers(0, 20)),
        st.tuples(st.just("reject"), st.integers(0, 50)),
        st.tuples(st.just("prune"), st.floats(0.0001, 5)),
    ),
    max_size=40,
)


@SMALL
@given(OPERATIONS)
def test_store_keeps_seq_gapless_through_any_operations(operations):
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "kiosk.db", "s1", "k1", "Europe/Helsinki")
        try:
            taps, synced = [], set()
            clock = utc_now() - timedelta(days=10)
            for operation in operations:
                kind = operation[0]
                if kind == "tap":
                    _, score, interval, ask, minutes = operation
                    clock = clock + timedelta(minutes=max(0, minutes))
                    taps.append(store.record_tap(score, 5, "fi", interval=interval,
                                                 ask_reason=ask, now=clock))
                elif kind == "reason" and taps:
                    store.set_reason(taps[operation[1] % len(taps)].id, operation[2])
                elif kind == "sync":
                    ids = [row["id"] for row in store.pending(operation[1], now=clock)]
                    store.mark_synced(ids)
                    synced.update(ids)
                elif kind == "reject" and taps:
                    store.mark_rejected({taps[operation[1] % len(taps)].id: "bad"})
                elif kind == "prune":
                    store.prune(operation[1], now=clock)
            assert [tap.seq for tap in taps] == list(range(1, len(taps) + 1))
            stats = store.stats()
            assert stats["last_seq"] == len(taps)
            rows = store.db.execute(
                "SELECT seq, synced_at, rejected_reason FROM ratings ORDER BY seq").fetchall()
            assert len({seq for seq, _, _ in rows}) == len(rows)
            assert stats["pending"] == sum(1 for _, synced, rej in rows if not synced and not rej)
            kept = {seq for seq, _, _ in rows}
            pruned = {tap.id for tap in taps if tap.seq not in kept}
            assert pruned <= synced, "an unsynced rating was pruned"
            pending_seqs = [row["seq"] for row in store.pending(10_000, now=clock
                                                                + timedelta(hours=1))]
            assert pending_seqs == sorted(pending_seqs)
            summary, _ = store.day_summary(taps[-1].local_date if taps else "2026-01-01")
            assert summary.responses + summary.suppressed <= len(taps)
        finally:
            store.close()
