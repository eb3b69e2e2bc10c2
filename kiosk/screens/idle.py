"""Staff-side screens time out: nobody leaves the PIN pad or the figures open
for the next shopper."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.uix.screenmanager import Screen


class IdleScreen(Screen):
    """A screen that gives up after ``idle_seconds`` without a touch (:meth:`idle_out`)."""

    idle_seconds = 60.0
    _idle: Any = None

    def idle_out(self) -> None:
        """What the screen does when nobody touched it for ``idle_seconds``."""
        raise NotImplementedError

    def touched(self) -> None:
        """Restart the idle timeout."""
        self.stop_idle()
        self._idle = Clock.schedule_once(lambda _dt: self.idle_out(), self.idle_seconds)

    def stop_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = None

    def on_touch_down(self, touch: Any) -> bool:
        self.touched()
        return super().on_touch_down(touch)
