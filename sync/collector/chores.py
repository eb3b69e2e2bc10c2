"""Work the collector does on its own, on a clock: the chores.

A chore is a function of the app's :class:`~sync.collector.db.storage.Storage`
and :class:`~sync.collector.settings.Settings`, run every ``every_s`` seconds
on one background thread per server process (started and stopped with the
app's lifespan).  Several processes (``--workers``, several hosts) each run
every chore, so a chore must be safe to run twice at once: it claims its work
in the database (a unique key, a conditional UPDATE), never in memory.

A failing chore is logged with its traceback and tried again at its next
turn; it never stops the others or the server.  ``hymy-collector chores``
runs each chore once, for cron-minded operators and for tests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sync.collector import alertlog, comments
from sync.collector.db.storage import Storage
from sync.collector.notify import alertmail, outbox
from sync.collector.notify.schedule import send_due
from sync.collector.settings import Settings

logger = logging.getLogger("hymy.collector.chores")


@dataclass(frozen=True)
class Chore:
    """One job on a clock."""

    name: str
    every_s: float
    run: Callable[[Storage, Settings], object]


def alerts_turn(storage: Storage, settings: Settings) -> int:
    """Evaluate the rules (one process per turn, :func:`alertlog.run`), then queue each
    open alert to the channels subscribed to its store (every process: each is queued once)."""
    alertlog.run(storage, settings)
    return alertmail.announce(storage, settings)


#: Every chore, in the order they run at each turn.  Add new ones here.
CHORES: list[Chore] = [
    Chore("alerts", alertlog.EVERY_S, alerts_turn),  # the alert log, then who is told
    Chore("deliver", outbox.EVERY_S, outbox.deliver),  # alerts, digests, reports out
    Chore("digests", 60.0, send_due),  # daily and weekly digests (notify/schedule.py)
    Chore("comments", comments.EVERY_S, comments.prune),  # shoppers' comments past retention
]


def run_once(storage: Storage, settings: Settings, chores: list[Chore] | None = None) -> None:
    """Run each chore once now, logging (not raising) failures."""
    for chore in CHORES if chores is None else chores:
        _run(chore, storage, settings)


def _run(chore: Chore, storage: Storage, settings: Settings) -> None:
    try:
        chore.run(storage, settings)
    except Exception:
        logger.exception("chore failed", extra={"chore": chore.name})


class Runner:
    """The background thread: each chore when its time has come, until :meth:`stop`."""

    def __init__(self, storage: Storage, settings: Settings, tick_s: float = 1.0) -> None:
        self.storage = storage
        self.settings = settings
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="hymy-chores", daemon=True)

    def start(self) -> None:
        if CHORES:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        due = {chore.name: 0.0 for chore in CHORES}
        while not self._stop.is_set():
            for chore in list(CHORES):
                now = time.monotonic()
                if now >= due.get(chore.name, 0.0):
                    _run(chore, self.storage, self.settings)
                    due[chore.name] = time.monotonic() + chore.every_s
                if self._stop.is_set():
                    return
            self._stop.wait(self.tick_s)
