"""NPS and CES on the real kiosk (issue 16): Xvfb, real X clicks, the real database.

A shopper taps an NPS 0 and a 10 and a CES 7; each is a row with its kind,
scale and score.  A detractor is asked the negative follow-up, a promoter the
positive one; a skipped and a timed-out follow-up are recorded as such.
"""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.i18n import load_strings
from tests.support.kiosk_window import Kiosk

ui = pytest.mark.ui
NPS = load_strings(["fi", "en"], kind="nps")
CES = load_strings(["fi", "en"], kind="ces")


def answer(kiosk: Kiosk, score: int) -> dict[str, Any]:
    """Tap an answer button and wait until the app has moved off the question."""
    return kiosk.tap_answer(f"score-{score}")


def stored(kiosk: Kiosk, count: int) -> list[tuple]:
    return [(r["kind"], r["scale"], r["score"], r["reason"], r["followup"])
            for r in kiosk.wait_rows(count)]


@ui
def test_nps_answers_0_and_10_are_rows_and_ask_their_own_follow_ups(start_kiosk):
    kiosk = start_kiosk(kind="nps", languages=["fi", "en"],
                        positive_reasons=["friendly", "fast", "value"])
    assert kiosk.text("question") == NPS["fi"]["question"]
    assert kiosk.text("scale-low") == NPS["fi"]["nps_low"] == "En lainkaan todennäköisesti"
    assert kiosk.text("scale-high") == NPS["fi"]["nps_high"]
    buttons = kiosk.status()["targets"]
    assert [f"score-{n}" in buttons for n in range(12)] == [True] * 11 + [False]
    # a detractor: "What went wrong?" with the negative reasons
    assert answer(kiosk, 0)["screen"] == "followup"
    assert kiosk.text("followup-question") == NPS["fi"]["followup_question"]
    assert "reason-queue" in kiosk.status()["targets"]
    kiosk.click("reason-queue")
    kiosk.wait_screen("thanks")
    kiosk.wait_screen("rating")
    # a promoter: "What did you like?" with the praise buttons
    assert answer(kiosk, 10)["screen"] == "followup"
    assert kiosk.text("followup-question") == NPS["fi"]["positive_question"]
    targets = kiosk.status()["targets"]
    assert {"reason-friendly", "reason-fast", "reason-value"} <= set(targets)
    assert "reason-queue" not in targets
    kiosk.click("reason-fast")
    kiosk.wait_screen("thanks")
    # a passive is thanked at once
    kiosk.wait_screen("rating")
    assert answer(kiosk, 8)["screen"] == "thanks"
    assert stored(kiosk, 3) == [("nps", 11, 0, "queue", None), ("nps", 11, 10, "fast", None),
                                ("nps", 11, 8, None, None)]


@ui
def test_ces_7_is_a_row_and_skip_and_timeout_are_recorded(start_kiosk):
    kiosk = start_kiosk(kind="ces", languages=["en", "fi"], followup_timeout=2,
                        positive_reasons=["friendly", "fast"])
    assert kiosk.text("question") == CES["en"]["question"] == \
        "It was easy to get what I came for today."
    assert kiosk.text("scale-low") == "Strongly disagree"
    assert kiosk.text("scale-high") == "Strongly agree"
    kiosk.click("lang-fi")  # the end labels follow the language, as the question does
    kiosk.wait_text("scale-low", CES["fi"]["ces_low"])
    assert kiosk.text("scale-high") == "Täysin samaa mieltä"
    assert kiosk.text("question") == CES["fi"]["question"]
    kiosk.click("lang-en")
    kiosk.wait_text("scale-low", "Strongly disagree")
    assert "score-0" not in kiosk.status()["targets"]
    # CES 7 is easy going: the positive follow-up, skipped
    assert answer(kiosk, 7)["screen"] == "followup"
    assert kiosk.text("followup-question") == "What did you like?"
    kiosk.click("skip")
    kiosk.wait_screen("thanks")
    kiosk.wait_screen("rating")
    # CES 1: the negative follow-up, left to time out
    assert answer(kiosk, 1)["screen"] == "followup"
    assert kiosk.text("followup-question") == "What went wrong?"
    kiosk.wait_screen("rating", timeout=30)
    assert stored(kiosk, 2) == [("ces", 7, 7, None, "skipped"), ("ces", 7, 1, None, "timeout")]
    # and the uploader's rows are released, not held for a reason
    assert [r["awaiting_reason"] for r in kiosk.rows()] == [0, 0]
