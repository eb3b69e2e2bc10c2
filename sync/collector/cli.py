"""The ``hymy-collector`` command line: serve, set up stores and tokens, demo, export, check.

Every command takes ``--database`` (or ``HYMY_DATABASE``).  Errors a user can
cause print one line and exit 1, never a traceback.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click

from sync import __version__, extras
from sync.collector.db.connection import Busy, Database, DatabaseError, database_errors, redact
from sync.collector.db.digests import CHAIN
from sync.collector.db.storage import CODE_VALID_HOURS, NewCode, Storage
from sync.collector.notify import channels, outbox
from sync.collector.settings import Settings, describe
from sync.collector.tokens import ROLES

DEFAULT_DATABASE = Settings().database
#: The demo's own file, so `hymy-collector demo` never seeds a real collector's database.
DEMO_DATABASE = "hymy-demo.db"


def database_option(create: bool = True, default: str = DEFAULT_DATABASE,
                    envvar: str = "HYMY_DATABASE") -> Callable:
    """Decorator factory: ``--database`` and a ready :class:`Storage` as ``storage``."""

    def decorate(command: Callable) -> Callable:
        @click.option(
            "--database", "database", envvar=envvar, default=default, show_default=True,
            help=f"SQLite file, sqlite:///PATH or postgresql://USER@HOST/DB; env {envvar}",
        )
        @functools.wraps(command)
        def wrapper(database: str, **kwargs: Any) -> Any:
            with user_errors():
                db = Database(database, create=create)
                try:
                    db.migrate()
                    return command(storage=Storage(db), **kwargs)
                finally:
                    db.close()

        return wrapper

    return decorate


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into one-line messages with exit code 1."""
    try:
        yield
    except BrokenPipeError:
        raise  # click exits quietly when stdout is a closed pipe (| head)
    except (DatabaseError, Busy, ValueError, LookupError, OSError) as error:
        message = error.args[0] if isinstance(error, LookupError) and error.args else error
        raise click.ClickException(redact(str(message))) from None
    except database_errors() as error:  # a driver's message may quote the URL: redact
        raise click.ClickException(redact(f"database problem: {error}")) from None


