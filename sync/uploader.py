"""The kiosk's uploader: pending ratings to the collector, at least once and never twice.

One exchange (:meth:`Uploader.push_once`) is::

    outbox.pending(n) -> wire.make_batch -> POST /api/v1/batches -> BatchResult
                      -> outbox.mark_rejected / outbox.mark_synced

A rating is marked synced only *after* the collector's answer has been read,
and the collector stores each rating id once (a resend is answered
``duplicate``).  So a kill or a network cut at any point either leaves the
rating pending (it is sent again) or finds it already stored (the resend is a
no-op): nothing is lost and nothing is stored twice.

Retries follow PRODUCT.md: only network errors, 429, 502, 503 and 504 are
retried, with exponential backoff and full jitter (:class:`Backoff`, base 1 s,
cap 300 s) and ``Retry-After`` honoured.  401/403 raise :class:`TokenRejected`;
everything else the collector refuses raises :class:`Fatal` and is not retried
in a loop.

:class:`SyncThread` runs this in the background of the kiosk app and keeps a
status dict in the outbox state under ``"sync_status"`` for the staff screen;
the survey the collector serves is kept under ``"survey"`` (see docs/sync.md).

This module never imports ``kiosk`` or Kivy: it sees the kiosk's database only
through the :class:`Outbox` protocol, which ``kiosk.store.Store`` satisfies.
"""

from __future__ import annotations

import errno
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import requests
from pydantic import ValidationError

from sync import __version__
from sync.clock import format_utc, utc_now
from sync.survey import parse_survey
from sync.wire import BatchResult, encode, make_batch

log = logging.getLogger(__name__)

BATCHES_PATH = "/api/v1/batches"
SURVEY_PATH = "/api/v1/survey"
#: Outbox state keys this module writes (documented in docs/sync.md).
STATUS_KEY = "sync_status"
SURVEY_KEY = "survey"
SURVEY_ETAG_KEY = "survey_etag"
#: HTTP statuses that can succeed later; everything else is not retried in a loop.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: A Retry-After longer than this is treated as this (a broken header must not park a kiosk).
MAX_RETRY_AFTER = 3600.0
#: Seconds between recounts of the queue during one long push (see Uploader.kiosk_status).
STATS_EVERY = 10.0
#: Seconds the background sync rests between batches of a backlog, so the UI's frames
#: keep their processor and the GIL (docs/performance.md, benchmark 2).
BATCH_PAUSE = 0.02


class Outbox(Protocol):
    """What the uploader needs from the kiosk's local store (``kiosk.store.Store``)."""

    def pending(self, limit: int) -> list[dict[str, Any]]:
        """Unsynced, unrejected ratings in ``seq`` order, at most ``limit``."""

    def mark_synced(self, ids: Iterable[str]) -> int:
        """Record that the collector holds these ratings."""

    def mark_rejected(self, rejected: dict[str, str]) -> None:
        """Keep ratings the collector refused, with its reason, out of the queue."""

    def requeue(self, ranges: Iterable[tuple[int, int]]) -> int:
        """Put synced ratings in these seq ranges back in the queue; how many."""

    def stats(self) -> dict[str, Any]:
        """``pending``, ``oldest_pending_at``, ``rejected`` and ``last_seq``."""

    def get_state(self, key: str, default: Any = None) -> Any:
        """A small JSON value saved with :meth:`set_state`."""

    def set_state(self, key: str, value: Any) -> None:
        """Save a small JSON value."""


# -- errors ------------------------------------------------------------------


class SyncError(Exception):
    """A sync that did not complete; ``str()`` is one short line for the staff screen.

    ``result`` holds what was delivered before the error (set by ``push_all``).
    """

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status
        self.result: PushResult | None = None


class TokenRejected(SyncError):
    """The collector refused the kiosk's token (401) or its role (403): stop syncing."""


