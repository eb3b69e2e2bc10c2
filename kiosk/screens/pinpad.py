"""The staff PIN pad, reached by holding a screen corner for 3 seconds.

Left: the prompt, one dot per digit typed, a message (wrong PIN, or locked
with a live countdown) and Cancel.  Right: a 3x4 keypad.  Attempts go
through the app's single :class:`kiosk.pin.PinGate`, so closing and reopening
the pad does not reset a lockout.  Idle for 30 s, it returns to the question.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import ColorProperty, StringProperty

from kiosk.screens.idle import IdleScreen
from kiosk.theme import COLORS
from kiosk.widgets import PillButton

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

MAX_DIGITS = 12
#: Seconds without a touch before the pad gives up and the question comes back.
PIN_IDLE = 30.0
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0", "ok")


class PinKey(PillButton):
    """One keypad key; ``key`` is a digit, ``back`` or ``ok``."""

    key = StringProperty("")


class PinPadScreen(IdleScreen):
    """Collect digits, check them against the staff PIN hash, open the staff screen."""

    idle_seconds = PIN_IDLE
    entered = StringProperty("")
    message = StringProperty("")
    message_color = ColorProperty(COLORS["danger"])
    _tick: Any = None

    def on_kv_post(self, _base: Any) -> None:
        for key in KEYS:
            button = PinKey(key=key, probe=f"pin-{key}")
            button.bind(on_press=lambda b: self.press(b.key))
            self.ids.keypad.add_widget(button)

    def on_enter(self) -> None:
        self.entered = ""
        self.message = ""
        self._tick = Clock.schedule_interval(lambda _dt: self.show_lock(), 0.5)
        self.show_lock()
        self.touched()

    def on_leave(self) -> None:
        self.entered = ""
        self.stop_idle()
        if self._tick is not None:
            self._tick.cancel()
        self._tick = None

    def idle_out(self) -> None:
        self.cancel()

    def press(self, key: str) -> None:
        if key == "back":
            self.entered = self.entered[:-1]
        elif key == "ok":
            self.submit()
        elif len(self.entered) < MAX_DIGITS:
            self.entered += key
            if self.message and not self.locked_seconds():
                self.message = ""

    def locked_seconds(self) -> int:
        gate = App.get_running_app().pin_gate
        wait = gate.wait()
        return int(wait) + (wait % 1 > 0)

    def show_lock(self) -> None:
        """Keep the locked message's countdown current; clear it when the lock ends."""
        seconds = self.locked_seconds()
        app = App.get_running_app()
        if seconds:
            self.message = app.t("pin_locked", seconds=seconds)
            self.message_color = COLORS["warn"]
        elif self.message_color == COLORS["warn"] and self.message:
            self.message = ""

    def submit(self) -> None:
        app = App.get_running_app()
        pin, self.entered = self.entered, ""
        if self.locked_seconds():
            self.show_lock()
        elif pin and app.pin_gate.attempt(pin):
            self.message = ""
            app.show("staff")
        else:
            self.message = app.t("pin_wrong")
            self.message_color = COLORS["danger"]
            self.show_lock()
        app.write_status()

    def cancel(self) -> None:
        App.get_running_app().back_to_question()
