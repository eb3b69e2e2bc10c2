"""``hymy-kiosk``: run the kiosk, push pending ratings, and small admin helpers.

Examples::

    hymy-kiosk --config /etc/hymy/kiosk.toml          # run the kiosk (full screen)
    hymy-kiosk sync --config /etc/hymy/kiosk.toml     # push everything pending now
    hymy-kiosk resend-rejected --config /etc/hymy/kiosk.toml  # after fixing the config
    hymy-kiosk hash-pin                               # print a hash for a new staff PIN
    hymy-kiosk enroll https://hymy.example.com K7QM-4TXD --config /etc/hymy/kiosk.toml
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from kiosk import config as kiosk_config
from kiosk import safety
from kiosk.pin import hash_pin
from sync import extras
from sync.clock import format_utc, utc_now

#: The largest `hymy-kiosk sync --batch-size`: sync.wire.MAX_BATCH_RATINGS, the most the
#: collector takes in one batch (not imported: `hymy-kiosk --help` stays quick).
DRAIN_BATCH = 5000
#: Without --batch-size, `hymy-kiosk sync` sends DRAIN_BATCH-rating batches once this many
#: ratings are pending (a kiosk back from weeks offline): fewer, larger transactions on
#: the collector drain a million in about half the time (docs/performance.md, benchmark 4).
LARGE_BACKLOG = 50_000

#: Exit status of ``hymy-kiosk sync`` when the collector rejected ratings (docs/sync.md).
REJECTED_EXIT = 4
#: Timeouts of check-config's question to the collector (connect, read), seconds.
CHECK_TIMEOUT = (3.0, 10.0)

#: How each level of safety finding starts its line.
FINDING_LABELS = {"refuse": "config error", "warn": "warning", "repaired": "repaired"}

if TYPE_CHECKING:  # imported lazily at run time: `hymy-kiosk --help` stays quick
    from kiosk.store import Store
    from sync.uploader import PushResult, SyncError, Uploader


def load_or_exit(path: str) -> kiosk_config.Config:
    """Load the config, or stop with its one-line error (no traceback)."""
    try:
        return kiosk_config.load(path)
    except kiosk_config.ConfigError as error:
        click.echo(f"hymy-kiosk: config error: {error}", err=True)
        sys.exit(2)


def load_safe_or_exit(path: str) -> kiosk_config.Config:
    """Load the config and run the safety checks (kiosk.safety) on it.

    Warnings and repairs print one line each and carry on; a refusal prints
    its line and exits 2, like any other config error.
    """
    config = load_or_exit(path)
    refused = False
    for finding in safety.check(config):
        click.echo(f"hymy-kiosk: {FINDING_LABELS[finding.level]}: {finding.message}", err=True)
        refused = refused or finding.level == "refuse"
    if refused:
        sys.exit(2)
    return config


def check_store_or_exit(config: kiosk_config.Config) -> None:
    """Open the database once, or stop with one line naming the cause (exit 1)."""
    from kiosk.opendb import DatabaseUnavailable, check_store

    try:
        check_store(config)
    except DatabaseUnavailable as error:
        click.echo(f"hymy-kiosk: {error}", err=True)
        sys.exit(1)


config_option = click.option(
    "--config", "config_path", required=True, type=click.Path(dir_okay=False),
    envvar="HYMY_KIOSK_CONFIG", help="Kiosk config file (TOML), see assets/kiosk.example.toml",
)


@click.group(invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              envvar="HYMY_KIOSK_CONFIG", help="Kiosk config file; runs the kiosk")
@click.version_option(package_name="hymy")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Hymy kiosk: the smiley feedback screen.

    With --config and no command, runs the kiosk: hymy-kiosk --config kiosk.toml
    """
    if ctx.invoked_subcommand is None:
        if not config_path:
            click.echo(ctx.get_help())
            ctx.exit(2)
        ctx.invoke(run, config_path=config_path)


