"""Helpers for the real-process sync tests: a collector process, kiosk files, checks.

:class:`CollectorProcess` is the collector tests' server process
(``tests.support.collector.Collector``) with store s1 and kiosk k1 set up through the
collector's CLI before it starts; it can be SIGKILLed and restarted on the same
port and database.  :func:`assert_exactly_once`
is the check every delivery scenario ends with.  :func:`kiosk_config`,
:func:`record` and :func:`hymy_kiosk` write a kiosk's config, record taps the
way a kiosk configured for a store does, and run the real ``hymy-kiosk``.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from kiosk.pin import hash_pin
from kiosk.store import Store
from sync.clock import utc_now
from sync.uploader import Backoff
from tests.support.collector import Collector

BIN = Path(sys.executable).parent
STORE_ID, KIOSK_ID, TIMEZONE = "s1", "k1", "Europe/Helsinki"
REASONS = ("queue", "staff", "prices", "cleanliness")


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.02, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(interval)


class CollectorProcess(Collector):
    """``tests.support.collector.Collector`` with store s1 and kiosk k1 set up before it starts,
    plus SIGKILL and restart on the same port and database."""

    def __init__(self, workdir: Path, database: Path | str | None = None):
        workdir.mkdir(parents=True, exist_ok=True)
        super().__init__(workdir, database)
        self.admin(["store", "add", STORE_ID, "--name", "Test store", "--timezone", TIMEZONE])
        self.kiosk_token = self.admin(["kiosk", "add", KIOSK_ID, "--store", STORE_ID])

    def admin(self, args: list[str]) -> str:
        """Run a ``hymy-collector`` command on this database; its stdout, stripped."""
        return self.cli(*args).stdout.strip()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, like a power cut of the server process."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def get(self, path: str, **params: Any) -> requests.Response:
        """An office-token GET that must succeed."""
        response = self.request("GET", path, self.office_token, params=params)
        assert response.status_code == 200, response.text
        return response

    def daily(self, start: str, end: str) -> dict[str, dict[str, Any]]:
        """This kiosk's daily figures from the collector, by date."""
        days = self.get(f"/api/v1/stores/{STORE_ID}/daily", kiosk=KIOSK_ID,
                        **{"from": start, "to": end}).json()["days"]
        return {day["date"]: day for day in days}

    def kiosk(self) -> dict[str, Any]:
        """The collector's view of kiosk k1: received, missing, clock offset..."""
        kiosks = self.get(f"/api/v1/stores/{STORE_ID}/kiosks").json()["kiosks"]
        return next(k for k in kiosks if k["id"] == KIOSK_ID)

    def token_id(self, role: str = "kiosk") -> int:
        """Id of the first active token of ``role`` (from ``token list``)."""
        for line in self.admin(["token", "list"]).splitlines():
            parts = line.split()
            if len(parts) > 1 and parts[1] == role and "revoked" not in line:
                return int(parts[0])
        raise AssertionError(f"no {role} token")


def open_store(path: Path) -> Store:
    return Store(path, STORE_ID, KIOSK_ID, TIMEZONE)


def record_taps(path: Path, n: int, seed: int = 4, days: float = 2.5) -> None:
    """``n`` realistic taps over the last ``days`` days: some suppressed, some with reasons."""
    rng = random.Random(seed)
    store = open_store(path)
    moment = utc_now() - timedelta(days=days)
    step = days * 86400 / n
    try:
        for _ in range(n):
            moment += timedelta(seconds=rng.choice((0.1, 0.5, 1.0, 1.5)) * step * 1.2)
            moment = min(moment, utc_now())
            score = rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 3, 6, 8))[0]
            wants_reason = score <= 2 and rng.random() < 0.6
            tap = store.record_tap(score, 5, rng.choice(("fi", "sv", "en")), interval=5.0,
                                   ask_reason=wants_reason, now=moment, survey_version=0)
            if wants_reason and not tap.suppressed:
                store.set_reason(tap.id, rng.choice(REASONS))
    finally:
        store.close()


def copy_store(template: Path, destination: Path) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, destination)
    return destination


def synced_count(path: Path) -> int:
    store = open_store(path)
    try:
        return store.db.execute(
            "SELECT count(*) FROM ratings WHERE synced_at IS NOT NULL"
        ).fetchone()[0]
    finally:
        store.close()