def friendly_errors(command: Callable) -> Callable:
    """Decorator form of :func:`user_errors`."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with user_errors():
            return command(*args, **kwargs)

    return wrapper


def storage_change(group: click.Group, name: str, *params: Callable,
                   create: bool = False) -> Callable:
    """Decorator factory for a command that makes one change through :class:`Storage`.

    The decorated function makes its :class:`Storage` call and returns the one
    line that says what it did; this prints it.  The command gets ``params``
    (``click.argument`` / ``click.option``, in order), ``--database`` and the
    one-line user errors, so each lifecycle command is only its call and its
    message.  ``create``: the command may create a new database (an ``add``).
    """

    def decorate(change: Callable[..., str]) -> click.Command:
        @functools.wraps(change)
        def command(**kwargs: Any) -> None:
            click.echo(change(**kwargs))

        command = database_option(create=create)(friendly_errors(command))
        for param in reversed(params):
            command = param(command)
        return group.command(name)(command)

    return decorate


def listing(group: click.Group) -> Callable:
    """Decorator factory for a ``list`` command: the function returns its rows and how to
    write one as a line; this adds ``--json`` (the rows as JSON instead), ``--database``
    and the one-line user errors."""

    def decorate(rows_of: Callable[..., tuple[list[dict[str, Any]], Callable[[dict], str]]]
                 ) -> click.Command:
        @functools.wraps(rows_of)
        def command(as_json: bool, **kwargs: Any) -> None:
            rows, line = rows_of(**kwargs)
            if as_json:
                click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
                return
            for item in rows:
                click.echo(line(item))

        command = database_option(create=False)(friendly_errors(command))
        command = click.option("--json", "as_json", is_flag=True,
                               help="Print JSON instead of a table")(command)
        return group.command("list")(command)

    return decorate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hymy-collector")
def cli() -> None:
    """Hymy collector: receives kiosk ratings and serves CSAT per store and local day.

    \b
    First run:
        hymy-collector demo --json > demo-tokens.json
        hymy-collector serve
        open http://127.0.0.1:8080/docs
    """


# -- serve -------------------------------------------------------------------


@cli.command()
@click.option("--host", default=None, help="Interface to listen on [default: 127.0.0.1]")
@click.option("--port", type=int, default=None, help="TCP port [default: 8080]")
@click.option("--database", default=None,
              help="SQLite file or postgresql://USER@HOST/DB URL; env HYMY_DATABASE")
@click.option("--workers", type=int, default=None, help="Server processes [default: 1]")
@click.option("--log-level", default=None, help="debug, info, warning or error")
@friendly_errors
def serve(host: str | None, port: int | None, database: str | None, workers: int | None,
          log_level: str | None) -> None:
    """Run the collector HTTP server (API docs at /docs).

    Every setting can also come from a HYMY_* environment variable
    (see docs/collector.md).  On PostgreSQL any number of processes and hosts
    may serve one database (see docs/deploy.md).

    \b
    Examples:
        hymy-collector serve --host 0.0.0.0 --port 8080 --database /var/lib/hymy/hymy.db
        hymy-collector serve --workers 4 --database postgresql://hymy@db.internal/hymy
    """
    extras.require("collector", "hymy-collector serve")
    import uvicorn

    from sync.collector.logs import log_config

    settings = Settings.from_env(
        host=host, port=port, database=database, workers=workers, log_level=log_level
    )
    db = Database(settings.database, pool_size=1)
    applied = db.migrate()
    db.close()
    if applied:
        click.echo(f"Database {redact(settings.database)}: applied {', '.join(applied)}",
                   err=True)
    os.environ.update(settings.as_env())
    uvicorn.run(
        "sync.collector.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=log_config(settings.log_level),
        access_log=False,
        server_header=False,
        # Slow clients: headers within header_timeout_s (uvicorn has no such
        # deadline), idle keep-alive connections closed after 5 s (uvicorn's own);
        # upload bodies have body_timeout_s in the route.
        http="sync.collector.timeouts:HeaderDeadline",
        timeout_keep_alive=5,
    )


# -- stores, kiosks, tokens, surveys -------------------------------------------


def retired_note(item: dict[str, Any]) -> str:
    """The end of a listed store's or kiosk's line: when it was retired, if it was."""
    return f"  (retired {item['retired_at']})" if item["retired_at"] else ""


@cli.group()
def store() -> None:
    """Add, list, rename, re-zone, retire, restore and delete stores."""


@storage_change(store, "add", click.argument("store_id"),
                click.option("--name", required=True, help="Display name, e.g. 'Hymy Kamppi'"),
                click.option("--timezone", required=True,
                             help="IANA time zone, e.g. Europe/Helsinki"),
                click.option("--region", "region_id", default=None,
                             help="Region it stands in (default: directly under the chain)"),
                create=True)
def store_add(storage: Storage, store_id: str, name: str, timezone: str,
              region_id: str | None) -> str:
    """Add a store; its time zone decides which local day a tap belongs to.

    \b
    Example:
        hymy-collector store add hki-kamppi --name "Hymy Kamppi" --timezone Europe/Helsinki
        hymy-collector store add tre-ratina --name "Ratina" --timezone Europe/Helsinki \\
            --region pirkanmaa
    """
    storage.add_store(store_id, name, timezone, region_id)
    return f"Added store {store_id} ({timezone})" + (f" in region {region_id}"
                                                     if region_id else "")


@listing(store)
def store_list(storage: Storage) -> tuple[list[dict[str, Any]], Callable[[dict], str]]:
    """List stores with their time zone and number of kiosks.

    \b
    Example:
        hymy-collector store list
    """
    return storage.stores(), lambda item: (
        f"{item['id']:<24} {item['timezone']:<20} {item['kiosks']:>3} kiosks  "
        f"{item['name']}{retired_note(item)}")


@storage_change(store, "rename", click.argument("store_id"), click.argument("name"))
def store_rename(storage: Storage, store_id: str, name: str) -> str:
    """Give a store another display name (its id, tokens and ratings stay).

    \b
    Example:
        hymy-collector store rename hki-kamppi "Hymy Kamppi Centre"
    """
    storage.rename_store(store_id, name)
    return f"Store {store_id} is now called {name.strip()!r}"


@storage_change(store, "timezone", click.argument("store_id"), click.argument("zone"))
def store_timezone(storage: Storage, store_id: str, zone: str) -> str:
    """Move a store to another IANA time zone.

    Past ratings keep the local date they were filed under; the heat map's
    hours are recounted in the new zone.  Set the same zone in each of the
    store's kiosk.toml files, since kiosks date their taps themselves.

    \b
    Example:
        hymy-collector store timezone tll-viru Europe/Tallinn
    """
    storage.set_timezone(store_id, zone)
    return (f"Store {store_id} now keeps time in {zone}; past ratings keep their dates."
            " Set timezone in its kiosks' kiosk.toml too.")


@storage_change(store, "region", click.argument("store_id"), click.argument("region_id"))
def store_region(storage: Storage, store_id: str, region_id: str) -> str:
    """Put a store in a region ('' for directly under the chain); its figures stay.

    \b
    Example:
        hymy-collector store region hki-kamppi helsinki
    """
    storage.set_store_region(store_id, region_id or None)
    return (f"Store {store_id} is now in region {region_id}" if region_id
            else f"Store {store_id} now stands directly under the chain")


@storage_change(store, "retire", click.argument("store_id"))
def store_retire(storage: Storage, store_id: str) -> str:
    """Retire a store: its kiosks' uploads get 403, it leaves rankings and alerts.

    Its ratings stay readable and exportable; 'store restore' undoes this.

    \b
    Example:
        hymy-collector store retire hki-kamppi
    """
    done = storage.retire_store(store_id)
    return f"Store {store_id} retired at {done['retired_at']}; its history is kept"


@storage_change(store, "restore", click.argument("store_id"))
def store_restore(storage: Storage, store_id: str) -> str:
    """Bring a retired store back: uploads, rankings and alerts again.

    \b
    Example:
        hymy-collector store restore hki-kamppi
    """
    storage.retire_store(store_id, retired=False)
    return f"Store {store_id} is in use again"


@storage_change(store, "delete", click.argument("store_id"))
def store_delete(storage: Storage, store_id: str) -> str:
    """Delete a store that holds no ratings, with its kiosks and tokens.

    A store with ratings is refused (retire it instead).

    \b
    Example:
        hymy-collector store delete typo-store
    """
    storage.delete_store(store_id)
    return f"Deleted store {store_id}"


def digest_setup_options(when: str) -> Callable:
    """Decorator factory: --hour (help says ``when``), --to, --lang, --remove, --database."""

    def decorate(command: Callable) -> Callable:
        for param in reversed((
            click.option("--hour", type=int, default=None,
                         help=f"Local hour (0-23) {when} [default: 7]"),
            click.option("--to", "add", multiple=True,
                         help="Send it to this address too (repeatable)"),
            click.option("--lang", default=None,
                         help="Language of the addresses in --to: fi, sv, en, de [default: fi]"),
            click.option("--remove", multiple=True,
                         help="Stop sending it to this address (repeatable)"),
        )):
            command = param(command)
        return command

    return lambda command: decorate(database_option(create=False)(friendly_errors(command)))


@store.command("digest")
@click.argument("store_id")
@digest_setup_options("the daily digest goes out")
def store_digest(storage: Storage, store_id: str, hour: int | None, add: tuple[str, ...],
                 lang: str | None, remove: tuple[str, ...]) -> None:
    """Set when a store's daily digest e-mail goes out and to whom; show it.

    The digest reports the store-local day before; it goes out once the
    store's clock passes HOUR (docs/alerts.md, "Digests").

    \b
    Example:
        hymy-collector store digest hki-kamppi --hour 6 --to manager@example.com --lang fi
    """
    _digest_setup(storage, store_id, hour, add, lang, remove)
    click.echo(_digest_line(storage, store_id, f"Store {store_id}: daily digest"))


def _digest_setup(storage: Storage, scope: str, hour: int | None, add: tuple[str, ...],
                  lang: str | None, remove: tuple[str, ...]) -> None:
    """Check every address first, then change the scope's hour and recipients."""
    from sync.collector.notify.schedule import check_recipient

    wanted = [check_recipient(address, lang or "fi") for address in add]
    if lang and not add:
        raise click.UsageError("--lang is the language of the --to addresses; give --to too")
    if hour is not None:
        storage.set_digest_hour(scope, hour)
    for address, language in wanted:
        storage.add_digest_recipient(scope, address, language)
    for address in remove:
        if not storage.remove_digest_recipient(scope, address.strip()):
            raise click.ClickException(f"{address} does not get this digest")


def _digest_line(storage: Storage, scope: str, what: str) -> str:
    """``...: at 07:00 to a@b (fi), c@d (en)`` (or ``to nobody yet``)."""
    people = ", ".join(f"{row['address']} ({row['lang']})"
                       for row in storage.digest_recipients(scope)) or "nobody yet"
    return f"{what} at {storage.digest_hour(scope):02d}:00 local time, to {people}"

def chain_rules() -> Any:
    """The chain's alert rules from the HYMY_* environment, as ``serve`` would have them."""
    from sync.collector import alerts

    return alerts.rules_from(Settings.from_env())


@storage_change(store, "hours", click.argument("store_id"),
                click.argument("hours", required=False),
                click.option("--clear", is_flag=True,
                             help="Forget the hours set: infer them from the responses again"))
