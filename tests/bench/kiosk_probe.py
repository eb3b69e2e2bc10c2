"""The real kiosk app with a stopwatch: run by ``ui_frames.py`` and ``memory.py`` under Xvfb.

``python tests/bench/kiosk_probe.py CONFIG RESULT.json MODE`` starts
:class:`kiosk.app.HymyApp` on CONFIG (windowed, 1280x800) with its sync thread
held back, and records every frame interval: a callback scheduled on each
frame (``Clock.schedule_interval(..., 0)``) notes the time since the previous
one.  A shopper taps a face every two seconds throughout (``app.rate(5)``,
the real tap handler, from the UI thread), so both phases draw the same
screens.  The SETTLE_FRAMES frames after a screen change (drawing the
thank-you or the question again) are kept apart from the steady ones, and
for each tap the time until the second frame after it (the thank-you on
screen) is its response time.

Modes:

- ``drain``: ``idle`` phase (IDLE_S), then the sync thread starts and the
  ``drain`` phase lasts until the collector holds the whole backlog, then
  ``idle`` again for IDLE_S (a noisy neighbour then weighs on both phases);
- ``taps N``: N taps, TAPS_PER_FRAME per frame (a busy day in seconds), RSS before and after.

The result file holds the frame intervals (ms), the tap times (ms) per phase,
the drain's duration and the process's VmRSS/VmHWM readings.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="hymy-bench-kivy-"))
os.environ["KIVY_NO_ARGS"] = "1"
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("HYMY_KIOSK_SIZE", "1280x800")

from kiosk import config as kiosk_config  # noqa: E402
from kiosk.app import HymyApp, configure_kivy  # noqa: E402

IDLE_S = 10.0
WARMUP_S = 2.0
TAP_EVERY_S = 2.0
SETTLE_FRAMES = 3
TAPS_PER_FRAME = 100
DRAIN_TIMEOUT_S = 900.0


def memory() -> dict[str, float]:
    """VmRSS and VmHWM of this process, MiB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


class ProbeApp(HymyApp):
    """HymyApp plus a frame stopwatch, a tapping shopper and a deferred sync start."""

    def __init__(self, config: Any, result: Path, mode: str, taps: int) -> None:
        super().__init__(config)
        self.result = result
        self.mode = mode
        self.taps_wanted = taps
        self.phase = "warmup"
        phases = ("idle", "drain", "taps")
        self.frames: dict[str, list[float]] = {name: [] for name in phases}
        self.switch_frames: dict[str, list[float]] = {name: [] for name in phases}
        self.responses: dict[str, list[float]] = {name: [] for name in phases}
        self.tap_times: dict[str, list[float]] = {name: [] for name in phases}
        self.marks: dict[str, Any] = {}
        self._last = 0.0
        self._settle = 0
        self._tap: list[float] | None = None  # [started, frames since]
        self._sync_ready = False

    def start_sync(self) -> None:
        if self._sync_ready:
            super().start_sync()

    def on_start(self) -> None:
        super().on_start()
        from kivy.clock import Clock

        # The real app imports the uploader (and requests) while it builds, before
        # the first frame; holding the sync back must not move that import into
        # the measured frames.
        import sync.uploader  # noqa: F401

        self._last = time.perf_counter()
        Clock.schedule_interval(self.frame, 0)
        Clock.schedule_once(self.begin, WARMUP_S)

    def on_screen_change(self, manager: Any, name: str) -> None:
        super().on_screen_change(manager, name)
        self._settle = SETTLE_FRAMES

    def frame(self, _dt: float) -> None:
        now = time.perf_counter()
        if self.phase in self.frames:
            steady = self._settle <= 0
            self._settle -= 1
            (self.frames if steady else self.switch_frames)[self.phase].append(
                (now - self._last) * 1000)
            if self._tap is not None:
                self._tap[1] += 1
                if self._tap[1] == 2:
                    self.responses[self.phase].append((now - self._tap[0]) * 1000)
                    self._tap = None
        self._last = now
        if self.phase == "taps":
            self.tap_burst()

    def tap(self, _dt: float = 0) -> None:
        if self.phase in ("idle", "drain"):
            self._tap = [time.perf_counter(), 0]
            self.rate(5)
            if self.tap_ms is not None:
                self.tap_times[self.phase].append(self.tap_ms)

    def tap_burst(self) -> None:
        for _ in range(TAPS_PER_FRAME):
            if self.marks["tapped"] >= self.taps_wanted:
                self.finish()
                return
            self.rate(1 + self.marks["tapped"] % 5 if self.marks["tapped"] % 7 else 5)
            self.tap_times["taps"].append(self.tap_ms or 0.0)
            self.marks["tapped"] += 1

    def begin(self, _dt: float) -> None:
        from kivy.clock import Clock

        self.marks["memory_start"] = memory()
        if self.mode == "taps":
            self.marks["tapped"] = 0
            self.marks["taps_started"] = time.perf_counter()
            self.phase = "taps"
            return
        self.phase = "idle"
        Clock.schedule_interval(self.tap, TAP_EVERY_S)
        Clock.schedule_once(self.start_drain, IDLE_S)

    def start_drain(self, _dt: float) -> None:
        from kivy.clock import Clock

        self.phase = "drain"
        self.marks["backlog"] = self.store.stats()["pending"]
        self.marks["drain_started"] = time.perf_counter()
        self._sync_ready = True
        super().start_sync()
        Clock.schedule_interval(self.check_drained, 0.25)

    def sync_status_changed(self, status: dict[str, Any]) -> None:
        super().sync_status_changed(status)
        # Drained once a push has delivered the whole backlog: a tap can land
        # after the push's last query and stay pending until the next one.
        delivered = (status.get("last_result") or {}).get("accepted", 0)
        if (not status.get("syncing") and self.phase == "drain"
                and (status.get("pending") == 0 or delivered >= self.marks["backlog"])):
            self.marks["drained_at"] = time.perf_counter()
            self.marks["last_result"] = status.get("last_result")

    def check_drained(self, _dt: float) -> bool | None:
        from kivy.clock import Clock

        waited = time.perf_counter() - self.marks["drain_started"]
        if "drained_at" in self.marks or waited > DRAIN_TIMEOUT_S:
            if "drained_at" in self.marks:
                self.marks["drain_s"] = self.marks["drained_at"] - self.marks["drain_started"]
            self.phase = "idle"
            Clock.schedule_once(lambda _dt: self.finish(), IDLE_S)
            return False
        return None

    def finish(self) -> None:
        if self.phase == "done":
            return
        ended = self.phase
        self.phase = "done"
        self.marks["memory_end"] = memory()
        if ended == "taps":
            self.marks["taps_s"] = time.perf_counter() - self.marks["taps_started"]
        self.result.write_text(json.dumps({
            "frames": self.frames, "switch_frames": self.switch_frames,
            "responses": self.responses, "taps": self.tap_times, "marks": self.marks,
        }), encoding="utf-8")
        self.stop()


def main() -> int:
    config_path, result, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    taps = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    config = kiosk_config.load(config_path)
    configure_kivy(config)
    ProbeApp(config, result, mode, taps).run()
    return 0 if result.exists() else 1


if __name__ == "__main__":
    sys.exit(main())