def write_config(path: Path, database: Path, url: str, token: str, **sync: Any) -> Path:
    """A kiosk config file for ``hymy-kiosk sync --config``."""
    lines = [
        f'store_id = "{STORE_ID}"', f'kiosk_id = "{KIOSK_ID}"', f'timezone = "{TIMEZONE}"',
        f'database = "{database}"', f'staff_pin_hash = "{PIN_HASH}"', "", "[sync]",
        f'url = "{url}"', f'token = "{token}"',
    ]
    lines += [f"{key} = {json.dumps(value)}" for key, value in sync.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


PIN_HASH = hash_pin("2468")


class RecordingBackoff(Backoff):
    """A Backoff that remembers every delay it handed out (and the Retry-After asked)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.delays: list[tuple[float, float | None]] = []

    def next_delay(self, retry_after: float | None = None) -> float:
        delay = super().next_delay(retry_after)
        self.delays.append((delay, retry_after))
        return delay


def assert_exactly_once(collector: CollectorProcess, kiosk_db: Path) -> int:
    """Every kiosk rating is stored once at the collector and its numbers match the kiosk's.

    Returns the number of ratings checked.
    """
    store = open_store(kiosk_db)
    try:
        rows = store.db.execute(
            "SELECT id, seq, local_date, synced_at, rejected_reason FROM ratings"
        ).fetchall()
        assert rows, "no ratings in the kiosk database"
        assert all(synced for _, _, _, synced, _ in rows), "some kiosk ratings are not synced"
        assert not any(rejected for *_, rejected in rows)
        exported = collector.export()[0]
        ids = [row["id"] for row in exported]
        assert len(ids) == len(set(ids)), "a rating is stored twice"
        assert set(ids) == {row[0] for row in rows}, "stored ratings differ from the kiosk's"
        by_id = {row["id"]: row for row in exported}
        for rating_id, seq, local_date, *_ in rows:
            assert (by_id[rating_id]["seq"], by_id[rating_id]["local_date"]) == (seq, local_date)
        kiosk = collector.kiosk()
        assert kiosk["received"] == len(rows) and kiosk["missing"] == 0
        dates = sorted({row[2] for row in rows})
        remote = collector.daily(dates[0], dates[-1])
        for day in dates:
            local = store.day_summary(day)[0].as_dict()
            theirs = remote[day]
            for key in ("responses", "satisfied", "csat", "ci_low", "ci_high", "happy_index",
                        "suppressed"):
                assert theirs[key] == local[key], (day, key, theirs[key], local[key])
            assert {k: v for k, v in theirs["counts"].items() if v} == local["counts"], day
        check = collector.cli("check", check=False)
        assert check.returncode == 0, check.stdout + check.stderr
        return len(rows)
    finally:
        store.close()


def kiosk_config(path: Path, database: Path, url: str, token: str, *,
                 store_id: str = STORE_ID, kiosk_id: str = KIOSK_ID,
                 timezone: str = TIMEZONE) -> Path:
    """A kiosk config file; the ids and zone are the ones a person may have got wrong."""
    path.write_text(
        f'store_id = "{store_id}"\nkiosk_id = "{kiosk_id}"\ntimezone = "{timezone}"\n'
        f'database = "{database}"\nstaff_pin_hash = "{PIN_HASH}"\n\n'
        f'[sync]\nurl = "{url}"\ntoken = "{token}"\n'
    )
    path.chmod(0o600)
    return path


def hymy_kiosk(*args: str) -> subprocess.CompletedProcess:
    """The real ``hymy-kiosk`` command."""
    return subprocess.run([str(BIN / "hymy-kiosk"), *args, "--no-progress"]
                          if args[0] == "sync" else [str(BIN / "hymy-kiosk"), *args],
                          capture_output=True, text=True, timeout=120)


def record(database: Path, store_id: str, n: int, timezone: str = TIMEZONE,
           at: datetime | None = None) -> None:
    """``n`` counted taps recorded by a kiosk configured with ``store_id``, a minute apart."""
    store = Store(database, store_id, KIOSK_ID, timezone)
    start = at or utc_now() - timedelta(hours=1)
    try:
        for i in range(n):
            store.record_tap(4, 5, "fi", now=start + timedelta(minutes=i), survey_version=0)
    finally:
        store.close()
