"""Screenshots of every kiosk screen, so the docs always show the current UI.

Usage (needs a display; on a server run it under Xvfb)::

    xvfb-run -a -s "-screen 0 1920x1080x24" python -m tools.kiosk_screenshots docs/screenshots

For each window size (1280x800 and 800x480 unless ``--size`` is given) it starts
the real app in a child process with a demo config and database in a temp
folder (a day of sample ratings, a recent sync), walks through the rating
screen in each language, the thank-you, the follow-up, the PIN pad and the
staff screen, and saves ``kiosk-<screen>-<size>.png`` files in OUTDIR
(``kiosk-rating-1280x800.png`` is the question in the store's default language).
A second process per size starts the app without a config and saves the
first-start screen: ``kiosk-setup-<size>.png`` (being filled in, in English)
and ``kiosk-setup-error-<size>.png`` (a refused code).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import click

DEMO_PIN = "1234"
SIZES = ("1280x800", "800x480")


def demo_config(folder: Path, extra: str = "") -> Path:
    """Write a demo kiosk config (windowed, short delays) and return its path."""
    from kiosk.pin import hash_pin

    path = folder / "kiosk.toml"
    path.write_text(extra +
        'store_id = "demo-store"\n'
        'kiosk_id = "demo-kiosk"\n'
        'timezone = "Europe/Helsinki"\n'
        'database = "demo.db"\n'
        f'staff_pin_hash = "{hash_pin(DEMO_PIN, iterations=1000)}"\n'
        "fullscreen = false\n"
        "response_interval = 0\n"
        "thanks_delay = 60\n"
        "followup_timeout = 60\n",
        encoding="utf-8",
    )
    return path


def demo_ratings(config_path: Path) -> None:
    """Fill the demo database with a plausible day: mostly happy, a few reasons, a sync."""
    from kiosk.config import load
    from kiosk.store import Store
    from sync.clock import format_utc, utc_now
    from sync.uploader import SyncStatus, save_status

    config = load(config_path)
    store = Store(config.database_path, config.store_id, config.kiosk_id, config.timezone)
    now = utc_now()
    rng = random.Random(7)
    scores = [5] * 21 + [4] * 14 + [3] * 6 + [2] * 4 + [1] * 3
    rng.shuffle(scores)
    reasons = ["queue", "queue", "queue", "prices", "availability", "staff"]
    count = len(scores)
    for index, score in enumerate(scores):
        moment = now - timedelta(minutes=4 * (count - index) + 2)
        tap = store.record_tap(score, config.scale, rng.choice(config.languages),
                               interval=0, ask_reason=score <= 2, now=moment)
        if score <= 2:
            store.set_reason(tap.id, reasons.pop() if reasons else None)
    for _ in range(3):  # an eager child's extra taps, stored suppressed
        store.record_tap(5, config.scale, "fi", interval=3600, now=now - timedelta(minutes=1))
    synced = [row["id"] for row in store.pending(1000)][:-4]
    store.mark_synced(synced, at=now - timedelta(minutes=3))
    save_status(store, SyncStatus(last_sync_at=format_utc(now - timedelta(minutes=3))))
    store.close()


def saver(outdir: Path, folder: Path, size: str):
    """``save(name)``: the window as ``OUTDIR/kiosk-<name>-<size>.png``."""
    from kivy.core.window import Window

    def save(name: str) -> None:
        written = Window.screenshot(name=str(folder / "shot.png"))
        target = outdir / f"kiosk-{name}-{size}.png"
        shutil.move(written, target)
        print(target)

    return save


def run_steps(app, steps: list) -> None:
    """Run the app, taking ``steps`` one by one 0.6 s apart (the last one stops it)."""
    from kivy.clock import Clock

    def run_step(_dt: float) -> None:
        steps.pop(0)()
        if steps:
            Clock.schedule_once(run_step, 0.6)

    Clock.schedule_once(run_step, 1.5)
    app.run()


def shoot_setup(outdir: Path, size: str) -> None:
    """In this process: the first-start screen (no config) at ``size``, two PNGs."""
    folder = Path(tempfile.mkdtemp(prefix="hymy-shots-"))
    os.environ["KIVY_HOME"] = str(folder / "kivy")
    os.environ["HYMY_KIOSK_SIZE"] = size  # no config: windowed only when this is set
    os.environ["KIVY_NO_ARGS"] = "1"
    from kiosk.app import HymyApp, configure_kivy

    configure_kivy(None)
    from kiosk.enroll import EnrollFailed

    app = HymyApp(None, setup_path=folder / "kiosk.toml")
    outdir.mkdir(parents=True, exist_ok=True)
    save = saver(outdir, folder, size)

    def screen():
        return app.manager.get_screen("setup")

    def fill() -> None:
        ids = screen().ids
        ids.url.text = "https://hymy.example.com"
        ids.code.text = "K7QM-4TXD"
        ids.pin.text = "2468"
        ids.again.text = "24"
        ids.again.focus = True

    refused = EnrollFailed(
        "collector refused the request (HTTP 410: this enrollment code was already used at"
        " 2026-06-01T09:15:00.000Z; issue a new one with 'hymy-collector kiosk enroll-code"
        " hki-kamppi-1')", "refused")
    run_steps(app, [
        lambda: app.set_language("en"),
        fill,
        lambda: save("setup"),
        lambda: screen().failed(refused),
        lambda: save("setup-error"),
        lambda: app.stop(),
    ])
    shutil.rmtree(folder, ignore_errors=True)


def shoot(outdir: Path, size: str) -> None:
    """In this process: run the app at ``size`` and save one PNG per screen."""
    from kiosk.config import load

    folder = Path(tempfile.mkdtemp(prefix="hymy-shots-"))
    os.environ["KIVY_HOME"] = str(folder / "kivy")
    os.environ["HYMY_KIOSK_SIZE"] = size
    os.environ["KIVY_NO_ARGS"] = "1"
    config_path = demo_config(folder)
    demo_ratings(config_path)
    config = load(config_path)

    from kiosk.app import HymyApp, configure_kivy

    configure_kivy(config)
    app = HymyApp(config)
    app.sync_enabled = True  # show the staff screen as on a kiosk with a collector
    outdir.mkdir(parents=True, exist_ok=True)
    save = saver(outdir, folder, size)

    def pin(digits: str) -> None:
        pad = app.manager.get_screen("pinpad")
        for digit in digits:
            pad.press(digit)

    run_steps(app, [
        lambda: None,
        lambda: save("rating"),
        lambda: app.set_language("en"),
        lambda: save("rating-en"),
        lambda: app.set_language("sv"),
        lambda: save("rating-sv"),
        lambda: (app.set_language("fi"), app.rate(5)),
        lambda: save("thanks"),
        lambda: (app.back_to_question(), app.set_language("en"), app.rate(1)),
        lambda: save("followup"),
        lambda: app.manager.get_screen("followup").choose("queue"),
        lambda: save("thanks-en"),
        lambda: (app.back_to_question(), app.open_pinpad()),
        lambda: pin("99"),
        lambda: save("pinpad"),
        lambda: (pin("99"), app.manager.get_screen("pinpad").submit()),
        lambda: save("pinpad-wrong"),
        lambda: (pin(DEMO_PIN), app.manager.get_screen("pinpad").submit()),
        lambda: save("staff"),
        lambda: app.stop(),
    ])
    shutil.rmtree(folder, ignore_errors=True)


KINDS = {
    "nps": 'kind = "nps"\npositive_reasons = ["friendly", "fast", "selection", "value"]\n',
    "ces": 'kind = "ces"\npositive_reasons = ["friendly", "fast", "selection", "value"]\n',
}


def shoot_kind(outdir: Path, size: str, kind: str) -> None:
    """In this process: an NPS or CES kiosk at ``size``: the question in Finnish and
    English, the thank-you, and both follow-ups (``kiosk-<kind>-*.png``)."""
    from kiosk.config import load

    folder = Path(tempfile.mkdtemp(prefix="hymy-shots-"))
    os.environ["KIVY_HOME"] = str(folder / "kivy")
    os.environ["HYMY_KIOSK_SIZE"] = size
    os.environ["KIVY_NO_ARGS"] = "1"
    config = load(demo_config(folder, KINDS[kind]))

    from kiosk.app import HymyApp, configure_kivy

    configure_kivy(config)
    app = HymyApp(config)
    outdir.mkdir(parents=True, exist_ok=True)
    save = saver(outdir, folder, size)
    low, high = (0, 10) if kind == "nps" else (1, 7)
    run_steps(app, [
        lambda: None,
        lambda: save(kind),
        lambda: app.set_language("en"),
        lambda: save(f"{kind}-en"),
        lambda: app.rate(high),
        lambda: save(f"{kind}-positive-en"),
        lambda: app.manager.get_screen("followup").choose("friendly"),
        lambda: save(f"{kind}-thanks-en"),
        lambda: (app.back_to_question(), app.set_language("en"), app.rate(low)),
        lambda: save(f"{kind}-negative-en"),
        lambda: app.stop(),
    ])
    shutil.rmtree(folder, ignore_errors=True)


@click.command()
@click.argument("outdir", type=click.Path(file_okay=False), default="docs/screenshots")
@click.option("--size", "sizes", multiple=True, help="Window size WxH (repeatable)")
@click.option("--child", hidden=True, default="")
@click.option("--setup", hidden=True, is_flag=True)
@click.option("--kind", hidden=True, default="")
def main(outdir: str, sizes: tuple[str, ...], child: str, setup: bool, kind: str) -> None:
    """Save a PNG of every kiosk screen into OUTDIR (default docs/screenshots).

    Example:
    xvfb-run -a -s "-screen 0 1920x1080x24" python -m tools.kiosk_screenshots docs/screenshots
    """
    if child:
        if kind:
            shoot_kind(Path(outdir), child, kind)
        else:
            (shoot_setup if setup else shoot)(Path(outdir), child)
        return
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        raise click.ClickException("no display; run under xvfb-run (see --help)")
    for size in sizes or SIZES:  # one process per size: Kivy has one window per process
        for setup in ([], ["--setup"], ["--kind", "nps"], ["--kind", "ces"]):
            subprocess.run([sys.executable, "-m", "tools.kiosk_screenshots", outdir,
                            "--child", size, *setup], check=True)


if __name__ == "__main__":
    main()
