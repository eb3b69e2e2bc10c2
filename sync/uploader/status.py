"""The sync status the staff screen shows: one typed object, saved under state ``sync_status``.

:class:`SyncStatus` holds the twelve keys documented in docs/sync.md ("Status
for the staff screen").  :func:`save_status` is the only code that writes the
outbox state key :data:`STATUS_KEY`: the background :class:`SyncThread` calls
it after every attempt and ``hymy-kiosk sync`` after a push from the command
line (:meth:`SyncStatus.after_command_sync`).  Readers (the staff screen) get
the same keys back with :func:`load_status` or :meth:`SyncStatus.from_dict`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from sync.clock import format_utc, utc_now
from sync.uploader.client import SyncError, TokenRejected
from sync.uploader.outbox import Outbox
from sync.uploader.result import PushResult

log = logging.getLogger(__name__)

#: The outbox state key the status is saved under (documented in docs/sync.md).
STATUS_KEY = "sync_status"


@dataclass(frozen=True)
class SyncStatus:
    """The uploader's state as the staff screen shows it; times are RFC 3339 strings."""

    #: The last exchange the collector answered, or None.
    last_sync_at: str | None = None
    #: The last attempt, answered or not.
    last_attempt_at: str | None = None
    #: One short line for the staff screen; None when the last sync was clean.
    last_error: str | None = None
    #: True after a 401/403, until a sync succeeds.
    token_rejected: bool = False
    #: True when the last attempt failed because the local disk is full.
    disk_full: bool = False
    #: True while automatic sync waits for "Sync now".
    paused: bool = False
    #: True while an exchange is running (in ``SyncThread.status``/``on_status`` only).
    syncing: bool = False
    #: Ratings not yet synced, and ratings the collector refused, after the last attempt.
    pending: int | None = None
    rejected: int | None = None
    #: When the thread tries again; None while paused.
    next_attempt_at: str | None = None
    #: Collector minus kiosk clock at the last exchange, in seconds.
    clock_offset_s: float | None = None
    #: ``PushResult.as_dict()`` of the last sync.
    last_result: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict saved under ``sync_status`` (every key, always)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> SyncStatus:
        """A status from a saved dict; missing keys get their defaults, unknown ones go."""
        if not isinstance(data, Mapping):
            return cls()
        names = {field.name for field in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})

    def changed(self, **changes: Any) -> SyncStatus:
        """A copy with ``changes`` (a misspelt key is a TypeError, not a new key)."""
        return replace(self, **changes)

    def after_command_sync(self, started: str, result: PushResult, failure: SyncError | None,
                           left: Mapping[str, Any]) -> SyncStatus:
        """This status after ``hymy-kiosk sync``: attempted at ``started``, ``left`` = stats."""
        changes: dict[str, Any] = {}
        if failure is None or result.batches:
            changes.update(last_sync_at=format_utc(utc_now()), last_result=result.as_dict())
        return self.changed(
            **changes, last_attempt_at=started, pending=left["pending"],
            rejected=left["rejected"], token_rejected=isinstance(failure, TokenRejected),
            syncing=False, last_error=str(failure) if failure else None,
        )


def initial_status() -> dict[str, Any]:
    """The ``sync_status`` keys, before any attempt."""
    return SyncStatus().to_dict()


def load_status(outbox: Outbox) -> SyncStatus:
    """The status saved in ``outbox`` (defaults when none was saved)."""
    return SyncStatus.from_dict(outbox.get_state(STATUS_KEY))


def save_status(outbox: Outbox, status: SyncStatus) -> bool:
    """Save the status for the staff screen; False (logged) when the disk refuses.

    The one writer of :data:`STATUS_KEY`.
    """
    try:
        outbox.set_state(STATUS_KEY, status.to_dict())
    except Exception as error:  # a full disk must not stop syncing or crash the app
        log.warning("cannot save sync status: %s", error)
        return False
    return True
