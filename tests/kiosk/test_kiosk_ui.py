"""The real kiosk app in a real window: Xvfb, real X clicks (xdotool), the real database.

Each test starts ``python -m kiosk --config ...`` (windowed 1280x800 at 0,0) on
the session's Xvfb display and acts like a shopper or a member of staff: it
clicks where a face or button is, then checks what the app stored in SQLite,
what is on screen (pixels of a root-window screenshot) and what screen the
app shows.  The app reports its current screen and where its buttons are in a
small JSON file only because HYMY_KIOSK_TEST_STATUS is set; that probe is
how the test knows where to click, nothing is driven through it.

Everything polls with generous timeouts, so a loaded 2-core machine is slow,
not flaky.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from kiosk.i18n import face_image, load_strings
from kiosk.store import Store
from sync.clock import local_date, parse_utc, zone
from tests.support import ROOT
from tests.support.kiosk_window import PIN, PIN_HASH, TZ, Kiosk, xdotool
from tests.support.xvfb import running_window_manager, running_xvfb

STRINGS = load_strings(["fi", "sv", "en"])
EXIT_KIOSK_STATUS = 10  # kiosk.app.EXIT_KIOSK_STATUS (not imported: that would import Kivy)

ui = pytest.mark.ui


def reddish(pixel: tuple[int, int, int]) -> bool:
    red, green, blue = pixel
    return red > 170 and green < 90 and blue < 90


def greenish(pixel: tuple[int, int, int]) -> bool:
    red, green, blue = pixel
    return green > red + 40 and green > blue + 40


def count_pixels(image, centre: tuple[int, int], half: int, test) -> int:
    x, y = centre
    data = image.crop((x - half, y - half, x + half, y + half)).tobytes()
    return sum(1 for i in range(0, len(data), 3) if test(tuple(data[i : i + 3])))


# -- the shopper -------------------------------------------------------------


@ui
def test_tap_stores_a_row_with_the_right_score_and_local_date(start_kiosk):
    kiosk = start_kiosk()
    # The faces are really on screen: red artwork on the left, green on the right.
    face1, face5 = kiosk.target("face-1"), kiosk.target("face-5")
    shot = kiosk.screenshot()
    assert count_pixels(shot, face1, 80, reddish) > 2000
    assert count_pixels(shot, face5, 80, greenish) > 2000
    assert count_pixels(shot, face1, 80, greenish) < 50

    kiosk.tap_face(4)
    [row] = kiosk.wait_rows(1)
    assert (row["score"], row["scale"], row["lang"], row["suppressed"]) == (4, 5, "fi", 0)
    assert (row["store_id"], row["kiosk_id"], row["seq"]) == ("s1", "k1", 1)
    assert row["local_date"] == local_date(parse_utc(row["created_at"]), zone(TZ))
    assert abs(time.time() - parse_utc(row["created_at"]).timestamp()) < 120


@ui
def test_thank_you_appears_at_once_and_the_question_returns(start_kiosk):
    kiosk = start_kiosk(thanks_delay=1.5)
    tapped = time.monotonic()
    status = kiosk.tap_face(5)
    assert status["screen"] == "thanks"
    # committed and switched synchronously in the touch handler
    assert status["tap_ms"] is not None and status["tap_ms"] < 100
    assert kiosk.text("thanks") == STRINGS["fi"]["thanks"]
    kiosk.wait_rows(1)
    kiosk.wait_screen("rating", timeout=30)
    assert time.monotonic() - tapped >= 1.4  # stayed for thanks_delay, then came back


@ui
def test_the_thank_you_shows_the_tapped_face_from_artwork_loaded_at_start(start_kiosk):
    kiosk = start_kiosk(thanks_delay=3, reasons=[])  # no follow-up: a 1 is thanked too
    kiosk.target("face-1")  # up and laid out
    loaded = kiosk.status()["face_loads"]
    assert loaded == 5  # face-1.png ... face-5.png, each read once, before any tap
    for score, right, wrong in ((1, reddish, greenish), (5, greenish, reddish)):
        kiosk.wait_screen("rating")
        assert kiosk.tap_face(score)["screen"] == "thanks"
        face = kiosk.target("thanks-face")
        shot = kiosk.screenshot()
        assert count_pixels(shot, face, 80, right) > 2000
        assert count_pixels(shot, face, 80, wrong) < 50
    assert kiosk.status()["face_loads"] == loaded  # no tap read artwork from disk


@ui
def test_follow_up_attaches_the_reason_to_the_same_rating(start_kiosk):
    kiosk = start_kiosk(followup_timeout=2.5, reasons=["queue", "staff", "prices", "other"])
    status = kiosk.tap_face(1)
    assert status["screen"] == "followup"
    assert kiosk.text("followup-question") == STRINGS["fi"]["followup_question"]
    [row] = kiosk.rows()
    assert row["awaiting_reason"] == 1  # stored before the question was even asked
    kiosk.click("reason-staff")
    kiosk.wait_screen("thanks")
    [row] = kiosk.wait_rows(1)
    assert (row["score"], row["reason"], row["awaiting_reason"]) == (1, "staff", 0)
    kiosk.wait_screen("rating")

    # Skip: thanks, no reason; the rating counts.
    kiosk.tap_face(2)
    kiosk.wait_screen("followup")
    kiosk.click("skip")
    kiosk.wait_screen("thanks")
    kiosk.wait_screen("rating")

    # No answer at all: back to the question after followup_timeout.
    kiosk.tap_face(1)
    kiosk.wait_screen("followup")
    kiosk.wait_screen("rating", timeout=30)
    rows = kiosk.rows()
    assert [(r["score"], r["reason"], r["awaiting_reason"]) for r in rows] == [
        (1, "staff", 0), (2, None, 0), (1, None, 0)]

    # A top face asks nothing.
    assert kiosk.tap_face(5)["screen"] == "thanks"


@ui
def test_language_switch_changes_the_question_and_comes_back(start_kiosk):
    kiosk = start_kiosk(thanks_delay=0.8)
    assert kiosk.text("question") == STRINGS["fi"]["question"]
    kiosk.click("lang-en")
    kiosk.wait(lambda s: s["lang"] == "en", "English")
    assert kiosk.text("question") == STRINGS["en"]["question"]
    shot_question = kiosk.wait(lambda s: s["targets"]["question"]["text"]
                               == STRINGS["en"]["question"], "English question")
    assert shot_question["targets"]["lang-en"]["text"] == "English"
    kiosk.click("lang-sv")
    kiosk.wait(lambda s: s["question"] == STRINGS["sv"]["question"], "Swedish question")
    kiosk.tap_face(4)
    assert kiosk.text("thanks") == STRINGS["sv"]["thanks"]
    [row] = kiosk.wait_rows(1)
    assert row["lang"] == "sv"
    # After the rating, the store's default language is back.
    status = kiosk.wait(lambda s: s["screen"] == "rating" and s["lang"] == "fi", "Finnish again")
    assert status["question"] == STRINGS["fi"]["question"]


@ui
def test_quick_taps_are_stored_suppressed_and_ask_nothing(start_kiosk, tmp_path):
    kiosk = start_kiosk(response_interval=60, thanks_delay=0.5)
    kiosk.tap_face(5)
    kiosk.wait_screen("rating")
    assert kiosk.tap_face(1)["screen"] == "thanks"  # a counted 1 would ask the follow-up
    kiosk.wait_screen("rating")
    kiosk.tap_face(2)
    rows = kiosk.wait_rows(3)
    assert [(r["score"], r["suppressed"], r["awaiting_reason"]) for r in rows] == [
        (5, 0, 0), (1, 1, 0), (2, 1, 0)]
    store = Store(kiosk.database, "s1", "k1", TZ)
    summary, _reasons = store.day_summary(rows[0]["local_date"])
    store.close()
    assert (summary.responses, summary.suppressed, summary.csat) == (1, 2, 100.0)


@ui
def test_sigkill_right_after_taps_loses_none(start_kiosk):
    kiosk = start_kiosk(thanks_delay=0.5)
    scores = [5, 3, 4, 1, 2, 5, 4]
    for index, score in enumerate(scores, start=1):
        if index > 1:
            kiosk.wait_screen("rating")
        status = kiosk.tap_face(score)
        assert status["last_tap"]["seq"] == index
    # The last thank-you is on screen: pull the plug.
    os.kill(kiosk.process.pid, signal.SIGKILL)
    kiosk.process.wait(30)
    rows = kiosk.rows()
    assert [r["seq"] for r in rows] == list(range(1, len(scores) + 1))
    assert [r["score"] for r in rows] == scores


# -- lockdown ----------------------------------------------------------------


def request_window_close(display: str, window: int) -> None:
    """Send WM_DELETE_WINDOW, exactly what a window manager's close button does."""
    x11 = ctypes.cdll.LoadLibrary("libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                               ctypes.c_void_p]
    x11.XFlush.argtypes = x11.XCloseDisplay.argtypes = [ctypes.c_void_p]

    class ClientMessage(ctypes.Structure):
        _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong),
                    ("send_event", ctypes.c_int), ("display", ctypes.c_void_p),
                    ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                    ("format", ctypes.c_int), ("data", ctypes.c_long * 5)]

    class Event(ctypes.Union):
        _fields_ = [("xclient", ClientMessage), ("pad", ctypes.c_long * 24)]

    connection = x11.XOpenDisplay(display.encode())
    event = Event()
    event.xclient.type = 33  # ClientMessage
    event.xclient.window = window
    event.xclient.message_type = x11.XInternAtom(connection, b"WM_PROTOCOLS", 0)
    event.xclient.format = 32
    event.xclient.data[0] = x11.XInternAtom(connection, b"WM_DELETE_WINDOW", 0)
    x11.XSendEvent(connection, window, 0, 0, ctypes.byref(event))
    x11.XFlush(connection)
    x11.XCloseDisplay(connection)


