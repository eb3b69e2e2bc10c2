"""The real kiosk app as a test drives it: one process on an X display, clicked with xdotool.

:class:`Kiosk` starts ``python -m kiosk --config ...`` (windowed, 1280x800 at
0,0 unless ``HYMY_KIOSK_SIZE`` says otherwise) with the config it writes, or
with no config at all (``setup=True``: the first-start screen).  The app
reports its current screen and where its buttons are in a small JSON file only
because ``HYMY_KIOSK_TEST_STATUS`` is set; that probe is how a test knows where
to click, nothing is driven through it.  Everything polls with generous
timeouts, so a loaded 2-core machine is slow, not flaky.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kiosk.pin import hash_pin
from tests.support import ROOT

PIN = "2468"
PIN_HASH = hash_pin(PIN)
TZ = "Europe/Helsinki"
#: Seconds of the app's frames after a click with no tap: the click was lost.
LOST_CLICK_S = 3.0


def xdotool(display: str, *args: object) -> None:
    """Run ``xdotool ARGS`` on ``display`` (a click, a key, typing)."""
    subprocess.run(["xdotool", *map(str, args)], check=True, timeout=30,
                   env={**os.environ, "DISPLAY": display})


def modules_on_screen(image, centre: tuple[int, int], reach: int = 168) -> tuple:
    """The QR code's image around ``centre`` (at most 340 px square at 1280x800) and its dark
    pixels' bounding box: the symbol itself (its finder patterns touch three corners)."""
    x0, y0 = max(0, centre[0] - reach), max(0, centre[1] - reach)
    crop = image.crop((x0, y0, centre[0] + reach, centre[1] + reach)).convert("L")
    width, height = crop.size
    pixels = crop.load()
    dark = [(x, y) for y in range(height) for x in range(width) if pixels[x, y] < 80]
    left, right = min(x for x, _ in dark), max(x for x, _ in dark)
    top, bottom = min(y for _, y in dark), max(y for _, y in dark)
    return left, top, right, bottom, pixels


def read_symbol(image, centre: tuple[int, int], size: int) -> list[list[bool]]:
    """The QR code on screen around ``centre`` as ``size`` x ``size`` modules (True: dark),
    read pixel by pixel: compare with ``segno.make(url, error="m").matrix``."""
    left, top, right, bottom, pixels = modules_on_screen(image, centre)
    step_x, step_y = (right - left + 1) / size, (bottom - top + 1) / size
    return [[pixels[int(left + (c + 0.5) * step_x), int(top + (r + 0.5) * step_y)] < 128
             for c in range(size)] for r in range(size)]