def store_hours(storage: Storage, store_id: str, hours: str | None, clear: bool) -> str:
    """Set a store's opening hours (store-local): silent-kiosk alerts count only these.

    Days mon..sun or ranges of them, whole hours OPEN-CLOSE (22-2 runs past
    midnight) or 'closed', groups separated by ';' or ','.  Without HOURS,
    print the store's hours and thresholds.

    \b
    Examples:
        hymy-collector store hours hki-kamppi "mon-fri 9-21; sat 10-18; sun 12-18"
        hymy-collector store hours hki-kamppi --clear
    """
    from sync.collector import alerts

    if hours is not None and clear:
        raise ValueError("give opening hours or --clear, not both")
    if hours is not None:
        alerts.parse_opening_hours(hours)  # "" is an error here, not a silent --clear
    if hours is not None or clear:
        storage.set_alerting(store_id, alerts.settled(opening_hours=hours or ""))
    lines = alerts.describe_store(storage.alerting(store_id), chain_rules())
    return f"Store {store_id}:\n  " + "\n  ".join(lines)


@storage_change(
    store, "alerts", click.argument("store_id"),
    click.option("--silent-hours", type=float, help="Opening hours a kiosk may be silent"),
    click.option("--funnel-sigmas", type=float,
                 help="Standard errors above the store's usual unhappy share (funnel rule)"),
    click.option("--funnel-min-responses", type=int,
                 help="Fewest responses in the window for the funnel rule"),
    click.option("--burst-share", type=float, help="Unhappy share (0-1) of a burst"),
    click.option("--burst-min-responses", type=int, help="Fewest responses in a burst"),
    click.option("--rate-alpha", type=float,
                 help="How rare (above 0, below 0.5) a window's unhappy taps must be at the"
                      " store's usual rate for its hour (rate rule), e.g. 1e-3"),
    click.option("--reset", is_flag=True,
                 help="Every threshold back to the chain's (before any given here)"),
)
def store_alerts(storage: Storage, store_id: str, reset: bool, **thresholds: Any) -> str:
    """Give a store its own alert thresholds; the others stay the chain's (HYMY_ALERT_*).

    Without options, print the store's thresholds.

    \b
    Examples:
        hymy-collector store alerts hki-kamppi --silent-hours 4 --funnel-sigmas 3.5
        hymy-collector store alerts hki-kamppi --rate-alpha 1e-3
        hymy-collector store alerts hki-kamppi --reset
    """
    from sync.collector import alerts

    values = alerts.settled(reset=reset, **thresholds)
    if values:
        storage.set_alerting(store_id, values)
    lines = alerts.describe_store(storage.alerting(store_id), chain_rules())
    return f"Store {store_id}:\n  " + "\n  ".join(lines)


@cli.group()
def kiosk() -> None:
    """Register, list, rename, move, retire, restore and delete kiosks."""


def code_valid_option(command: Callable) -> Callable:
    """``--code-valid HOURS``: how long an enrollment code works."""
    return click.option(
        "--code-valid", "code_valid", type=click.FloatRange(min=0, min_open=True),
        default=CODE_VALID_HOURS, show_default=True, metavar="HOURS",
        help="Hours the one-time enrollment code works",
    )(command)


def echo_code(made: NewCode) -> None:
    """Print an enrollment code, its expiry and the command to run on the kiosk (stderr)."""
    click.echo(f"Enrollment code for {made.kiosk_id} (one use, until {made.expires_at}):"
               f" {made.code}", err=True)
    click.echo(f"On the kiosk: hymy-kiosk enroll URL {made.code}"
               " --config /etc/hymy/kiosk.toml", err=True)
    click.echo("  (URL: this collector's address as the kiosk reaches it,"
               " e.g. https://hymy.example.com)", err=True)


@kiosk.command("add")
@click.argument("kiosk_id")
@click.option("--store", "store_id", required=True, help="Store the kiosk stands in")
@click.option("--label", default=None, help="Where it stands, e.g. 'By the entrance'")
@click.option("--touchpoint", default=None,
              help="The touchpoint it stands at: checkout, fitting_rooms, service_desk, exit"
                   " or your own name")
@code_valid_option
@database_option()
@friendly_errors
def kiosk_add(storage: Storage, kiosk_id: str, store_id: str, label: str | None,
              touchpoint: str | None, code_valid: float) -> None:
    """Register a kiosk; print its token (stdout) and a one-time enrollment code (stderr).

    Both are shown this once.  Either put the token in the kiosk's config,
    or run the printed 'hymy-kiosk enroll' command on the kiosk, which
    trades the code for a token of its own and writes the whole config.

    \b
    Example:
        hymy-collector kiosk add hki-kamppi-1 --store hki-kamppi --label "By the entrance"
        hymy-collector kiosk add hki-kamppi-2 --store hki-kamppi --touchpoint service_desk
    """
    made = storage.add_kiosk(kiosk_id, store_id, label, touchpoint)
    click.echo(f"Kiosk {kiosk_id} added to {store_id}. Its token (shown once):", err=True)
    click.echo(made.token)
    echo_code(storage.issue_code(kiosk_id, code_valid))


@kiosk.command("enroll-code")
@click.argument("kiosk_id")
@code_valid_option
@database_option(create=False)
@friendly_errors
def kiosk_enroll_code(storage: Storage, kiosk_id: str, code_valid: float) -> None:
    """Issue a fresh one-time enrollment code for a kiosk (its older code stops working).

    The code goes to stdout, the expiry and the kiosk's command to stderr.

    \b
    Example:
        hymy-collector kiosk enroll-code hki-kamppi-1 --code-valid 4
    """
    made = storage.issue_code(kiosk_id, code_valid)
    echo_code(made)
    click.echo(made.code)


@kiosk.command("list")
@click.option("--store", "store_id", default=None, help="Only this store's kiosks")
@database_option(create=False)
@friendly_errors
def kiosk_list(storage: Storage, store_id: str | None) -> None:
    """List kiosks with last contact, stored ratings and missing seqs.

    \b
    Example:
        hymy-collector kiosk list --store hki-kamppi
    """
    for item in storage.kiosks(store_id):
        missing = sum(end - start + 1 for start, end in item["gaps"])
        seen = item["last_seen"] or "never"
        label = f"  {item['label']}" if item["label"] else ""
        click.echo(f"{item['id']:<24} {item['store_id']:<20} last seen {seen:<26}"
                   f" {item['received']:>8} ratings  {missing} missing{label}{retired_note(item)}")


@storage_change(kiosk, "rename", click.argument("kiosk_id"), click.argument("label"))
def kiosk_rename(storage: Storage, kiosk_id: str, label: str) -> str:
    """Give a kiosk another label ('' for none); its id and token stay.

    \b
    Example:
        hymy-collector kiosk rename hki-kamppi-1 "By the entrance"
    """
    storage.rename_kiosk(kiosk_id, label)
    return f"Kiosk {kiosk_id} is now labelled {label.strip()!r}"


@storage_change(kiosk, "move", click.argument("kiosk_id"),
                click.option("--store", "store_id", required=True,
                             help="Store the kiosk stands in from now"))
