"""Run the real kiosk app with a scripted shopper inside it, for the crash test.

    python tests/support/kiosk_tapper.py --config kiosk.toml --acks acks.jsonl --taps 1000

This is ``hymy-kiosk --config kiosk.toml`` (same config loading, same
``kiosk.app.run_app``, a real window on $DISPLAY) plus one Kivy clock callback
that acts like a very fast shopper, one frame at a time:

- on the question screen it presses a face button (``FaceButton.dispatch
  ("on_press")``: the same ``app.rate(score)`` a touch runs);
- on the follow-up it presses a reason button or "skip" (the same handlers);
- on the thank-you screen it goes back to the question, which is what the
  screen's own ``thanks_delay`` timer does, only sooner.

Each time the thank-you screen is on, the tap is *acknowledged*: one JSON
line ``{"id", "seq", "score", "reason"}`` is appended to ``--acks`` with a
plain ``write()``, which a SIGKILL cannot undo.  The test kills this process
at random moments and checks that every acknowledged tap is in the database.
The driver stops once ``--acks`` holds ``--taps`` lines (counted across
restarts).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("KIVY_NO_ARGS", "1")
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class Shopper:
    """Presses the app's own buttons, one action per frame, and logs acknowledged taps."""

    def __init__(self, app: Any, acks: Path, taps: int, seed: int) -> None:
        self.app = app
        self.rng = random.Random(seed)
        self.target = taps
        self.done = len(acks.read_text().splitlines()) if acks.exists() else 0
        self.fd = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.open_tap: Any = None

    def ack(self, tap: Any, reason: str | None) -> None:
        line = {"id": tap.id, "seq": tap.seq, "score": tap.score, "reason": reason}
        os.write(self.fd, (json.dumps(line) + "\n").encode())
        self.done += 1

    def step(self, _dt: float) -> bool | None:
        app = self.app
        screen = app.screen
        if screen == "thanks":
            app.back_to_question()
            return None
        if self.done >= self.target:
            return False  # unschedules the driver; the app keeps running
        if screen == "rating":
            score = self.rng.choice(range(1, app.scale + 1))
            faces = app.manager.get_screen("rating").ids.faces.children
            button = next(face for face in faces if face.score == score)
            button.dispatch("on_press")
            if app.screen == "thanks" and app.last_tap is not None:
                self.ack(app.last_tap, None)
            elif app.screen == "followup":
                self.open_tap = app.last_tap
        elif screen == "followup":
            followup = app.manager.get_screen("followup")
            buttons = list(followup.ids.reasons.children)
            if self.rng.random() < 0.2:
                reason = None
                followup.choose(None)  # the "skip" button's handler
            else:
                button = self.rng.choice(buttons)
                reason = button.key
                button.dispatch("on_press")
            if app.screen == "thanks" and self.open_tap is not None:
                self.ack(self.open_tap, reason)
            self.open_tap = None
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--acks", required=True, type=Path)
    parser.add_argument("--taps", required=True, type=int)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from kiosk.cli import load_or_exit

    config = load_or_exit(args.config)
    from kivy.clock import Clock

    from kiosk import app as kiosk_app

    original_on_start = kiosk_app.HymyApp.on_start

    def on_start(app: Any) -> None:
        original_on_start(app)
        # Kivy's clock holds callbacks weakly: the app keeps the shopper alive.
        app.scripted_shopper = Shopper(app, args.acks, args.taps, args.seed)
        Clock.schedule_interval(app.scripted_shopper.step, 0)

    kiosk_app.HymyApp.on_start = on_start
    kiosk_app.run_app(config)


if __name__ == "__main__":
    main()