class Kiosk:
    """One kiosk app process on the test display, with its config, database and status.

    ``setup=True`` writes no config: the app opens its first-start screen, and
    :attr:`database` is only known once that screen has written the config.
    """

    def __init__(self, folder: Path, display: str, env: dict[str, str] | None = None,
                 setup: bool = False, **settings: Any):
        self.folder = folder
        self.display = display
        self.database = folder / "kiosk.db"
        self.status_path = folder / "status.json"
        self.log_path = folder / "kiosk.log"
        values = {
            "store_id": "s1", "kiosk_id": "k1", "timezone": TZ, "database": "kiosk.db",
            "staff_pin_hash": PIN_HASH, "fullscreen": False, "thanks_delay": 0.6,
            "response_interval": 0, "followup_timeout": 8,
        }
        values.update(settings)
        lines, tables = [], []
        for key, value in values.items():
            if isinstance(value, dict):  # a table, e.g. sync={"url": ..., "token": ...}
                tables += [f"[{key}]", *(f"{k} = {json.dumps(v)}" for k, v in value.items())]
            else:
                lines.append(f"{key} = {json.dumps(value)}")
        lines += tables
        self.config = folder / "kiosk.toml"
        if not setup:
            self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = {
            **os.environ, "DISPLAY": display, "KIVY_HOME": str(folder / "kivy"),
            "KIVY_NO_ARGS": "1", "HYMY_KIOSK_SIZE": "1280x800",
            "HYMY_KIOSK_TEST_STATUS": str(self.status_path), **(env or {}),
        }
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "--config", str(self.config)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self.wait_screen("setup" if setup else "rating", timeout=90)

    # -- observing ----------------------------------------------------------

    def status(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.status_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def wait(self, predicate, what: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        status = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"kiosk exited ({self.process.returncode}) waiting for {what}:\n"
                            + self.log_path.read_text(errors="replace")[-3000:])
            status = self.status()
            if status and predicate(status):
                return status
            time.sleep(0.05)
        log = self.log_path.read_text(errors="replace")[-2000:]
        pytest.fail(f"timed out waiting for {what}; last status: {status}\nlog:\n{log}")

    def wait_screen(self, name: str, timeout: float = 30) -> dict[str, Any]:
        return self.wait(lambda s: s["screen"] == name, f"screen {name!r}", timeout)

    def target(self, name: str) -> tuple[int, int]:
        """Where a button is, once two status reports in a row agree (layout settled)."""
        previous: dict[str, Any] = {}

        def settled(status: dict[str, Any]) -> bool:
            nonlocal previous
            spot = status["targets"].get(name)
            ok = bool(spot) and spot == previous.get("spot") and status["time"] != previous.get(
                "time")
            previous = {"spot": spot, "time": status["time"]}
            return ok

        spot = self.wait(settled, f"button {name!r}")["targets"][name]
        return spot["x"], spot["y"]

    def text(self, name: str) -> str:
        return self.wait(lambda s: name in s["targets"], f"label {name!r}")["targets"][name]["text"]

    def wait_text(self, name: str, check, timeout: float = 30) -> str:
        """Wait until label ``name`` shows text that passes ``check`` (a string or a test)."""
        test = check if callable(check) else (lambda text: text == check)
        status = self.wait(lambda s: test((s["targets"].get(name) or {}).get("text") or ""),
                           f"label {name!r} to show {check!r}", timeout)
        return status["targets"][name]["text"]

    def rows(self) -> list[dict[str, Any]]:
        with sqlite3.connect(self.database) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM ratings ORDER BY seq")]

    def wait_rows(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.rows() if self.database.exists() else []
            if len(rows) >= count:
                return rows
            time.sleep(0.05)
        pytest.fail(f"expected {count} stored ratings, have {len(rows)}")

    def screenshot(self):
        from PIL import Image

        png = subprocess.run(["import", "-window", "root", "png:-"], timeout=60,
                             capture_output=True, env={**os.environ, "DISPLAY": self.display})
        assert png.returncode == 0, png.stderr.decode(errors="replace")
        return Image.open(io.BytesIO(png.stdout)).convert("RGB")

    # -- acting ---------------------------------------------------------------

    def click(self, name: str, button: int = 1) -> None:
        x, y = self.target(name)
        xdotool(self.display, "mousemove", x, y, "click", button)

    def tap_face(self, score: int) -> dict[str, Any]:
        """Tap a face and wait until the app has moved off the question."""
        return self.tap_answer(f"face-{score}")

    def tap_answer(self, button: str, tries: int = 3) -> dict[str, Any]:
        """Tap an answer button (``face-4``, NPS or CES ``score-7``) and wait until the
        app has moved off the question; its status then.

        A click the app never got is clicked again (``tries`` in all): one is lost when
        the app has drawn frames for LOST_CLICK_S after it and still shows the question
        with no new tap.  A freshly started window sometimes misses its very first
        xdotool click (about one start in six on a loaded machine, never after its
        first seconds); a registered tap shows in the next status, 0.25 s later."""
        before = (self.status() or {}).get("last_tap")
        for _ in range(tries):
            clicked = time.time()
            self.click(button)
            status = self.wait(
                lambda s, at=clicked: s["screen"] != "rating" and s["last_tap"] != before
                or s["screen"] == "rating" and s["last_tap"] == before
                and s["time"] > at + LOST_CLICK_S, f"the tap on {button}")
            if status["last_tap"] != before:
                return status
        pytest.fail(f"the app got none of {tries} clicks on {button}")

    def type_pin(self, pin: str) -> None:
        for digit in pin:
            self.click(f"pin-{digit}")
        self.click("pin-ok")

    def hold_corner(self, seconds: float = 4.5) -> None:
        """Press and hold the top-left corner (the app opens the PIN pad after 3 s)."""
        # the window is up and laid out: its first face, or an NPS or CES kiosk's answer 1
        shown = self.wait(lambda s: {"face-1", "score-1"} & set(s["targets"]), "the question")
        self.target("face-1" if "face-1" in shown["targets"] else "score-1")
        xdotool(self.display, "mousemove", 15, 15, "mousedown", 1)
        time.sleep(seconds)
        xdotool(self.display, "mouseup", 1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)
        self.log.close()