def kiosk_move(storage: Storage, kiosk_id: str, store_id: str) -> str:
    """Move a kiosk to another store; its later ratings count for the new store.

    Its token keeps working.  Ratings it made before the move stay with the
    old store, also ones it still holds and sends later; ratings made after
    it count for the new store, even while its kiosk.toml names the old one.
    Then set store_id (and timezone) in its kiosk.toml.

    \b
    Example:
        hymy-collector kiosk move hki-kamppi-1 --store hki-itis
    """
    moved = storage.move_kiosk(kiosk_id, store_id)
    said = (f"Kiosk {kiosk_id} now stands in {store_id};"
            f" set store_id = \"{store_id}\" in its kiosk.toml")
    if moved["moved_from"]:
        said += (f"\nTaps it made before {moved['moved_at']} (queued on the kiosk or sent"
                 f" again) are filed under {moved['moved_from']}; later ones under"
                 f" {store_id}, whichever store its kiosk.toml names. None is refused.")
    return said


@storage_change(kiosk, "touchpoint", click.argument("kiosk_id"), click.argument("name"))
def kiosk_touchpoint(storage: Storage, kiosk_id: str, name: str) -> str:
    """Say which touchpoint of its store a kiosk stands at ('' for none).

    Its past ratings count for the new touchpoint too (figures per
    touchpoint follow each kiosk's current one).

    \b
    Example:
        hymy-collector kiosk touchpoint hki-kamppi-2 service_desk
    """
    done = storage.set_touchpoint(kiosk_id, name)
    if done["touchpoint"] is None:
        return f"Kiosk {kiosk_id} stands at no named touchpoint"
    return f"Kiosk {kiosk_id} stands at touchpoint {done['touchpoint']!r}"


@storage_change(kiosk, "retire", click.argument("kiosk_id"))
def kiosk_retire(storage: Storage, kiosk_id: str) -> str:
    """Retire a kiosk: its uploads get 403; its ratings stay readable.

    \b
    Example:
        hymy-collector kiosk retire hki-kamppi-1
    """
    done = storage.retire_kiosk(kiosk_id)
    return f"Kiosk {kiosk_id} retired at {done['retired_at']}; its ratings are kept"


@storage_change(kiosk, "restore", click.argument("kiosk_id"))
def kiosk_restore(storage: Storage, kiosk_id: str) -> str:
    """Let a retired kiosk upload again.

    \b
    Example:
        hymy-collector kiosk restore hki-kamppi-1
    """
    storage.retire_kiosk(kiosk_id, retired=False)
    return f"Kiosk {kiosk_id} is in use again"


@storage_change(kiosk, "delete", click.argument("kiosk_id"))
def kiosk_delete(storage: Storage, kiosk_id: str) -> str:
    """Delete a kiosk that holds no ratings, with its tokens (retire it otherwise).

    \b
    Example:
        hymy-collector kiosk delete hki-kamppi-9
    """
    storage.delete_kiosk(kiosk_id)
    return f"Deleted kiosk {kiosk_id}"


@cli.group()
def token() -> None:
    """Create, list and revoke access tokens."""


@token.command("add")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="staff (one store), office (all stores, export), admin, or kiosk")
@click.option("--store", "store_id", default=None, help="Store of a staff token")
@click.option("--region", "region_id", default=None,
              help="Region of a staff or office token: it reads that region's stores only")
@click.option("--kiosk", "kiosk_id", default=None, help="Kiosk of a kiosk token (a new token)")
@click.option("--label", default=None, help="A note to tell tokens apart, e.g. a person")
@database_option()
@friendly_errors
def token_add(storage: Storage, role: str, store_id: str | None, region_id: str | None,
              kiosk_id: str | None, label: str | None) -> None:
    """Create a token and print it (shown this once; only its hash is stored).

    \b
    Examples:
        hymy-collector token add --role office --label "Head office"
        hymy-collector token add --role staff --store hki-kamppi
        hymy-collector token add --role office --region uusimaa --label "Uusimaa manager"
        hymy-collector token add --role kiosk --kiosk hki-kamppi-1   # replace a lost token
    """
    made = storage.add_token(role, store_id, kiosk_id, label, region_id)
    click.echo(f"Token {made.id} ({role}); the token (shown once):", err=True)
    click.echo(made.token)


@token.command("list")
@database_option(create=False)
@friendly_errors
def token_list(storage: Storage) -> None:
    """List tokens: id, role, scope, label and whether revoked (never the secret).

    \b
    Example:
        hymy-collector token list
    """
    for item in storage.tokens():
        scope = item["kiosk_id"] or item["store_id"] or (
            f"region {item['region_id']}" if item["region_id"] else "all stores")
        state = f"revoked {item['revoked_at']}" if item["revoked_at"] else "active"
        click.echo(f"{item['id']:>4}  {item['role']:<7} {scope:<24} {state:<32} "
                   f"{item['label'] or ''}")


@storage_change(token, "revoke", click.argument("token_id", type=int))
def token_revoke(storage: Storage, token_id: int) -> str:
    """Revoke a token by its id (from 'token list'); its next request gets 401.

    \b
    Example:
        hymy-collector token revoke 7
    """
    storage.revoke_token(token_id)
    return f"Token {token_id} revoked"


@cli.group()
def region() -> None:
    """Add, list, move and remove regions: chain > region > sub-region > store."""


@storage_change(region, "add", click.argument("region_id"), click.argument("name"),
                click.option("--parent", "parent_id", default=None,
                             help="The region it is part of (default: the chain)"),
                create=True)
def region_add(storage: Storage, region_id: str, name: str, parent_id: str | None) -> str:
    """Add a region, under the chain or inside another region.

    \b
    Examples:
        hymy-collector region add uusimaa Uusimaa
        hymy-collector region add helsinki Helsinki --parent uusimaa
    """
    storage.add_region(region_id, name, parent_id)
    return f"Added region {region_id}" + (f" in {parent_id}" if parent_id else "")


@listing(region)
def region_list(storage: Storage) -> tuple[list[dict[str, Any]], Callable[[dict], str]]:
    """List regions with their parent and number of stores (theirs and below).

    \b
    Example:
        hymy-collector region list
    """
    return storage.regions(), lambda item: (
        f"{item['id']:<24} {item['parent_id'] or '(chain)':<24} {item['all_stores']:>4}"
        f" {'store ' if item['all_stores'] == 1 else 'stores'}  {item['name']}")


@storage_change(region, "move", click.argument("region_id"),
                click.option("--parent", "parent_id", default=None,
                             help="The region to put it in (leave out: under the chain)"))
def region_move(storage: Storage, region_id: str, parent_id: str | None) -> str:
    """Move a region, with its stores and sub-regions, under another (or the chain).

    \b
    Example:
        hymy-collector region move helsinki --parent uusimaa
    """
    storage.change_region(region_id, parent_id=parent_id, to_top=parent_id is None)
    return f"Region {region_id} is now " + (f"in {parent_id}" if parent_id
                                            else "directly under the chain")


