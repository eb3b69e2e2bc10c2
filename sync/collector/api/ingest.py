"""Routes for kiosks: upload a batch of ratings, fetch the store's survey and who they are.

``POST /api/v1/batches`` reads the body itself rather than letting FastAPI
parse it: the size limit is enforced while reading and while decompressing (a
small gzip body can inflate to gigabytes), and each rating is validated on its
own so that one bad rating is rejected with a reason while the rest is stored.

Batch-level problems get a 4xx and store nothing:

- 400 body is not strict JSON (UTF-8, no NaN/Infinity, no key twice) or
  not one complete gzip stream;
- 413 body (or decompressed body) over ``MAX_BODY_BYTES``, or more than
  ``MAX_BATCH_RATINGS`` ratings;
- 415 a ``Content-Encoding`` other than gzip, or a non-JSON ``Content-Type``;
- 422 the envelope (``sent_at``, ``status``, ``ratings``) has the wrong shape;
- 408 the body did not arrive within ``body_timeout_s`` (the connection is closed);
- 429 too many uploads in progress: more than ``max_uploads_per_kiosk`` from
  this kiosk, or more than ``max_ingest_requests`` being stored by this
  process (with ``Retry-After``).  A process slot is taken only once the
  body has been read, so slow clients cannot starve the other kiosks.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import Counter
from collections.abc import Callable
from operator import attrgetter
from zoneinfo import ZoneInfo

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from sync.clock import local_date, parse_utc
from sync.collector.api.models import KioskIdentity, errors
from sync.collector.auth import kiosk, storage_of
from sync.collector.db.stays import Stays
from sync.collector.db.storage import Storage
from sync.collector.logs import log_fields
from sync.collector.tokens import Principal
from sync.survey import BUILT_IN_REASONS, Survey
from sync.wire import (
    MAX_BODY_BYTES,
    BadBatch,
    Batch,
    BatchResult,
    ItemResult,
    Rating,
    Rejection,
    all_ours,
    decode_batch,
)

router = APIRouter(tags=["kiosk"])
RETRY_AFTER_S = 2


#: The batch body's schema, named: ``Batch``, ``Rating`` and ``KioskStatus`` (msgspec's
#: own schemas of the wire types), added to the OpenAPI components by the app.
(BATCH_SCHEMA,), WIRE_SCHEMAS = msgspec.json.schema_components(
    [Batch], ref_template="#/components/schemas/{name}")


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, gunzipped when so encoded, never more than ``limit`` bytes."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity", "gzip"):
        raise HTTPException(415, f"Content-Encoding {encoding!r} not supported; use gzip")
    content_type = request.headers.get("content-type", "application/json").lower()
    if "json" not in content_type:
        raise HTTPException(415, "Content-Type must be application/json")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise HTTPException(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise HTTPException(413, f"body is larger than {limit} bytes; send smaller batches")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body is larger than {limit} bytes; send smaller batches")
        chunks.append(chunk)
    data = b"".join(chunks)
    return gunzip(data, limit) if encoding == "gzip" else data


async def read_body_within(request: Request, seconds: float) -> bytes:
    """:func:`read_body`, answered 408 (and the connection closed) after ``seconds``.

    Without a deadline a client trickling a body one byte at a time holds its
    connection and upload slot for as long as it likes.
    """
    try:
        async with asyncio.timeout(seconds):
            return await read_body(request)
    except TimeoutError:
        raise HTTPException(
            408, f"the body took longer than {seconds:g} s to arrive; send it again",
            {"Connection": "close"},
        ) from None


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompress a gzip body, stopping as soon as the output would pass ``limit``."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as error:
        raise HTTPException(400, f"body is not valid gzip: {error}") from None
    if len(out) > limit:
        raise HTTPException(413, f"decompressed body is larger than {limit} bytes")
    if not inflater.eof:
        raise HTTPException(400, "gzip body is truncated")
    if inflater.unused_data:
        raise HTTPException(400, "data after the end of the gzip stream; send one gzip member")
    return out


#: The status of each kind of batch refused as a whole.
BAD_BATCH_STATUS = {"json": 400, "size": 413, "shape": 422}


_CREATED = attrgetter("created_at")
_STORE = attrgetter("store_id")


def made_before_move(principal: Principal, ratings: list[Rating]) -> bool:
    """True when the token's kiosk moved after one of ``ratings`` was made."""
    moved_at = principal.moved_at
    return moved_at is not None and bool(ratings) and min(map(_CREATED, ratings)) < moved_at


