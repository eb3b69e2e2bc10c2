"""``hymy-kiosk``: run the kiosk, push pending ratings, and small admin helpers.

Examples::

    hymy-kiosk --config /etc/hymy/kiosk.toml          # run the kiosk (full screen)
    hymy-kiosk sync --config /etc/hymy/kiosk.toml     # push everything pending now
    hymy-kiosk hash-pin                               # print a hash for a new staff PIN
"""

from __future__ import annotations

import sys

import click

from kiosk import config as kiosk_config
from kiosk.pin import hash_pin


def load_or_exit(path: str) -> kiosk_config.Config:
    """Load the config, or stop with its one-line error (no traceback)."""
    try:
        return kiosk_config.load(path)
    except kiosk_config.ConfigError as error:
        click.echo(f"hymy-kiosk: config error: {error}", err=True)
        sys.exit(2)


config_option = click.option(
    "--config", "config_path", required=True, type=click.Path(dir_okay=False),
    envvar="HYMY_KIOSK_CONFIG", help="Kiosk config file (TOML), see assets/kiosk.example.toml",
)


@click.group(invoke_without_command=True)
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

    Example: hymy-kiosk run --config kiosk.toml
    """
    config = load_or_exit(config_path)
    from kiosk.app import run_app  # Kivy is imported only here

    run_app(config)


@cli.command("check-config")
@config_option
def check_config(config_path: str) -> None:
    """Validate a config file and exit 0 if it is good.

    Example: hymy-kiosk check-config --config kiosk.toml
    """
    config = load_or_exit(config_path)
    click.echo(f"ok: store {config.store_id}, kiosk {config.kiosk_id}, {config.scale} faces")


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
