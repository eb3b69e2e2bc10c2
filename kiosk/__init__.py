"""Hymy kiosk: the shopper-facing smiley screen and its never-lose-a-tap local store.

``kiosk.config`` and ``kiosk.store`` import no Kivy, so they are usable (and
tested) without a display; only ``kiosk.app`` and ``kiosk.screens`` touch Kivy.
"""

from sync import __version__

__all__ = ["__version__"]
