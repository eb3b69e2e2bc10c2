"""``make demo``: a seeded collector on SQLite plus the kiosk window pointed at it.

First run seeds ``data/collector.db`` with the demo chain (12 stores in regions,
a year of ratings, NPS at the exits and CES at the service desks of six; about a
minute), registers a demo kiosk in Kamppi and writes
``data/kiosk.toml``.  Later runs reuse ``data/``; delete it to start over.

Examples::

    python -m kiosk.demo                 # collector on :8080 + kiosk window
    python -m kiosk.demo --port 8090     # another port
    python -m kiosk.demo --no-kiosk      # the collector and dashboard only
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import requests

from kiosk.pin import hash_pin
from sync.i18n import strings

STORE = "hki-kamppi"
KIOSK = "hki-kamppi-demo"
DEMO_PIN = "1234"
#: ``hymy-collector demo`` options: NPS at the exits and CES at the service desks too,
#: so the dashboard shows every question kind (the demo kiosk window asks CSAT).
DEMO_OPTIONS = ("--kinds",)


def collector(*args: str, database: Path) -> subprocess.CompletedProcess:
    """Run one ``hymy-collector`` command against the demo database."""
    return subprocess.run(
        [sys.executable, "-m", "sync.collector", *args, "--database", str(database)],
        check=True, capture_output=True, text=True,
    )


def seed(data: Path, size: tuple[str, ...] = ()) -> dict:
    """Seed the demo chain once and register the demo kiosk; returns the tokens.

    ``size``: more ``hymy-collector demo`` options, e.g. ``("--stores", "2")`` (tests)."""
    tokens_file = data / "demo-tokens.json"
    if tokens_file.exists():
        return json.loads(tokens_file.read_text())
    data.mkdir(parents=True, exist_ok=True)
    database = data / "collector.db"
    for leftover in data.glob("collector.db*"):  # an interrupted first run: start over
        leftover.unlink()
    click.echo("Seeding the demo chain (12 stores, a year of ratings; about a minute)...")
    collector("demo", "--tokens-file", str(data / "seeded.json"), *DEMO_OPTIONS, *size,
              database=database)
    tokens = json.loads((data / "seeded.json").read_text())["tokens"]
    kiosk_token = collector("kiosk", "add", KIOSK, "--store", STORE, "--touchpoint", "checkout",
                            database=database)
    tokens["demo_kiosk"] = kiosk_token.stdout.strip().splitlines()[0]
    tokens_file.write_text(json.dumps(tokens, indent=2))
    return tokens


def write_kiosk_config(data: Path, url: str, token: str) -> Path:
    """A windowed kiosk config for the demo store, syncing every 10 seconds."""
    path = data / "kiosk.toml"
    path.write_text(
        f"""# Demo kiosk written by `make demo` (staff PIN {DEMO_PIN}).
store_id = "{STORE}"
kiosk_id = "{KIOSK}"
timezone = "Europe/Helsinki"
database = "kiosk.db"
fullscreen = false
staff_pin_hash = "{hash_pin(DEMO_PIN)}"

[sync]
url = "{url}"
token = "{token}"
interval = 10
"""
    )
    path.chmod(0o600)  # it holds the kiosk token (the kiosk would make it so, and say so)
    return path


def port_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def wait_healthy(url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    """Wait for the collector's /healthz, failing fast if it exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise click.ClickException("the collector exited; see its log above")
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise click.ClickException(f"the collector did not answer at {url} in {seconds:.0f} s")


@click.command()
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=Path("data"),
              show_default=True, help="Folder for the demo databases and config")
@click.option("--port", type=int, default=8080, show_default=True, help="Collector port")
@click.option("--kiosk/--no-kiosk", default=True, help="Open the kiosk window too")
def main(data: Path, port: int, kiosk: bool) -> None:
    """Run the Hymy demo: collector + dashboard + kiosk window."""
    if not port_free(port):
        raise click.ClickException(f"port {port} is in use; try --port {port + 1}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so `finally` stops the collector
    tokens = seed(data)
    url = f"http://127.0.0.1:{port}"
    config = write_kiosk_config(data, url, tokens["demo_kiosk"])
    server = subprocess.Popen(
        [sys.executable, "-m", "sync.collector", "serve", "--port", str(port),
         "--database", str(data / "collector.db"), "--log-level", "warning"]
    )
    try:
        wait_healthy(url, server)
        click.echo(
            f"\nDashboard: {url}/  (API docs: {url}/docs)\n"
            f"  Sign in with one of these tokens (the sign-in page's last section,"
            f" '{strings('en', 'dashboard')['login_token_summary']}'):\n"
            f"  office login token: {tokens['office']}\n"
            f"  admin login token (users, deliveries, kiosk set-up): {tokens['admin']}\n"
            f"  staff login token ({tokens['staff']['store_id']}): {tokens['staff']['token']}\n"
            f"Kiosk config: {config}  (staff screen: hold any corner 3 s, "
            f"PIN {DEMO_PIN})\n"
            "Press Ctrl-C here to stop the demo (collector and kiosk window).\n"
        )
        if kiosk and (os.environ.get("DISPLAY") or sys.platform != "linux"):
            subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config)], check=False)
        else:
            if kiosk:
                click.echo("No display: the kiosk window needs one (try: xvfb-run -a make demo).")
            click.echo("Collector running; press Ctrl-C to stop.")
            server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
