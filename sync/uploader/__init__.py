"""The kiosk's uploader: pending ratings to the collector, at least once and never twice.

One module per job (docs/sync.md):

- :mod:`~sync.uploader.client`: one HTTP exchange (:class:`Client`) and its error
  taxonomy (:class:`TokenRejected`, :class:`Retryable`, :class:`Fatal`);
- :mod:`~sync.uploader.retry`: the retry policy (:class:`Backoff`, ``Retry-After``);
- :mod:`~sync.uploader.push`: batches of pending ratings and the collector's
  verdicts (:class:`Uploader`), and the survey fetch;
- :mod:`~sync.uploader.thread`: the kiosk app's background :class:`SyncThread`;
- :mod:`~sync.uploader.status`: the :class:`SyncStatus` the staff screen shows,
  saved under outbox state ``sync_status`` by :func:`save_status` alone;
- :mod:`~sync.uploader.outbox` and :mod:`~sync.uploader.result`: the
  :class:`Outbox` protocol the kiosk's store satisfies, and :class:`PushResult`.

This package never imports ``kiosk`` or Kivy: it sees the kiosk's database only
through the :class:`Outbox` protocol, which ``kiosk.store.Store`` satisfies.
"""

from sync.uploader.client import Client, Fatal, Retryable, SyncError, TokenRejected
from sync.uploader.outbox import Outbox
from sync.uploader.push import IDENTITY_KEY, SURVEY_ETAG_KEY, SURVEY_KEY, Uploader
from sync.uploader.result import PushResult
from sync.uploader.retry import Backoff, parse_retry_after
from sync.uploader.status import STATUS_KEY, SyncStatus, initial_status, load_status, save_status
from sync.uploader.thread import SyncThread

__all__ = [
    "IDENTITY_KEY",
    "STATUS_KEY",
    "SURVEY_ETAG_KEY",
    "SURVEY_KEY",
    "Backoff",
    "Client",
    "Fatal",
    "Outbox",
    "PushResult",
    "Retryable",
    "SyncError",
    "SyncStatus",
    "SyncThread",
    "TokenRejected",
    "Uploader",
    "initial_status",
    "load_status",
    "parse_retry_after",
    "save_status",
]
