"""Hymy's shared core: wire format, metrics, uploader and the collector service.

Nothing in this package imports ``kiosk`` or Kivy, so the collector installs
and runs on a server with ``pip install .[collector]``.
"""

__version__ = "0.1.0"
