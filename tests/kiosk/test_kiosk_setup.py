"""The first-start screen: a kiosk with no config enrolls itself from the touchscreen.

The real app (``python -m kiosk --config PATH`` with nothing at PATH) runs on
the session's Xvfb display; the test types with the app's own on-screen keys
(clicked through X with xdotool) or with the X keyboard, against a real
collector on loopback (uvicorn in this process).  It checks what an installer
and the collector see: the screen's words, the config file written (mode
0600), a tap stored and synced with the token it holds, the staff PIN chosen
on the screen opening the staff screen; and for a used code or an unreachable
collector, the error line and no file.
"""

from __future__ import annotations

import socket
import stat
import time
from pathlib import Path

import pytest

from kiosk.config import load
from kiosk.i18n import load_strings
from kiosk.pin import verify_pin
from tests.support.collector import free_port
from tests.support.inprocess import collector_in_process
from tests.support.kiosk_window import Kiosk, xdotool

STRINGS = load_strings(["fi", "en"])
PIN = "2468"

ui = pytest.mark.ui


@pytest.fixture
def served(tmp_path: Path):
    """A collector with store s1 (Kamppi) and kiosk k1, and a fresh code for k1."""
    with collector_in_process(tmp_path / "collector.db") as running:
        running.storage.add_store("s1", "Kamppi", "Europe/Helsinki")
        running.storage.add_kiosk("k1", "s1")
        running.code = running.storage.issue_code("k1").code
        yield running


@pytest.fixture
def first_start(xvfb_display: str, tmp_path: Path):
    """Start the kiosk with no config at ``tmp_path/kiosk/kiosk.toml`` (window size given)."""
    started: list[Kiosk] = []

    def start(size: str = "1280x800") -> Kiosk:
        folder = tmp_path / "kiosk"
        folder.mkdir(exist_ok=True)
        kiosk = Kiosk(folder, xvfb_display, setup=True, env={"HYMY_KIOSK_SIZE": size})
        started.append(kiosk)
        return kiosk

    yield start
    for kiosk in started:
        kiosk.stop()


def tap_keys(kiosk: Kiosk, field: str, text: str) -> None:
    """Tap ``field``, then ``text`` on the on-screen keys (``\\b``: the delete key)."""
    kiosk.click(field)
    spots = kiosk.status()["targets"]  # laid out: the click above waited for that
    before = spots[field]["text"] or ""
    for char in text:
        spot = spots["key-back" if char == "\b" else f"key-{char}"]
        xdotool(kiosk.display, "mousemove", spot["x"], spot["y"], "click", 1)
    expected = before
    for char in text:
        expected = expected[:-1] if char == "\b" else expected + char
    kiosk.wait_text(field, lambda shown: shown.lower() == expected.lower())


def type_keyboard(kiosk: Kiosk, field: str, text: str) -> None:
    """Tap ``field``, select what it holds and type ``text`` over it on the X keyboard.

    At a person's pace: keys already queued when Kivy moves the focus are
    dropped with SDL's text input (a keystroke within a frame of the tap).
    """
    kiosk.click(field)
    time.sleep(0.5)
    xdotool(kiosk.display, "key", "ctrl+a", "BackSpace")
    xdotool(kiosk.display, "type", "--delay", 30, text)
    kiosk.wait_text(field, text.upper() if field == "setup-code" else text)


