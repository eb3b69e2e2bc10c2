"""The question screen: the store's question, a row of faces, the language switch.

Layout (top to bottom): the question in big type; one white card per face
(artwork above, its label below, every card the same size so the faces line
up); a bar of language pills.  A tap on a card calls ``app.rate(score)``,
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
from kiosk.widgets import PillButton, TapCard, face_texture

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
        app.bind(scale=lambda *_args: self.build_faces())
        self.build_faces()

    def build_faces(self) -> None:
        """One card per face of the current scale (the survey may change it)."""
        app = App.get_running_app()
        self.ids.faces.clear_widgets()
        for score in range(1, app.scale + 1):
            self.ids.faces.add_widget(FaceButton(
                score=score, source=str(face_image(score, app.scale)),
                texture=face_texture(score, app.scale),
                label_key=face_label_key(score, app.scale),
            ))
