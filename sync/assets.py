"""Where the shipped artwork and catalogs are: ``assets/`` in a checkout,
``kiosk/assets`` beside ``sync/`` in an installed wheel (``assets/`` ships as
the package ``kiosk.assets``).

Found by path, never by importing ``kiosk``, so a collector installed without
Kivy reads the same faces and catalogs as the kiosk: one copy of each file.
"""

from __future__ import annotations

from pathlib import Path


def _assets_dir() -> Path:
    root = Path(__file__).resolve().parent.parent
    for candidate in (root / "assets", root / "kiosk" / "assets"):
        if (candidate / "i18n").is_dir():
            return candidate
    return root / "assets"


#: The folder holding ``faces/``, ``i18n/`` and ``icon.png``.
ASSETS = _assets_dir()
#: The face artwork (``face-N.png`` for the kiosk, ``face-N.svg`` for the dashboard).
FACES = ASSETS / "faces"
