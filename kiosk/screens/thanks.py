"""The thank-you screen: the face the shopper chose, "Kiitos!" and a short line.

Shown at once after every tap (suppressed or not; the shopper cannot tell)
and after a follow-up answer; after ``thanks_delay`` seconds (``comment_delay``
when it shows the comment QR code: a shopper needs time to take out a phone)
the question comes back in the store's default language.  A tap on it brings
the question back sooner, so a long QR screen never keeps the next shopper
waiting.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.uix.screenmanager import Screen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

#: Taps sooner than this after the thanks appeared are ignored: the answering shopper's
#: own double tap must not skip their thank-you (nor their QR code).
DISMISS_AFTER_S = 1.0


class ThanksScreen(Screen):
    """Thanks, then back to the question."""

    _timer: Any = None
    _shown_at: float = 0.0

    def on_enter(self) -> None:
        app = App.get_running_app()
        config = app.kiosk_config
        self._shown_at = time.monotonic()
        delay = config.comment_delay if app.comment_url else config.thanks_delay
        self._timer = Clock.schedule_once(lambda _dt: app.back_to_question(), delay)

    def on_touch_down(self, touch: Any) -> bool:
        """The next shopper's tap: the question at once (after DISMISS_AFTER_S)."""
        if time.monotonic() - self._shown_at >= DISMISS_AFTER_S:
            App.get_running_app().back_to_question()
        return True

    def on_leave(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
