"""Background sync for the kiosk app: :class:`SyncThread`.

The thread pushes everything pending every ``interval`` seconds (a heartbeat
when nothing is), refreshes the survey, keeps a :class:`SyncStatus` for the
staff screen, and backs off after a failure (:mod:`sync.uploader.retry`).
The UI thread never waits on the network.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sync import __version__
from sync.clock import format_utc, utc_now
from sync.uploader.client import Fatal, Retryable, SyncError, TokenRejected, one_line
from sync.uploader.outbox import Outbox
from sync.uploader.push import Uploader
from sync.uploader.result import PushResult
from sync.uploader.retry import Backoff
from sync.uploader.status import SyncStatus, load_status, save_status

log = logging.getLogger(__name__)

#: Seconds the background sync rests between batches of a backlog, so the UI's frames
#: keep their processor and the GIL (docs/performance.md, benchmark 2).
BATCH_PAUSE = 0.02


class SyncThread(threading.Thread):
    """Background sync for the kiosk app: the UI thread never waits on the network.

    The thread opens its own outbox with ``outbox_factory()`` (SQLite connections
    belong to the thread that opened them) and loops: push everything pending
    (a heartbeat when nothing is), refresh the survey, then sleep ``interval``
    seconds - or the backoff delay after a failure - until :meth:`trigger`
    ("Sync now") or :meth:`stop`.  While draining a backlog it rests
    ``batch_pause`` seconds between batches, so the kiosk's UI keeps its frames.

    After a rejected token, or a request the collector refuses outright (4xx),
    automatic syncing pauses until :meth:`trigger`; nothing is retried forever.
    The status is kept in :attr:`status`, saved under outbox state
    ``"sync_status"`` and passed to ``on_status`` (called on this thread: a
    Kivy UI wraps it in ``Clock.schedule_once``).
    """

    def __init__(
        self,
        outbox_factory: Callable[[], Outbox],
        url: str,
        token: str,
        *,
        interval: float = 30,
        batch_size: int = 500,
        ca_bundle: str | None = None,
        app_version: str = __version__,
        fetch_survey: bool = True,
        backoff: Backoff | None = None,
        on_status: Callable[[dict[str, Any]], Any] | None = None,
        uploader_options: dict[str, Any] | None = None,
        batch_pause: float = BATCH_PAUSE,
    ):
        super().__init__(name="hymy-sync", daemon=True)
        self.batch_pause = batch_pause
        self.outbox_factory = outbox_factory
        self.url = url
        self.token = token
        self.interval = interval
        self.batch_size = batch_size
        self.ca_bundle = ca_bundle
        self.app_version = app_version
        self.fetch_survey = fetch_survey
        self.backoff = backoff or Backoff()
        self.on_status = on_status
        self.uploader_options = uploader_options or {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._status = SyncStatus()
        self._not_before = 0.0
        self.cycles = 0

    # -- control (any thread) -------------------------------------------------

    def trigger(self) -> None:
        """Sync now: wake the thread (also un-pauses after a rejected token)."""
        self._wake.set()

    def stop(self, timeout: float | None = 5) -> None:
        """Ask the thread to finish its current exchange and end; waits up to ``timeout``."""
        self._stopping.set()
        self._wake.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    @property
    def status(self) -> dict[str, Any]:
        """A snapshot of the sync status (same keys as outbox state ``sync_status``)."""
        with self._lock:
            return self._status.to_dict()

    # -- the loop (this thread) ---------------------------------------------

    def run(self) -> None:
        outbox = None
        try:
            while not self._stopping.is_set():
                if outbox is None:
                    outbox = self._open()
                    delay = self.backoff.next_delay() if outbox is None else 0.0
                if outbox is not None:
                    delay = self._cycle(outbox)
                self._sleep(delay)
        finally:
            close = getattr(outbox, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # closing on the way out must not raise
                    log.debug("closing the sync outbox failed", exc_info=True)

    def _open(self) -> Outbox | None:
        try:
            outbox = self.outbox_factory()
        except Exception as error:
            log.exception("cannot open the local store for syncing")
            self._update(None, last_error=f"cannot open the local store: {error}")
            return None
        saved = _safe(lambda: load_status(outbox), None)
        if saved is not None:
            with self._lock:
                # Keep the last sync time across restarts; the rest is fresh.
                self._status = self._status.changed(last_sync_at=saved.last_sync_at)
        self._uploader = Uploader(
            outbox, self.url, self.token, batch_size=self.batch_size,
            ca_bundle=self.ca_bundle, app_version=self.app_version,
            backoff=self.backoff, **self.uploader_options,
        )
        return outbox

    def _cycle(self, outbox: Outbox) -> float | None:
        """One sync: push, survey, status. Returns seconds to sleep (None = until trigger)."""
        self.cycles += 1
        started = format_utc(utc_now())
        self._update(None, syncing=True, last_attempt_at=started)
        changes: dict[str, Any] = {"syncing": False, "paused": False}
        delay: float | None
        try:
            result = self._uploader.push_all(progress=self._rest)
            if self.fetch_survey:
                self._survey()
        except TokenRejected as error:
            log.error("%s; sync paused until 'Sync now'", error)
            changes.update(token_rejected=True, paused=True, last_error=str(error))
            self._note_partial(error, changes)
            delay = None
        except Retryable as error:
            delay = self.backoff.next_delay(error.retry_after)
            if error.retry_after is not None:
                self._not_before = time.monotonic() + delay
            log.warning("sync failed: %s; next try in %.1f s", error, delay)
            changes.update(last_error=str(error))
            self._note_partial(error, changes)
        except Fatal as error:
            changes.update(last_error=str(error))
            self._note_partial(error, changes)
            if error.status is not None and error.status >= 500:
                # A server error is not retried in a loop: try again at the next
                # regular sync, spaced out further while it lasts.
                delay = max(self.interval, self.backoff.next_delay())
                log.warning("sync failed: %s; next try in %.1f s", error, delay)
            else:
                changes.update(paused=True)
                changes["last_error"] += "; automatic sync paused until 'Sync now'"
                log.error("%s; sync paused until 'Sync now'", error)
                delay = None
        except Exception as error:
            # Local trouble (full disk, locked database) or a bug: report, back off, carry on.
            log.exception("sync failed")
            changes.update(last_error=one_line(error) or type(error).__name__,
                           disk_full=is_disk_full(error))
            delay = max(self.interval, self.backoff.next_delay())
        else:
            self.backoff.reset()
            changes.update(
                last_sync_at=format_utc(utc_now()), token_rejected=False, disk_full=False,
                last_result=result.as_dict(), clock_offset_s=result.clock_offset_s,
                last_error=_conflict_note(result),
            )
            delay = self.interval
        stats = _safe(outbox.stats, {})
        changes.update(pending=stats.get("pending"), rejected=stats.get("rejected"))
        if delay is not None:
            changes["next_attempt_at"] = format_utc(utc_now() + timedelta(seconds=delay))
        else:
            changes["next_attempt_at"] = None
        self._update(outbox, **changes)
        return delay

    def _rest(self, _settled: int) -> None:
        """Between two batches of a backlog: leave the processor to the UI for a moment."""
        if self.batch_pause > 0:
            self._stopping.wait(self.batch_pause)

    def _survey(self) -> None:
        """Refresh who this kiosk is and the survey; only a rejected token stops the cycle."""
        try:
            self._uploader.fetch_survey()
            self._uploader.fetch_identity()
        except TokenRejected:
            raise
        except SyncError as error:
            log.warning("survey not refreshed: %s", error)

    @staticmethod
    def _note_partial(error: SyncError, changes: dict[str, Any]) -> None:
        """Batches acknowledged before the failure still count as a successful exchange."""
        if error.result is not None and error.result.batches:
            changes["last_sync_at"] = format_utc(utc_now())
            changes["last_result"] = error.result.as_dict()

    def _sleep(self, delay: float | None) -> None:
        """Wait ``delay`` seconds (None: until triggered); trigger and stop cut it short,
        but never before a server's Retry-After has passed."""
        deadline = None if delay is None else time.monotonic() + delay
        while not self._stopping.is_set():
            timeout = None if deadline is None else deadline - time.monotonic()
            if timeout is not None and timeout <= 0:
                return
            if self._wake.wait(timeout):
                self._wake.clear()
                if self._stopping.is_set():
                    return
                if time.monotonic() >= self._not_before:
                    return
                deadline = self._not_before

    def _update(self, outbox: Outbox | None, **changes: Any) -> None:
        """Change the status, save it in ``outbox`` (when given) and tell ``on_status``."""
        with self._lock:
            self._status = status = self._status.changed(**changes)
        snapshot = status.to_dict()
        if outbox is not None:
            save_status(outbox, status)
        if self.on_status is not None:
            try:
                self.on_status(snapshot)
            except Exception:
                log.exception("on_status callback failed")


def is_disk_full(error: BaseException) -> bool:
    """True for a full disk: SQLite's SQLITE_FULL or an OS ENOSPC, however wrapped."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.errno == errno.ENOSPC:
            return True
        if getattr(cause, "sqlite_errorname", None) == "SQLITE_FULL":
            return True
        if "database or disk is full" in str(cause):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _conflict_note(result: PushResult) -> str | None:
    """A staff-screen line when the collector kept its own copy of some ratings."""
    if not result.conflict:
        return None
    return (f"{result.conflict} rating(s) differed from the collector's copy; "
            "the collector's copy was kept")


def _safe(call: Callable[[], Any], default: Any) -> Any:
    """``call()``, or ``default`` when the local store cannot answer."""
    try:
        return call()
    except Exception as error:
        log.warning("local store unavailable: %s", error)
        return default