@storage_change(region, "remove", click.argument("region_id"))
def region_remove(storage: Storage, region_id: str) -> str:
    """Remove an empty region (refused while it holds stores, sub-regions or tokens).

    \b
    Example:
        hymy-collector region remove pirkanmaa
    """
    storage.remove_region(region_id)
    return f"Removed region {region_id}"


@cli.group()
def user() -> None:
    """Add, list, disable, enable people's accounts and set their passwords."""


def send_or_print(storage: Storage, email: str, purpose: str) -> str:
    """Mail a fresh invitation (or sign-in) link when HYMY_SMTP_URL is set; else print it.

    Returns the line saying which happened; the link itself goes to stdout.
    """
    from sync.collector.notify.links import link_url, send_link
    from sync.collector.notify.mail import MailError

    settings = Settings.from_env()
    secret, found = storage.issue_link(email, purpose)
    url = link_url(settings, purpose, secret, lang=found.get("language"))
    if settings.smtp_url:
        try:
            send_link(settings, found, purpose, url)
            return f"mailed the link to {found['email']}"
        except MailError as error:
            click.echo(f"could not mail the link ({error}); give them this one:", err=True)
    click.echo(url)
    return "the link (works once) is above"


@user.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(("staff", "office", "admin")), required=True,
              help="staff (their stores), office (every store, exports) or admin")
@click.option("--store", "stores", multiple=True, help="A store of a staff user (repeatable)")
@click.option("--region", "regions", multiple=True,
              help="A region whose stores a staff or office user reads, its sub-regions and"
                   " stores added later included (repeatable; staff may add --store)")
@click.option("--name", default=None, help="The person's name, e.g. 'Anna Virtanen'")
@click.option("--language", default=None, help="Language of their e-mail: fi, sv, en or de")
@database_option()
@friendly_errors
def user_add(storage: Storage, email: str, role: str, stores: tuple[str, ...],
             regions: tuple[str, ...], name: str | None, language: str | None) -> None:
    """Add a person and send them an invitation to set a password.

    With HYMY_SMTP_URL set the invitation is e-mailed; without it the link is
    printed for you to hand over.  It works once, for 7 days.

    \b
    Examples:
        hymy-collector user add anna@example.com --role staff --store hki-kamppi --store hki-itis
        hymy-collector user add olli@example.com --role office --name "Olli K" --language fi
        hymy-collector user add rea@example.com --role office --region uusimaa
    """
    made = storage.add_user(email, role, stores, name, language, regions)
    scope = user_scope(made, "every store")
    click.echo(f"Added user {made['email']} ({role}, {scope}); "
               + send_or_print(storage, made["email"], "invite"), err=True)


@listing(user)
def user_list(storage: Storage) -> tuple[list[dict[str, Any]], Callable[[dict], str]]:
    """List people: e-mail, role, stores and regions, state and name (never a password).

    \b
    Example:
        hymy-collector user list
    """
    return storage.users(), user_line


def user_scope(item: dict[str, Any], every: str, sep: str = ", ") -> str:
    """What a person reads: their stores and ``region:REGION``s, or ``every``."""
    scope = [*item["stores"], *(f"region:{region}" for region in item.get("regions", ()))]
    return sep.join(scope) or every


def user_line(item: dict[str, Any]) -> str:
    """One account in ``user list``: e-mail, role, stores and regions, state, name."""
    state = (f"disabled {item['disabled_at']}" if item["disabled_at"]
             else "active" if item["has_password"] else "invited")
    scope = user_scope(item, "all stores", ",")
    return (f"{item['email']:<32} {item['role']:<7} {scope:<24} {state:<32} "
            f"{item['name'] or ''}").rstrip()


@storage_change(user, "disable", click.argument("email"))
def user_disable(storage: Storage, email: str) -> str:
    """Disable a person: their sessions and links end at once; nothing else is lost.

    \b
    Example:
        hymy-collector user disable anna@example.com
    """
    return f"User {storage.set_user_disabled(email)['email']} disabled; their sessions ended"


@storage_change(user, "enable", click.argument("email"))
def user_enable(storage: Storage, email: str) -> str:
    """Let a disabled person sign in again.

    \b
    Example:
        hymy-collector user enable anna@example.com
    """
    return f"User {storage.set_user_disabled(email, disabled=False)['email']} enabled"


@user.command("password")
@click.argument("email")
@click.option("--link", is_flag=True,
              help="Mail (or print) a link to set a new password instead of typing one")
@database_option(create=False)
@friendly_errors
def user_password(storage: Storage, email: str, link: bool) -> None:
    """Set a person's password (asked twice, never echoed), or send them a link to set it.

    \b
    Examples:
        hymy-collector user password anna@example.com
        hymy-collector user password anna@example.com --link
    """
    found = storage.user(email)
    if found is None:
        raise click.ClickException(f"no user {email.strip()} (see 'hymy-collector user list')")
    if link:
        click.echo(f"User {found['email']}: " + send_or_print(storage, email, "invite"), err=True)
        return
    password = click.prompt("New password", hide_input=True, confirmation_prompt=True,
                            err=True)
    storage.set_user_password(email, password)
    click.echo(f"Password of {found['email']} set", err=True)


@cli.group()
def survey() -> None:
    """Set and show a store's surveys (question, faces, reasons), per touchpoint too.

    A kiosk shows the survey of its touchpoint if one is set, else its
    store's, else its own config's question.
    """


def touchpoint_option(required: bool = False) -> Callable:
    """``--touchpoint``: the touchpoint of the store a survey command is about."""
    return click.option("--touchpoint", required=required,
                        help="A touchpoint of the store (checkout, service_desk, exit, or one"
                             " a kiosk stands at); without it: the store's own survey")


@storage_change(survey, "set", click.argument("store_id"),
                click.argument("file", type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path)),
                touchpoint_option(), create=True)
def survey_set(storage: Storage, store_id: str, file: Path, touchpoint: str | None) -> str:
    """Give a store (or one touchpoint of it) a new survey from a TOML file; kiosks pick
    it up on their next sync.

    \b
    Example file:
        kind = "csat"         # or "nps" (0-10), "ces" (7-point agree scale)
        scale = 5
        reasons = ["queue", "staff"]
        [questions]
        fi = "Miten onnistuimme tänään?"
        en = "How did we do today?"
        [reason_labels.en]
        queue = "Queue"
        staff = "Service"
    \b
    Examples:
        hymy-collector survey set hki-kamppi survey.toml
        hymy-collector survey set hki-kamppi ces.toml --touchpoint service_desk
    """
    from sync.survey import survey_from_toml

    chosen = survey_from_toml(file.read_text(encoding="utf-8"), source=str(file))
    saved = storage.set_survey(store_id, chosen, touchpoint)
    for warning in storage.survey_warnings(store_id, saved):  # stored all the same
        click.echo(f"Warning: {file}: {warning}", err=True)
    where = f"Store {store_id}" if touchpoint is None else (
        f"Touchpoint {touchpoint!r} of store {store_id}")
    return f"{where} now shows survey version {saved.version} ({saved.kind})"


