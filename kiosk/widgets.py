"""The kiosk's small visual vocabulary: colours, rounded cards and pill buttons.

Every screen is built from these (see ``widgets.kv`` for how they are drawn),
so the look is defined once: a light warm background, white rounded cards
with a soft shadow, one teal accent, big Roboto type.  Sizes scale with
``app.u`` (1.0 at 1280x800), so the same layout works from 800x480 to 1080p.

A widget with a ``probe`` name is reported (centre, text) in the optional test
status file; it changes nothing on screen.
"""

from __future__ import annotations

from pathlib import Path

from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from kiosk.theme import COLORS

_gradient: Texture | None = None


def background_texture() -> Texture:
    """A 1x2 texture that GL stretches into the soft vertical background gradient."""
    global _gradient
    if _gradient is None:
        top, bottom = COLORS["bg_top"], COLORS["bg_bottom"]
        pixels = bytes(round(c * 255) for c in (*bottom, *top))
        _gradient = Texture.create(size=(1, 2), colorfmt="rgba")
        _gradient.blit_buffer(pixels, colorfmt="rgba", bufferfmt="ubyte")
        _gradient.mag_filter = "linear"
        _gradient.min_filter = "linear"
    return _gradient


class Card(BoxLayout):
    """A white rounded panel with a soft shadow."""

    bg = ColorProperty(COLORS["card"])
    radius = NumericProperty(24)
    shadow = BooleanProperty(True)
    probe = StringProperty("")


class TapCard(ButtonBehavior, Card):
    """A card that is a button (faces, follow-up reasons)."""

    pressed_bg = ColorProperty(COLORS["card_down"])


class Text(Label):
    """A label that wraps to its width and grows to fit its lines."""

    probe = StringProperty("")


class Heading(Label):
    """A label laid out by its parent (no auto-height), e.g. the question."""

    probe = StringProperty("")


class PillButton(ButtonBehavior, Label):
    """A rounded button: ``kind`` is primary, secondary, ghost or danger."""

    kind = StringProperty("secondary")
    selected = BooleanProperty(False)
    #: Corner radius; -1 makes a pill (half the height).
    corner = NumericProperty(-1)
    border_px = NumericProperty(0)
    probe = StringProperty("")


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
