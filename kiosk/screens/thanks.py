"""The thank-you screen: the face the shopper chose, "Kiitos!" and a short line.

Shown at once after every tap (suppressed or not; the shopper cannot tell)
and after a follow-up answer; after ``thanks_delay`` seconds the question
comes back in the store's default language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.uix.screenmanager import Screen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class ThanksScreen(Screen):
    """Thanks, then back to the question."""

    _timer: Any = None

    def on_enter(self) -> None:
        app = App.get_running_app()
        self._timer = Clock.schedule_once(lambda _dt: app.back_to_question(),
                                          app.kiosk_config.thanks_delay)

    def on_leave(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
