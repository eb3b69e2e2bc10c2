"""The follow-up: "What went wrong?" after a negative answer, "What did you like?"
after a positive one (:func:`sync.metrics.sentiment`), each with 2-6 buttons.

The rating is already stored (held back from upload while the question is
open); a reason is attached to that same rating with ``Store.set_reason``.
Skip thanks the shopper; ``followup_timeout`` seconds without an answer goes
straight back to the question.  Either way the rating counts, and a skip or a
timeout is recorded as such (``Store.end_followup``).  A thin bar at the
bottom shows the time left.

The bar moves in COUNTDOWN_STEP steps, starting COUNTDOWN_START after the
screen opens: every change redraws the whole window, which with software GL
costs tens of milliseconds, so it must neither land in the frames that first
show the question nor redraw at the full frame rate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.animation import Animation
from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.widgets import TapCard

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

#: Seconds between two moves of the countdown bar, and before its first.
COUNTDOWN_STEP = 0.1
COUNTDOWN_START = 0.3


class ReasonButton(TapCard):
    """One reason, labelled from the catalog's ``reason_<key>``."""

    key = StringProperty("")


class FollowupScreen(Screen):
    """Ask why; attach the answer to the tap that was just stored."""

    #: 1.0 when the screen opens, 0.0 when it times out (drives the countdown bar).
    remaining = NumericProperty(1.0)
    _timer: Any = None
    _countdown: Any = None

    def on_kv_post(self, _base: Any) -> None:
        app = App.get_running_app()
        app.bind(followup_reasons=lambda *_args: self.build_reasons())
        self.build_reasons()

    def build_reasons(self) -> None:
        """One button per reason this answer's follow-up offers."""
        reasons = App.get_running_app().followup_reasons
        grid = self.ids.reasons
        grid.clear_widgets()
        grid.cols = 3 if len(reasons) > 4 else 2
        for key in reasons:
            button = ReasonButton(key=key)
            button.bind(on_press=lambda b: self.choose(b.key))
            grid.add_widget(button)

    def on_enter(self) -> None:
        timeout = App.get_running_app().kiosk_config.followup_timeout
        self.remaining = 1.0
        Animation.cancel_all(self, "remaining")
        start = min(COUNTDOWN_START, timeout / 2)
        self._countdown = Clock.schedule_once(
            lambda _dt: Animation(remaining=0.0, duration=timeout - start,
                                  step=COUNTDOWN_STEP).start(self), start)
        self._timer = Clock.schedule_once(lambda _dt: self.time_out(), timeout)

    def on_leave(self) -> None:
        Animation.cancel_all(self, "remaining")
        for event in (self._countdown, self._timer):
            if event is not None:
                event.cancel()
        self._countdown = self._timer = None

    def choose(self, reason: str | None) -> None:
        """A reason (None = skip): store it, then thank."""
        app = App.get_running_app()
        app.answer_followup(reason, unanswered="skipped")
        app.show("thanks")

    def time_out(self) -> None:
        """No answer: the rating stands without a reason; back to the question."""
        app = App.get_running_app()
        app.answer_followup(None, unanswered="timeout")
        app.back_to_question()