@ui
def test_escape_f1_close_and_right_click_do_nothing(start_kiosk, xvfb_display):
    kiosk = start_kiosk()
    kiosk.target("face-3")
    xdotool(xvfb_display, "mousemove", 640, 330)
    for key in ("Escape", "F1", "alt+F4", "Escape"):
        xdotool(xvfb_display, "key", key)
        time.sleep(0.3)
    windows = subprocess.run(["xdotool", "search", "--pid", str(kiosk.process.pid)],
                             capture_output=True, text=True, timeout=30,
                             env={**os.environ, "DISPLAY": xvfb_display}).stdout.split()
    assert windows, "the kiosk window was not found"
    for window in windows:
        request_window_close(xvfb_display, int(window))
    # A right click makes no red multitouch dot (on a plain background spot).
    xdotool(xvfb_display, "mousemove", 640, 330, "click", 3)
    time.sleep(1.5)
    assert kiosk.process.poll() is None, "the kiosk quit"
    status = kiosk.wait_screen("rating")  # no settings panel, same screen, still responsive
    assert status["time"] > time.time() - 5
    shot = kiosk.screenshot()
    assert count_pixels(shot, (640, 330), 30, reddish) == 0
    kiosk.tap_face(5)
    kiosk.wait_rows(1)


@ui
def test_staff_screen_behind_corner_hold_and_pin(start_kiosk):
    kiosk = start_kiosk(thanks_delay=0.5)
    kiosk.tap_face(5)
    kiosk.wait_screen("rating")
    kiosk.tap_face(1)
    kiosk.click("reason-queue")
    kiosk.wait_screen("rating")
    # A short press in the corner does nothing.
    kiosk.hold_corner(0.3)
    time.sleep(0.5)
    assert kiosk.status()["screen"] == "rating"
    kiosk.hold_corner()
    kiosk.wait_screen("pinpad")
    # Wrong PIN: message, still on the pad.
    kiosk.type_pin("1111")
    kiosk.wait_text("pin-message", STRINGS["fi"]["pin_wrong"])
    assert kiosk.status()["screen"] == "pinpad"
    kiosk.type_pin(PIN)
    kiosk.wait_screen("staff")
    kiosk.wait_text("staff-responses", "2")
    assert kiosk.text("staff-figure") == "50\u00a0%"
    assert STRINGS["fi"]["never"] in kiosk.text("staff-sync")
    assert "\u2013" in kiosk.text("staff-interval")
    assert kiosk.rows()[1]["reason"] == "queue"
    kiosk.click("staff-exit")
    assert kiosk.process.wait(30) == EXIT_KIOSK_STATUS


