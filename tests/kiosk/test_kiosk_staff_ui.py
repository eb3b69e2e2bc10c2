"""The staff screen after one unhappy tap: no "0 %" headline (the real app under Xvfb).

One tap on the unhappiest face, then staff open their screen (corner hold and
PIN, real X clicks).  Fewer responses than :data:`sync.metrics.MIN_RESPONSES`
make no figure: the CSAT is drawn small and dimmed with its wide interval, and
a note says "1 response - too few for a figure", as the dashboard dims a card
of too few responses (the same :func:`sync.metrics.too_few`).
"""

from __future__ import annotations

import pytest

from kiosk.i18n import load_strings
from sync.metrics import MIN_RESPONSES
from tests.support.kiosk_window import PIN

STRINGS = load_strings(["fi", "en"])

ui = pytest.mark.ui


def words(text: str) -> str:
    """A label's text with its line breaks as spaces (a long note wraps)."""
    return " ".join(text.split())


@ui
def test_one_unhappy_tap_is_too_few_for_a_figure_on_the_staff_screen(start_kiosk):
    kiosk = start_kiosk(thanks_delay=0.5, followup_timeout=1)
    kiosk.tap_face(1)
    kiosk.wait_rows(1)
    kiosk.wait_screen("rating")
    kiosk.hold_corner()
    kiosk.wait_screen("pinpad")
    kiosk.type_pin(PIN)
    kiosk.wait_screen("staff")
    kiosk.wait_text("staff-responses", "1")
    note = STRINGS["fi"]["staff_too_few_1"].format(min=MIN_RESPONSES)
    assert note.startswith("1 vastaus")
    kiosk.wait_text("staff-too-few", lambda text: words(text) == note)
    csat = kiosk.status()["targets"]["staff-figure"]
    assert csat["text"] == "0\u00a0%"  # still there, with its interval...
    assert kiosk.text("staff-interval").endswith(": 0\u201379\u00a0%")  # Wilson, 0 of 1
    assert csat["font_size"] < 80  # ...but no headline: small and dimmed
