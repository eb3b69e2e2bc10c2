"""Every screen fits a 7" 800x480 kiosk in its longest language (German), as drawn.

The real app in an 800x480 window on Xvfb, driven with X clicks.  The app's
test status reports each named widget's box on the screen and, for a label,
the lines Kivy actually broke its text into; so these tests see what a
shopper sees: a button inside the screen, not on top of its neighbour, at
least a finger wide (9 mm, 50 px on a 7" 800x480 panel), and its words whole
(not "Preis-Leistungs-Verhält / nis", not "Jetzt synchroni...").
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from kiosk.i18n import load_strings
from tests.support.kiosk_window import PIN, Kiosk

ui = pytest.mark.ui
SIZE = (800, 480)
WINDOW = "800x480"  # HYMY_KIOSK_SIZE
#: 9 mm on a 7" 800x480 panel (about 7 px per mm).
FINGER = 50
#: The smallest type on the question (a face's label at 800x480), in pixels.
SMALL_PRINT = 14
STRINGS = load_strings(["de", "fi"])
PRAISE = ["friendly", "fast", "selection", "value", "tidy", "atmosphere"]


def boxes(kiosk: Kiosk, prefix: str) -> dict[str, dict[str, Any]]:
    """The reported widgets whose names start with ``prefix``, once laid out: all of
    them drawn with a size, in the same place in two reports in a row."""
    previous: dict[str, Any] = {}

    def named(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {name: spot for name, spot in status["targets"].items()
                if name.startswith(prefix)}

    def settled(status: dict[str, Any]) -> bool:
        nonlocal previous
        found = {name: spot["box"] for name, spot in named(status).items()}
        ok = (bool(found) and all(box[2] and box[3] for box in found.values())
              and found == previous.get("found") and status["time"] != previous.get("time"))
        previous = {"found": found, "time": status["time"]}
        return ok

    return named(kiosk.wait(settled, f"the widgets named {prefix}... laid out"))


def assert_on_screen(name: str, spot: dict[str, Any]) -> None:
    left, top, width, height = spot["box"]
    assert left >= 0 and top >= 0 and left + width <= SIZE[0] and top + height <= SIZE[1], (
        f"{name} at {spot['box']} is not inside the {SIZE[0]}x{SIZE[1]} screen")


def assert_finger_sized(name: str, spot: dict[str, Any]) -> None:
    _left, _top, width, height = spot["box"]
    assert width >= FINGER and height >= FINGER, (
        f"{name} is {width}x{height} px, less than a finger ({FINGER} px)")


def assert_apart(spots: dict[str, dict[str, Any]]) -> None:
    """No two of these widgets overlap."""
    for (one, a), (other, b) in itertools.combinations(spots.items(), 2):
        (ax, ay, aw, ah), (bx, by, bw, bh) = a["box"], b["box"]
        overlap = ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah
        assert not overlap, f"{one} {a['box']} overlaps {other} {b['box']}"


def assert_whole_words(name: str, spot: dict[str, Any], words: str | None = None) -> None:
    """The label shows all its words (``words``, else its text), none split across
    lines except after a hyphen, nothing cut short, and no smaller than a face's label."""
    assert spot["font_size"] >= SMALL_PRINT, f"{name} is in {spot['font_size']} px type"
    drawn = ""
    for line in spot["lines"]:
        drawn += line if not drawn or drawn.endswith("-") else " " + line
    expected = " ".join((words or spot["text"]).split())
    assert not spot["shortened"] and drawn == expected, (
        f"{name}: {expected!r} is drawn as {spot['lines']!r}"
        + (" (shortened)" if spot["shortened"] else ""))


def assert_buttons(spots: dict[str, dict[str, Any]]) -> None:
    for name, spot in spots.items():
        assert_on_screen(name, spot)
        assert_finger_sized(name, spot)
    assert_apart(spots)


def in_german(kiosk: Kiosk) -> None:
    """Tap "Deutsch", again if a tap right after the window opened went unseen."""
    for _attempt in range(3):
        kiosk.click("lang-de")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if (kiosk.status() or {}).get("lang") == "de":
                return
            time.sleep(0.1)
    kiosk.wait(lambda s: s["lang"] == "de", "German")