@survey.command("show")
@click.argument("store_id")
@touchpoint_option()
@database_option(create=False)
@friendly_errors
def survey_show(storage: Storage, store_id: str, touchpoint: str | None) -> None:
    """Print the survey a store's kiosks (or those at one touchpoint) show, as JSON.

    \b
    Examples:
        hymy-collector survey show hki-kamppi
        hymy-collector survey show hki-kamppi --touchpoint exit
    """
    if storage.store(store_id) is None:
        raise LookupError(f"no store {store_id!r}")
    shown = (storage.survey(store_id) if touchpoint is None
             else storage.touchpoint_survey(store_id, touchpoint))
    click.echo(json.dumps(shown.body(), indent=2, ensure_ascii=False))


@listing(survey)
@click.argument("store_id")
def survey_list(storage: Storage, store_id: str
                ) -> tuple[list[dict[str, Any]], Callable[[dict], str]]:
    """List a store's own survey and each touchpoint's that has one.

    \b
    Example:
        hymy-collector survey list hki-kamppi
    """
    found = storage.store_surveys(store_id)
    rows = [{"touchpoint": None, "survey": None if found["store"] is None
             else found["store"].body()}]
    rows += [{"touchpoint": name, "survey": shown.body()}
             for name, shown in found["touchpoints"].items()]
    return rows, survey_line


def survey_line(row: dict[str, Any]) -> str:
    """One line of ``survey list``: where, version, kind and scale."""
    where = "(store)" if row["touchpoint"] is None else row["touchpoint"]
    shown = row["survey"]
    if shown is None:
        return f"{where:<16} none: kiosks show their own config's question"
    return (f"{where:<16} version {shown['version']:<4} {shown.get('kind', 'csat'):<5}"
            f" scale {shown['scale']}")


@storage_change(survey, "unset", click.argument("store_id"), touchpoint_option(required=True))
def survey_unset(storage: Storage, store_id: str, touchpoint: str) -> str:
    """Remove a touchpoint's survey: its kiosks show the store's survey again.

    \b
    Example:
        hymy-collector survey unset hki-kamppi --touchpoint exit
    """
    if storage.unset_survey(store_id, touchpoint):
        return f"Touchpoint {touchpoint!r} of store {store_id} now shows the store's survey"
    return f"Touchpoint {touchpoint!r} of store {store_id} had no survey of its own; unchanged"


# -- demo, export, check, backup -----------------------------------------------


@cli.command()
@click.option("--stores", type=int, default=12, show_default=True, help="Stores to create")
@click.option("--days", type=int, default=365, show_default=True, help="Days of history")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed")
@click.option("--json", "as_json", is_flag=True, help="Print the demo tokens as JSON on stdout")
@click.option("--tokens-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the demo tokens as JSON to this file")
@click.option("--taps", type=float, default=None,
              help="Average taps per store and day [default: the demo's mix, about 280]")
@click.option("--kinds", is_flag=True,
              help="Also an NPS kiosk at the exit and a CES kiosk at the service desk"
                   " of the first six stores (their faces then at the checkout)")
@database_option(default=DEMO_DATABASE, envvar="HYMY_DEMO_DATABASE")
@friendly_errors
def demo(storage: Storage, stores: int, days: int, seed: int, as_json: bool,
         tokens_file: Path | None, taps: float | None, kinds: bool) -> None:
    """Seed a demo chain: stores, kiosks and a year of realistic ratings.

    Prints tokens for a demo office, admin, staff and kiosk login.  The demo
    has its own default file (hymy-demo.db, never HYMY_DATABASE) and seeds
    only an empty database: it refuses one that already holds stores.

    \b
    Examples:
        hymy-collector demo --database demo.db
        hymy-collector demo --database demo.db --stores 3 --days 90 --json > tokens.json
        hymy-collector demo --database demo.db --kinds   # NPS and CES too, as make demo
    """
    from tqdm import tqdm

    from sync.collector.demo import seed_demo

    held = storage.stores()
    if held:
        raise click.ClickException(
            f"{storage.db.display_url} already holds {len(held)} store(s) "
            f"({', '.join(s['id'] for s in held[:3])}{', ...' if len(held) > 3 else ''}); "
            f"the demo seeds only an empty database (default {DEMO_DATABASE})"
        )
    with tqdm(total=stores, unit="store", desc="demo", file=sys.stderr,
              disable=None) as bar:
        result = seed_demo(storage, stores=stores, days=days, seed=seed,
                           progress=lambda _: bar.update(), taps=taps, kinds=kinds)
    result["tokens"]["region"] = {"region_id": "uusimaa", "token": storage.add_token(
        "office", label="demo Uusimaa office", region_id="uusimaa").token}
    output = {"database": storage.db.display_url, **result}
    if tokens_file is not None:
        tokens_file.write_text(json.dumps(output, indent=2) + "\n", encoding="utf-8")
    if as_json:
        click.echo(json.dumps(output, indent=2))
        return
    tokens = result["tokens"]
    click.echo(f"Seeded {result['stores']} stores, {result['ratings']} ratings "
               f"into {storage.db.display_url}")
    click.echo(f"office token: {tokens['office']}")
    click.echo(f"admin token:  {tokens['admin']}")
    click.echo(f"staff token:  {tokens['staff']['token']} (store {tokens['staff']['store_id']})")
    click.echo(f"kiosk token:  {tokens['kiosk']['token']} (kiosk {tokens['kiosk']['kiosk_id']})")
    click.echo(f"region token: {tokens['region']['token']}"
               f" (office, region {tokens['region']['region_id']})")


@cli.command()
@click.option("--after", default="0", show_default=True,
              help="Cursor printed by the previous export (0: from the start)")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True, help="Output format")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write ('-' for stdout)")
@click.option("--page", type=int, default=10_000, show_default=True, help="Rows per read")
@database_option(create=False)
@friendly_errors
def export(storage: Storage, after: str, fmt: str, output: Path, page: int) -> None:
    """Export ratings stored after a cursor to a file, in ingest order, with a progress bar.

    The last line on stderr is the cursor for the next run, so repeated
    exports never miss or repeat a row.

    \b
    Examples:
        hymy-collector export --output ratings.csv
        hymy-collector export --after 120345 --format jsonl --output new.jsonl
    """
    from tqdm import tqdm

    from sync.collector.rating_pages import StoreNames, parse_cursor, text_pages

    cursor = parse_cursor(after)
    stores = StoreNames(storage)
    total = storage.count_after(cursor)
    # The pages come as UTF-8 bytes, written as they are (stdout's own bytes too).
    stream = sys.stdout.buffer if str(output) == "-" else output.open("wb")
    try:
        with tqdm(total=total, unit="rows", file=sys.stderr, disable=None) as bar:
            for text, last, rows in text_pages(storage, stores, cursor, None, fmt, page=page):
                stream.write(text)
                bar.update(rows)
                cursor = last  # the last row written: where the next export starts
    finally:
        if stream is not sys.stdout.buffer:
            stream.close()
        else:
            stream.flush()
    click.echo(f"next cursor: {cursor}", err=True)


