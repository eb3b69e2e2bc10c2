"""An NPS kiosk's staff screen shows today's NPS, not an empty CSAT (the real app under Xvfb).

A shopper answers 10 and 8 on a kiosk asking NPS (real X clicks; the promoter's
follow-up left to time out), then staff open their screen (corner hold and
PIN).  The figure card is headed NPS and shows the day's NPS from
:func:`sync.metrics.nps_figure` with its 95% interval, the two responses, and
the note that two are too few for a figure (:func:`sync.metrics.too_few`, the
CSAT figure's rule); no face counts, no Happy Index.
"""

from __future__ import annotations

import pytest

from kiosk.i18n import load_strings
from sync import i18n
from sync.metrics import MIN_RESPONSES, nps_figure
from tests.support.kiosk_window import PIN

NPS = load_strings(["fi", "en"], kind="nps")["fi"]

ui = pytest.mark.ui


@ui
def test_an_nps_kiosks_staff_screen_shows_todays_nps(start_kiosk):
    kiosk = start_kiosk(kind="nps", languages=["fi", "en"], thanks_delay=0.5,
                        followup_timeout=1)
    for score in (10, 8):
        kiosk.tap_answer(f"score-{score}")
        kiosk.wait_screen("rating")
    kiosk.wait_rows(2)
    kiosk.hold_corner()
    kiosk.wait_screen("pinpad")
    kiosk.type_pin(PIN)
    kiosk.wait_screen("staff")
    kiosk.wait_text("staff-responses", "2")
    found = nps_figure([(10, 1), (8, 1)])  # one promoter of two: 50
    assert kiosk.text("staff-kind") == f"NPS \u00b7 {NPS['today']}"
    assert kiosk.text("staff-figure") == "50"
    low, high = (i18n.number(value, "fi") for value in (found.ci_low, found.ci_high))
    assert kiosk.text("staff-interval") == f"{NPS['interval_95']}: {low} \u2013 {high}"
    note = NPS["staff_too_few_n"].format(n=2, min=MIN_RESPONSES)
    kiosk.wait_text("staff-too-few", lambda text: " ".join(text.split()) == note)
    assert kiosk.status()["targets"]["staff-figure"]["font_size"] < 80  # dimmed, no headline
