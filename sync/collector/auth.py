"""FastAPI dependencies that decide who is calling and whether they may.

- no token, a malformed header, an unknown or revoked token: **401**;
- a valid token whose role may not use the endpoint: **403**
  (the kiosk uploader stops syncing on either and tells the operator);
- more than ``auth_failures_per_minute`` unknown or revoked tokens from one
  client address within a minute: **429** with ``Retry-After`` for that
  address's bad tokens until the minute has passed.  Requests with a valid
  token are never throttled, so kiosks behind the same address keep syncing.

The rules themselves (which role reads what) live in :mod:`sync.collector.tokens`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sync.collector.db.storage import Storage
from sync.collector.logs import log_fields
from sync.collector.tokens import CHAIN_READERS, READERS, Principal

bearer = HTTPBearer(
    auto_error=False,
    description="A token from `hymy-collector kiosk add` or `hymy-collector token add`.",
)
UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}
AUTH_WINDOW_S = 60.0


class FailureThrottle:
    """Failed attempts per client address in a sliding window (per server process).

    After ``limit`` failures within ``window_s`` seconds, further attempts from
    that address wait until the oldest failure leaves the window.  Tokens are
    192 random bits, so nobody guesses one; the limit keeps a misbehaving
    client from filling the log and the database with lookups.  Used for bad
    API tokens and for dashboard logins.  Idle addresses are forgotten.  A good
    token does not wipe an address's failures: kiosks and guessers can share one.
    """

    def __init__(self, limit: int, window_s: float = AUTH_WINDOW_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, now: float | None = None) -> float:
        """Seconds until ``key`` may try again (0 when it may now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            found = self._failures.get(key)
            if not found:
                return 0.0
            while found and found[0] <= now - self.window_s:
                found.popleft()
            if len(found) < self.limit:
                return 0.0
            return max(0.0, found[-self.limit] + self.window_s - now)

    def failed(self, key: str, now: float | None = None) -> None:
        """Record one failed attempt from ``key``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._failures) > 10_000:  # forget idle addresses, keep memory bounded
                self._failures = {k: v for k, v in self._failures.items()
                                  if v and v[-1] > now - self.window_s}
            found = self._failures.setdefault(key, deque())
            found.append(now)
            while len(found) > self.limit:  # only the newest `limit` decide the wait
                found.popleft()


def storage_of(request: Request) -> Storage:
    """The app's :class:`Storage`."""
    return request.app.state.storage


async def caller(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Principal:
    """The principal behind the request's bearer token (401 when there is none).

    Looked up on the event loop, not in a worker thread: the hand-over would
    cost more than the lookup (``Database.query_one_async``).
    """
    if credentials is None:
        raise HTTPException(
            401, "missing bearer token: send 'Authorization: Bearer <token>'", UNAUTHORIZED
        )
    principal = await storage_of(request).principal_async(credentials.credentials)
    if principal is None:
        throttle: FailureThrottle = request.app.state.failed_auth
        client = request.client.host if request.client else "unknown"
        wait = throttle.retry_after(client)
        if not wait:
            throttle.failed(client)
        if wait > 0:
            raise HTTPException(
                429, "too many requests with an unknown or revoked token from this address;"
                " check the token, then retry after Retry-After seconds",
                {"Retry-After": str(math.ceil(wait))},
            )
        raise HTTPException(401, "unknown or revoked token", UNAUTHORIZED)
    log = log_fields(request)
    log["role"] = principal.role
    if principal.store_id:
        log["store_id"] = principal.store_id
    if principal.kiosk_id:
        log["kiosk_id"] = principal.kiosk_id
    return principal


def _forbidden(principal: Principal, needs: str) -> HTTPException:
    return HTTPException(403, f"a {principal.role} token cannot do this; it needs {needs}")


async def kiosk(principal: Principal = Depends(caller)) -> Principal:
    """Only kiosk tokens of a kiosk and store in use: uploads and survey fetches are per kiosk.

    A retired kiosk, or a kiosk of a retired store, gets 403 with a sentence
    saying so; the uploader stops syncing and shows it to the staff.
    """
    if principal.role != "kiosk":
        raise _forbidden(principal, "a kiosk token")
    if principal.retired:
        raise HTTPException(403, principal.retired)
    return principal


async def reader(principal: Principal = Depends(caller)) -> Principal:
    """Staff, office or admin tokens: anyone who may read numbers."""
    if principal.role not in READERS:
        raise _forbidden(principal, "a staff, office or admin token")
    return principal


async def chain_reader(principal: Principal = Depends(caller)) -> Principal:
    """Office or admin tokens: the whole chain's numbers and exports (not one scoped to a
    region: it reads its region's stores and figures, ``/api/v1/regions/{id}/...``)."""
    if principal.role not in CHAIN_READERS:
        raise _forbidden(principal, "an office or admin token")
    if not principal.chain_wide:
        raise HTTPException(403, f"this token is scoped to region {principal.region_id!r};"
                                 f" read /api/v1/regions/{principal.region_id}/summary instead")
    return principal


async def admin(principal: Principal = Depends(caller)) -> Principal:
    """Admin tokens only: creating stores, kiosks, tokens and surveys."""
    if principal.role != "admin":
        raise _forbidden(principal, "an admin token")
    return principal


def readable_store(
    store_id: str, request: Request, principal: Principal = Depends(reader)
) -> dict[str, Any]:
    """The store in the path, if this caller may read it (403) and it exists (404)."""
    if not principal.can_read(store_id):
        if principal.region_id is not None:
            raise HTTPException(403, f"this token may only read the stores of region"
                                     f" {principal.region_id!r}")
        raise HTTPException(403, f"this staff token may only read store {principal.store_id!r}")
    store = storage_of(request).store(store_id)
    if store is None:
        raise HTTPException(404, f"no store {store_id!r}")
    return store