@cli.command()
@config_option
def run(config_path: str) -> None:
    """Run the kiosk app.

    When the config file does not exist yet, the kiosk opens its first-start
    screen instead: the collector's address, an enrollment code and a new
    staff PIN typed on the touchscreen write the config (as hymy-kiosk
    enroll does) and the question follows.

    Example: hymy-kiosk run --config kiosk.toml
    """
    extras.require("kiosk", "hymy-kiosk run")
    path = Path(config_path).expanduser()
    if not path.exists() and not path.is_symlink():
        set_up(path)
        return
    config = load_safe_or_exit(config_path)
    check_store_or_exit(config)  # before Kivy: a bad path is one line, not a screenful
    from kiosk.app import run_app  # Kivy is imported only here

    run_app(config)


def set_up(path: Path) -> None:
    """No config yet: the first-start screen, once the path is known to be writable.

    A path the kiosk could never write stays one line (exit 2), as a missing
    config always was: nobody can fix that on the touchscreen.
    """
    from kiosk import enroll as enrolling

    try:
        enrolling.check_target(path, force=False)
    except enrolling.EnrollError as error:
        fail(f"config error: cannot read config file {path}: no such file, and no"
             f" first-start setup there: {error}", 2)
    from kiosk.app import run_setup  # Kivy is imported only here

    run_setup(path)


@cli.command("check-config")
@config_option
@click.option("--offline", is_flag=True,
              help="Do not ask the collector (only the file is checked)")
def check_config(config_path: str, offline: bool) -> None:
    """Validate a config file and exit 0 if it is good.

    Also runs the kiosk's start-up safety checks: refuses the example PIN
    hash, makes a config file holding the sync token readable by its owner
    only (mode 0600), and warns about a plain http:// sync URL to another host.

    With [sync] url and token set, asks the collector which store and kiosk
    the token is for and the store's time zone: any difference from
    store_id, kiosk_id or timezone is a config error (exit 2) naming both
    values, a rejected token exits 3.  An unreachable collector is only
    noted: the file itself is good.

    Example: hymy-kiosk check-config --config kiosk.toml
    """
    config = load_safe_or_exit(config_path)
    asks = {"nps": "nps question (0-10)", "ces": "ces question (1-7)"}.get(
        config.kind, f"{config.scale} faces")
    click.echo(f"ok: store {config.store_id}, kiosk {config.kiosk_id}, {asks}")
    if offline or not config.sync.url or not config.sync.token:
        return
    from sync.uploader import SyncError, TokenRejected

    try:
        identity = ask_collector(config)
    except TokenRejected as error:
        click.echo(f"hymy-kiosk: sync.token: {error}", err=True)
        sys.exit(3)
    except SyncError as error:
        click.echo(f"note: not compared with the collector: {error}")
        return
    if identity is None:
        click.echo("note: the collector is too old to say which store this kiosk is for")
        return
    problems = identity_problems(config.store_id, config.kiosk_id, config.timezone, identity)
    for problem in problems:
        click.echo(f"hymy-kiosk: config error: {problem}", err=True)
    if problems:
        sys.exit(2)
    click.echo(f"ok: the collector agrees: store {identity['store_id']}"
               f" ({identity['store_name']}), kiosk {identity['kiosk_id']},"
               f" time zone {identity['timezone']}")


class _Memory:
    """An outbox's state, in memory: check-config asks the collector without a database."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}

    def get_state(self, key: str, default: Any = None) -> Any:
        return self.state.get(key, default)

    def set_state(self, key: str, value: Any) -> None:
        self.state[key] = value


def ask_collector(config: kiosk_config.Config) -> dict[str, str] | None:
    """What the collector says this kiosk's token is for (None: a collector without
    ``GET /api/v1/kiosk``).  Raises the uploader's SyncError classes."""
    from sync.uploader import Uploader

    uploader = Uploader(_Memory(), config.sync.url, config.sync.token,  # type: ignore[arg-type]
                        ca_bundle=config.sync.ca_bundle or None, timeout=CHECK_TIMEOUT)
    return uploader.fetch_identity()


#: What each kiosk setting is called in a mismatch line, and what it names.
_IDENTITY_WORDS = {
    "store_id": "the collector's token is for store {theirs!r}",
    "kiosk_id": "the collector's token is for kiosk {theirs!r}",
    "timezone": "the collector has store {store!r} in time zone {theirs!r} (its taps are"
                " dated there once the kiosk has synced)",
}


