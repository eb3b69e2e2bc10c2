"""``hymy-kiosk sync`` in the collector's largest batches (5000 ratings), for real.

A long backlog goes in ``DRAIN_BATCH``-rating batches (``--batch-size 5000``,
or by default once more than ``LARGE_BACKLOG`` ratings are pending).  The
delivery rules are the same as for small batches: every rating marked synced
on the kiosk only after the collector's answer to its batch, a lost answer
resent and answered "duplicate", each rating stored exactly once.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner

import kiosk.cli
from tests.support.faultproxy import LOSE_ANSWER, FaultProxy
from tests.support.sync import BIN, assert_exactly_once, write_config

pytestmark = pytest.mark.timeout(180)
BATCHES = "/api/v1/batches"


def test_sync_in_large_batches_through_a_lost_answer_is_exactly_once(
        sync_collector, sync_backlog, tmp_path):
    sync_collector.start()
    with FaultProxy(sync_collector.port) as proxy:
        proxy.add(BATCHES, "pass", LOSE_ANSWER)
        config = write_config(tmp_path / "kiosk.toml", sync_backlog, proxy.url,
                              sync_collector.kiosk_token)
        done = subprocess.run(
            [str(BIN / "hymy-kiosk"), "sync", "--config", str(config), "--no-progress",
             "--batch-size", "5000", "--retry-for", "30"],
            capture_output=True, text=True, timeout=150)
        log = proxy.requests(BATCHES)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("sent 10000: 5000 new, 5000 duplicate, 0 conflict, 0 rejected; 0 left pending"
            in done.stdout)
    # 5000, the next 5000 (stored, answer lost), the same 5000 again (all duplicates).
    assert [entry.fault for entry in log] == ["pass", LOSE_ANSWER, "pass"]
    assert assert_exactly_once(sync_collector, sync_backlog) == 10_000


def sync_in_process(sync_collector, backlog, folder, batch_size):
    """``hymy-kiosk sync`` (CliRunner) through a recording proxy; its result and uploads."""
    sync_collector.start()
    with FaultProxy(sync_collector.port) as proxy:
        config = write_config(folder / "kiosk.toml", backlog, proxy.url,
                              sync_collector.kiosk_token, batch_size=batch_size)
        done = CliRunner().invoke(kiosk.cli.cli, ["sync", "--config", str(config),
                                                  "--no-progress"])
        return done, proxy.requests(BATCHES)


def test_a_long_backlog_goes_in_the_largest_batches_by_default(
        sync_collector, sync_backlog, tmp_path, monkeypatch):
    monkeypatch.setattr(kiosk.cli, "LARGE_BACKLOG", 9_999)  # the 10 000 queued are "long"
    done, batches = sync_in_process(sync_collector, sync_backlog, tmp_path, batch_size=250)
    sizes = [json.loads(entry.answer)["accepted"] for entry in batches]
    assert done.exit_code == 0, done.output
    assert "sent 10000: 10000 new" in done.output
    assert sizes == [5000, 5000]  # not 40 batches of 250
    assert assert_exactly_once(sync_collector, sync_backlog) == 10_000


def test_a_short_backlog_keeps_the_configured_batch_size(
        sync_collector, sync_backlog, tmp_path):
    done, batches = sync_in_process(sync_collector, sync_backlog, tmp_path, batch_size=2500)
    assert done.exit_code == 0, done.output
    assert len(batches) == 4
