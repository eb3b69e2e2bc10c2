"""The staff screen: today's figure with its 95% interval, counts, reasons and sync.

Three cards across (the figure of the kind the kiosk asks: CSAT, the NPS
score or the CES mean; responses with a count under each face of a CSAT kiosk
and the suppressed taps; the top reasons), then a strip with the last successful
sync, the upload queue, the most important warning, and the buttons: Sync
now, Close, Exit kiosk.  Figures refresh every 2 s while open (see
:mod:`kiosk.today`); 60 s without a touch returns to the question.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.i18n import FACE_ART, face_image
from kiosk.screens.idle import IdleScreen
from kiosk.theme import COLORS
from kiosk.today import Today, today_figures
from kiosk.widgets import face_texture

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

#: How long "Syncing…" shows after Sync now unless the sync status changes first.
SYNCING_SHOWN = 15.0
#: Seconds between two reads of today's figures while the screen is open.
STAFF_REFRESH = 2.0
#: Seconds without a touch before the screen closes and the question comes back.
STAFF_IDLE = 60.0


class FaceCount(BoxLayout):
    """A small face with today's count under it."""

    source = ObjectProperty("")
    texture = ObjectProperty(None, allownone=True)
    count = ObjectProperty(0)


class ReasonRow(BoxLayout):
    """One of the top reasons and how often it was given."""

    label = ObjectProperty("")
    count = ObjectProperty("")


class StaffScreen(IdleScreen):
    """Today's figures for store staff."""

    idle_seconds = STAFF_IDLE
    figures: Today | None = ObjectProperty(None, allownone=True)
    syncing = BooleanProperty(False)
    _events: tuple = ()
    _sync_pressed_at = 0.0
    _attempt_at_press: Any = None

    def on_kv_post(self, _base: Any) -> None:
        app = App.get_running_app()
        app.bind(scale=lambda *_args: self.build_face_counts(),
                 kind=lambda *_args: self.build_face_counts(),
                 sync_status=lambda *_args: self.update_syncing())
        self.build_face_counts()

    def build_face_counts(self) -> None:
        app = App.get_running_app()
        self.ids.face_counts.clear_widgets()
        if app.kind != "csat" or app.scale not in FACE_ART:
            return  # the day's figures are CSAT's: an NPS or CES kiosk has no faces to count
        for score in range(1, app.scale + 1):
            self.ids.face_counts.add_widget(
                FaceCount(source=str(face_image(score, app.scale)),
                          texture=face_texture(score, app.scale))
            )

    def on_enter(self) -> None:
        self.refresh()
        self._events = (Clock.schedule_interval(lambda _dt: self.refresh(), STAFF_REFRESH),)
        self.touched()

    def on_leave(self) -> None:
        self.stop_idle()
        for event in self._events:
            event.cancel()
        self._events = ()

    def idle_out(self) -> None:
        self.close()

    def refresh(self) -> None:
        """Re-read today's figures from the local database."""
        app = App.get_running_app()
        figures = today_figures(
            app.store, app.strings, app.lang, app.scale, kind=app.kind,
            store_error=app.store_error, sync_enabled=app.sync_enabled,
        )
        self.update_syncing()
        self.figures = figures
        for widget, (_score, count) in zip(reversed(self.ids.face_counts.children),
                                           figures.counts, strict=True):
            widget.count = count
        rows = self.ids.reasons
        rows.clear_widgets()
        for label, count in figures.reasons or [("\u2013", "")]:
            rows.add_widget(ReasonRow(label=label, count=count))
        app.write_status(delay=0.05)

    def alert_color(self) -> tuple:
        level = self.figures.alert_level if self.figures else "muted"
        return COLORS.get(level, COLORS["muted"])

    def update_syncing(self) -> None:
        """"Syncing…" while the thread works, or from "Sync now" until its attempt ends."""
        status = App.get_running_app().sync_status
        waiting = (time.monotonic() - self._sync_pressed_at < SYNCING_SHOWN
                   and status.get("last_attempt_at") == self._attempt_at_press)
        self.syncing = bool(status.get("syncing")) or waiting

    def sync_now(self) -> None:
        app = App.get_running_app()
        self._attempt_at_press = app.sync_status.get("last_attempt_at")
        self._sync_pressed_at = time.monotonic()
        self.syncing = True
        app.sync_now()

    def close(self) -> None:
        App.get_running_app().back_to_question()
