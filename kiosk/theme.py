"""The kiosk's colours, named by role (kv files use ``#:import C kiosk.theme.COLORS``).

A light warm background, white cards, dark blue-grey ink and one teal accent;
the faces bring the only strong colours.
"""

from __future__ import annotations


def rgba(hex_colour: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """``#RRGGBB`` as a Kivy colour tuple."""
    value = hex_colour.lstrip("#")
    red, green, blue = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return red, green, blue, alpha


COLORS = {
    "bg_top": rgba("#FBFAF6"),
    "bg_bottom": rgba("#ECF1EF"),
    "ink": rgba("#1F2D35"),
    "muted": rgba("#5B6970"),
    "faint": rgba("#8A969C"),
    "accent": rgba("#1C6E75"),
    "accent_down": rgba("#14545A"),
    "accent_soft": rgba("#DDEFEE"),
    "card": rgba("#FFFFFF"),
    "card_down": rgba("#EEF5F4"),
    "line": rgba("#D9E0DF"),
    "danger": rgba("#B3261E"),
    "warn": rgba("#9A5B00"),
    "ok": rgba("#2E7D32"),
    "shadow": rgba("#1F2D35", 0.07),
}


#: The least height (and width) of anything a finger taps, in pixels: 9 mm on a 7"
#: 800x480 panel (about 7 px per mm), where the layout unit alone would give 38-44 px.
FINGER_PX = 50


#: The faces' own colours (tools/make_faces.py), worst to best: the NPS and CES
#: buttons are graded through them, so every kind speaks the same colour language.
FACE_COLOURS = ("#D32F2F", "#F57C00", "#FBC02D", "#7CB342", "#2E7D32")
#: Where each kind's answers meet those colours: NPS detractors (0-6) run red to
#: orange, passives (7-8) are yellow, promoters (9-10) green; CES 1-7 in even steps.
_STOPS = {
    "nps": ((0, 0), (6, 1), (7, 2), (8, 2), (9, 3), (10, 4)),
    "ces": ((1, 0), (3, 1), (4, 2), (6, 3), (7, 4)),
}


def _mix(low: str, high: str, t: float) -> tuple[float, float, float, float]:
    a, b = rgba(low), rgba(high)
    return (*(x + (y - x) * t for x, y in zip(a[:3], b[:3], strict=True)), 1.0)


def score_colour(kind: str, score: float) -> tuple[float, float, float, float]:
    """The fill of an NPS or CES answer button (and its mark on the thank-you)."""
    stops = _STOPS.get(kind)
    if not stops:
        return COLORS["accent"]
    for (s0, c0), (s1, c1) in zip(stops, stops[1:], strict=False):
        if score <= s1:
            t = 0.0 if s1 == s0 else max(0.0, (score - s0) / (s1 - s0))
            return _mix(FACE_COLOURS[c0], FACE_COLOURS[c1], t)
    return rgba(FACE_COLOURS[-1])


def ink_on(colour: tuple[float, ...]) -> tuple[float, float, float, float]:
    """White or dark ink, whichever reads better on ``colour`` (WCAG relative luminance)."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in colour[:3])
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return COLORS["ink"] if luminance > 0.3 else (1.0, 1.0, 1.0, 1.0)
