"""The sync status: one typed object, the documented keys, and one writer of ``sync_status``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kiosk.store import Store
from sync.uploader import (
    STATUS_KEY,
    PushResult,
    Retryable,
    SyncStatus,
    TokenRejected,
    initial_status,
    load_status,
    save_status,
)
from tests.support import ROOT

KEYS = ["last_sync_at", "last_attempt_at", "last_error", "token_rejected", "disk_full",
        "paused", "syncing", "pending", "rejected", "next_attempt_at", "clock_offset_s",
        "last_result"]


@pytest.fixture
def store(tmp_path):
    db = Store(tmp_path / "kiosk.db", "s1", "k1", "Europe/Helsinki")
    yield db
    db.close()


def test_the_status_has_the_twelve_documented_keys():
    assert list(initial_status()) == KEYS
    assert initial_status() == {**dict.fromkeys(KEYS), "token_rejected": False,
                                "disk_full": False, "paused": False, "syncing": False}


def test_to_and_from_dict_round_trip(store):
    status = SyncStatus(last_sync_at="2026-01-15T10:00:00.000Z", pending=3, paused=True,
                        last_result=PushResult(batches=1, sent=3, accepted=3).as_dict())
    assert SyncStatus.from_dict(status.to_dict()) == status
    assert save_status(store, status) is True
    assert store.get_state(STATUS_KEY) == status.to_dict()
    assert load_status(store) == status


def test_from_dict_fills_missing_keys_and_drops_unknown_ones():
    status = SyncStatus.from_dict({"last_error": "x", "colour": "blue"})
    assert status == SyncStatus(last_error="x")
    assert SyncStatus.from_dict(None) == SyncStatus.from_dict(["junk"]) == SyncStatus()


def test_a_misspelt_change_is_an_error():
    with pytest.raises(TypeError):
        SyncStatus().changed(last_eror="typo")


def test_a_status_that_cannot_be_saved_is_reported_not_raised():
    class FullDisk:
        def set_state(self, key, value):
            raise OSError(28, "No space left on device")

    assert save_status(FullDisk(), SyncStatus()) is False


def test_after_command_sync():
    started = "2026-01-15T10:00:00.000Z"
    before = SyncStatus(last_sync_at="2026-01-14T10:00:00.000Z", paused=True, syncing=True)
    done = before.after_command_sync(started, PushResult(batches=2, sent=7, accepted=7), None,
                                     {"pending": 0, "rejected": 1})
    assert done.last_sync_at > before.last_sync_at and done.last_attempt_at == started
    assert (done.pending, done.rejected, done.syncing, done.last_error) == (0, 1, False, None)
    assert done.last_result["accepted"] == 7 and done.paused  # the thread's, kept as it was
    refused = before.after_command_sync(started, PushResult(), TokenRejected("token rejected"),
                                        {"pending": 7, "rejected": 0})
    assert refused.last_sync_at == before.last_sync_at and refused.token_rejected
    partly = before.after_command_sync(started, PushResult(batches=1, sent=5), Retryable("down"),
                                       {"pending": 2, "rejected": 0})
    assert partly.last_sync_at != before.last_sync_at and partly.last_error == "down"


def writes_of_the_status_key(path: Path) -> list[int]:
    """Lines of ``path`` that call ``set_state`` with the status key (by name or value)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "set_state" and node.args):
            key = node.args[0]
            if (isinstance(key, ast.Constant) and key.value == STATUS_KEY) or (
                    isinstance(key, ast.Name | ast.Attribute)
                    and ast.unparse(key).endswith("STATUS_KEY")):
                lines.append(node.lineno)
    return lines


def test_save_status_is_the_one_writer_of_the_status_key():
    if ROOT.name == "mutants":
        pytest.skip("reads the source, which mutation testing rewrites (tests/mutation/run.py)")
    writers = {str(path.relative_to(ROOT)): lines
               for package in ("kiosk", "sync")
               for path in sorted((ROOT / package).rglob("*.py"))
               if (lines := writes_of_the_status_key(path))}
    assert list(writers) == ["sync/uploader/status.py"], writers
    assert len(writers["sync/uploader/status.py"]) == 1


def test_a_status_that_cannot_be_saved_is_logged(caplog):
    class FullDisk:
        def set_state(self, key, value):
            raise OSError(28, "No space left on device")

    with caplog.at_level("WARNING", logger="sync.uploader"):
        save_status(FullDisk(), SyncStatus())
    assert [r.getMessage() for r in caplog.records] == [
        "cannot save sync status: [Errno 28] No space left on device"]