@ui
def test_wrong_pins_lock_the_pad(start_kiosk):
    kiosk = start_kiosk()
    kiosk.hold_corner()
    kiosk.wait_screen("pinpad")
    for _ in range(3):
        kiosk.type_pin("0000")
    locked = STRINGS["fi"]["pin_locked"].split("{seconds}")[0]
    kiosk.wait_text("pin-message", lambda text: text.startswith(locked))
    kiosk.type_pin(PIN)  # even the right PIN waits out the lock
    time.sleep(1)
    assert kiosk.status()["screen"] == "pinpad"
    kiosk.click("pin-cancel")
    kiosk.wait_screen("rating")


# -- full screen on any X server (issue 14) ------------------------------------
#
# Each case is its own Xvfb at the kiosk's screen size, bare (no window manager,
# like Raspberry Pi OS Lite with only X) or with openbox.  The faces are found
# in a screenshot by the colour of their artwork, not through the app's probe,
# so a tap lands where a shopper sees the face, whatever the app believes.

FULL_SCREENS = [pytest.param((size, manager), id=f"{manager or 'bare-x'}-{size}")
                for manager in (None, "openbox") for size in ("800x480", "1280x800")]


def x_output(display: str, *args: object) -> str:
    done = subprocess.run([*map(str, args)], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "DISPLAY": display})
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(params=FULL_SCREENS)
def screen(request):
    """A fresh X server of one size, with or without a window manager: (display, w, h, manager)."""
    size, manager = request.param
    tools = ["Xvfb", "xdotool", "xwininfo", "xprop", "import", *([manager] if manager else [])]
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (.ci/system-deps installs them)")
    width, height = (int(part) for part in size.split("x"))
    with running_xvfb(screen=f"{size}x24") as display, contextlib.ExitStack() as stack:
        if manager:
            stack.enter_context(running_window_manager(display, [manager]))
        yield display, width, height, manager