def identity_problems(store_id: str, kiosk_id: str, timezone: str,
                      identity: dict[str, str]) -> list[str]:
    """One line per setting where the config and the collector disagree, naming both."""
    ours = {"store_id": store_id, "kiosk_id": kiosk_id, "timezone": timezone}
    return [
        f"{key}: the config says {ours[key]!r} but "
        + _IDENTITY_WORDS[key].format(theirs=identity[key], store=identity["store_id"])
        + f"; set {key} = \"{identity[key]}\""
        for key in ours if identity.get(key) and identity[key] != ours[key]
    ]


#: Exit status of ``hymy-kiosk enroll`` when the collector refuses the code.
CODE_REFUSED_EXIT = 3
#: Exit status of ``hymy-kiosk enroll`` per kind of kiosk.enroll.EnrollFailed.
ENROLL_EXITS = {"refused": CODE_REFUSED_EXIT, "retry": 1, "failed": 1, "unwritable": 2}


@cli.command()
@click.argument("url")
@click.argument("code")
@config_option
@click.option("--pin-hash", default=None,
              help="staff_pin_hash to write (from hymy-kiosk hash-pin); asked for a PIN"
                   " when omitted")
@click.option("--ca-bundle", default="",
              help="CA bundle file for a collector with a private certificate")
@click.option("--database", "database", default=None,
              help="Where the kiosk keeps its ratings, e.g. /var/lib/hymy/kiosk.db"
                   " [default: hymy-kiosk.db beside the config]")
@click.option("--force", is_flag=True, help="Replace an existing config file")
@click.pass_context
def enroll(ctx: click.Context, url: str, code: str, config_path: str, pin_hash: str | None,
           ca_bundle: str, database: str | None, force: bool) -> None:
    """Trade a one-time enrollment code for this kiosk's token and write its config.

    URL is the collector's address and CODE the code printed by
    'hymy-collector kiosk add' (or 'kiosk enroll-code', or the kiosk's
    dashboard page).  Writes a complete config (mode 0600, its folder made if
    need be; an existing one only with --force), asks for a new staff PIN
    unless --pin-hash is given, then runs the checks of check-config.

    Exit status: 0 enrolled, 1 collector unreachable, 2 a config path or PIN
    problem (the code is not used up), 3 the code was refused (unknown, used
    or expired: ask for a new one).

    Example: hymy-kiosk enroll https://hymy.example.com K7QM-4TXD --config /etc/hymy/kiosk.toml
    """
    from kiosk import enroll as enrolling

    path = Path(config_path).expanduser()
    try:
        enrolling.check_target(path, force)
    except enrolling.EnrollError as error:
        fail(f"enroll: {error}", 2)
    pin_hash = pin_hash or ask_pin()
    if not pin_hash.startswith("pbkdf2_sha256$") or pin_hash == safety.EXAMPLE_PIN_HASH:
        fail("enroll: --pin-hash: give a hash of your own PIN from `hymy-kiosk hash-pin`"
             " (not the example config's)", 2)
    try:
        answer = enrolling.enroll(path, url, code, pin_hash, ca_bundle,
                                  database=database)
    except enrolling.EnrollFailed as error:
        fail(f"enroll: {error}", ENROLL_EXITS[error.kind])
    click.echo(f"enrolled: kiosk {answer['kiosk_id']} of store {answer['store_id']}"
               f" ({answer.get('store_name', '')}); wrote {path} (mode 0600)")
    ctx.invoke(check_config, config_path=str(path), offline=False)
    click.echo(f"start the kiosk: hymy-kiosk --config {path}")


def ask_pin() -> str:
    """Prompt twice for a new staff PIN and hash it (exit 2 for a PIN that is none)."""
    from kiosk.enroll import pin_problem

    pin = click.prompt("New staff PIN (4-12 digits)", hide_input=True,
                       confirmation_prompt=True)
    if pin_problem(pin, pin) == "setup_pin_example":  # as the touchscreen's set-up refuses it
        fail("enroll: PIN: 1234 is the example config's PIN, printed for everyone to read;"
             " choose another", 2)
    try:
        return hash_pin(pin)
    except ValueError as error:
        fail(f"enroll: PIN: {error}", 2)


def fail(message: str, status: int) -> NoReturn:
    """Print ``hymy-kiosk: MESSAGE`` on stderr and exit with ``status``."""
    click.echo(f"hymy-kiosk: {message}", err=True)
    sys.exit(status)


