"""The collector's chores run on their own in a live server, and one failing chore stops nothing."""

from __future__ import annotations

import threading

import pytest

from sync.collector import chores
from sync.collector.chores import Chore, Runner, run_once
from sync.collector.db.connection import Database
from sync.collector.db.storage import Storage
from sync.collector.settings import Settings


@pytest.fixture
def storage(tmp_path):
    db = Database(str(tmp_path / "c.db"))
    db.migrate()
    yield Storage(db)
    db.close()


@pytest.fixture
def registered(monkeypatch):
    """CHORES as this test sets them (the list is restored afterwards)."""
    monkeypatch.setattr(chores, "CHORES", [])
    return chores.CHORES


def test_a_failing_chore_is_logged_and_the_next_one_still_runs(storage, registered, caplog):
    seen: list[str] = []

    def broken(_storage, _settings):
        raise RuntimeError("boom")

    registered += [Chore("broken", 60, broken), Chore("counts", 60,
                   lambda st, _s: seen.append(st.stores().__class__.__name__))]
    run_once(storage, Settings())
    assert seen == ["list"]
    assert "chore failed" in caplog.text and "boom" in caplog.text


def test_the_runner_repeats_a_chore_until_stopped(storage, registered):
    turns = threading.Semaphore(0)
    registered.append(Chore("tick", 0.05, lambda _st, _s: turns.release()))
    runner = Runner(storage, Settings(), tick_s=0.01)
    runner.start()
    try:
        for _ in range(3):
            assert turns.acquire(timeout=10), "the chore did not come round again"
    finally:
        runner.stop()
    assert not runner._thread.is_alive()