def kiosk_window(display: str, pid: int) -> int:
    """The kiosk's one visible X window (the client window, inside any frame)."""
    found = x_output(display, "xdotool", "search", "--onlyvisible", "--pid", pid).split()
    assert len(found) == 1, f"expected one kiosk window, found {found}"
    return int(found[0])


def window_geometry(display: str, window: int) -> tuple[int, int, int, int]:
    """x, y (on the screen), width and height of an X window, as xwininfo reports them."""
    info = x_output(display, "xwininfo", "-id", window)
    fields = dict(line.strip().split(":", 1) for line in info.splitlines() if ":" in line)
    return tuple(int(fields[key]) for key in ("Absolute upper-left X", "Absolute upper-left Y",
                                              "Width", "Height"))


@functools.lru_cache
def fill_colour(score: int) -> tuple[int, int, int]:
    """The main colour of a face's artwork: its most common opaque pixel."""
    from PIL import Image

    art = Image.open(face_image(score, 5)).convert("RGBA")
    data = art.tobytes()
    counts = Counter(data[i : i + 4] for i in range(0, len(data), 4))
    return next(tuple(rgba[:3]) for rgba, _n in counts.most_common() if rgba[3] == 255)


def colour_box(image, colour: tuple[int, int, int], tolerance: int = 8):
    """Bounding box of the pixels within ``tolerance`` of ``colour`` (None if none)."""
    from PIL import ImageChops

    masks = [band.point(lambda value, want=want: 255 if abs(value - want) <= tolerance else 0)
             for band, want in zip(image.split(), colour, strict=True)]
    return ImageChops.multiply(ImageChops.multiply(masks[0], masks[1]), masks[2]).getbbox()