@cli.command("hash-pin")
@click.option("--pin", prompt="New staff PIN", hide_input=True, confirmation_prompt=True,
              help="The PIN (4-12 digits); prompted for when omitted")
def hash_pin_command(pin: str) -> None:
    """Print the salted hash of a staff PIN for the staff_pin_hash key.

    Example: hymy-kiosk hash-pin
    """
    try:
        click.echo(hash_pin(pin))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--pin") from None


@cli.command()
@config_option
@click.option("--retry-for", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="Seconds to keep retrying when the collector is unreachable or busy")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal)")
@click.option("--batch-size", type=click.IntRange(1, DRAIN_BATCH), default=None,
              help="Ratings per upload (default: [sync] batch_size, or"
                   f" {DRAIN_BATCH}, the collector's largest batch, when more than"
                   f" {LARGE_BACKLOG:,} are pending: a long backlog drains about twice as fast)")
def sync(config_path: str, retry_for: float, progress: bool | None,
         batch_size: int | None) -> None:
    """Push every pending rating to the collector now, then exit.

    Exit status: 0 when nothing is left pending, 1 when ratings are left
    (e.g. collector unreachable), 2 for a config problem, 3 when the
    collector rejects the kiosk's token, 4 when the collector rejected
    ratings (the reasons, counted, on stderr; they are kept: fix the cause,
    then hymy-kiosk resend-rejected).  Ratings rejected while the config
    named another store_id or kiosk_id go again by themselves.

    Example: hymy-kiosk sync --config kiosk.toml
    """
    from kiosk.opendb import DatabaseUnavailable, open_store
    from kiosk.store import StoreError
    from kiosk.store import health as store_health
    from sync import uploader as up

    config = load_or_exit(config_path)
    if not config.sync.url:
        click.echo("hymy-kiosk: sync.url is not set in the config; nothing to sync to", err=True)
        sys.exit(2)
    try:
        store = open_store(config)
    except DatabaseUnavailable as error:
        click.echo(f"hymy-kiosk: {error}", err=True)
        sys.exit(1)
    uploader = up.Uploader(
        store, config.sync.url, config.sync.token, batch_size=config.sync.batch_size,
        ca_bundle=config.sync.ca_bundle or None,
        health=functools.partial(store_health, config.database_path, config.timezone),
    )
    learn_identity(uploader, store)
    moved = store.resend_rejected(moved_only=True)
    if moved:
        click.echo(f"{moved} rating(s) recorded under another store_id or kiosk_id (rejected"
                   f" or waiting) go as store {config.store_id}, kiosk {config.kiosk_id}")
    pending = store.stats()["pending"]
    if batch_size is None:
        batch_size = config.sync.batch_size
        if pending > LARGE_BACKLOG:
            batch_size = max(batch_size, DRAIN_BATCH)
    uploader.batch_size = batch_size
    started = format_utc(utc_now())
    show = sys.stderr.isatty() if progress is None else progress
    try:
        result, failure = push_with_bar(uploader, pending, retry_for, show)
    except (StoreError, sqlite3.Error) as error:
        # Local trouble (a full disk): whatever was not marked stays pending and goes again.
        click.echo(f"hymy-kiosk: sync: local database error: {error}", err=True)
        sys.exit(1)
    left = store.stats()
    save_sync_status(store, started, result, failure, left)
    mismatches = store.identity_mismatches()
    store.close()
    click.echo(
        f"sent {result.sent}: {result.accepted} new, {result.duplicate} duplicate, "
        f"{result.conflict} conflict, {result.rejected} rejected; {left['pending']} left pending"
    )
    if result.rejected:
        report_rejected(result.rejected_reasons, mismatches, config_path)
    elif left["rejected"]:
        click.echo(f"{left['rejected']} rejected earlier, kept here; once the cause is"
                   f" fixed: hymy-kiosk resend-rejected --config {config_path}")
    if result.requeued:
        click.echo(f"{result.requeued} sent before were missing at the collector (restored"
                   " from a backup?) and went again")
    if failure is not None:
        click.echo(f"hymy-kiosk: sync: {failure}", err=True)
    if isinstance(failure, up.TokenRejected):
        sys.exit(3)
    if failure is not None or left["pending"]:
        sys.exit(1)
    sys.exit(REJECTED_EXIT if result.rejected else 0)