@ui
def test_a_new_kiosk_enrolls_on_the_touchscreen_then_stores_and_syncs_taps(served,
                                                                          first_start):
    kiosk = first_start("800x480")  # the smallest kiosk screen
    assert kiosk.status()["window"] == [800, 480]
    assert kiosk.text("setup-title") == STRINGS["fi"]["setup_title"]
    kiosk.click("lang-en")
    kiosk.wait_text("setup-title", STRINGS["en"]["setup_title"])
    assert kiosk.text("setup-message") == STRINGS["en"]["setup_lead"]
    for key in ("key-q", "key-0", "key-back", "setup-enroll"):  # one finger's worth
        assert kiosk.status()["targets"][key]["text"]

    tap_keys(kiosk, "setup-url", served.url)
    tap_keys(kiosk, "setup-code", served.code.lower())  # shown in capitals
    assert kiosk.text("setup-code") == served.code
    # The example config's PIN is refused, as the config check refuses its hash.
    tap_keys(kiosk, "setup-pin", "1234")
    tap_keys(kiosk, "setup-again", "1234")
    kiosk.click("setup-enroll")
    kiosk.wait_text("setup-message", STRINGS["en"]["setup_pin_example"])
    tap_keys(kiosk, "setup-pin", "\b\b\b\b" + PIN)
    tap_keys(kiosk, "setup-again", "\b\b\b\b" + PIN[:-1])
    kiosk.click("setup-enroll")
    kiosk.wait_text("setup-message", STRINGS["en"]["setup_pin_mismatch"])
    assert not kiosk.config.exists() and served.storage.live_code("k1") is not None

    tap_keys(kiosk, "setup-again", PIN[-1])
    kiosk.click("setup-enroll")
    kiosk.wait_screen("rating", timeout=60)  # the question, in the same window

    assert stat.S_IMODE(kiosk.config.stat().st_mode) == 0o600
    config = load(kiosk.config)
    assert (config.store_id, config.kiosk_id, config.timezone) == (
        "s1", "k1", "Europe/Helsinki")
    assert config.sync.url == served.url and verify_pin(PIN, config.staff_pin_hash)
    assert kiosk.status()["window"] == [800, 480]

    kiosk.database = config.database_path
    kiosk.tap_face(4)
    [row] = kiosk.wait_rows(1)
    assert (row["score"], row["store_id"], row["kiosk_id"], row["lang"]) == (4, "s1", "k1", "fi")
    # The PIN chosen on the first-start screen opens the staff screen; "Sync now"
    # delivers the tap with the token the screen wrote.
    kiosk.wait_screen("rating")
    kiosk.hold_corner()
    kiosk.wait_screen("pinpad")
    kiosk.type_pin(PIN)
    kiosk.wait_screen("staff")
    kiosk.click("staff-sync-now")
    deadline = time.monotonic() + 30
    while served.storage.kiosk("k1")["received"] < 1:
        assert time.monotonic() < deadline, "the tap never reached the collector"
        time.sleep(0.2)
    assert kiosk.process.poll() is None


@ui
def test_a_used_code_or_an_unreachable_collector_shows_why_and_writes_nothing(served,
                                                                             first_start):
    used = served.call("POST", "/api/v1/enroll", json_body={"code": served.code})
    assert used.status == 200
    kiosk = first_start()
    type_keyboard(kiosk, "setup-url", served.url)  # a physical keyboard works too
    for field, text in (("setup-code", served.code), ("setup-pin", PIN), ("setup-again", PIN)):
        xdotool(kiosk.display, "key", "Tab")
        time.sleep(0.5)  # at a person's pace, as in type_keyboard()
        xdotool(kiosk.display, "type", "--delay", 30, text)
        kiosk.wait_text(field, text)
    xdotool(kiosk.display, "key", "Return")  # Enter in the last field enrolls

    kiosk.wait_text("setup-message", STRINGS["fi"]["setup_refused"])
    detail = kiosk.text("setup-detail")
    assert "HTTP 410" in detail and "already used" in detail
    assert kiosk.status()["screen"] == "setup"
    assert not [path.name for path in kiosk.folder.iterdir()
                if "toml" in path.name or ".db" in path.name]  # no config, no database

    # A fresh code and a collector that does not answer: try again, nothing used up.
    fresh = served.storage.issue_code("k1").code
    nobody = f"http://127.0.0.1:{free_port()}"
    type_keyboard(kiosk, "setup-code", fresh)
    type_keyboard(kiosk, "setup-url", nobody)
    kiosk.click("setup-enroll")
    kiosk.wait_text("setup-message", STRINGS["fi"]["setup_retry"])
    assert kiosk.text("setup-detail") == (f"collector unreachable at {nobody} (connection"
                                          " refused); nothing was used up, try again")
    assert not kiosk.config.exists()
    assert served.storage.live_code("k1") is not None

    # A collector that takes the connection and never answers: the screen says it
    # is at work and keeps drawing (its clock writes the status) while it waits.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        type_keyboard(kiosk, "setup-url", f"http://127.0.0.1:{silent.getsockname()[1]}")
        kiosk.click("setup-enroll")
        kiosk.wait_text("setup-message", STRINGS["fi"]["setup_working"])
        first = kiosk.status()["time"]
        time.sleep(2)
        status = kiosk.status()
        assert status["time"] > first + 1  # the UI thread runs on
        assert status["targets"]["setup-message"]["text"] == STRINGS["fi"]["setup_working"]