class Retryable(SyncError):
    """A failure that can succeed later: network error, 429, 502, 503, 504."""

    def __init__(self, message: str, *, status: int | None = None,
                 retry_after: float | None = None):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class Fatal(SyncError):
    """The collector refused the exchange for a reason a plain retry will not fix."""


# -- backoff -----------------------------------------------------------------


class Backoff:
    """Exponential backoff with full jitter, capped, honouring ``Retry-After``.

    The n-th consecutive failure waits a uniform random time in
    ``[0, min(cap, base * 2**n))`` (AWS's "full jitter"), so a fleet of kiosks
    coming back after an outage spreads out instead of stampeding.  A server's
    ``Retry-After`` is a floor: we never come back sooner than asked.
    """

    def __init__(self, base: float = 1.0, cap: float = 300.0,
                 rng: Callable[[], float] = random.random):
        self.base = base
        self.cap = cap
        self.rng = rng
        self.failures = 0

    def next_delay(self, retry_after: float | None = None) -> float:
        """Count one more failure and return the seconds to wait before the next try."""
        ceiling = min(self.cap, self.base * 2 ** min(self.failures, 62))
        self.failures += 1
        delay = self.rng() * ceiling
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
        return delay

    def reset(self) -> None:
        """A success: the next failure starts from ``base`` again."""
        self.failures = 0


def parse_retry_after(value: str | None, now: Callable[[], Any] = utc_now) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - now()).total_seconds())


# -- one uploader ------------------------------------------------------------