@cli.command()
@click.option("--repair", is_flag=True, help="Rebuild the roll-ups from raw ratings if they differ")
@database_option(create=False)
@friendly_errors
def check(storage: Storage, repair: bool) -> None:
    """Recount every roll-up from raw ratings, with a progress bar; exit 1 if anything differs.

    \b
    Examples:
        hymy-collector check
        hymy-collector check --repair
    """
    from tqdm import tqdm

    from sync.collector.db.recount import STEPS

    with tqdm(total=len(STEPS), unit="step", desc="check", file=sys.stderr,
              disable=None) as bar:
        def done(step: str) -> None:
            bar.set_postfix_str(f"{step} done", refresh=False)
            bar.update()

        problems = storage.check(repair=repair, step=done)
    for line in problems:
        click.echo(line)
    if problems and not repair:
        raise click.ClickException(f"{len(problems)} difference(s); run with --repair to fix")
    click.echo("repaired: roll-ups rebuilt from ratings" if problems else "ok: roll-ups match")


@cli.command()
@database_option(create=False)
@friendly_errors
def chores(storage: Storage) -> None:
    """Run each of the collector's chores once now (a running server does them by itself).

    For a collector whose server is stopped, or for cron; safe beside a running server.

    \b
    Example:
        hymy-collector chores
    """
    from sync.collector.chores import CHORES, run_once

    run_once(storage, Settings.from_env())
    click.echo(f"ran {len(CHORES)} chore(s): {', '.join(c.name for c in CHORES) or 'none'}")


@cli.group()
def digest() -> None:
    """Preview and send the daily (store) and weekly (chain) digest e-mails."""


def digest_params(command: Callable) -> Callable:
    """STORE (or --weekly), --day and --lang: which digest, in which language."""
    for param in reversed((
        click.argument("store_id", required=False),
        click.option("--weekly", is_flag=True, help="The chain's weekly digest instead of"
                     " a store's daily one"),
        click.option("--day", default=None, help="The day (weekly: a day of the week),"
                     " YYYY-MM-DD [default: yesterday; weekly: last week]"),
        click.option("--lang", default="fi", show_default=True, help="fi, sv, en or de"),
    )):
        command = param(command)
    return command


def _compose(storage: Storage, store_id: str | None, weekly: bool, day: str | None,
             lang: str) -> Any:
    """The digest a ``digest`` command names, composed with the collector's settings."""
    from sync.collector import reports
    from sync.collector.notify import schedule

    if weekly == bool(store_id):
        raise click.UsageError("name a STORE for its daily digest, or give --weekly")
    if lang not in schedule.LANGUAGES:
        raise click.BadParameter(f"use one of {', '.join(schedule.LANGUAGES)}", param_hint="--lang")
    if day is not None:
        reports.parse_period(day, day, date.today())  # a ValueError names a bad date
    if weekly:
        due = schedule.Due("weekly", CHAIN, schedule.week_of(day or schedule.last_week(storage)))
    else:
        if storage.store(store_id) is None:
            raise click.ClickException(f"no store {store_id!r}")
        due = schedule.Due("daily", store_id, day or schedule.yesterday(storage, store_id))
    return schedule.compose(storage, Settings.from_env(), due, lang)


@digest.command("preview")
@digest_params
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="Write the HTML part here (open it in a browser)")
@click.option("--text", "text_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write the plain-text part here too")
@database_option(create=False)
@friendly_errors
def digest_preview(storage: Storage, store_id: str | None, weekly: bool, day: str | None,
                   lang: str, html_file: Path, text_file: Path | None) -> None:
    """Write a digest to files instead of sending it; prints its subject.

    \b
    Examples:
        hymy-collector digest preview hki-kamppi --day 2026-12-01 --html digest.html
        hymy-collector digest preview --weekly --lang en --html week.html --text week.txt
    """
    mail = _compose(storage, store_id, weekly, day, lang)
    html_file.write_text(mail.html or "", encoding="utf-8")
    if text_file is not None:
        text_file.write_text(mail.text, encoding="utf-8")
    click.echo(mail.subject)


@digest.command("send")
@digest_params
@click.option("--to", "to", multiple=True,
              help="Send only to this address (repeatable) [default: the digest's recipients]")
@database_option(create=False)
@friendly_errors
def digest_send(storage: Storage, store_id: str | None, weekly: bool, day: str | None,
                lang: str, to: tuple[str, ...]) -> None:
    """Send a digest now, outside its schedule (to test the mail server and the layout).

    Without --to it goes to the digest's recipients, each in their own
    language; it is not recorded, so the scheduled one still goes out.

    \b
    Examples:
        hymy-collector digest send hki-kamppi --to me@example.com
        hymy-collector digest send --weekly --day 2026-11-30 --to office@example.com --lang en
    """
    from sync.collector.notify.schedule import check_recipient, digest_recipients, send_now

    settings = Settings.from_env()
    people = [check_recipient(address, lang) for address in to] or digest_recipients(
        storage, None if weekly else store_id)
    if not people:
        raise click.ClickException("nobody to send to: give --to ADDRESS, or add recipients"
                                   " with 'store digest STORE --to' ('digest office --to')")
    for language in dict.fromkeys(language for _, language in people):
        addresses = [address for address, theirs in people if theirs == language]
        mail = _compose(storage, store_id, weekly, day, language)
        send_now(settings, mail, addresses)
        click.echo(f"sent {mail.subject!r} to {', '.join(addresses)}")


@digest.command("office")
@digest_setup_options("on Monday the weekly digest goes out")
def digest_office(storage: Storage, hour: int | None, add: tuple[str, ...], lang: str | None,
                  remove: tuple[str, ...]) -> None:
    """Set when the chain's weekly digest goes out (Monday, the chain's main time zone)
    and to whom; show it.

    \b
    Example:
        hymy-collector digest office --hour 8 --to office@example.com --lang en
    """
    _digest_setup(storage, CHAIN, hour, add, lang, remove)
    click.echo(_digest_line(storage, CHAIN, "Weekly chain digest: Mondays"))


@digest.command("log")
@click.option("--store", "store_id", default=None, help="Only this store's digests")
@click.option("--limit", type=int, default=50, show_default=True, help="Most rows to show")
@database_option(create=False)
@friendly_errors
def digest_log(storage: Storage, store_id: str | None, limit: int) -> None:
    """List the digests sent (or that failed), newest day first.

    \b
    Example:
        hymy-collector digest log --store hki-kamppi
    """
    for row in storage.digests_sent(store_id)[:limit]:
        scope = "chain" if row["scope"] == CHAIN else row["scope"]
        note = f"  {row['error']}" if row["error"] else ""
        click.echo(f"{row['day']}  {row['kind']:<6} {scope:<20} {row['address']:<32}"
                   f" {row['status']} ({row['attempts']}x){note}")


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@database_option(create=False)
@friendly_errors
def backup(storage: Storage, path: Path) -> None:
    """Copy the live SQLite database to PATH (safe while the server runs).

    A PostgreSQL database is backed up with pg_dump instead; this command
    then says how (see docs/deploy.md).

    \b
    Example:
        hymy-collector backup /backups/hymy-$(date +%F).db
    """
    storage.backup(path)
    click.echo(f"Backed up to {path} ({path.stat().st_size} bytes)")


