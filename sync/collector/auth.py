"""FastAPI dependencies that decide who is calling and whether they may.

- no token, a malformed header, an unknown or revoked token: **401**;
- a valid token whose role may not use the endpoint: **403**
  (the kiosk uploader stops syncing on either and tells the operator).

The rules themselves (which role reads what) live in :mod:`sync.collector.tokens`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sync.collector.logs import log_fields
from sync.collector.storage import Storage
from sync.collector.tokens import CHAIN_READERS, READERS, Principal

bearer = HTTPBearer(
    auto_error=False,
    description="A token from `hymy-collector kiosk add` or `hymy-collector token add`.",
)
UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


def storage_of(request: Request) -> Storage:
    """The app's :class:`Storage`."""
    return request.app.state.storage


def caller(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Principal:
    """The principal behind the request's bearer token (401 when there is none)."""
    if credentials is None:
        raise HTTPException(
            401, "missing bearer token: send 'Authorization: Bearer <token>'", UNAUTHORIZED
        )
    principal = storage_of(request).principal(credentials.credentials)
    if principal is None:
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


def kiosk(principal: Principal = Depends(caller)) -> Principal:
    """Only kiosk tokens: uploads and survey fetches are per kiosk."""
    if principal.role != "kiosk":
        raise _forbidden(principal, "a kiosk token")
    return principal


def reader(principal: Principal = Depends(caller)) -> Principal:
    """Staff, office or admin tokens: anyone who may read numbers."""
    if principal.role not in READERS:
        raise _forbidden(principal, "a staff, office or admin token")
    return principal


def chain_reader(principal: Principal = Depends(caller)) -> Principal:
    """Office or admin tokens: the whole chain's numbers and exports."""
    if principal.role not in CHAIN_READERS:
        raise _forbidden(principal, "an office or admin token")
    return principal


def admin(principal: Principal = Depends(caller)) -> Principal:
    """Admin tokens only: creating stores, kiosks, tokens and surveys."""
    if principal.role != "admin":
        raise _forbidden(principal, "an admin token")
    return principal


def readable_store(
    store_id: str, request: Request, principal: Principal = Depends(reader)
) -> dict[str, Any]:
    """The store in the path, if this caller may read it (403) and it exists (404)."""
    if not principal.can_read(store_id):
        raise HTTPException(403, f"this staff token may only read store {principal.store_id!r}")
    store = storage_of(request).store(store_id)
    if store is None:
        raise HTTPException(404, f"no store {store_id!r}")
    return store