@dataclass
class PushResult:
    """What one or more batches did: ratings sent and the collector's verdicts."""

    batches: int = 0
    sent: int = 0
    accepted: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    clock_offset_s: float | None = None
    conflicts: list[str] = field(default_factory=list)
    #: Ratings sent before that the collector said it lacked, queued again.
    requeued: int = 0
    missing: list[tuple[int, int]] = field(default_factory=list, repr=False)

    def add(self, other: PushResult) -> None:
        """Fold a later result into this one."""
        self.missing = other.missing
        for name in ("batches", "sent", "accepted", "duplicate", "conflict", "rejected",
                     "requeued"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.clock_offset_s is not None:
            self.clock_offset_s = other.clock_offset_s
        self.conflicts.extend(other.conflicts)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts (conflict ids left out)."""
        data = asdict(self)
        data.pop("conflicts")
        data.pop("missing")
        return data


class Uploader:
    """Sends an outbox's pending ratings to one collector.

    Not thread-safe: one uploader per thread, with an outbox opened on that thread.
    """

    def __init__(
        self,
        outbox: Outbox,
        url: str,
        token: str,
        *,
        batch_size: int = 500,
        ca_bundle: str | None = None,
        app_version: str = __version__,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5, 30),
        compress: bool = True,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.outbox = outbox
        self.url = url.rstrip("/")
        self.token = token
        self.batch_size = max(1, int(batch_size))
        self.verify: str | bool = ca_bundle or True
        self.app_version = app_version
        self.session = session or requests.Session()
        self.timeout = timeout
        self.compress = compress
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self._monotonic = monotonic
        # The queue's figures for kiosk_status(), refreshed every STATS_EVERY seconds.
        self._stats: dict[str, Any] | None = None
        self._stats_at = 0.0
        self._left_queue = 0

    # -- HTTP ---------------------------------------------------------------

    def _request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                 data: bytes | None = None) -> requests.Response:
        """One HTTP exchange, its body read in full; failures become SyncErrors."""
        all_headers = {
            "Authorization": f"Bearer {self.token}",
            "User-Agent": f"hymy-kiosk/{self.app_version}",
            **(headers or {}),
        }
        try:
            response = self.session.request(
                method, self.url + path, headers=all_headers, data=data,
                timeout=self.timeout, verify=self.verify,
            )
        except requests.exceptions.SSLError as error:
            raise Retryable(
                f"TLS error talking to {self.url} ({_short(error)}); "
                "if the collector uses a private CA, set sync.ca_bundle"
            ) from error
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema) as error:
            raise Fatal(f"sync.url {self.url!r} is not a valid http(s) URL") from error
        except requests.RequestException as error:
            # Connection refused/reset, timeouts, a body cut mid-way: all can succeed later.
            raise Retryable(
                f"collector unreachable at {self.url} ({network_reason(error)})"
            ) from error
        except OSError as error:
            if not isinstance(self.verify, str):
                raise
            # requests raises a bare OSError for a CA bundle it cannot read.
            raise Fatal(
                f"sync.ca_bundle {self.verify!r} cannot be used ({_short(error)}); "
                "point it at the PEM file of the collector's CA"
            ) from error
        _check_status(response)
        return response

    # -- batches ------------------------------------------------------------

    def kiosk_status(self, rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The status block sent with every batch (the batch's ``sent_at`` is the clock).

        Counting the queue scans it (a quarter of a second at a million
        pending), so during one :meth:`push_all` the count is taken afresh
        every STATS_EVERY seconds; in between, the ratings that left the queue
        since are subtracted, and the oldest pending tap is the oldest of the
        batch about to go (``rows``, the head of the queue).
        """
        now = self._monotonic()
        if self._stats is None or now - self._stats_at >= STATS_EVERY:
            self._stats, self._stats_at, self._left_queue = self.outbox.stats(), now, 0
        stats = self._stats
        pending, oldest = stats.get("pending"), stats.get("oldest_pending_at")
        if self._left_queue:
            pending = max(0, (pending or 0) - self._left_queue)
            oldest = min((row["created_at"] for row in rows or ()), default=None)
        return {
            "app_version": self.app_version,
            "pending": pending,
            "oldest_pending_at": oldest,
            "last_seq": stats.get("last_seq"),
        }

    def push_once(self) -> PushResult:
        """Send one batch of pending ratings (none = a heartbeat) and record the verdicts.

        Raises :class:`TokenRejected`, :class:`Retryable` or :class:`Fatal`; in
        every case nothing is marked, so the same ratings go again next time.
        """
        self._stats = None
        return self._push_batch()[0]

    def _push_batch(self) -> tuple[PushResult, list[str]]:
        """:meth:`push_once`, also returning the ids it settled."""
        result, ids = self._exchange()
        self._left_queue += len(ids)
        return result, ids

    def _exchange(self) -> tuple[PushResult, list[str]]:
        """One POST of the head of the queue (halved on 413) and its recorded verdicts."""
        rows = self.outbox.pending(self.batch_size)
        while True:
            body = make_batch(rows, self.kiosk_status(rows))
            data, headers = encode(body, compress=self.compress)
            try:
                response = self._request("POST", BATCHES_PATH, headers=headers, data=data)
            except Fatal as error:
                if error.status != 413 or not rows:
                    raise
                if len(rows) == 1:
                    reason = "too large for the collector (HTTP 413)"
                    self.outbox.mark_rejected({rows[0]["id"]: reason})
                    return PushResult(batches=1, sent=1, rejected=1), [rows[0]["id"]]
                # Too large for the collector: halve the batch, for this uploader's life.
                self.batch_size = max(1, len(rows) // 2)
                rows = rows[: self.batch_size]
                log.warning("collector said 413; batch size now %d", self.batch_size)
                continue
            break
        try:
            result = BatchResult.model_validate_json(response.content)
        except ValidationError as error:
            raise Retryable(
                f"collector answer unreadable (HTTP {response.status_code}): {_short(error)}"
            ) from error
        return self._record(rows, result), [row["id"] for row in rows]

    def _record(self, rows: list[dict[str, Any]], result: BatchResult) -> PushResult:
        """Mark what the collector acknowledged; refuse an answer that does not add up."""
        answered = result.accepted + result.duplicate + result.conflict + result.rejected
        if answered != len(rows):
            raise Fatal(
                f"collector answer does not match the batch (sent {len(rows)}, "
                f"answered {answered}); nothing marked"
            )
        ids = {row["id"] for row in rows}
        id_of_seq = {row["seq"]: row["id"] for row in rows}
        rejected: dict[str, str] = {}
        conflicts: list[str] = []
        for item in result.items:
            if item.id not in ids:
                # An id the collector could not echo: the seq still says which rating.
                item = item.model_copy(update={"id": id_of_seq.get(item.seq)})
                if item.id is None:
                    continue
            if item.status == "rejected":
                rejected[item.id] = item.reason or "rejected by the collector"
            elif item.status == "conflict":
                # The collector already holds a different rating under this id; it stays
                # authoritative, so ours leaves the queue (re-sending cannot change it).
                conflicts.append(item.id)
                log.warning("rating %s conflicts with the collector's copy: %s",
                            item.id, item.reason)
        if len(rejected) != result.rejected:
            # Marking the rest synced would drop an unidentified rejected rating.
            raise Fatal(
                f"collector answer does not say which {result.rejected} rating(s) it "
                "rejected; nothing marked"
            )
        if rejected:
            self.outbox.mark_rejected(rejected)
            for rating_id, reason in rejected.items():
                log.warning("collector rejected rating %s: %s", rating_id, reason)
        self.outbox.mark_synced([i for i in ids if i not in rejected])
        return PushResult(
            batches=1, sent=len(rows), accepted=result.accepted, duplicate=result.duplicate,
            conflict=result.conflict, rejected=result.rejected,
            clock_offset_s=result.clock_offset_s, conflicts=conflicts,
            missing=list(result.missing),
        )

    def push_all(self, progress: Callable[[int], Any] | None = None,
                 deadline: float | None = None) -> PushResult:
        """Send batches until nothing is pending; always at least one exchange.

        ``progress(n)`` is called with the ratings settled by each batch.
        ``deadline`` (a ``time.monotonic()`` value) allows retrying
        :class:`Retryable` failures with backoff until then; without it the
        first failure is raised (the caller schedules the retry).  A raised
        error carries what was delivered so far in ``error.result``.
        """
        total = PushResult()
        settled: set[str] = set()
        self._stats = None
        while True:
            try:
                result, ids = self._push_batch()
                if settled.intersection(ids):
                    # The outbox did not record an acknowledgement: stop rather than loop.
                    raise Fatal("the local store did not record the collector's answer")
            except Retryable as error:
                error.result = total
                if deadline is None:
                    raise
                delay = self.backoff.next_delay(error.retry_after)
                if self._monotonic() + delay > deadline:
                    raise
                log.warning("%s; retrying in %.1f s", error, delay)
                self._sleep(delay)
                continue
            except SyncError as error:
                error.result = total
                raise
            self.backoff.reset()
            settled.update(ids)
            total.add(result)
            if progress and result.sent:
                progress(result.sent)
            if result.sent < self.batch_size or not self.outbox.pending(1):
                if total.requeued or not self._requeue_missing(total):
                    return total
                settled.clear()  # the collector lacks some sent before: once more

    def _requeue_missing(self, total: PushResult) -> int:
        """Queue again what the collector's last answer says it lacks; how many.

        A collector restored from an older backup lacks ratings this kiosk
        already marked synced; while the kiosk still holds them they go again
        (the collector stores each id once, so nothing is doubled).
        """
        if not total.missing:
            return 0
        total.requeued = self.outbox.requeue(total.missing)
        if total.requeued:
            log.warning("collector lacks %d rating(s) sent before (restored from a backup?);"
                        " sending them again", total.requeued)
        return total.requeued

    # -- survey -------------------------------------------------------------

    def fetch_survey(self) -> bool:
        """Fetch the store's survey if it changed (ETag); True when a new one was saved.

        The survey is kept in outbox state ``"survey"`` (its ETag in
        ``"survey_etag"``) so the kiosk starts with the last known one offline.
        A collector without a survey for this store (404) leaves it as it is.
        """
        current = self.outbox.get_state(SURVEY_KEY)
        etag = self.outbox.get_state(SURVEY_ETAG_KEY)
        headers = {"Accept": "application/json"}
        if etag and current is not None:
            headers["If-None-Match"] = etag
        try:
            response = self._request("GET", SURVEY_PATH, headers=headers)
        except Fatal as error:
            if error.status == 404:
                return False
            raise
        if response.status_code == 304:
            return False
        try:
            survey = parse_survey(response.json()).body()
        except ValueError as error:  # also a body that is not JSON
            raise Fatal(f"survey from the collector is unusable: {_short(error)}") from error
        changed = survey != current
        if changed:
            self.outbox.set_state(SURVEY_KEY, survey)
            log.info("survey version %s saved", survey.get("version"))
        new_etag = response.headers.get("ETag")
        if new_etag != etag:
            self.outbox.set_state(SURVEY_ETAG_KEY, new_etag)
        return changed


def _check_status(response: requests.Response) -> None:
    """Raise the SyncError an HTTP status means; 2xx and 304 pass."""
    code = response.status_code
    if code < 300 or code == 304:
        return
    detail = _detail(response)
    if code in (401, 403):
        raise TokenRejected(
            f"token rejected by the collector (HTTP {code}{detail}); "
            "check sync.token (hymy-collector kiosk add)",
            status=code,
        )
    if code in RETRY_STATUSES:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise Retryable(f"collector busy (HTTP {code}{detail})", status=code,
                        retry_after=retry_after)
    raise Fatal(f"collector refused the request (HTTP {code}{detail})", status=code)


def _detail(response: requests.Response) -> str:
    """': <detail>' from a FastAPI-style error body, or ''."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    if not detail:
        return ""
    return ": " + str(detail)[:200]


def network_reason(error: BaseException) -> str:
    """A few words on why a request failed: 'connection refused', 'timed out'..."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(error, requests.exceptions.ReadTimeout):
        return "no answer in time"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "answer cut off"
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
        if type(cause).__name__ == "RemoteDisconnected":
            return "connection closed without an answer"
        if type(cause).__name__ == "IncompleteRead":
            return "answer cut off"
        nested = getattr(cause, "reason", None)
        if not isinstance(nested, BaseException):
            nested = next((a for a in cause.args if isinstance(a, BaseException)), None)
        cause = nested or cause.__cause__ or cause.__context__
    return _short(error)


def _short(error: BaseException) -> str:
    """The innermost useful line of a requests/urllib3 error."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


# -- the background thread ---------------------------------------------------


def write_status(outbox: Outbox, status: dict[str, Any]) -> bool:
    """Save the sync status for the staff screen; False (logged) when the disk refuses."""
    try:
        outbox.set_state(STATUS_KEY, status)
    except Exception as error:  # a full disk must not stop syncing or crash the app
        log.warning("cannot save sync status: %s", error)
        return False
    return True


def initial_status() -> dict[str, Any]:
    """The ``sync_status`` keys, before any attempt."""
    return {
        "last_sync_at": None,
        "last_attempt_at": None,
        "last_error": None,
        "token_rejected": False,
        "disk_full": False,
        "paused": False,
        "syncing": False,
        "pending": None,
        "rejected": None,
        "next_attempt_at": None,
        "clock_offset_s": None,
        "last_result": None,
    }


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
        self._status = initial_status()
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
            return dict(self._status)

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
        saved = _safe(lambda: outbox.get_state(STATUS_KEY), None)
        if isinstance(saved, dict):
            with self._lock:
                # Keep the last sync time across restarts; the rest is fresh.
                self._status["last_sync_at"] = saved.get("last_sync_at")
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
            changes.update(last_error=_short(error) or type(error).__name__,
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
        """Refresh the survey; only a rejected token stops the cycle."""
        try:
            self._uploader.fetch_survey()
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
        with self._lock:
            self._status.update(changes)
            snapshot = dict(self._status)
        if outbox is not None:
            write_status(outbox, snapshot)
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
