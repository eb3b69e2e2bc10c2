"""New ratings as they arrive: ``GET /api/v1/export/stream``, Server-Sent Events.

For an integration that wants each rating within a second or two instead of
pulling ``/api/v1/export/ratings`` on a timer.  It is the same export cursor,
pushed: one ``rating`` event per rating in ingest order, its ``id:`` the
rating's ``ingest_seq``, its ``data:`` the JSON Lines export's object.

- **Resume.** A client that reconnects sends ``Last-Event-ID`` (browsers'
  ``EventSource`` does by itself) or ``?after=CURSOR``; the stream carries on
  after that rating.  Delivery is at least once: an event received but not
  yet recorded by the client comes again after a reconnect, and nothing is
  skipped (writers are serialised, so ``ingest_seq`` only grows as seen).
- **Polling.** Each stream asks the database for ratings past its cursor every
  ``POLL_S`` seconds, so every worker process and host serves every rating,
  whoever stored it; at most ``BATCH`` rows are read and written at a time.
- **Liveness.** A comment line every ``HEARTBEAT_S`` seconds of quiet keeps
  proxies from closing the connection and tells the client the server lives.
  The token is looked up again then: a revoked token's stream ends.
- **Shutdown.** When the server stops (SIGTERM), each stream ends within
  ``POLL_S`` (:func:`sync.collector.timeouts.closing`), so a stream never holds
  a shutdown up; the client reconnects with its cursor.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from sync.collector import timeouts
from sync.collector.api.export import StoreNames, parse_cursor, rating_dicts
from sync.collector.auth import bearer, chain_reader, storage_of
from sync.collector.db.storage import Storage
from sync.collector.reads import reads_of
from sync.collector.tokens import CHAIN_READERS, Principal

router = APIRouter(prefix="/api/v1/export", tags=["export"])
POLL_S = 0.5
HEARTBEAT_S = 15.0
BATCH = 500
#: How long a client waits before reconnecting after the connection drops (ms).
RETRY_MS = 2000


def event(item: dict) -> str:
    """One rating as an SSE ``rating`` event; its id is the cursor to resume after it."""
    return f"id: {item['ingest_seq']}\nevent: rating\ndata: {json.dumps(item)}\n\n"


@router.get(
    "/stream",
    summary="New ratings as Server-Sent Events, from a cursor",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}},
                     "description": "rating events (id: ingest_seq), heartbeat comments"}},
)
async def export_stream(
    request: Request,
    principal: Principal = Depends(chain_reader),
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    after: str = Query("0", description="Start after this cursor (0: every rating)"),
    last_event_id: str | None = Header(None, description="Sent on reconnect; wins over after"),
) -> StreamingResponse:
    """Every rating stored after the cursor, then each new one as it is stored.

    Events: ``id: <ingest_seq>``, ``event: rating``, ``data: <the rating as
    JSON>``.  Reconnect with ``Last-Event-ID`` (or ``?after=``) set to the
    last id you processed.  ``: heartbeat`` comments come every 15 s of quiet.
    """
    try:
        cursor = parse_cursor(last_event_id if last_event_id is not None else after)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    storage = await run_in_threadpool(reads_of, request)
    token = credentials.credentials if credentials else ""

    async def allowed() -> bool:  # tokens are looked up on the primary, never a replica
        found = await storage_of(request).principal_async(token)
        return found is not None and found.role in CHAIN_READERS and found.chain_wide

    return StreamingResponse(
        ratings_after(storage, cursor, allowed, timeouts.closing),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def ratings_after(
    storage: Storage, cursor: int, allowed: Callable[[], Awaitable[bool]],
    closing: Callable[[], bool],
) -> AsyncIterator[str]:
    """The stream's text: a retry hint, then rating events and heartbeats until ``closing()``.

    ``allowed`` is asked at each heartbeat whether the
    caller's token still reads the chain; the stream ends when it no longer does.
    """
    yield f"retry: {RETRY_MS}\n\n"
    stores = await run_in_threadpool(StoreNames, storage)
    quiet_since = time.monotonic()
    while not closing():
        rows = await run_in_threadpool(storage.export_ratings, cursor, BATCH)
        if rows:
            cursor = rows[-1][0]
            yield "".join(event(item) for item in rating_dicts(rows, stores))
            quiet_since = time.monotonic()
            if len(rows) == BATCH:
                continue  # more are waiting: no pause
        elif time.monotonic() - quiet_since >= HEARTBEAT_S:
            if not await allowed():
                return
            yield ": heartbeat\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(POLL_S)
