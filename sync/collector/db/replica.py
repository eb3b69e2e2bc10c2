"""Reads from a PostgreSQL streaming replica (``read_database``), and when not to.

A hot standby made with ``pg_basebackup -R`` replays the primary's write-ahead
log: it holds what the primary held a moment ago.  Dashboard pages and exports
may read there; writes, token and session lookups and anything that must see
its own writes stay on the primary (docs/deploy.md, "A read replica").

:class:`Replica` is a :class:`~sync.collector.db.connection.Database` for the
replica that decides, per read, whether the replica will do:

- **Lag.** :meth:`Replica.freshness` compares the primary's WAL position with
  the replica's replayed one; when the replica has replayed everything it is
  current, otherwise it is as old as the last transaction it replayed
  (``pg_last_xact_replay_timestamp()``).  Measured at most every
  ``CHECK_EVERY_S`` per process (two one-row queries), by one thread while the
  others use the last answer.  Beyond ``max_lag_s`` reads go to the primary.
- **Fall-back.** A replica that does not answer within ``WAIT_S`` (connecting,
  or a pooled connection) sends reads to the primary, in the same request:
  :meth:`Replica.connection` hands out a primary connection instead.  The
  replica is tried again ``CHECK_EVERY_S`` later; each change (gone, lagging,
  back) is logged once.

Export cursors stay right on either server: writers are serialised, so
``ingest_seq`` values commit in order, and a replica replays commits in that
same order.  What a replica shows is always a prefix of what the primary has;
a lagging one returns fewer rows after a cursor, never a later row without the
earlier ones.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sync.clock import utc_now
from sync.collector.db.connection import Busy, Connection, Database, DatabaseError
from sync.collector.logs import logger

#: Seconds a measured lag (or an unanswered replica) is trusted before asking again.
CHECK_EVERY_S = 2.0
#: Seconds to wait for the replica (connecting or a pooled connection) before the primary.
WAIT_S = 2.0
#: The primary's WAL position, in bytes.
PRIMARY_POSITION = "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"
#: On the replica: the WAL position it has replayed (NULL on a server that is no
#: standby) and how old its last replayed transaction is, in seconds (none replayed
#: since it started: at least as old as its start).
REPLAYED = (
    "SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn, EXTRACT(EPOCH FROM now()"
    " - COALESCE(pg_last_xact_replay_timestamp(), pg_postmaster_start_time()))"
)

#: The answer headers of a read that may come from the replica (see :meth:`Freshness.headers`).
FRESHNESS_HEADERS = ("X-Hymy-Read-From", "X-Hymy-Data-As-Of", "X-Hymy-Replica-Lag")


@dataclass(frozen=True)
class Freshness:
    """Where a request's reads go and how current they are."""

    replica: bool  # True: the replica; False: the primary
    as_of: datetime  # the data holds every commit up to this moment (UTC)
    lag_s: float | None  # the replica's lag when last measured; None: it did not answer

    def headers(self) -> dict[str, str]:
        """The answer headers: ``X-Hymy-Read-From``, ``X-Hymy-Data-As-Of`` and, when
        measured, ``X-Hymy-Replica-Lag``."""
        source, as_of, lag = FRESHNESS_HEADERS
        found = {source: "replica" if self.replica else "primary",
                 as_of: self.as_of.strftime("%Y-%m-%dT%H:%M:%SZ")}
        if self.lag_s is not None:
            found[lag] = f"{self.lag_s:.1f}"
        return found


class Replica(Database):
    """The read database: a streaming replica of ``primary``, used while it keeps up."""

    def __init__(self, url: str, primary: Database, max_lag_s: float,
                 max_connections: int | None = None) -> None:
        super().__init__(url, max_connections=max_connections, wait_s=WAIT_S)
        self.primary = primary
        self.max_lag_s = max_lag_s
        self._measuring = threading.Lock()
        #: ``(monotonic time, lag in seconds or None when unreachable)`` of the last check.
        self._measured: tuple[float, float | None] | None = None
        self._state = "ok"  # "ok", "behind" or "gone": a change is logged
        self._gone_because = ""

    def lag(self) -> float | None:
        """The replica's lag in seconds (0: current), at most ``CHECK_EVERY_S`` old;
        None while it does not answer."""
        measured = self._measured
        fresh = measured is not None and time.monotonic() - measured[0] < CHECK_EVERY_S
        # One thread measures; the others go on with the last answer (none yet: wait).
        if not fresh and self._measuring.acquire(blocking=measured is None):
            try:
                if self._measured is measured:
                    self._remember(self._measure())
            finally:
                self._measuring.release()
        found = self._measured
        return None if found is None else found[1]

    def usable(self) -> bool:
        """True when reads may go to the replica: it answers and lags no more than allowed."""
        lag = self.lag()
        return lag is not None and lag <= self.max_lag_s

    def freshness(self) -> Freshness:
        """Where a read goes now, and how old its data is."""
        lag = self.lag()
        now = utc_now()
        if lag is not None and lag <= self.max_lag_s:
            return Freshness(True, now - timedelta(seconds=lag), lag)
        return Freshness(False, now, lag)

    def _measure(self) -> float | None:
        """Ask both servers how far apart they are; None when the replica does not answer.

        The primary is asked first: a replica that has replayed that far holds
        every commit made before this check began.
        """
        with self.primary.connection() as conn:
            wanted = conn.scalar(PRIMARY_POSITION)
        try:
            if self._state == "gone":
                self._probe()  # a direct connect fails fast; the pool would wait WAIT_S
            with super().connection() as conn:
                replayed, age = conn.rows(REPLAYED)[0]
        except (Busy, DatabaseError) as error:
            self._gone_because = str(error)
            return None
        if replayed is None or replayed >= wanted:
            return 0.0  # caught up (or no standby at all: nothing to wait for)
        return max(0.0, float(age))

    def _remember(self, lag: float | None) -> None:
        """Keep a measurement; log when the replica's state changes, once per change."""
        self._measured = (time.monotonic(), lag)
        state = "gone" if lag is None else "behind" if lag > self.max_lag_s else "ok"
        if state == self._state:
            return
        self._state = state
        if state == "gone":
            logger.warning("read replica unreachable; reads go to the primary",
                           extra={"database": self.display_url, "error": self._gone_because})
        elif state == "behind":
            logger.warning("read replica lags; reads go to the primary",
                           extra={"lag_s": round(lag or 0.0, 1), "max_lag_s": self.max_lag_s})
        else:
            logger.info("read replica back; reads go to it again",
                        extra={"lag_s": round(lag or 0.0, 1)})

    async def query_one_async(self, sql: str, params: Sequence[Any] = ()) -> dict | None:
        """Lookups from the event loop are token lookups: the primary's, never a replica's."""
        return await self.primary.query_one_async(sql, params)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A replica connection, or the primary's when the replica lags or does not answer."""
        with ExitStack() as stack:
            conn = None
            if self.usable():
                try:
                    conn = stack.enter_context(super().connection())
                except (Busy, DatabaseError) as error:
                    self._gone_because = str(error)
                    self._remember(None)
            if conn is None:
                conn = stack.enter_context(self.primary.connection())
            yield conn
