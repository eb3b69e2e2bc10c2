"""The first-start screen: a kiosk without a config enrolls itself from the touchscreen.

``hymy-kiosk --config PATH`` opens it when PATH does not exist.  Top: the
title and the language pills.  Then the collector's address, the enrollment
code (from ``hymy-collector kiosk add`` or the kiosk's dashboard page) and a
new staff PIN typed twice; one status line under them (what to do, the
progress, or why it failed) beside "Enroll"; below, an on-screen keyboard of
keys big enough for a finger at 800x480.  A physical keyboard types too
(Tab and Enter move on).

"Enroll" checks the fields here, then :func:`kiosk.enroll.set_up` runs on a
thread of its own (the exchange with the collector, the PIN hash, the 0600
config write, as ``hymy-kiosk enroll``) while the screen shows its progress;
on success :meth:`kiosk.app.HymyApp.finish_setup` shows the question in the
same window.  A refused code or an unreachable collector leaves the fields as
they were and says what to do next.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.graphics import Color, InstructionGroup, SmoothRoundedRectangle
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.textinput import TextInput

from kiosk import enroll
from kiosk.config import Config
from kiosk.screens import rating  # noqa: F401 (the LanguageBar rule)
from kiosk.theme import COLORS
from kiosk.widgets import PillButton

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

#: The on-screen keys, row by row: what a URL, a code and a PIN need.
#: ``back`` deletes, ``next`` moves to the next field; widths in key units.
KEY_ROWS = (
    ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "back"),
    ("q", "w", "e", "r", "t", "y", "u", "i", "o", "p", "-"),
    ("a", "s", "d", "f", "g", "h", "j", "k", "l", ":", "/"),
    ("z", "x", "c", "v", "b", "n", "m", ".", "next"),
)
WIDE_KEYS = {"next": 3.0}
#: Catalog keys of the headline for each kind of kiosk.enroll.EnrollFailed.
FAILURE_HEADLINES = {"refused": "setup_refused", "retry": "setup_retry",
                     "unwritable": "setup_unwritable"}


class SetupField(TextInput):
    """One line of input in the kiosk's look; keeps its focus while keys are tapped.

    Its white rounded box and ring (teal while typing) are drawn *under*
    TextInput's own ``canvas.before``, which ends with the text colour and
    the cursor: a kv rule's instructions would come after them and paint
    over both.
    """

    probe = StringProperty("")
    #: Characters it takes ("" = any), how many, and whether letters go upper case.
    allowed = StringProperty("")
    max_chars = NumericProperty(200)
    upper = BooleanProperty(False)

    def insert_text(self, substring: str, from_undo: bool = False) -> None:
        if self.upper:
            substring = substring.upper()
        if self.allowed:
            substring = "".join(ch for ch in substring if ch in self.allowed)
        room = max(0, int(self.max_chars) - len(self.text))
        super().insert_text(substring[:room], from_undo=from_undo)

    def on_kv_post(self, _base: Any) -> None:
        self._ring_color = Color(rgba=COLORS["line"])
        self._ring = SmoothRoundedRectangle()
        self._fill = SmoothRoundedRectangle()
        box = InstructionGroup()
        for instruction in (self._ring_color, self._ring, Color(rgba=COLORS["card"]), self._fill):
            box.add(instruction)
        self.canvas.before.insert(0, box)
        self.bind(pos=self.draw_box, size=self.draw_box, focus=self.draw_box)
        App.get_running_app().bind(u=self.draw_box)
        self.draw_box()

    def draw_box(self, *_args: Any) -> None:
        u = App.get_running_app().u
        ring = max(2.0, 3 * u) if self.focus else max(1.0, 1.5 * u)
        radius = 14 * u
        self._ring_color.rgba = COLORS["accent"] if self.focus else COLORS["line"]
        self._ring.pos, self._ring.size, self._ring.radius = self.pos, self.size, [radius]
        self._fill.pos = (self.x + ring, self.y + ring)
        self._fill.size = (max(0, self.width - 2 * ring), max(0, self.height - 2 * ring))
        self._fill.radius = [max(0.0, radius - ring)]


class SetupKey(PillButton):
    """One on-screen key; ``key`` is a character, ``back`` or ``next``."""

    key = StringProperty("")


class SetupScreen(Screen):
    """Collect address, code and PIN; enroll off the UI thread; hand over to the kiosk."""

    #: The field the on-screen keys type into (the last one focused).
    active = ObjectProperty(None, allownone=True)
    working = BooleanProperty(False)
    #: The status line: a headline and, under it, the detail (e.g. the collector's words).
    message = StringProperty("")
    detail = StringProperty("")
    message_color = ColorProperty(COLORS["muted"])

    def on_kv_post(self, _base: Any) -> None:
        for row in KEY_ROWS:
            line = BoxLayout(spacing=self.ids.keyboard.spacing)
            for key in row:
                button = SetupKey(key=key, probe=f"key-{key}")
                button.bind(on_press=lambda b: self.press(b.key))
                line.add_widget(button)
            line.bind(width=self.align_keys, spacing=self.align_keys)
            self.ids.keyboard.add_widget(line)
        for field in self.fields():
            field.bind(focus=self.field_focused, on_text_validate=self.next_field)
        self.active = self.ids.url

    def align_keys(self, line: BoxLayout, *_args: Any) -> None:
        """Key widths on a common grid: a wide key also covers the gaps it spans."""
        columns = max(len(row) for row in KEY_ROWS)
        unit = (line.width - (columns - 1) * line.spacing) / columns
        for button in line.children:
            span = WIDE_KEYS.get(button.key, 1.0)
            button.size_hint_x = span + (span - 1) * line.spacing / unit if unit > 0 else span

    def on_enter(self) -> None:
        Clock.schedule_once(lambda _dt: setattr(self.active, "focus", True), 0.2)

    def fields(self) -> list[SetupField]:
        return [self.ids.url, self.ids.code, self.ids.pin, self.ids.again]

    def field_focused(self, field: SetupField, focused: bool) -> None:
        if focused:
            self.active = field

    def press(self, key: str) -> None:
        """An on-screen key: type into the active field (a physical keyboard types directly)."""
        field = self.active or self.ids.url
        if key == "back":
            field.do_backspace()
        elif key == "next":
            self.next_field(field)
            return
        else:
            field.insert_text(key)
        field.focus = True

    def next_field(self, field: SetupField) -> None:
        """Enter or "next": the following field, or enroll from the last one."""
        fields = self.fields()
        index = fields.index(field)
        if index + 1 < len(fields):
            fields[index + 1].focus = True
        else:
            self.submit()

    def submit(self) -> None:
        """Check the fields here, then enroll on a thread of its own."""
        if self.working:
            return
        app = App.get_running_app()
        url, code = self.ids.url.text.strip(), self.ids.code.text.strip()
        pin, again = self.ids.pin.text, self.ids.again.text
        problem, field = None, None
        if not url.lower().startswith(("https://", "http://")) or len(url) < 10:
            problem, field = "setup_need_url", self.ids.url
        elif not code:
            problem, field = "setup_need_code", self.ids.code
        else:
            problem = enroll.pin_problem(pin, again)
            field = self.ids.again if problem == "setup_pin_mismatch" else self.ids.pin
        if problem:
            self.show(app.t(problem), "", COLORS["danger"])
            field.focus = True
            return
        self.working = True
        self.show(app.t("setup_working"), url, COLORS["accent"])
        threading.Thread(target=self.enroll_in_background, name="hymy-enroll", daemon=True,
                         args=(app.setup_path, url, code, pin)).start()

    def enroll_in_background(self, path: Path, url: str, code: str, pin: str) -> None:
        """On the enrollment thread: the slow part; the result goes back to the UI thread."""
        try:
            config = enroll.set_up(path, url, code, pin)
        except enroll.EnrollFailed as error:
            failure = error
            Clock.schedule_once(lambda _dt: self.failed(failure))
            return
        except Exception as error:  # never leave the screen "working" for ever
            enroll.log.exception("Hymy: first-start enrollment failed")
            unexpected = enroll.EnrollFailed(str(error) or type(error).__name__, "failed")
            Clock.schedule_once(lambda _dt: self.failed(unexpected))
            return
        Clock.schedule_once(lambda _dt: self.succeeded(config))

    def failed(self, error: enroll.EnrollFailed) -> None:
        app = App.get_running_app()
        self.working = False
        enroll.log.warning("Hymy: first-start enrollment failed (%s): %s", error.kind, error)
        headline = app.t(FAILURE_HEADLINES.get(error.kind, "setup_failed"))
        self.show(headline, str(error), COLORS["danger"])
        (self.ids.code if error.kind in ("refused", "unwritable") else self.active).focus = True

    def succeeded(self, config: Config) -> None:
        enroll.log.info("Hymy: enrolled as kiosk %s of store %s; wrote %s (mode 0600)",
                        config.kiosk_id, config.store_id, config.path)
        for field in self.fields():
            field.focus = False
        App.get_running_app().finish_setup(config)

    def show(self, message: str, detail: str, color: Any) -> None:
        self.message, self.detail, self.message_color = message, detail, color
        App.get_running_app().write_status()
