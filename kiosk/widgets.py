"""The kiosk's small visual vocabulary: colours, rounded cards and pill buttons.

Every screen is built from these (see ``widgets.kv`` for how they are drawn),
so the look is defined once: a light warm background, white rounded cards
with a soft shadow, one teal accent, big Roboto type.  Sizes scale with
``app.u`` (1.0 at 1280x800), so the same layout works from 800x480 to 1080p.

A widget with a ``probe`` name is reported (centre, text) in the optional test
status file; it changes nothing on screen.

The face artwork is read, uploaded and mipmapped once, when the app starts
(:func:`preload_faces`), and every face on every screen draws one of those
textures (:func:`face_texture`): with software GL a 512 px PNG decoded and
mipmapped on a tap would cost that tap's thank-you a frame.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.image import Image
from kivy.uix.label import Label

from kiosk.i18n import FACE_ART, face_image
from kiosk.theme import COLORS

_gradient: Texture | None = None
#: The face artwork, by file: read once, kept for the app's life (Kivy's own
#: image cache forgets an image unused for 60 s and would read it again).
_faces: dict[Path, Texture] = {}
#: How many times face artwork was read from disk (the test status reports it).
face_loads = 0


#: Rows of the background gradient texture (finer than 8-bit colour can show).
GRADIENT_ROWS = 512


def background_texture() -> Texture:
    """A one-pixel-wide texture that GL stretches into the soft vertical background gradient.

    The rows hold the gradient itself and are sampled ``nearest``: with
    software GL (llvmpipe) an opaque, unfiltered window-sized quad takes a fast
    path that a linearly filtered one does not.  The gradient is the one a 1x2
    texture stretched with ``linear`` filtering gave: flat in the bottom and top
    quarters, linear in between.
    """
    global _gradient
    if _gradient is None:
        top, bottom = COLORS["bg_top"], COLORS["bg_bottom"]
        pixels = bytearray()
        for row in range(GRADIENT_ROWS):
            t = min(1.0, max(0.0, ((row + 0.5) / GRADIENT_ROWS - 0.25) * 2))
            pixels += bytes(round((low + (high - low) * t) * 255)
                            for low, high in zip(bottom, top, strict=True))
        _gradient = Texture.create(size=(1, GRADIENT_ROWS), colorfmt="rgba")
        _gradient.blit_buffer(bytes(pixels), colorfmt="rgba", bufferfmt="ubyte")
        _gradient.mag_filter = "nearest"
        _gradient.min_filter = "nearest"
    return _gradient


def face_texture(score: int, scale: int) -> Texture:
    """The artwork of ``score`` on a ``scale``-face kiosk, mipmapped (loaded on first use)."""
    global face_loads
    path = face_image(max(1, min(score, scale)), scale)
    texture = _faces.get(path)
    if texture is None:
        texture = CoreImage(str(path), mipmap=True, nocache=True).texture
        _faces[path] = texture
        face_loads += 1
    return texture


def preload_faces() -> None:
    """Load every face of every scale now, so no tap ever reads artwork from disk."""
    for scale in FACE_ART:
        for score in range(1, scale + 1):
            face_texture(score, scale)


def blending_off(_instruction: object) -> None:
    """A canvas ``Callback``: draw what follows without alpha blending (opaque only).

    With software GL, blending the window-sized background costs as much as
    drawing the rest of the thank-you screen; an opaque quad needs none.
    """
    from kivy.graphics.opengl import GL_BLEND, glDisable

    glDisable(GL_BLEND)


def blending_on(_instruction: object) -> None:
    """A canvas ``Callback``: alpha blending again (Kivy's normal state)."""
    from kivy.graphics.opengl import GL_BLEND, glEnable

    glEnable(GL_BLEND)


class FaceImage(Image):
    """A face's artwork: set ``texture`` from :func:`face_texture` (never ``source``)."""

    probe = StringProperty("")


class Card(BoxLayout):
    """A white rounded panel with a soft shadow."""

    bg = ColorProperty(COLORS["card"])
    radius = NumericProperty(24)
    shadow = BooleanProperty(True)
    probe = StringProperty("")


class TapCard(ButtonBehavior, Card):
    """A card that is a button (faces, follow-up reasons)."""

    pressed_bg = ColorProperty(COLORS["card_down"])


class ScaleButton(TapCard):
    """One answer of an NPS (0-10) or CES (1-7) scale: its number on its colour
    (:func:`kiosk.theme.score_colour`), as big as the row allows."""

    score = NumericProperty(0)
    kind = StringProperty("nps")


class ScoreMark(FloatLayout):
    """The answer just given, on the thank-you and follow-up screens: its face on a
    face scale, its number on its colour on an NPS or CES scale."""

    score = NumericProperty(1)
    scale = NumericProperty(5)
    kind = StringProperty("csat")
    probe = StringProperty("")

    @staticmethod
    def face(score: int, scale: int, kind: str) -> Texture | None:
        """The face of ``score`` on a face scale; None on an NPS or CES one (no artwork)."""
        return face_texture(score, scale) if kind == "csat" and scale in FACE_ART else None


#: Font size at which words are measured once; widths at other sizes are proportional.
MEASURE_PX = 100
#: The smallest font a fitted label shrinks to (~2.5 mm on a 7" 800x480 panel).
SMALLEST_FONT_PX = 11


@functools.lru_cache(maxsize=2048)
def text_width(word: str, font_name: str, bold: bool) -> float:
    """Width of ``word`` at MEASURE_PX (and the line height, for ``word == ""``)."""
    from kivy.core.text import Label as CoreLabel

    measure = CoreLabel(font_name=font_name, font_size=MEASURE_PX, bold=bold)
    return measure.get_extents(word or "Ag")[1 if word == "" else 0]


#: Lines are laid out this much narrower than the box, for rounding in Kivy's own measure.
FIT_MARGIN = 0.97


def pieces(text: str, hyphens: bool) -> list[tuple[str, str]]:
    """``(glue, piece)`` pairs: each word, glued by a space; with ``hyphens`` a word's parts
    after each hyphen ("Preis-", "Leistungs-", "Verhältnis") are pieces glued by nothing."""
    out = []
    for word in text.split():
        parts = re.split(r"(?<=\w-)(?=\w)", word) if hyphens else [word]
        out += [(" ", parts[0]), *(("", part) for part in parts[1:])]
    return out


def wrap(widths: list[tuple[str, float]], space: float, width: float) -> list[int] | None:
    """Greedy line breaks: how many pieces each line holds (None: a piece is too wide)."""
    lines: list[int] = []
    used = 0.0
    for glue, piece in widths:
        if piece > width:
            return None
        step = (space if glue else 0.0) + piece
        if lines and used + step <= width:
            lines[-1] += 1
            used += step
        else:
            lines.append(1)
            used = piece
    return lines


def fit_text(text: str, width: float, height: float, largest: float,
             font_name: str = "Roboto", bold: bool = False,
             hyphens: bool = False) -> tuple[float, str]:
    """The largest font size up to ``largest`` at which ``text`` fits ``width`` x ``height``
    with no word split, and the text to show: with ``hyphens``, its lines broken where
    this layout breaks them (after a hyphen only when breaking at spaces does not fit
    at that size); else ``text`` itself.

    Kivy breaks lines only at spaces and splits a word wider than its label
    anywhere ("Preis-Leistungs-Verhält / nis" on a German reason button), and a
    shortened label hides words: text from a catalog shrinks and breaks here instead.
    """
    layouts = [pieces(text, False), *([pieces(text, True)] if hyphens else [])]
    space, line = text_width(" ", font_name, bold), text_width("", font_name, bold)
    size = largest
    while True:
        scale = size / MEASURE_PX
        for parts in layouts:
            widths = [(glue, text_width(piece, font_name, bold) * scale) for glue, piece in parts]
            lines = wrap(widths, space * scale, width * FIT_MARGIN)
            if lines is not None and len(lines) * line * scale <= height:
                return size, shown_lines(parts, lines) if hyphens else text
        if size <= SMALLEST_FONT_PX:
            return size, text
        size = max(SMALLEST_FONT_PX, size * 0.94)


def shown_lines(parts: list[tuple[str, str]], lines: list[int]) -> str:
    """The pieces put back together, one line of ``lines`` after another."""
    shown, start = [], 0
    for count in lines:
        chunk = parts[start:start + count]
        shown.append(chunk[0][1] + "".join(glue + piece for glue, piece in chunk[1:]))
        start += count
    return "\n".join(shown)


class FitLabel(Label):
    """A label whose font is the largest, up to ``max_font_size``, that shows its whole
    text in its ``text_size`` (or its size) with no word split (0: no fitting, the
    ``font_size`` as set).  Set ``words`` instead of ``text`` to let long words also
    break after their hyphens (``text`` is then ``words`` with the line breaks).  The
    fit runs before the next frame, never inside a tap."""

    max_font_size = NumericProperty(0)
    words = StringProperty("")
    probe = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        self._fit_trigger = Clock.create_trigger(self.fit_font, -1)
        super().__init__(**kwargs)
        for name in ("text", "words", "size", "text_size", "max_font_size"):
            self.fbind(name, self._fit_trigger)

    def fit_font(self, *_args: Any) -> None:
        source = self.words or self.text
        if self.max_font_size <= 0 or not source:
            return
        width, height = self.text_size
        self.font_size, shown = fit_text(
            source, width or self.width, height or self.height, self.max_font_size,
            self.font_name, self.bold, hyphens=bool(self.words))
        if self.words:
            self.text = shown


class Text(Label):
    """A label that wraps to its width and grows to fit its lines."""

    probe = StringProperty("")


class Heading(Label):
    """A label laid out by its parent (no auto-height), e.g. the question."""

    probe = StringProperty("")


class PillButton(ButtonBehavior, FitLabel):
    """A rounded button: ``kind`` is primary, secondary, ghost or danger."""

    kind = StringProperty("secondary")
    selected = BooleanProperty(False)
    #: Corner radius; -1 makes a pill (half the height).
    corner = NumericProperty(-1)
    border_px = NumericProperty(0)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))


#: Light border, in modules, around the QR code (the standard asks for 4).
QR_BORDER = 4


def qr_texture(url: str) -> Texture | None:
    """A QR code of ``url`` as a texture: one texel per module, sampled ``nearest`` so it
    scales up sharp.  Made from segno's module matrix directly (no PNG to encode and
    decode on the tap path).  None when segno is not installed: no code, no crash."""
    try:
        import segno
    except ImportError:
        return None
    code = segno.make(url, error="m", micro=False)
    rows = [bytes(QR_BORDER) + bytes(row) + bytes(QR_BORDER) for row in code.matrix]
    width = len(rows[0])
    blank = bytes(width)
    rows = [blank] * QR_BORDER + rows + [blank] * QR_BORDER
    pixels = bytearray()
    for row in reversed(rows):  # GL's first row is the bottom one
        for dark in row:
            pixels += b"\x00\x00\x00\xff" if dark else b"\xff\xff\xff\xff"
    texture = Texture.create(size=(width, len(rows)), colorfmt="rgba")
    texture.mag_filter = texture.min_filter = "nearest"
    texture.blit_buffer(bytes(pixels), colorfmt="rgba", bufferfmt="ubyte")
    return texture