def learn_identity(uploader: Uploader, store: Store) -> None:
    """Ask the collector who this kiosk is and take its store's time zone (best effort).

    Whatever goes wrong here (an unreachable or older collector, a rejected
    token) the push that follows meets and reports it.
    """
    from sync.uploader import SyncError

    try:
        uploader.fetch_identity()
    except SyncError as error:
        logging.getLogger(__name__).debug("kiosk identity not fetched: %s", error)
        return
    store.use_collector_zone()


def report_rejected(reasons: dict[str, int], mismatches: list[tuple[str, str, str]],
                    config_path: str) -> None:
    """The collector's verdicts, counted per reason, what disagrees, and what to do."""
    total = sum(reasons.values())
    click.echo(f"hymy-kiosk: sync: the collector rejected {total} rating(s):", err=True)
    for reason, n in sorted(reasons.items(), key=lambda pair: (-pair[1], pair[0])):
        click.echo(f"  {n} x {reason}", err=True)
    for key, ours, theirs in mismatches:
        click.echo(f"hymy-kiosk: sync: {key}: the config says {ours!r}, the collector"
                   f" {theirs!r}", err=True)
    click.echo(f"hymy-kiosk: sync: they are kept; fix the cause (hymy-kiosk check-config"
               f" --config {config_path}), then: hymy-kiosk resend-rejected --config"
               f" {config_path}", err=True)


@cli.command("resend-rejected")
@config_option
@click.option("--sync/--no-sync", "then_sync", default=True, show_default=True,
              help="Push them (and everything pending) right away, as hymy-kiosk sync")
@click.pass_context
def resend_rejected(ctx: click.Context, config_path: str, then_sync: bool) -> None:
    """Put every rating the collector rejected back in the upload queue, and sync.

    Run it once the cause is fixed (a store_id left at the example's, a
    store renamed, a kiosk moved): each rating keeps its id and seq, so the
    collector stores it once, and takes the config's store_id and kiosk_id
    and its store-local date from the store's time zone.  Nothing is
    deleted; a rating rejected again stays rejected.  Exit status as
    hymy-kiosk sync (with --no-sync: 0).

    Example: hymy-kiosk resend-rejected --config kiosk.toml
    """
    from kiosk.opendb import DatabaseUnavailable, open_store

    config = load_or_exit(config_path)
    try:
        store = open_store(config)
    except DatabaseUnavailable as error:
        click.echo(f"hymy-kiosk: {error}", err=True)
        sys.exit(1)
    if config.sync.url:
        from sync.uploader import Uploader

        learn_identity(Uploader(store, config.sync.url, config.sync.token,
                                ca_bundle=config.sync.ca_bundle or None,
                                timeout=CHECK_TIMEOUT), store)
    reasons = store.rejected_reasons()
    count = store.resend_rejected()
    store.close()
    click.echo(f"{count} rejected rating(s) back in the queue as store {config.store_id},"
               f" kiosk {config.kiosk_id}")
    for reason, n in reasons:
        click.echo(f"  {n} x {reason}")
    if then_sync and config.sync.url:
        ctx.invoke(sync, config_path=config_path, retry_for=60.0, progress=None,
                   batch_size=None)


def push_with_bar(uploader: Uploader, total: int, retry_for: float,
                  show: bool) -> tuple[PushResult, SyncError | None]:
    """``uploader.push_all`` under a tqdm bar: ``(PushResult, SyncError or None)``."""
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    from sync.uploader import PushResult, SyncError

    # Warnings (a rejected rating, a retry) print above the bar instead of through it.
    logging.basicConfig(level=logging.WARNING, format="hymy-kiosk: %(message)s")
    with logging_redirect_tqdm(), tqdm(total=total, unit="rating", disable=not show,
                                       file=sys.stderr) as bar:
        try:
            return uploader.push_all(progress=bar.update,
                                     deadline=time.monotonic() + retry_for), None
        except SyncError as error:
            return error.result or PushResult(), error


def save_sync_status(store: Store, started: str, result: PushResult,
                     failure: SyncError | None, left: dict[str, Any]) -> None:
    """Update the ``sync_status`` the staff screen shows after a command-line sync."""
    from sync.uploader import load_status, save_status

    save_status(store, load_status(store).after_command_sync(started, result, failure, left))
