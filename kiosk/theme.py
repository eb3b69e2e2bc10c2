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