def filing(principal: Principal,
           stays: Callable[[], Stays] | None) -> Callable[[Rating], Rating | None]:
    """A function giving a rating as filed (``store_id`` the store it is filed under, None
    for the token's), or None when it names a store its kiosk never stood in.

    Ratings naming the token's store (or none) made since the kiosk's last
    move are the token's; only the others ask ``stays`` (the kiosk's store
    history, read at most once, and only for a kiosk that ever moved).
    Without ``stays`` only the token's store is known.
    """
    current, moved_at = principal.store_id, principal.moved_at
    known: list[Stays] = []

    def filed(rating: Rating) -> Rating | None:
        named = rating.store_id
        ours = named is None or named == current
        if moved_at is None or stays is None or (ours and rating.created_at >= moved_at):
            return rating if ours else None
        if not known:
            known.append(stays())
        store = known[0].filed_under(named, rating.created_at)
        if store is None:
            return None
        return rating if store == (named or current) else msgspec.structs.replace(
            rating, store_id=store)

    return filed


def read_batch(
    data: bytes, principal: Principal, stays: Callable[[], Stays] | None = None,
) -> tuple[Batch, list[tuple[int, Rating]], list[tuple[int, ItemResult]]]:
    """The envelope, the valid ratings and the rejections of a batch body, by position.

    :func:`~sync.wire.decode_batch` reads the whole batch in one pass; here
    ratings naming another kiosk than the token's, or a store the kiosk never
    stood in, are refused too.  A valid rating's ``store_id`` is the store it
    is filed under (None: the token's); ``stays`` gives a moved kiosk's
    history (:func:`filing`).  Raises HTTPException for a batch refused as a
    whole.
    """
    try:
        batch, ratings = decode_batch(data)
    except BadBatch as error:
        raise HTTPException(BAD_BATCH_STATUS[error.kind], str(error)) from None
    if (ratings is batch.ratings
            and all_ours(batch.ratings, principal.store_id, principal.kiosk_id)
            and not made_before_move(principal, batch.ratings)):
        return batch, list(enumerate(batch.ratings)), []  # the usual batch: every rating valid
    filed = filing(principal, stays)
    valid, rejected = [], []
    for index, rating in enumerate(ratings):
        if isinstance(rating, Rejection):
            why = rating.reason
        elif rating.kiosk_id is not None and rating.kiosk_id != principal.kiosk_id:
            why = f"kiosk_id {rating.kiosk_id!r} does not match this kiosk's token"
        elif (where := filed(rating)) is None:
            why = f"store_id {rating.store_id!r} does not match this kiosk's token"
        else:
            valid.append((index, where))
            continue
        rejected.append((index, ItemResult(id=rating.id, seq=rating.seq, status="rejected",
                                           reason=why)))
    return batch, valid, rejected