@cli.command("bi-role")
@click.argument("name")
@click.option("--ratings", is_flag=True,
              help="Also let the role read the ratings table (raw taps, no tokens)")
@database_option(create=False)
@friendly_errors
def bi_role(storage: Storage, name: str, ratings: bool) -> None:
    """Make a read-only PostgreSQL login NAME for a BI tool: SELECT on the bi_* views only.

    The password is printed once on stdout.  Run it again after an upgrade
    (new views) or to add or drop --ratings; an existing role keeps its
    password.  The collector's database user needs CREATEROLE.  SQLite has
    no roles: open the file read-only instead (docs/export.md).

    \b
    Example:
        hymy-collector bi-role hymy_bi --database postgresql://hymy@db.internal/hymy
    """
    from sync.collector.db.bi import grant_read_only

    role = grant_read_only(storage.db, name, ratings)
    reads = ", ".join(role.readable)
    if role.password is None:
        click.echo(f"Role {name} exists (password unchanged); it may read {reads}", err=True)
        return
    click.echo(f"Role {name} created; it may read {reads}. Connect as {role.url}"
               " with this password (shown once):", err=True)
    click.echo(role.password)


# -- delivery: channels, subscriptions, a test message ---------------------------


@cli.group()
def channel() -> None:
    """Add, list and remove delivery channels (e-mail, Slack, Teams, webhooks); subscribe them."""


@channel.command("add")
@click.argument("target")
@click.option("--owner", required=True, help="A user's e-mail or a team name, e.g. 'Kamppi staff'")
@click.option("--kind", type=click.Choice(channels.KINDS), default=None,
              help="What TARGET is [default: told from TARGET]")
@database_option()
@friendly_errors
def channel_add(storage: Storage, target: str, owner: str, kind: str | None) -> None:
    """Add a channel TARGET: an e-mail address, an Apprise/Slack/Teams URL or a webhook URL.

    A webhook's signing secret is printed this once (X-Hymy-Signature, docs/alerts.md).

    \b
    Examples:
        hymy-collector channel add manager@example.com --owner manager@example.com
        hymy-collector channel add 'slack://T000/B000/XXXX' --owner "Kamppi staff"
        hymy-collector channel add https://example.com/hymy-hook --owner "IT"
    """
    made, kind, secret = outbox.add_channel(storage, owner, target, kind)
    click.echo(f"Added channel {made} ({kind}); subscribe it: hymy-collector channel subscribe"
               f" {made} alert", err=secret is not None)
    if secret:
        click.echo("Its signing secret (shown once):", err=True)
        click.echo(secret)


@listing(channel)
def channel_list(storage: Storage) -> tuple[list[dict[str, Any]], Callable[[dict], str]]:
    """List channels: id, kind, owner, target (a URL without its path), subscriptions.

    \b
    Example:
        hymy-collector channel list
    """
    found = [{**item, "target": channels.shown(item["kind"], item["target"])}
             for item in outbox.channels(storage)]
    return found, channel_line


def channel_line(item: dict[str, Any]) -> str:
    """One line of ``channel list``: id, kind, owner, target, subscriptions, removal."""
    subs = " ".join(item["subscriptions"]) or "no subscriptions"
    removed = f"  (removed {item['disabled_at']})" if item["disabled_at"] else ""
    return (f"{item['id']:>4}  {item['kind']:<8} {item['owner']:<28} {item['target']:<36}"
            f" {subs}{removed}")


@storage_change(channel, "remove", click.argument("channel_id", type=int))
def channel_remove(storage: Storage, channel_id: int) -> str:
    """Remove a channel: nothing more goes to it; what it was sent stays listed.

    \b
    Example:
        hymy-collector channel remove 3
    """
    outbox.remove_channel(storage, channel_id)
    return f"Removed channel {channel_id}"


#: CHANNEL_ID EVENT [--store STORE]: the parameters of subscribe and unsubscribe.
SUBSCRIPTION = (
    click.argument("channel_id", type=int),
    click.argument("event", type=click.Choice(outbox.EVENTS)),
    click.option("--store", "store_id", default=None, help="Only this store [default: all]"),
)


@storage_change(channel, "subscribe", *SUBSCRIPTION)
def channel_subscribe(storage: Storage, channel_id: int, event: str, store_id: str | None) -> str:
    """Send EVENT (alert, digest or weekly) to a channel, for one store or all of them.

    \b
    Examples:
        hymy-collector channel subscribe 3 alert --store hki-kamppi
        hymy-collector channel subscribe 4 weekly
    """
    new = outbox.subscribe(storage, channel_id, event, store_id)
    where = store_id or "every store"
    return f"Channel {channel_id} {'now gets' if new else 'already got'} {event} for {where}"


@storage_change(channel, "unsubscribe", *SUBSCRIPTION)
def channel_unsubscribe(storage: Storage, channel_id: int, event: str,
                        store_id: str | None) -> str:
    """Stop sending EVENT for a store (or, without --store, the all-stores subscription).

    \b
    Example:
        hymy-collector channel unsubscribe 3 alert --store hki-kamppi
    """
    gone = outbox.subscribe(storage, channel_id, event, store_id, on=False)
    where = store_id or "every store"
    return f"Channel {channel_id} {'no longer gets' if gone else 'did not get'} {event} for {where}"


@cli.group()
def notify() -> None:
    """Check that messages reach people."""


@notify.command("test")
@click.argument("address")
@click.option("--kind", type=click.Choice(channels.KINDS), default=None,
              help="What ADDRESS is [default: told from ADDRESS]")
@friendly_errors
def notify_test(address: str, kind: str | None) -> None:
    """Send a test message to ADDRESS now: an e-mail address (over HYMY_SMTP_URL), an
    Apprise/Slack/Teams URL or a webhook URL.  Exit 1 with the reason when it is not taken.

    \b
    Examples:
        HYMY_SMTP_URL=smtp://127.0.0.1 hymy-collector notify test me@example.com
        hymy-collector notify test 'slack://T000/B000/XXXX'
    """
    try:
        sent_as = outbox.send_test(address, Settings.from_env(), kind)
    except channels.DeliveryError as error:
        raise click.ClickException(f"not sent: {error}") from None
    click.echo(f"sent a test message to {address} ({sent_as})")


@cli.command()
def settings() -> None:
    """List every setting with its environment variable and default.

    \b
    Example:
        hymy-collector settings
    """
    for name, env, default, help_text in describe():
        click.echo(f"{name:<20} {env:<26} {default!s:<20} {help_text}")
