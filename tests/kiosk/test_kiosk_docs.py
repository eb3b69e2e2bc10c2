"""The kiosk's documentation keeps up with the code: settings, commands, screenshots, unit."""

from __future__ import annotations

import re
import tomllib

from kiosk.cli import cli
from kiosk.config import ASSETS, SETTINGS, SYNC_SETTINGS, load
from kiosk.pin import verify_pin
from tests.support import ROOT

EXAMPLE = ASSETS / "kiosk.example.toml"
GUIDE = ROOT / "docs" / "kiosk.md"
UNIT = ROOT / "docs" / "deploy" / "hymy-kiosk.service"


def test_example_config_sets_every_key_and_loads():
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert set(data) - {"sync"} == {s.name for s in SETTINGS}
    assert set(data["sync"]) == {s.name for s in SYNC_SETTINGS}
    config = load(EXAMPLE)
    assert verify_pin("1234", config.staff_pin_hash)
    assert "1234" in EXAMPLE.read_text(encoding="utf-8")  # and it says so


def test_example_config_shows_the_defaults():
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for setting in SETTINGS:
        if setting.name not in {"store_id", "kiosk_id", "timezone", "staff_pin_hash"}:
            assert data[setting.name] == setting.default, setting.name
    for setting in SYNC_SETTINGS:
        assert data["sync"][setting.name] == setting.default, setting.name


def test_every_command_is_in_the_guide():
    guide = GUIDE.read_text(encoding="utf-8")
    for name in cli.commands:
        if name != "sync":  # documented in docs/sync.md
            assert f"hymy-kiosk {name}" in guide, name
    assert "hymy-kiosk --config" in guide


def test_the_guide_documents_the_response_interval_rule():
    guide = GUIDE.read_text(encoding="utf-8")
    assert "response_interval" in guide and "suppressed = 1" in guide
    assert "previous **counted** tap" in guide


def test_every_screenshot_the_guide_shows_exists():
    guide = GUIDE.read_text(encoding="utf-8")
    images = re.findall(r"\((screenshots/kiosk-[^)]+\.png)\)", guide)
    assert len(images) >= 10
    for image in images:
        assert (GUIDE.parent / image).exists(), image


def test_systemd_unit_restarts_and_starts_with_the_desktop():
    unit = UNIT.read_text(encoding="utf-8")
    assert "Restart=always" in unit.splitlines()
    assert "WantedBy=graphical.target" in unit
    assert "After=graphical.target" in unit
    assert re.search(r"^Environment=KIVY_HOME=", unit, re.M)
    assert "xset s off -dpms" in unit
    for name in ("touch.conf", "10-hymy-noblank.conf", "hymy-xorg.service", "lite.conf"):
        assert (UNIT.parent / name).exists()


def test_systemd_unit_waits_for_ready_and_watches_the_ui():
    lines = UNIT.read_text(encoding="utf-8").splitlines()
    assert "Type=notify" in lines and "NotifyAccess=main" in lines
    assert any(re.fullmatch(r"WatchdogSec=\d+", line) for line in lines)
    guide = GUIDE.read_text(encoding="utf-8")
    for words in ("READY=1", "WATCHDOG=1", "SDL_VIDEODRIVER=kmsdrm", "cage --",
                  "overlay root file system", "not tested here"):
        assert words in guide, words