@ui
def test_every_face_screen_fits_800x480_in_german(start_kiosk):
    kiosk = start_kiosk(
        languages=["fi", "de"], positive_reasons=PRAISE, comments=True, thanks_delay=4,
        comment_delay=4,
        followup_timeout=30, sync={"url": "http://127.0.0.1:9", "token": "hymy_" + "k" * 40},
        env={"HYMY_KIOSK_SIZE": WINDOW},
    )
    in_german(kiosk)
    assert kiosk.status()["window"] == list(SIZE)
    assert_buttons({**boxes(kiosk, "face-"), **boxes(kiosk, "lang-")})

    # The praise follow-up: six German reasons, "Gutes Preis-Leistungs-Verhältnis" the longest.
    kiosk.tap_face(5)
    kiosk.wait_screen("followup")
    labels = boxes(kiosk, "reason-label-")
    assert set(labels) == {f"reason-label-{key}" for key in PRAISE}
    for name, spot in labels.items():
        assert_whole_words(name, spot, STRINGS["de"][name.replace("-label-", "_")])
    cards = {name: spot for name, spot in boxes(kiosk, "reason-").items() if name not in labels}
    assert_buttons({**cards, "skip": boxes(kiosk, "skip")["skip"]})

    # The thank-you with the comment QR code: the hint in the shopper's language.
    kiosk.click("reason-value")
    kiosk.wait_screen("thanks")
    hint = kiosk.wait_text("comment-hint", STRINGS["de"]["comment_hint"], timeout=5)
    assert hint == "Möchten Sie mehr sagen? Scannen Sie den Code mit Ihrem Handy."
    shown = boxes(kiosk, "comment-")
    for name, spot in {**shown, **boxes(kiosk, "thanks")}.items():
        assert_on_screen(name, spot)
    assert_apart(shown)
    assert_whole_words("comment-hint", shown["comment-hint"])

    # Staff: the PIN pad and the staff screen's buttons, "Jetzt synchronisieren" whole.
    kiosk.wait_screen("rating")
    in_german(kiosk)
    kiosk.hold_corner()
    kiosk.wait_screen("pinpad")
    assert_buttons({name: spot for name, spot in boxes(kiosk, "pin-").items()
                    if name not in ("pin-dots", "pin-message")})
    kiosk.type_pin(PIN)
    kiosk.wait_screen("staff", timeout=60)
    buttons = {name: spot for name, spot in boxes(kiosk, "staff-").items()
               if name in ("staff-sync-now", "staff-close", "staff-exit")}
    assert [spot["text"] for spot in buttons.values()] == [
        "Jetzt synchronisieren", "Schließen", "Kiosk beenden"]
    assert_buttons(buttons)
    for name, spot in buttons.items():
        assert_whole_words(name, spot)
    top = boxes(kiosk, "staff-reason-")  # the praise given above, the longest German one
    assert list(top) == ["staff-reason-Gutes Preis-Leistungs-Verhältnis"]
    assert_whole_words("top reason", top.popitem()[1], STRINGS["de"]["reason_value"])
    status = {name: spot for name, spot in boxes(kiosk, "staff-").items()
              if name in ("staff-sync", "staff-queue", "staff-alert")}
    assert_apart({**buttons, **status})


@ui
def test_the_nps_row_takes_one_finger_per_answer_at_800x480_in_german(start_kiosk):
    kiosk = start_kiosk(kind="nps", languages=["de"], env={"HYMY_KIOSK_SIZE": WINDOW})
    answers = boxes(kiosk, "score-")
    assert sorted(answers) == sorted(f"score-{n}" for n in range(11))
    assert_buttons({**answers, **boxes(kiosk, "lang-")})
    ends = boxes(kiosk, "scale-")
    assert [ends["scale-low"]["text"], ends["scale-high"]["text"]] == [
        "Äußerst unwahrscheinlich", "Äußerst wahrscheinlich"]
    for name, spot in ends.items():
        assert_on_screen(name, spot)
        assert_whole_words(name, spot)
    assert_apart({**ends, "score-5": answers["score-5"]})