def drawn_faces(shot) -> dict[int, tuple[int, tuple[int, int, int, int]]]:
    """Where each face is drawn: score -> ((x, y) centre, box), found by the artwork's colour."""
    faces = {}
    for score in range(1, 6):
        box = colour_box(shot, fill_colour(score))
        assert box is not None, f"face {score} is not on the screen"
        left, top, right, bottom = box
        width, height = right - left, bottom - top
        assert width > 30 and 0.8 < width / height < 1.25, f"face {score}: odd shape {box}"
        faces[score] = ((left + right) // 2, (top + bottom) // 2), box
    return faces


def blank_spot(shot, faces) -> tuple[int, int]:
    """A background point above the middle face, halfway between the question and the
    top of the face's card, checked to be empty: no card (pure white), no ink."""
    (x, _y), (_left, face_top, _right, _bottom) = faces[3]
    above_faces = shot.crop((0, 0, shot.width, min(box[1] for _c, box in faces.values())))
    question = colour_box(above_faces, (31, 45, 53), tolerance=40)  # kiosk.theme ink
    assert question is not None, "the question is not on the screen"
    card_top = face_top
    while card_top > 0 and shot.getpixel((x, card_top)) != (255, 255, 255):
        card_top -= 1  # the face's outline
    while card_top > 0 and shot.getpixel((x, card_top - 1)) == (255, 255, 255):
        card_top -= 1  # the card's white above the face
    y = (question[3] + card_top) // 2
    half = max(3, min(12, (card_top - question[3]) // 3))
    around = shot.crop((x - half, y - half, x + half, y + half)).convert("L")
    darkest, lightest = around.getextrema()
    assert darkest > 200 and lightest < 255, (
        f"no empty background between the question and the faces at {(x, y)}")
    return x, y


@ui
def test_full_screen_covers_the_screen_and_taps_land_on_the_drawn_faces(screen, tmp_path):
    display, width, height, manager = screen
    kiosk = Kiosk(tmp_path, display, fullscreen=True, reasons=[], thanks_delay=0.5)
    try:
        kiosk.target("face-5")  # up and laid out
        # The window is the whole screen, for X and for the app itself.
        window = kiosk_window(display, kiosk.process.pid)
        assert window_geometry(display, window) == (0, 0, width, height)
        assert kiosk.status()["window"] == [width, height]
        if manager:  # and the window manager treats it as full screen (above any panel)
            state = x_output(display, "xprop", "-id", window, "_NET_WM_STATE")
            assert "_NET_WM_STATE_FULLSCREEN" in state

        shot = kiosk.screenshot()
        shot.save(tmp_path / f"full-screen-{manager or 'bare-x'}-{width}x{height}.png")
        faces = drawn_faces(shot)
        # A tap on the empty background stores nothing.
        blank = blank_spot(shot, faces)
        xdotool(display, "mousemove", *blank, "click", 1)
        time.sleep(1.5)
        assert kiosk.rows() == [], f"a tap on the background at {blank} stored a rating"
        assert kiosk.status()["screen"] == "rating"
        # A tap at the centre of each drawn face stores that face's score.
        for count, score in enumerate(range(1, 6), start=1):
            kiosk.wait(lambda s, done=count - 1: s["screen"] == "rating" and (
                s["last_tap"] or {}).get("seq", 0) == done, "the question")
            centre, _box = faces[score]
            xdotool(display, "mousemove", *centre, "click", 1)
            rows = kiosk.wait_rows(count, timeout=10)
            assert rows[-1]["score"] == score, f"a tap on face {score} at {centre} stored " \
                f"{rows[-1]['score']}"
    finally:
        kiosk.stop()


# -- systemd ------------------------------------------------------------------


@ui
def test_systemd_hears_ready_then_watchdog_pings_then_stopping(xvfb_display, tmp_path):
    # A short folder: a unix socket's path is at most 107 bytes.
    folder = Path(tempfile.mkdtemp(prefix="hymy-notify-"))
    address = folder / "notify"
    messages: list[tuple[float, str]] = []  # (arrival, datagram), recorded as they come
    done = threading.Event()

    def listen(listener: socket.socket) -> None:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                messages.append((time.monotonic(), listener.recv(4096).decode()))

    def wait_for(what: str, test, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not test([text for _t, text in messages]):
            assert time.monotonic() < deadline, f"no {what}; heard {messages}"
            time.sleep(0.1)

    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(address))
        listener.settimeout(0.2)
        thread = threading.Thread(target=listen, args=(listener,), daemon=True)
        thread.start()
        kiosk = Kiosk(tmp_path, xvfb_display,
                      env={"NOTIFY_SOCKET": str(address), "WATCHDOG_USEC": "1000000"})
        try:
            wait_for("6 watchdog pings", lambda texts: texts.count("WATCHDOG=1") >= 6, 60)
            kiosk.tap_face(5)  # the app works while it pings
            kiosk.process.terminate()  # systemctl stop
            wait_for("STOPPING=1", lambda texts: "STOPPING=1" in texts, 30)
            assert kiosk.process.wait(30) == 0
        finally:
            done.set()
            thread.join(5)
            kiosk.stop()
    shutil.rmtree(folder)
    texts = [text for _t, text in messages]
    assert texts[0].startswith("READY=1\nSTATUS="), texts[:3]  # first, and once
    assert sum(text.startswith("READY=1") for text in texts) == 1
    assert texts[-1] == "STOPPING=1"
    pings = [moment for moment, text in messages if text == "WATCHDOG=1"]
    # Every half of WATCHDOG_USEC (1 s), from the running Kivy clock.
    gaps = [later - earlier for earlier, later in zip(pings, pings[1:], strict=False)]
    assert len(pings) >= 6 and all(0.2 < gap < 2.0 for gap in gaps), gaps


# -- start-up ----------------------------------------------------------------


@pytest.mark.parametrize(("line", "key"), [
    ("scale = 7", "scale"),
    ('timezone = "Mars/Olympus"', "timezone"),
    ('reasons = ["queue", "weather"]', "reasons"),
])
def test_bad_config_exits_2_with_one_line_naming_the_key(tmp_path, line, key):
    config = tmp_path / "kiosk.toml"
    base = {"store_id": '"s1"', "kiosk_id": '"k1"', "timezone": '"Europe/Helsinki"',
            "staff_pin_hash": json.dumps(PIN_HASH)}
    base[line.split(" = ")[0]] = line.split(" = ")[1]
    config.write_text("".join(f"{k} = {v}\n" for k, v in base.items()), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config)],
                            capture_output=True, text=True, timeout=120, cwd=ROOT,
                            env={**os.environ, "KIVY_HOME": str(tmp_path / "kivy")})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"hymy-kiosk: config error: {key}:")
    assert "Traceback" not in result.stderr


def test_missing_config_file_where_none_can_be_written_is_one_line(tmp_path):
    # A missing config opens the first-start screen (test_kiosk_setup.py), but
    # only where that screen could write one.
    (tmp_path / "file").write_text("")
    path = tmp_path / "file" / "nope.toml"
    result = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(path)],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 2
    assert result.stderr == (
        f"hymy-kiosk: config error: cannot read config file {path}: no such file, and no"
        f" first-start setup there: {path.parent} is not a folder (a file is in the way)\n")


@ui
def test_screenshot_script_saves_every_screen(xvfb_display, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tools.kiosk_screenshots", str(tmp_path), "--size", "800x480"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={**os.environ, "DISPLAY": xvfb_display, "KIVY_NO_ARGS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    from PIL import Image

    names = sorted(path.name for path in tmp_path.glob("kiosk-*-800x480.png"))
    for screen in ("rating", "rating-en", "thanks", "followup", "pinpad", "staff", "setup",
                   "setup-error"):
        assert f"kiosk-{screen}-800x480.png" in names
    for name in names:
        assert Image.open(tmp_path / name).size == (800, 480)
