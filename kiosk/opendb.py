"""Opening the kiosk's database for a command, with one line that says why it failed.

SQLite answers most failures with "unable to open database file", which does
not tell an admin what to fix.  :func:`open_store` turns any failure into a
:class:`DatabaseUnavailable` whose message names the cause (permission
denied, not a directory, read-only file system...), so ``hymy-kiosk`` can
print one line and exit before Kivy starts and logs a screenful.
This module imports no Kivy.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from kiosk.config import Config
from kiosk.store import Store, StoreError


class DatabaseUnavailable(Exception):
    """The kiosk database cannot be opened; ``str()`` is one line naming path and cause."""


def open_store(config: Config) -> Store:
    """The config's :class:`Store`, or :class:`DatabaseUnavailable` naming the cause."""
    path = config.database_path
    try:
        return Store(path, config.store_id, config.kiosk_id, config.timezone)
    except (OSError, StoreError, sqlite3.Error) as error:
        raise DatabaseUnavailable(
            f"cannot open the kiosk database {path}: {why_unopenable(path, error)}"
        ) from None


def check_store(config: Config) -> None:
    """Open and close the database once: fail early, before any window opens."""
    open_store(config).close()


def why_unopenable(path: Path, error: BaseException) -> str:
    """A few words on why ``path`` could not be opened: the file system's answer if any."""
    found = _path_problem(path)
    if found:
        return found
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


def _path_problem(path: Path) -> str | None:
    """What in the file system stops SQLite from using ``path``, or None if nothing visible."""
    folder = path.parent
    ancestor = folder
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{ancestor} is not a directory"
    if ancestor != folder:  # the folder is missing and could not be made
        if not os.access(ancestor, os.W_OK | os.X_OK):
            return f"permission denied (cannot create {folder})"
        return f"directory {folder} does not exist"
    if path.is_dir():
        return "it is a directory"
    # SQLite writes the -wal and -shm files beside the database.
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"permission denied (directory {folder})"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return "permission denied"
    return _read_only(folder)


def _read_only(folder: Path) -> str | None:
    """'read-only file system' when ``folder`` is on one, else None."""
    try:
        flags = os.statvfs(folder).f_flag
    except OSError:
        return None
    return os.strerror(errno.EROFS).lower() if flags & os.ST_RDONLY else None
