"""``python -m kiosk`` is ``hymy-kiosk``."""

from kiosk.cli import cli

cli(prog_name="hymy-kiosk")
