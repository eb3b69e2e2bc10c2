"""Staff-side screens time out, so the PIN pad or today's figures never stay open for
the next shopper (kiosk/screens/idle.py), checked in-process with Kivy's clock recorded."""

from __future__ import annotations

import os
import tempfile

import pytest

os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="hymy-kivy-"))
os.environ["KIVY_NO_ARGS"] = "1"
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

from kiosk.screens import idle  # noqa: E402


class Event:
    def __init__(self, callback, timeout):
        self.callback, self.timeout, self.cancelled = callback, timeout, False

    def cancel(self):
        self.cancelled = True


@pytest.fixture
def scheduled(monkeypatch):
    """Every Clock.schedule_once the idle logic makes, in order."""
    events: list[Event] = []

    def schedule_once(callback, timeout=0):
        events.append(Event(callback, timeout))
        return events[-1]

    monkeypatch.setattr(idle.Clock, "schedule_once", schedule_once)
    return events


class Counting(idle.IdleScreen):
    idle_seconds = 42.0
    outs = 0

    def idle_out(self) -> None:
        self.outs += 1


def test_a_touch_starts_the_timeout_and_the_next_touch_restarts_it(scheduled):
    screen = Counting()
    screen.touched()
    assert [e.timeout for e in scheduled] == [42.0]
    screen.touched()
    assert scheduled[0].cancelled and not scheduled[1].cancelled
    scheduled[1].callback(42.0)
    assert screen.outs == 1


def test_leaving_stops_the_timeout(scheduled):
    screen = Counting()
    screen.touched()
    screen.stop_idle()
    assert scheduled[0].cancelled and screen._idle is None


def test_touching_the_screen_counts_as_activity(scheduled):
    from kivy.input.motionevent import MotionEvent

    class Touch(MotionEvent):
        def depack(self, args):
            self.sx, self.sy = args
            super().depack(args)

    screen = Counting()
    touch = Touch("test", 1, (0.5, 0.5))
    touch.scale_for_screen(100, 100)
    screen.on_touch_down(touch)
    assert [e.timeout for e in scheduled] == [42.0]


def test_the_pin_pad_and_the_staff_screen_use_their_own_timeouts():
    from kiosk.screens import pinpad, staff

    assert pinpad.PinPadScreen.idle_seconds == pinpad.PIN_IDLE == 30.0
    assert staff.StaffScreen.idle_seconds == staff.STAFF_IDLE == 60.0
