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
from pathlib import Path
from typing import Any

import click

from sync import __version__, extras
from sync.collector.db.connection import Busy, Database, DatabaseError, database_errors, redact
from sync.collector.db.storage import CODE_VALID_HOURS, NewCode, Storage
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
                create=True)
def store_add(storage: Storage, store_id: str, name: str, timezone: str) -> str:
    """Add a store; its time zone decides which local day a tap belongs to.

    \b
    Example:
        hymy-collector store add hki-kamppi --name "Hymy Kamppi" --timezone Europe/Helsinki
    """
    storage.add_store(store_id, name, timezone)
    return f"Added store {store_id} ({timezone})"


@store.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table")
@database_option(create=False)
@friendly_errors
def store_list(storage: Storage, as_json: bool) -> None:
    """List stores with their time zone and number of kiosks.

    \b
    Example:
        hymy-collector store list
    """
    stores = storage.stores()
    if as_json:
        click.echo(json.dumps(stores, indent=2, ensure_ascii=False))
        return
    for item in stores:
        click.echo(f"{item['id']:<24} {item['timezone']:<20} {item['kiosks']:>3} kiosks  "
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
@code_valid_option
@database_option()
@friendly_errors
def kiosk_add(storage: Storage, kiosk_id: str, store_id: str, label: str | None,
              code_valid: float) -> None:
    """Register a kiosk; print its token (stdout) and a one-time enrollment code (stderr).

    Both are shown this once.  Either put the token in the kiosk's config,
    or run the printed 'hymy-kiosk enroll' command on the kiosk, which
    trades the code for a token of its own and writes the whole config.

    \b
    Example:
        hymy-collector kiosk add hki-kamppi-1 --store hki-kamppi --label "By the entrance"
    """
    made = storage.add_kiosk(kiosk_id, store_id, label)
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
@click.option("--kiosk", "kiosk_id", default=None, help="Kiosk of a kiosk token (a new token)")
@click.option("--label", default=None, help="A note to tell tokens apart, e.g. a person")
@database_option()
@friendly_errors
def token_add(storage: Storage, role: str, store_id: str | None, kiosk_id: str | None,
              label: str | None) -> None:
    """Create a token and print it (shown this once; only its hash is stored).

    \b
    Examples:
        hymy-collector token add --role office --label "Head office"
        hymy-collector token add --role staff --store hki-kamppi
        hymy-collector token add --role kiosk --kiosk hki-kamppi-1   # replace a lost token
    """
    made = storage.add_token(role, store_id, kiosk_id, label)
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
        scope = item["kiosk_id"] or item["store_id"] or "all stores"
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
def survey() -> None:
    """Set and show a store's survey (question, faces, reasons)."""


@storage_change(survey, "set", click.argument("store_id"),
                click.argument("file", type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path)),
                create=True)
def survey_set(storage: Storage, store_id: str, file: Path) -> str:
    """Give a store a new survey from a TOML file; kiosks pick it up on their next sync.

    \b
    Example file:
        scale = 5
        reasons = ["queue", "staff"]
        [questions]
        fi = "Miten onnistuimme tänään?"
        en = "How did we do today?"
        [reason_labels.en]
        queue = "Queue"
        staff = "Service"
    \b
    Example:
        hymy-collector survey set hki-kamppi survey.toml
    """
    from sync.survey import survey_from_toml

    saved = storage.set_survey(store_id, survey_from_toml(file.read_text(encoding="utf-8")))
    return f"Store {store_id} now shows survey version {saved.version}"


@survey.command("show")
@click.argument("store_id")
@database_option(create=False)
@friendly_errors
def survey_show(storage: Storage, store_id: str) -> None:
    """Print a store's current survey as JSON.

    \b
    Example:
        hymy-collector survey show hki-kamppi
    """
    if storage.store(store_id) is None:
        raise LookupError(f"no store {store_id!r}")
    click.echo(json.dumps(storage.survey(store_id).body(), indent=2, ensure_ascii=False))


# -- demo, export, check, backup -----------------------------------------------


@cli.command()
@click.option("--stores", type=int, default=12, show_default=True, help="Stores to create")
@click.option("--days", type=int, default=365, show_default=True, help="Days of history")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed")
@click.option("--json", "as_json", is_flag=True, help="Print the demo tokens as JSON on stdout")
@click.option("--tokens-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the demo tokens as JSON to this file")
@click.option("--kinds", is_flag=True,
              help="Also an NPS kiosk at the exit and a CES kiosk at the service desk"
                   " of the first six stores")
@database_option(default=DEMO_DATABASE, envvar="HYMY_DEMO_DATABASE")
@friendly_errors
def demo(storage: Storage, stores: int, days: int, seed: int, as_json: bool,
         tokens_file: Path | None, kinds: bool) -> None:
    """Seed a demo chain: stores, kiosks and a year of realistic ratings.

    Prints tokens for a demo office, admin, staff and kiosk login.  The demo
    has its own default file (hymy-demo.db, never HYMY_DATABASE) and seeds
    only an empty database: it refuses one that already holds stores.

    \b
    Examples:
        hymy-collector demo --database demo.db
        hymy-collector demo --database demo.db --stores 3 --days 90 --json > tokens.json
        hymy-collector demo --database demo.db --kinds    # NPS and CES kiosks too
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
                           progress=lambda _: bar.update(), kinds=kinds)
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

    from sync.collector.api.export import (
        RATING_COLUMNS,
        StoreNames,
        parse_cursor,
        rating_dicts,
        render,
    )

    cursor = parse_cursor(after)
    stores = StoreNames(storage)
    total = storage.count_after(cursor)
    stream = sys.stdout if str(output) == "-" else output.open("w", encoding="utf-8", newline="")
    header = True
    try:
        with tqdm(total=total, unit="rows", file=sys.stderr, disable=None) as bar:
            while rows := storage.export_ratings(cursor, page):
                stream.write(render(rating_dicts(rows, stores), RATING_COLUMNS, fmt, header))
                header = False
                cursor = rows[-1][0]
                bar.update(len(rows))
        if header and fmt == "csv":
            stream.write(render([], RATING_COLUMNS, fmt))
    finally:
        if stream is not sys.stdout:
            stream.close()
    click.echo(f"next cursor: {cursor}", err=True)


@cli.command()
@click.option("--repair", is_flag=True, help="Rebuild the roll-ups from raw ratings if they differ")
@database_option(create=False)
@friendly_errors
def check(storage: Storage, repair: bool) -> None:
    """Recompute every roll-up from raw ratings; exit 1 if anything differs.

    \b
    Examples:
        hymy-collector check
        hymy-collector check --repair
    """
    problems = storage.check(repair=repair)
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


@cli.command()
def settings() -> None:
    """List every setting with its environment variable and default.

    \b
    Example:
        hymy-collector settings
    """
    for name, env, default, help_text in describe():
        click.echo(f"{name:<20} {env:<26} {default!s:<20} {help_text}")