def offered_reasons_only(
    storage: Storage, principal: Principal,
    valid: list[tuple[int, Rating]], rejected: list[tuple[int, ItemResult]],
) -> tuple[list[tuple[int, Rating]], list[tuple[int, ItemResult]]]:
    """Reject ratings whose ``reason`` no survey of the store they are filed under offered.

    A reason is a key the kiosk showed as a button, so anything else (free
    text posing as a key) is refused with a verdict, never stored or dropped
    silently.  Keys of every survey version the store had count, and the
    built-in ones (:data:`~sync.survey.BUILT_IN_REASONS`): a kiosk still
    showing an older version must not lose its ratings.  The database is
    asked only when a batch carries a key outside the built-in set.
    """
    unusual = {rating.reason for _, rating in valid} - BUILT_IN_REASONS - {None}
    if not unusual:
        return valid, rejected
    offered: dict[str, frozenset[str]] = {}
    kept, refused = [], list(rejected)
    for index, rating in valid:
        store = rating.store_id or principal.store_id
        if rating.reason in unusual and store not in offered:
            offered[store] = storage.reason_keys(store)
        if rating.reason in unusual and rating.reason not in offered[store]:
            refused.append((index, ItemResult(
                id=rating.id, seq=rating.seq, status="rejected",
                reason=f"reason {rating.reason!r} is not a follow-up reason that any survey"
                       f" of store {store!r} offers",
            )))
        else:
            kept.append((index, rating))
    if len(refused) == len(rejected):
        return valid, rejected
    refused.sort(key=lambda pair: pair[0])
    return kept, refused


def on_store_days(storage: Storage, principal: Principal,
                  valid: list[tuple[int, Rating]]) -> list[tuple[int, Rating]]:
    """The ratings with ``local_date`` the day of ``created_at`` in their store's time zone.

    The collector is the source of truth for its stores: a kiosk whose
    config names another zone (the example's Helsinki in a Stockholm store)
    would otherwise file a 23:30 Monday tap under Tuesday.  The kiosk's own
    date only had to be plausible (within a day, :mod:`sync.wire`); a rating
    re-sent is refiled the same way, so it is still a ``duplicate``.  A
    rating filed under a moved kiosk's earlier store takes that store's zone.
    Days are computed once per store and minute of the batch.
    """
    if not valid:
        return valid
    zones: dict[str | None, ZoneInfo] = {}
    days: dict[tuple[str | None, str], str] = {}
    refiled = []
    for index, rating in valid:
        key = (rating.store_id, rating.created_at[:16])
        day = days.get(key)
        if day is None:
            tz = zones.get(rating.store_id)
            if tz is None:
                tz = zones[rating.store_id] = storage.zone(rating.store_id or principal.store_id)
            day = days[key] = local_date(parse_utc(rating.created_at), tz)
        if day != rating.local_date:
            rating = msgspec.structs.replace(rating, local_date=day)
        refiled.append((index, rating))
    return refiled


def filed_stores(principal: Principal, valid: list[tuple[int, Rating]]) -> list[str] | None:
    """The store each rating is filed under, or None when all are the token's."""
    ratings = [rating for _, rating in valid]
    if set(map(_STORE, ratings)) <= {None, principal.store_id}:
        return None
    return [rating.store_id or principal.store_id for rating in ratings]


def handle_batch(storage: Storage, principal: Principal, data: bytes) -> BatchResult:
    """Parse, validate and store one upload; the per-item verdicts in a BatchResult."""
    batch, valid, rejected = read_batch(
        data, principal, lambda: storage.stays(principal.kiosk_id, principal.store_id))
    valid, rejected = offered_reasons_only(storage, principal, valid, rejected)
    valid = on_store_days(storage, principal, valid)
    outcome = storage.ingest(
        principal, [rating for _, rating in valid], parse_utc(batch.sent_at), batch.status,
        stores=filed_stores(principal, valid),
    )
    counts = Counter(status for status, _ in outcome.statuses)
    items = list(rejected)
    if counts["accepted"] != len(valid):
        for (index, rating), (status, reason) in zip(valid, outcome.statuses, strict=True):
            if status != "accepted":
                items.append((index, ItemResult(id=rating.id, seq=rating.seq, status=status,
                                                reason=reason)))
        items.sort(key=lambda pair: pair[0])
    return BatchResult(
        accepted=counts["accepted"],
        duplicate=counts["duplicate"],
        conflict=counts["conflict"],
        rejected=len(rejected),
        items=[item for _, item in items],
        clock_offset_s=outcome.clock_offset_s,
        missing=outcome.missing,
    )


