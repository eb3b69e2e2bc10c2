"""The kiosk's local store: gapless seq, the suppression rule, reasons, local days.

No display needed; each test gets a fresh database file.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.store import FOLLOWUP_HOLD, Store, StoreError
from sync.wire import decode_batch, encode, make_batch

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_tap_is_a_row_with_every_field(store: Store):
    tap = store.record_tap(4, 5, "fi", interval=5, survey_version=3, now=T0)
    [row] = store.db.query("SELECT * FROM ratings")
    assert row["id"] == tap.id and row["seq"] == tap.seq == 1
    assert (row["store_id"], row["kiosk_id"], row["score"], row["scale"], row["lang"]) == (
        "s1", "k1", 4, 5, "fi")
    assert row["created_at"] == "2026-01-15T12:00:00.000Z"
    assert row["local_date"] == "2026-01-15"
    assert (row["suppressed"], row["reason"], row["survey_version"]) == (0, None, 3)
    assert (row["synced_at"], row["awaiting_reason"]) == (None, 0)


def test_score_outside_the_scale_is_refused(store: Store):
    with pytest.raises(ValueError, match="outside a 3-face scale"):
        store.record_tap(4, 3, "fi", now=T0)
    assert store.stats()["last_seq"] == 0


def test_seq_is_gapless_and_survives_prune(store: Store):
    for i in range(5):
        store.record_tap(5, 5, "fi", interval=0, now=at(i))
    ids = [r["id"] for r in store.pending(10, now=at(600))]
    store.mark_synced(ids[:3], at=at(10))
    assert store.prune(90, now=at(91 * 86400)) == 3  # only synced rows, only old ones
    tap = store.record_tap(3, 5, "fi", interval=0, now=at(91 * 86400))
    assert tap.seq == 6
    seqs = [r["seq"] for r in store.db.query("SELECT seq FROM ratings ORDER BY seq")]
    assert seqs == [4, 5, 6]
    assert store.stats()["last_seq"] == 6


def test_prune_keeps_recent_synced_and_all_unsynced_rows(store: Store):
    for i in range(3):
        store.record_tap(5, 5, "fi", interval=0, now=at(i))
    store.mark_synced([store.pending(1, now=at(600))[0]["id"]], at=at(10))
    assert store.prune(90, now=at(30 * 86400)) == 0
    assert store.prune(90, now=at(365 * 86400)) == 1
    assert store.stats()["pending"] == 2


def test_seq_survives_reopening(tmp_path: Path):
    path = tmp_path / "kiosk.db"
    first = Store(path, "s1", "k1", "Europe/Helsinki")
    first.record_tap(5, 5, "fi", now=T0)
    first.close()
    again = Store(path, "s1", "k1", "Europe/Helsinki")
    assert again.record_tap(5, 5, "fi", interval=0, now=at(1)).seq == 2
    again.close()


def test_suppression_counts_from_the_previous_counted_tap(store: Store):
    flags = [store.record_tap(5, 5, "fi", interval=5, now=at(t)).suppressed
             for t in (0, 2, 4.9, 5.1, 7, 10.2)]
    # 0 counts; 2 and 4.9 are within 5 s of it; 5.1 counts; 7 is within 5 s of
    # 5.1 (suppressed taps do not extend the window); 10.2 counts.
    assert flags == [False, True, True, False, True, False]
    rows = list(store.db.query("SELECT suppressed FROM ratings ORDER BY seq"))
    assert [r["suppressed"] for r in rows] == [0, 1, 1, 0, 1, 0]


def test_interval_zero_counts_every_tap(store: Store):
    assert not any(store.record_tap(5, 5, "fi", interval=0, now=at(0)).suppressed
                   for _ in range(3))


def test_suppressed_taps_are_stored_but_left_out_of_csat(store: Store):
    store.record_tap(5, 5, "fi", interval=5, now=at(0))
    store.record_tap(1, 5, "fi", interval=5, now=at(1))
    store.record_tap(1, 5, "fi", interval=5, now=at(2))
    summary, _ = store.day_summary("2026-01-15")
    assert (summary.responses, summary.suppressed, summary.csat) == (1, 2, 100.0)
    assert store.stats()["pending"] == 3  # still uploaded, flagged


def test_a_suppressed_tap_never_waits_for_a_reason(store: Store):
    store.record_tap(5, 5, "fi", interval=5, now=at(0))
    tap = store.record_tap(1, 5, "fi", interval=5, ask_reason=True, now=at(1))
    assert tap.suppressed
    assert [r["id"] for r in store.pending(10, now=at(1))][-1] == tap.id


def test_set_reason_attaches_and_releases(store: Store):
    tap = store.record_tap(1, 5, "fi", interval=0, ask_reason=True, now=at(0))
    store.set_reason(tap.id, "queue")
    [row] = store.db.query("SELECT reason, awaiting_reason FROM ratings")
    assert row == {"reason": "queue", "awaiting_reason": 0}


def test_set_reason_none_releases_without_a_reason(store: Store):
    tap = store.record_tap(2, 5, "fi", interval=0, ask_reason=True, now=at(0))
    store.set_reason(tap.id, None)
    [row] = store.db.query("SELECT reason, awaiting_reason FROM ratings")
    assert row == {"reason": None, "awaiting_reason": 0}


# -- question kinds and unanswered follow-ups (issue 16) -----------------------


def test_nps_and_ces_taps_are_rows_with_their_kind(store: Store):
    store.record_tap(0, 11, "fi", interval=0, kind="nps", now=at(0))
    store.record_tap(10, 11, "fi", interval=0, kind="nps", now=at(1))
    store.record_tap(7, 7, "fi", interval=0, kind="ces", now=at(2))
    store.record_tap(4, 5, "fi", interval=0, now=at(3))
    rows = list(store.db.query("SELECT kind, scale, score, followup FROM ratings ORDER BY seq"))
    assert [(r["kind"], r["scale"], r["score"], r["followup"]) for r in rows] == [
        ("nps", 11, 0, None), ("nps", 11, 10, None), ("ces", 7, 7, None), ("csat", 5, 4, None)]


@pytest.mark.parametrize(("kind", "score", "scale", "why"), [
    ("nps", 11, 11, "score 11 is outside the nps scale 0-10"),
    ("nps", 5, 5, "a nps rating has a scale of 11, not 5"),
    ("ces", 0, 7, "score 0 is outside the ces scale 1-7"),
    ("csat", 0, 5, "score 0 is outside a 5-face scale"),
    ("csat", 7, 7, "a csat rating has a scale of 3 or 4 or 5, not 7"),
    ("smiley", 3, 5, "kind 'smiley' is not one of csat, nps, ces"),
])
def test_a_score_that_does_not_fit_its_kind_is_refused(store: Store, kind, score, scale, why):
    with pytest.raises(ValueError) as caught:
        store.record_tap(score, scale, "fi", kind=kind, now=T0)
    assert str(caught.value) == why
    assert store.stats()["last_seq"] == 0


def test_skipped_and_timed_out_follow_ups_are_recorded_and_sent(store: Store):
    skipped = store.record_tap(1, 5, "fi", interval=0, ask_reason=True, now=at(0))
    walked_away = store.record_tap(3, 11, "fi", interval=0, ask_reason=True, kind="nps",
                                   now=at(1))
    answered = store.record_tap(10, 11, "fi", interval=0, ask_reason=True, kind="nps",
                                now=at(2))
    store.end_followup(skipped.id, "skipped")
    store.end_followup(walked_away.id, "timeout")
    store.set_reason(answered.id, "friendly")
    with pytest.raises(ValueError, match="skipped or timeout, not 'bored'"):
        store.end_followup(answered.id, "bored")
    rows = store.pending(10, now=at(3))  # none held back any more
    assert [(r["reason"], r["followup"], r["awaiting_reason"]) for r in rows] == [
        (None, "skipped", 0), (None, "timeout", 0), ("friendly", None, 0)]
    # The uploader's batch carries kind and followup as the collector decodes them.
    _batch, sent = decode_batch(encode(make_batch(rows), compress=False)[0])
    assert [(r.kind, r.score, r.scale, r.followup, r.reason) for r in sent] == [
        ("csat", 1, 5, "skipped", None), ("nps", 3, 11, "timeout", None),
        ("nps", 10, 11, None, "friendly")]


def test_set_reason_does_not_change_a_synced_rating(store: Store):
    tap = store.record_tap(1, 5, "fi", interval=0, ask_reason=True, now=at(0))
    store.mark_synced([tap.id])
    store.set_reason(tap.id, "staff")
    [row] = store.db.query("SELECT reason FROM ratings")
    assert row["reason"] is None


def test_pending_holds_back_ratings_awaiting_a_reason(store: Store):
    first = store.record_tap(5, 5, "fi", interval=0, now=at(0))
    asked = store.record_tap(1, 5, "fi", interval=0, ask_reason=True, now=at(1))
    third = store.record_tap(4, 5, "fi", interval=0, now=at(2))
    assert [r["id"] for r in store.pending(10, now=at(3))] == [first.id, third.id]
    # ...but never for long: after FOLLOWUP_HOLD it goes without its reason.
    later = at(1) + FOLLOWUP_HOLD + timedelta(seconds=1)
    assert [r["id"] for r in store.pending(10, now=later)] == [first.id, asked.id, third.id]
    store.set_reason(asked.id, "prices")
    assert [r["reason"] for r in store.pending(10, now=at(3))] == [None, "prices", None]


def test_day_summary_uses_the_store_local_date(store: Store):
    # 22:30 UTC on 15 January is 00:30 on the 16th in Helsinki (UTC+2).
    late = datetime(2026, 1, 15, 22, 30, tzinfo=UTC)
    tap = store.record_tap(5, 5, "fi", interval=0, now=late)
    assert tap.local_date == "2026-01-16"
    store.record_tap(1, 5, "fi", interval=0, now=datetime(2026, 1, 15, 21, 59, tzinfo=UTC))
    on_16th, _ = store.day_summary("2026-01-16")
    on_15th, _ = store.day_summary("2026-01-15")
    assert (on_16th.responses, on_16th.csat) == (1, 100.0)
    assert (on_15th.responses, on_15th.csat) == (1, 0.0)


def test_day_summary_reasons_most_common_first(store: Store):
    for i, reason in enumerate(["queue", "prices", "queue", None, "staff", "queue", "prices"]):
        tap = store.record_tap(1, 5, "fi", interval=0, ask_reason=True, now=at(i))
        store.set_reason(tap.id, reason)
    summary, reasons = store.day_summary("2026-01-15")
    assert reasons == [("queue", 3), ("prices", 2), ("staff", 1)]
    assert summary.counts == {1: 7}
    assert (summary.csat, summary.ci_low) == (0.0, 0.0)


def test_state_round_trips_json(store: Store):
    assert store.get_state("sync_status") is None
    store.set_state("sync_status", {"last_sync_at": None, "token_rejected": False})
    assert store.get_state("sync_status") == {"last_sync_at": None, "token_rejected": False}


def test_a_full_disk_is_a_store_error_and_loses_nothing_already_stored(store: Store):
    store.record_tap(5, 5, "fi", interval=0, now=at(0))
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError, match="full"):
        for i in range(1, 2000):
            store.record_tap(5, 5, "fi", interval=0, now=at(i))
    rows = store.db.execute("SELECT seq FROM ratings ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))  # still gapless


def test_a_second_connection_sees_committed_taps(tmp_path: Path):
    """What SIGKILL leaves behind: everything record_tap returned for is in the file."""
    path = tmp_path / "kiosk.db"
    writer = Store(path, "s1", "k1", "Europe/Helsinki")
    for i in range(10):
        writer.record_tap(1 + i % 5, 5, "fi", interval=0, now=at(i))
    reader = sqlite3.connect(path)
    assert reader.execute("SELECT count(*), max(seq) FROM ratings").fetchone() == (10, 10)
    assert writer.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert writer.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    reader.close()
    writer.close()
