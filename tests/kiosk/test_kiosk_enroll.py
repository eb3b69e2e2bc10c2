"""``hymy-kiosk enroll``: a code and a URL make a working kiosk, or one clear line.

Against a real collector on loopback (in this process), running the real
``hymy-kiosk`` command: the config it writes is mode 0600, passes
``check-config`` and lets ``hymy-kiosk sync`` deliver a tap.  A used code, an
unreachable collector and a path that cannot be written each end in one line
and a distinct exit status, and the last two leave the code usable.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.config import load
from kiosk.enroll import EnrollFailed, pin_problem, set_up
from kiosk.pin import verify_pin
from kiosk.safety import EXAMPLE_PIN_HASH
from kiosk.store import Store
from tests.support.collector import free_port
from tests.support.inprocess import collector_in_process
from tests.support.sync import BIN, KIOSK_ID, PIN_HASH, STORE_ID, TIMEZONE


def kiosk_cli(*args: str, stdin: str | None = None,
              tz: str | None = None) -> subprocess.CompletedProcess:
    """Run ``hymy-kiosk ARGS`` (on a machine in time zone ``tz``); its exit status and output."""
    env = {**os.environ, "TZ": tz} if tz else None
    return subprocess.run([str(BIN / "hymy-kiosk"), *args], capture_output=True, text=True,
                          input=stdin, timeout=120, env=env)


@pytest.fixture
def served(tmp_path: Path):
    """A collector with store s1 and kiosk k1, and a fresh code for k1 (``served.code``)."""
    with collector_in_process(tmp_path / "collector.db") as running:
        running.storage.add_store(STORE_ID, "Kamppi", TIMEZONE)
        running.storage.add_kiosk(KIOSK_ID, STORE_ID)
        running.code = running.storage.issue_code(KIOSK_ID).code
        yield running


def test_enroll_writes_a_private_config_that_checks_and_syncs(served, tmp_path: Path):
    config = tmp_path / "etc" / "hymy" / "kiosk.toml"  # the folder does not exist yet
    done = kiosk_cli("enroll", served.url, served.code, "--config", str(config),
                     "--pin-hash", PIN_HASH)
    assert (done.returncode, done.stderr) == (0, "")  # nothing for check-config to repair
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert f"enrolled: kiosk {KIOSK_ID} of store {STORE_ID} (Kamppi)" in done.stdout
    assert "ok: the collector agrees: store s1 (Kamppi), kiosk k1" in done.stdout
    settings = load(config)
    assert (settings.store_id, settings.kiosk_id, settings.timezone) == (
        STORE_ID, KIOSK_ID, TIMEZONE)
    assert settings.sync.url == served.url and settings.staff_pin_hash == PIN_HASH
    assert kiosk_cli("check-config", "--config", str(config)).returncode == 0

    store = Store(settings.database_path, STORE_ID, KIOSK_ID, TIMEZONE)
    store.record_tap(4, 5, "fi", interval=5.0)
    store.close()
    synced = kiosk_cli("sync", "--config", str(config))
    assert synced.returncode == 0, synced.stderr
    assert "1 new" in synced.stdout
    assert served.storage.kiosk(KIOSK_ID)["received"] == 1

    # The code is spent; an existing config is never overwritten without --force.
    again = kiosk_cli("enroll", served.url, served.code, "--config", str(config),
                      "--pin-hash", PIN_HASH)
    assert again.returncode == 2
    assert again.stderr == (f"hymy-kiosk: enroll: {config} exists already;"
                            " add --force to replace it\n")
    used = kiosk_cli("enroll", served.url, served.code, "--config", str(config), "--force",
                     "--pin-hash", PIN_HASH, tz="America/St_Johns")
    assert used.returncode == 3
    # When, as the person at the kiosk reads a clock: its machine's zone, not raw UTC.
    with sqlite3.connect(tmp_path / "collector.db") as db:
        [(used_at,)] = db.execute("SELECT used_at FROM enrollment_codes").fetchall()
    there = datetime.fromisoformat(used_at).astimezone(ZoneInfo("America/St_Johns"))
    assert used.stderr.startswith(
        "hymy-kiosk: enroll: collector refused the request (HTTP 410: this enrollment code"
        f" was already used on {there.day} {there:%b %Y} at {there:%H:%M} ({there:%Z}); ")
    assert there.tzname() in ("NST", "NDT") and used_at not in used.stderr
    assert len(used.stderr.splitlines()) == 1
    assert load(config).sync.token == settings.sync.token  # left as it was


def test_enroll_asks_for_a_pin_and_refuses_the_example_one(served, tmp_path: Path):
    config = tmp_path / "kiosk.toml"
    example = kiosk_cli("enroll", served.url, served.code, "--config", str(config),
                        "--pin-hash", EXAMPLE_PIN_HASH)
    assert example.returncode == 2 and "not the example config's" in example.stderr
    typed = kiosk_cli("enroll", served.url, served.code, "--config", str(config),
                      stdin="1234\n1234\n")
    assert typed.returncode == 2 and "1234 is the example config's PIN" in typed.stderr
    assert not config.exists()
    done = kiosk_cli("enroll", served.url, served.code, "--config", str(config),
                     stdin="2468\n2468\n")
    assert done.returncode == 0, done.stderr
    assert verify_pin("2468", load(config).staff_pin_hash)


def test_unreachable_collector_and_unwritable_path_leave_the_code_usable(served,
                                                                        tmp_path: Path):
    nobody = f"http://127.0.0.1:{free_port()}"
    down = kiosk_cli("enroll", nobody, served.code, "--config", str(tmp_path / "k.toml"),
                     "--pin-hash", PIN_HASH)
    assert down.returncode == 1
    assert down.stderr == (f"hymy-kiosk: enroll: collector unreachable at {nobody}"
                           " (connection refused); nothing was used up, try again\n")
    (tmp_path / "file").write_text("")
    blocked = tmp_path / "file" / "kiosk.toml"
    cannot = kiosk_cli("enroll", served.url, served.code, "--config", str(blocked),
                       "--pin-hash", PIN_HASH)
    assert cannot.returncode == 2
    assert cannot.stderr == (f"hymy-kiosk: enroll: {blocked.parent} is not a folder"
                             " (a file is in the way)\n")
    assert served.storage.live_code(KIOSK_ID) is not None
    wrong = kiosk_cli("enroll", served.url, "AAAA-AAAA", "--config", str(tmp_path / "k.toml"),
                      "--pin-hash", PIN_HASH)
    assert wrong.returncode == 3 and "HTTP 404: unknown enrollment code" in wrong.stderr
    assert not (tmp_path / "k.toml").exists()


@pytest.mark.parametrize(("pin", "again", "problem"), [
    ("2468", "2468", None),
    ("246", "246", "setup_pin_short"),
    ("24a8", "24a8", "setup_pin_short"),
    ("2468", "2469", "setup_pin_mismatch"),
    ("1234", "1234", "setup_pin_example"),
])
def test_the_first_start_screen_checks_a_new_pin(pin, again, problem):
    assert pin_problem(pin, again) == problem


def test_set_up_writes_a_config_the_kiosk_runs_or_says_why_without_spending_the_code(
        served, tmp_path: Path, monkeypatch):
    (tmp_path / "file").write_text("")
    with pytest.raises(EnrollFailed) as failed:
        set_up(tmp_path / "file" / "kiosk.toml", served.url, served.code, "2468")
    assert (failed.value.kind, str(failed.value)) == (
        "path", f"{tmp_path / 'file'} is not a folder (a file is in the way)")
    with pytest.raises(EnrollFailed) as failed:
        set_up(tmp_path / "k.toml", f"http://127.0.0.1:{free_port()}", served.code, "2468")
    assert failed.value.kind == "retry" and str(failed.value).endswith(
        "; nothing was used up, try again")
    assert served.storage.live_code(KIOSK_ID) is not None

    state = tmp_path / "state"  # systemd's StateDirectory= (made by systemd)
    state.mkdir()
    monkeypatch.setenv("STATE_DIRECTORY", str(state))
    config = set_up(tmp_path / "k.toml", served.url, served.code.lower(), "2468")
    assert (config.store_id, config.kiosk_id, config.path) == (
        STORE_ID, KIOSK_ID, (tmp_path / "k.toml").resolve())
    assert config.database_path == state / "hymy-kiosk.db"
    assert stat.S_IMODE((tmp_path / "k.toml").stat().st_mode) == 0o600
    assert config.database_path.exists()  # opened once, as the kiosk will
    (tmp_path / "k.toml").unlink()
    with pytest.raises(EnrollFailed) as failed:
        set_up(tmp_path / "k.toml", served.url, served.code, "2468")
    assert failed.value.kind == "refused" and "HTTP 410" in str(failed.value)
    assert not (tmp_path / "k.toml").exists()


def test_enroll_writes_the_kind_of_the_survey_of_the_kiosks_touchpoint(served, tmp_path: Path):
    """A trial found an NPS store's kiosk enrolled with kind = "csat", scale = 5: the config
    now asks what the collector gives this kiosk, its touchpoint's survey over the store's."""
    from sync.survey import parse_survey

    served.storage.set_survey(STORE_ID, parse_survey({"scale": 3, "questions": {"en": "OK?"}}))
    served.storage.set_touchpoint(KIOSK_ID, "exit")
    served.storage.set_survey(STORE_ID, parse_survey(
        {"kind": "nps", "questions": {"en": "Would you recommend us?"}}), "exit")
    config = tmp_path / "kiosk.toml"
    done = kiosk_cli("enroll", served.url, served.code, "--config", str(config),
                     "--pin-hash", PIN_HASH)
    assert (done.returncode, done.stderr) == (0, "")
    settings = load(config)
    assert (settings.kind, settings.scale) == ("nps", 11)
    assert kiosk_cli("check-config", "--config", str(config)).returncode == 0

    # A kiosk at no named touchpoint gets the store's survey: 3 faces.
    served.storage.add_kiosk("k2", STORE_ID)
    other = tmp_path / "other.toml"
    done = kiosk_cli("enroll", served.url, served.storage.issue_code("k2").code,
                     "--config", str(other), "--pin-hash", PIN_HASH)
    assert done.returncode == 0, done.stderr
    assert (load(other).kind, load(other).scale) == ("csat", 3)
