"""Enrollment: trade a one-time code for a token and write a complete kiosk config.

``hymy-kiosk enroll URL CODE --config PATH`` (and the first-start screen) use
these pieces in this order, so a code is never spent on a kiosk that cannot
keep what it gets:

1. :func:`check_target`: the config path may be written (its folder is made
   if need be) and does not exist yet, unless it is to be replaced;
2. :func:`exchange`: ``POST /api/v1/enroll`` through the uploader's
   :class:`~sync.uploader.client.Client`, so an unreachable collector or a
   refused code is one of its :class:`~sync.uploader.client.SyncError` lines;
3. :func:`config_text`: the example config (every key, every comment) with
   this kiosk's values filled in, validated by :func:`kiosk.config.parse`;
4. :func:`write_private`: written as mode 0600 (it holds the token) in one
   rename, so a half-written config never exists.

:func:`enroll` runs steps 2 to 4 and words every failure once, as an
:class:`EnrollFailed` whose ``kind`` says what the installer does next; the
command prints it, the first-start screen shows it under its own headline.
:func:`pin_problem` is the screen's check of a new staff PIN, and
:func:`set_up` all the screen's work between the tap on "Enroll" and the
question (it runs on a thread of its own: the network call and the PIN hash
take seconds on a small kiosk, and the screen keeps drawing meanwhile).

No Kivy here.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from kiosk import safety
from kiosk.config import ASSETS, Config, ConfigError, load, parse
from kiosk.opendb import DatabaseUnavailable, check_store
from kiosk.pin import hash_pin, verify_pin
from sync.clock import local_words
from sync.uploader.client import Client, Fatal, SyncError

log = logging.getLogger("hymy.kiosk")

ENROLL_PATH = "/api/v1/enroll"
EXAMPLE = ASSETS / "kiosk.example.toml"
#: Seconds to connect to and hear from the collector while enrolling.
TIMEOUT = (5.0, 30.0)


class EnrollError(Exception):
    """A problem on this side (the config path), worded for the installer."""


class EnrollFailed(Exception):
    """An enrollment that did not complete; ``str()`` is one line, ``kind`` what to do.

    ``refused``: the collector refused the code (unknown, used, expired: get a
    new one); ``retry``: unreachable or busy, nothing was used up; ``failed``:
    any other refusal (a bad URL, not a collector); ``unwritable``: the code is
    used up but the config could not be written (get a new code).
    """

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


def check_target(path: Path, force: bool) -> None:
    """Raise EnrollError unless a config can be written at ``path`` (its folder made now)."""
    if path.is_dir():
        raise EnrollError(f"{path} is a folder; give the config file's path,"
                          " e.g. /etc/hymy/kiosk.toml")
    if path.exists() and not force:
        raise EnrollError(f"{path} exists already; add --force to replace it")
    if any(folder.exists() and not folder.is_dir() for folder in path.parents):
        raise EnrollError(f"{path.parent} is not a folder (a file is in the way)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise EnrollError(f"cannot create the folder {path.parent}:"
                          f" {(error.strerror or str(error)).lower()}") from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise EnrollError(f"cannot write in {path.parent}: permission denied"
                          " (run as the kiosk's user with write access there, or use sudo)")


def exchange(url: str, code: str, ca_bundle: str | None = None) -> dict[str, Any]:
    """The collector's answer to the code: store, kiosk, time zone, token, survey, URL.

    Raises the uploader's SyncError classes: ``Retryable`` for an unreachable
    or busy collector, ``Fatal`` (status 404 or 410) for a refused code.
    """
    client = Client(url, "", ca_bundle=ca_bundle, timeout=TIMEOUT)
    response = client.request(
        "POST", ENROLL_PATH, data=json.dumps({"code": code}).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        answer = response.json()
        missing = [key for key in ("store_id", "kiosk_id", "timezone", "token")
                   if not isinstance(answer.get(key), str)]
    except (ValueError, AttributeError):
        missing = ["a JSON body"]
    if missing:
        raise Fatal(f"{url} answered the enrollment without {', '.join(missing)};"
                    " is it a Hymy collector?")
    return answer


def enroll(path: Path, url: str, code: str, pin_hash: str, ca_bundle: str = "",
           database: str | None = None) -> dict[str, Any]:
    """Trade ``code`` for a token and write the kiosk's config at ``path`` (0600).

    The collector's answer (store, kiosk, time zone...), or EnrollFailed.
    Call :func:`check_target` first: a code is spent by the exchange.
    """
    try:
        answer = exchange(url, code, ca_bundle or None)
    except Fatal as error:
        # The collector names when a code was used or expired in UTC: say it locally.
        raise EnrollFailed(local_words(str(error)), "refused" if error.status in (404, 410)
                           else "failed") from None
    except SyncError as error:
        raise EnrollFailed(f"{error}; nothing was used up, try again", "retry") from None
    try:
        write_private(path, config_text(answer, url, pin_hash, ca_bundle,
                                        database=database))
    except (OSError, ConfigError) as error:
        raise EnrollFailed(f"the code is used up but {path} could not be written ({error});"
                           " issue a new code and try again", "unwritable") from None
    return answer


def set_up(path: Path, url: str, code: str, pin: str) -> Config:
    """The first-start screen's enrollment: a working config at ``path``, or EnrollFailed.

    Checks the path, hashes the PIN, enrolls (the database in
    :func:`state_database` under systemd), then loads the new config and
    opens its database as ``hymy-kiosk run`` would before showing the
    question (``kind`` ``path`` or ``database`` for those).  Safety warnings
    (plain HTTP to another host) are logged, as the command prints them.
    """
    try:
        check_target(path, force=False)
    except EnrollError as error:
        raise EnrollFailed(str(error), "path") from None
    enroll(path, url, code, hash_pin(pin), database=state_database())
    try:
        config = load(path)
        check_store(config)
    except (ConfigError, DatabaseUnavailable) as error:
        raise EnrollFailed(str(error), "database") from None
    for finding in safety.check(config):
        log.warning("Hymy: %s: %s", finding.level, finding.message)
    return config


def state_database() -> str | None:
    """Where the first-start screen keeps the ratings: in systemd's ``StateDirectory=``.

    systemd names that folder in ``$STATE_DIRECTORY`` (/var/lib/hymy in
    docs/deploy/hymy-kiosk.service); elsewhere None, the example's file
    beside the config.
    """
    state = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    return str(Path(state) / "hymy-kiosk.db") if state else None


def pin_problem(pin: str, again: str) -> str | None:
    """What is wrong with a new staff PIN typed twice, as a catalog key, or None.

    The example config's PIN (1234) is refused as :mod:`kiosk.safety` refuses
    its hash: it is printed in the repository for everyone to read.
    """
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        return "setup_pin_short"
    if pin != again:
        return "setup_pin_mismatch"
    if verify_pin(pin, safety.EXAMPLE_PIN_HASH):
        return "setup_pin_example"
    return None


def toml_value(value: Any) -> str:
    """A value as TOML: JSON's strings, numbers and booleans are TOML too."""
    return json.dumps(value, ensure_ascii=False)


