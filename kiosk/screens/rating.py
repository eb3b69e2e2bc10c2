"""The question screen: the store's question, a row of answers, the language switch.

Layout (top to bottom): the question in big type; one white card per face
(artwork above, its label below, every card the same size so the faces line
up), or on an NPS or CES kiosk one coloured button per answer (0-10 or 1-7,
:class:`kiosk.widgets.ScaleButton`) with the scale's end labels under the first
and the last; a bar of language pills.  At 800x480 the eleven NPS buttons are
still some 60 px square, a finger's width.  A tap on a card calls ``app.rate(score)``,
which stores the rating before anything else happens.  The staff corner
gesture is handled by the window's root (``kiosk.app.KioskRoot``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from kiosk.i18n import face_image, face_label_key
from kiosk.widgets import PillButton, ScaleButton, TapCard, face_texture

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class FaceButton(TapCard):
    """One face: its artwork and its label in the current language."""

    score = NumericProperty(1)
    source = StringProperty("")
    #: The artwork, loaded once at start (kiosk.widgets.face_texture).
    texture = ObjectProperty(None, allownone=True)
    label_key = StringProperty("")


class LanguageBar(BoxLayout):
    """One pill per language, named in its own language; the current one is filled."""

    def on_kv_post(self, _base: Any) -> None:
        app = App.get_running_app()
        for code in app.languages:
            pill = PillButton(text=app.language_names[code], probe=f"lang-{code}")
            pill.code = code
            pill.selected = code == app.lang
            pill.bind(on_press=lambda button: app.set_language(button.code))
            self.add_widget(pill)
        app.bind(lang=self.show_current)

    def show_current(self, _app: Any, lang: str) -> None:
        for pill in self.children:
            pill.selected = pill.code == lang


class RatingScreen(Screen):
    """The screen shoppers see almost all the time."""

    def on_kv_post(self, _base: Any) -> None:
        app = App.get_running_app()
        app.bind(scale=lambda *_args: self.build_faces(), kind=lambda *_args: self.build_faces())
        self.build_faces()

    def build_faces(self) -> None:
        """One card per answer of the current kind and scale (the survey may change them)."""
        app = App.get_running_app()
        self.ids.faces.clear_widgets()
        if app.kind != "csat":
            low = 0 if app.kind == "nps" else 1
            for score in range(low, low + app.scale):
                button = ScaleButton(score=score, kind=app.kind)
                button.bind(on_press=lambda b: app.rate(int(b.score)))
                self.ids.faces.add_widget(button)
            return
        if app.scale not in (3, 4, 5):
            return  # between a survey's kind and scale changing
        for score in range(1, app.scale + 1):
            self.ids.faces.add_widget(FaceButton(
                score=score, source=str(face_image(score, app.scale)),
                texture=face_texture(score, app.scale),
                label_key=face_label_key(score, app.scale),
            ))
