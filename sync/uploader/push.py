"""Pending ratings to the collector in batches, at least once and never twice.

One exchange (:meth:`Uploader.push_once`) is::

    outbox.pending(n) -> wire.make_batch -> POST /api/v1/batches -> BatchResult
                      -> outbox.mark_rejected / outbox.mark_synced

A rating is marked synced only *after* the collector's answer has been read,
and the collector stores each rating id once (a resend is answered
``duplicate``).  So a kill or a network cut at any point either leaves the
rating pending (it is sent again) or finds it already stored (the resend is a
no-op): nothing is lost and nothing is stored twice.  The HTTP exchange itself
is :class:`sync.uploader.client.Client`'s; when to try again is
:mod:`sync.uploader.retry`'s.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import requests
from pydantic import ValidationError

from sync import __version__
from sync.survey import parse_survey
from sync.uploader.client import (
    BATCHES_PATH,
    KIOSK_PATH,
    SURVEY_PATH,
    Client,
    Fatal,
    Retryable,
    SyncError,
    one_line,
)
from sync.uploader.outbox import Outbox
from sync.uploader.result import PushResult
from sync.uploader.retry import Backoff
from sync.wire import BatchResult, encode, make_batch

log = logging.getLogger(__name__)

#: Outbox state keys for the collector's survey (documented in docs/sync.md).
SURVEY_KEY = "survey"
SURVEY_ETAG_KEY = "survey_etag"
#: Outbox state key of what the collector says this kiosk is (``GET /api/v1/kiosk``):
#: ``{store_id, store_name, kiosk_id, timezone}`` (kiosk.store.IDENTITY_KEY).
IDENTITY_KEY = "collector_kiosk"
#: Seconds between recounts of the queue during one long push (see Uploader.kiosk_status).
STATS_EVERY = 10.0


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
        health: Callable[[], dict[str, Any]] | None = None,
    ):
        self.outbox = outbox
        # The kiosk's own figures for the status (uptime, disk, database size, zone):
        # passed in, as sync never imports the kiosk.
        self.health = health
        self.client = Client(url, token, ca_bundle=ca_bundle, app_version=app_version,
                             session=session, timeout=timeout)
        self.batch_size = max(1, int(batch_size))
        self.compress = compress
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self._monotonic = monotonic
        # The queue's figures for kiosk_status(), refreshed every STATS_EVERY seconds.
        self._stats: dict[str, Any] | None = None
        self._stats_at = 0.0
        self._left_queue = 0

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
            **self._health(),
            "app_version": self.client.app_version,
            "pending": pending,
            "oldest_pending_at": oldest,
            "last_seq": stats.get("last_seq"),
            "rejected": stats.get("rejected"),
        }

    def _health(self) -> dict[str, Any]:
        """The kiosk's health figures, or none: a failing probe must not stop an upload."""
        if self.health is None:
            return {}
        try:
            return dict(self.health())
        except Exception as error:  # a probe of the disk or the clock
            log.warning("kiosk health not reported: %s", one_line(error))
            return {}

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
                response = self.client.request("POST", BATCHES_PATH, headers=headers, data=data)
            except Fatal as error:
                if error.status != 413 or not rows:
                    raise
                if len(rows) == 1:
                    reason = "too large for the collector (HTTP 413)"
                    self.outbox.mark_rejected({rows[0]["id"]: reason})
                    return (PushResult(batches=1, sent=1, rejected=1,
                                       rejected_reasons={reason: 1}), [rows[0]["id"]])
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
                f"collector answer unreadable (HTTP {response.status_code}): {one_line(error)}"
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
        reasons: dict[str, int] = {}
        first: dict[str, str] = {}
        for rating_id, reason in rejected.items():
            reasons[reason] = reasons.get(reason, 0) + 1
            first.setdefault(reason, rating_id)
        if rejected:
            self.outbox.mark_rejected(rejected)
            # One line per verdict, not per rating: a wrong store_id rejects them all.
            for reason, n in reasons.items():
                log.warning("collector rejected %d rating(s) (first %s): %s", n, first[reason],
                            reason)
        self.outbox.mark_synced([i for i in ids if i not in rejected])
        return PushResult(
            batches=1, sent=len(rows), accepted=result.accepted, duplicate=result.duplicate,
            conflict=result.conflict, rejected=result.rejected,
            clock_offset_s=result.clock_offset_s, conflicts=conflicts,
            missing=list(result.missing), rejected_reasons=reasons,
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
            response = self.client.request("GET", SURVEY_PATH, headers=headers)
        except Fatal as error:
            if error.status == 404:
                return False
            raise
        if response.status_code == 304:
            return False
        try:
            survey = parse_survey(response.json()).body()
        except ValueError as error:  # also a body that is not JSON
            raise Fatal(f"survey from the collector is unusable: {one_line(error)}") from error
        changed = survey != current
        if changed:
            self.outbox.set_state(SURVEY_KEY, survey)
            log.info("survey version %s saved", survey.get("version"))
        new_etag = response.headers.get("ETag")
        if new_etag != etag:
            self.outbox.set_state(SURVEY_ETAG_KEY, new_etag)
        return changed

    # -- who this kiosk is ----------------------------------------------------

    def fetch_identity(self) -> dict[str, Any] | None:
        """Ask the collector which store and kiosk the token is for; save and return it.

        ``GET /api/v1/kiosk`` answers ``{store_id, store_name, kiosk_id,
        timezone}``: the collector is the source of truth for its stores, so
        the kiosk dates its taps in that time zone and compares the ids with
        its config (``kiosk.store.Store.identity_mismatches``).  Saved under
        outbox state ``"collector_kiosk"``.  A collector older than this
        endpoint (404) answers None and nothing is saved.
        """
        try:
            response = self.client.request("GET", KIOSK_PATH,
                                           headers={"Accept": "application/json"})
        except Fatal as error:
            if error.status == 404:
                return None
            raise
        try:
            data = response.json()
            identity = {key: str(data[key])
                        for key in ("store_id", "store_name", "kiosk_id", "timezone")}
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise Fatal(f"kiosk identity from the collector is unusable: {one_line(error)}"
                        ) from error
        if identity != self.outbox.get_state(IDENTITY_KEY):
            self.outbox.set_state(IDENTITY_KEY, identity)
            log.info("collector: store %s (%s), kiosk %s, time zone %s", identity["store_id"],
                     identity["store_name"], identity["kiosk_id"], identity["timezone"])
        return identity