def fill(text: str, values: dict[str, Any]) -> str:
    """``text`` with the first ``key = ...`` line of each key given its new value."""
    for key, value in values.items():
        text, found = re.subn(rf"^{re.escape(key)} = .*$", f"{key} = {toml_value(value)}",
                              text, count=1, flags=re.MULTILINE)
        if not found:
            raise ConfigError(f"{key}: not in {EXAMPLE.name}")
    return text


def config_text(answer: dict[str, Any], url: str, pin_hash: str, ca_bundle: str = "",
                example: str | None = None, database: str | None = None) -> str:
    """A complete kiosk config: the example's keys and comments, this kiosk's values.

    ``url`` is the address the kiosk reached the collector at (it works from
    here, whatever the collector believes its own address is); ``database``,
    when given, replaces the example's file beside the config.  Raises
    ConfigError when the result would not load.
    """
    text = EXAMPLE.read_text(encoding="utf-8") if example is None else example
    head, sep, sync_part = text.partition("\n[sync]\n")
    top = {"store_id": answer["store_id"], "kiosk_id": answer["kiosk_id"],
           "timezone": answer["timezone"], "staff_pin_hash": pin_hash,
           **question(answer.get("survey") or {})}
    if database:
        top["database"] = database
    if top.get("kind", "csat") != "csat":  # nps and ces imply their scale: no scale line
        head = re.sub(r"^scale = .*$", "# scale: implied by kind", head, count=1,
                      flags=re.MULTILINE)
    head = fill(head, top)
    head = (f"# Hymy kiosk configuration of kiosk {answer['kiosk_id']} in store"
            f" {answer['store_id']}, written by `hymy-kiosk enroll`\n"
            "# from the example config: every key, each explained.  Check it with\n"
            "#     hymy-kiosk check-config --config THIS_FILE\n\n"
            + head[head.index("# -- "):])
    sync_part = fill(sync_part, {"url": url.rstrip("/"), "token": answer["token"],
                                 "ca_bundle": ca_bundle})
    text = head + sep + sync_part
    parse(tomllib.loads(text))  # the same validation the kiosk runs at start
    return text


def question(survey: dict[str, Any]) -> dict[str, Any]:
    """``kind`` and ``scale`` of the config from the survey the collector gave this kiosk
    (its touchpoint's or its store's), so the kiosk asks that question from its first
    start, before any sync; version 0 (no survey set) leaves the example's."""
    kind = survey.get("kind", "csat")
    if not survey.get("version") or kind not in ("csat", "nps", "ces"):
        return {}
    if kind != "csat":
        return {"kind": kind}
    scale = survey.get("scale")
    return {"kind": kind, **({"scale": scale} if scale in (3, 4, 5) else {})}


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600), in one rename."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