@router.post(
    "/api/v1/batches",
    response_model=BatchResult,
    summary="Upload a batch of ratings (or a heartbeat)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BATCH_SCHEMA}},
            "description": "JSON, optionally with Content-Encoding: gzip",
        }
    },
    responses=errors(400, 408, 413, 415, 422, 429,
                     e422="Batch envelope has the wrong shape; nothing stored",
                     e429="Too many uploads at once; retry after Retry-After seconds"),
)
async def post_batch(request: Request, principal: Principal = Depends(kiosk)) -> Response:
    """Store a kiosk's ratings exactly once.

    Store and kiosk come from the token.  Each rating is checked on its own:
    the answer counts ``accepted``, ``duplicate`` (same id and content already
    stored), ``conflict`` (same id, different content; the first version
    stays) and ``rejected`` (invalid, with a reason), and lists every rating
    that was not simply accepted.  ``clock_offset_s`` is collector time minus
    the kiosk's ``sent_at``.
    """
    state = request.app.state
    settings = state.settings
    uploads = state.uploads_by_kiosk
    if uploads[principal.kiosk_id] >= settings.max_uploads_per_kiosk:
        raise HTTPException(429, "this kiosk has too many uploads open; retry shortly",
                            {"Retry-After": str(RETRY_AFTER_S)})
    uploads[principal.kiosk_id] += 1
    try:
        data = await read_body_within(request, settings.body_timeout_s)
        # A slot of the process counts only while it works: a client sending
        # its body slowly holds its own kiosk's slots, never everybody's.
        if state.ingest_in_flight >= settings.max_ingest_requests:
            raise HTTPException(429, "too many uploads at once; retry shortly",
                                {"Retry-After": str(RETRY_AFTER_S)})
        state.ingest_in_flight += 1
        try:
            result = await run_in_threadpool(handle_batch, storage_of(request), principal, data)
        finally:
            state.ingest_in_flight -= 1
    finally:
        uploads[principal.kiosk_id] -= 1
        if not uploads[principal.kiosk_id]:
            del uploads[principal.kiosk_id]
    log_fields(request).update(
        accepted=result.accepted, duplicate=result.duplicate,
        conflict=result.conflict, rejected=result.rejected,
    )
    return Response(result.model_dump_json(), media_type="application/json")


def etag_matches(header: str, etag: str) -> bool:
    """True when an If-None-Match header names ``etag`` (weak or strong) or is ``*``."""
    candidates = [part.strip() for part in header.split(",")]
    return "*" in candidates or any(c.removeprefix("W/") == etag for c in candidates)


@router.get(
    "/api/v1/survey",
    response_model=Survey,
    summary="The survey this kiosk shows (its touchpoint's, else its store's)",
    responses={304: {"description": "Unchanged since the ETag in If-None-Match"}},
)
def get_survey(request: Request, principal: Principal = Depends(kiosk)) -> Response:
    """The survey of the kiosk's touchpoint if one is set, else its store's, with an
    ``ETag``; ``If-None-Match`` gives 304 when unchanged."""
    survey = storage_of(request).kiosk_survey(principal.store_id, principal.kiosk_id)
    etag = survey.etag()
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(survey.body(), headers=headers)


@router.get(
    "/api/v1/kiosk",
    response_model=KioskIdentity,
    summary="Which store and kiosk this token is for, and the store's time zone",
)
def get_kiosk(request: Request, principal: Principal = Depends(kiosk)) -> KioskIdentity:
    """``{store_id, store_name, kiosk_id, timezone}`` as the collector records them.

    The collector is the source of truth for its stores: the kiosk dates its
    taps in this time zone, and ``hymy-kiosk check-config`` names any
    difference from its config (a store id left at the example's, a store in
    another zone).
    """
    store = storage_of(request).store(principal.store_id) or {}
    return KioskIdentity(
        store_id=principal.store_id or "",
        store_name=store.get("name") or "",
        kiosk_id=principal.kiosk_id or "",
        timezone=store.get("timezone") or "",
    )
