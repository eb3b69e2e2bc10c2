"""Safety checks on a valid config, run by ``hymy-kiosk check-config`` and at kiosk start.

:func:`kiosk.config.load` says whether a config *can* run; these checks say
whether it *should*, given what a config file gives away:

- the example config's ``staff_pin_hash`` (PIN 1234, printed in the file
  itself) is refused: anyone who read the repository could open the staff
  screen and exit the kiosk;
- a config file that holds the sync token and is readable by group or others
  is repaired to mode 0600 when this process owns it, and refused (with the
  commands that fix it) when it cannot be changed: the token lets anyone
  who has it upload ratings in this kiosk's name;
- a plain ``http://`` sync URL to another host is a warning, not a refusal
  (a collector on a trusted network or behind a VPN is a choice), because
  the token and the ratings then cross the network in clear.

Each check is a small function from a :class:`~kiosk.config.Config` to
:class:`Finding` objects; :data:`CHECKS` lists them, so docs and tests see
them all.  This module imports no Kivy.
"""

from __future__ import annotations

import ipaddress
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from kiosk.config import Config

#: The ``staff_pin_hash`` in assets/kiosk.example.toml: the PIN 1234, known to everyone.
EXAMPLE_PIN_HASH = (
    "pbkdf2_sha256$200000$3273a05fe2aefd031ec2dcf098789fe2"
    "$a551e359a97ba45d56665c1b5daebaac125f78e5ecc465572fe2529ee2283c8b"
)
#: Mode bits that let someone other than the file's owner read (or change) it.
NOT_OWNER_ONLY = stat.S_IRWXG | stat.S_IRWXO


@dataclass(frozen=True)
class Finding:
    """One safety problem: ``refuse`` stops the kiosk, ``warn`` and ``repaired`` do not."""

    level: Literal["refuse", "warn", "repaired"]
    message: str


def example_pin(config: Config) -> Iterator[Finding]:
    """Refuse the example config's PIN hash: its PIN (1234) is printed beside it."""
    if config.staff_pin_hash == EXAMPLE_PIN_HASH:
        yield Finding("refuse", (
            "staff_pin_hash: this is the example config's hash, for the PIN 1234; make one "
            "for a PIN of your own with `hymy-kiosk hash-pin` and put it in staff_pin_hash"
        ))


def token_file_mode(config: Config) -> Iterator[Finding]:
    """A config file holding the sync token must be readable by its owner only.

    Repaired (chmod to the owner's bits only, 0600 for a normal file) when
    this process owns the file, so a kiosk in a store keeps running; refused
    when it cannot be changed (another owner, a read-only file system), with
    the commands that fix it.
    """
    if not config.sync.token or config.path is None:
        return
    try:
        mode = stat.S_IMODE(config.path.stat().st_mode)
    except OSError:  # read a moment ago; gone now: nothing to protect
        return
    if not mode & NOT_OWNER_ONLY:
        return
    safe = mode & ~NOT_OWNER_ONLY
    try:
        os.chmod(config.path, safe)
    except OSError as error:
        yield Finding("refuse", (
            f"{config.path} holds the sync token but is readable by group/others "
            f"(mode {mode:04o}) and cannot be changed ({(error.strerror or '').lower()}); "
            f"make it the kiosk user's alone: sudo chown <kiosk user> {config.path} "
            f"&& sudo chmod 600 {config.path}"
        ))
        return
    yield Finding("repaired", (
        f"{config.path} holds the sync token and was readable by group/others "
        f"(mode {mode:04o}); changed it to {safe:04o} (owner {_owner(config.path)} only)"
    ))


def plain_http(config: Config) -> Iterator[Finding]:
    """Warn when the token and ratings would cross the network unencrypted."""
    parts = urlsplit(config.sync.url)
    if parts.scheme.lower() != "http" or is_loopback(parts.hostname or ""):
        return
    yield Finding("warn", (
        f"sync.url {config.sync.url!r} is plain HTTP to another host: the kiosk token and "
        "the ratings cross the network unencrypted; use https:// (see docs/security.md)"
    ))


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1); no DNS lookup."""
    if host.lower().rstrip(".") in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _owner(path: Path) -> str:
    """The file owner's user name (or uid when it has none)."""
    try:
        return path.owner()
    except (KeyError, OSError, NotImplementedError):
        return str(path.stat().st_uid)


CHECKS: tuple[Callable[[Config], Iterator[Finding]], ...] = (
    example_pin, token_file_mode, plain_http,
)


def check(config: Config) -> list[Finding]:
    """Every finding of every check, in :data:`CHECKS` order (token file repaired here)."""
    return [finding for run in CHECKS for finding in run(config)]
