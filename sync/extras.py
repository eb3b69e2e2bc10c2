"""Optional parts of the install: a command that needs one names it, not a traceback.

``pip install hymy`` installs the shared core only; the kiosk app needs the
``kiosk`` extra (Kivy) and the collector's server the ``collector`` extra
(FastAPI, uvicorn, ...).  A command run on a partial install says which extra
to add in one line.
"""

from __future__ import annotations

import importlib.util

import click

#: The modules each extra brings, checked before a command imports them.
EXTRAS = {
    "kiosk": ("kivy",),
    "collector": ("fastapi", "uvicorn", "jinja2", "psycopg"),
}


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` this Python cannot import."""
    return [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]


def require(extra: str, command: str) -> None:
    """Exit with one line naming the extra when ``command`` cannot run here."""
    absent = missing(extra)
    if absent:
        raise click.ClickException(
            f"{command} needs the '{extra}' extra ({', '.join(absent)} not installed): "
            f"pip install 'hymy[{extra}]'"
        )
