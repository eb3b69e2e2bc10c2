"""The batch format between kiosk and collector, declared once and versioned.

A kiosk POSTs a :class:`Batch` (JSON, optionally gzip) to ``/api/v1/batches``
and gets a :class:`BatchResult` back.  :class:`Rating` is the one declaration
of a rating on the wire: the kiosk encodes it (:func:`make_batch`,
:func:`encode`) and the collector decodes and checks a whole batch with it in
one msgspec pass (:func:`decode_batch`): types and ranges are ``Meta``
constraints checked in C, and the string shapes declared with :func:`shape`
(id, times, days, languages, reasons) are then matched once per distinct
value of the batch.  Only when something fails are the ratings judged one by
one (:func:`problem`), to name which were refused and why, so one bad rating
is rejected with a reason while the rest of the batch is stored.  The few
rules one field cannot state (a score within its scale, a plausible time, a
local day next to the UTC day) are asked of every rating (checking them a
column at a time measured no faster).

Store and kiosk are *not* taken from the body: the collector knows them from
the kiosk's token.  Fields ``store_id``/``kiosk_id`` may be present (they are
columns of the kiosk's ``ratings`` table) and are checked, never trusted.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import Annotated, Any, Literal, NamedTuple, get_args, get_origin, get_type_hints

import msgspec
from pydantic import BaseModel, Field

from sync.clock import format_utc, utc_now
from sync.metrics import score_problem

FORMAT_VERSION = 1

MAX_BATCH_RATINGS = 5000
MAX_BODY_BYTES = 8 * 1024 * 1024
EARLIEST = datetime.fromisoformat("2020-01-01T00:00:00+00:00")
FUTURE_SLACK = timedelta(days=1)
#: Largest integer accepted for counters (fits a 64-bit column and a JavaScript number).
MAX_INT = 2**53 - 1



class Shape(NamedTuple):
    """A string shape: its pattern, compiled, and what a person is told it must look like."""

    pattern: re.Pattern[str]
    looks_like: str

    def fits(self, value: str | None) -> bool:
        """True for None (an absent optional value) or a value of this shape."""
        return value is None or self.pattern.match(value) is not None


#: Every shape by its pattern text.
SHAPES: dict[str, Shape] = {}


def shape(pattern: str, looks_like: str, **constraints: Any) -> msgspec.Meta:
    """Declare a string shape: its pattern (``\\Z``: ``$`` would also match before a
    final newline), what a person is told it must look like, other constraints.

    The pattern is in the JSON schema but not handed to msgspec: msgspec calls
    Python's ``re`` once per value, which made decoding six times slower
    (docs/performance.md).  :func:`problem` matches a rating's shapes and
    :func:`decode_batch` a whole batch's, each distinct value once.
    """
    SHAPES[pattern] = Shape(re.compile(pattern), looks_like)
    return msgspec.Meta(description=looks_like, extra_json_schema={"pattern": pattern},
                        **constraints)


#: A rating's id: a UUID in the form ``str(uuid.UUID(...))`` gives (lowercase).
RatingId = Annotated[str, shape(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z",
    "a lowercase UUID like 0190c3f2-7a1b-7c3d-8e4f-0123456789ab",
)]
#: A moment: RFC 3339 in UTC with milliseconds, as :func:`sync.clock.format_utc` writes it.
UtcTime = Annotated[str, shape(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z\Z",
    "a UTC time like 2026-01-15T22:30:00.123Z",
)]
Day = Annotated[str, shape(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", "a date like 2026-01-16 (YYYY-MM-DD)")]
Lang = Annotated[str, shape(
    r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*\Z", "a language code like fi or sv-FI",
    min_length=2, max_length=16,
)]
#: A follow-up reason: the key of a button of the survey, never free text.
REASON_KEY = r"^[a-z0-9][a-z0-9_.-]{0,63}\Z"
ReasonKey = Annotated[str, shape(REASON_KEY, "a follow-up reason key of the survey, like queue")]
Counter = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]
Text = Annotated[str, msgspec.Meta(pattern=r"^[^\x00-\x1f\x7f-\x9f]*\Z", max_length=64)]


class Rating(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """One tap on a smiley, exactly as the kiosk stored it (fields in its table's order)."""

    id: RatingId
    seq: Annotated[int, msgspec.Meta(ge=1, le=MAX_INT)]
    store_id: str | None = None
    kiosk_id: str | None = None
    score: Annotated[int, msgspec.Meta(ge=0, le=10)]
    scale: Literal[3, 4, 5, 7, 11]
    created_at: UtcTime
    local_date: Day
    lang: Lang
    reason: ReasonKey | None = None
    suppressed: bool = False
    survey_version: Counter | None = None
    #: The question asked (sync.metrics.KINDS); kiosks before NPS and CES send none.
    kind: Literal["csat", "nps", "ces"] = "csat"
    #: A follow-up question that went unanswered: the shopper skipped it or walked away.
    followup: Literal["skipped", "timeout"] | None = None


#: The wire fields of a rating, in the order of the kiosk's ``ratings`` table.
RATING_FIELDS: tuple[str, ...] = Rating.__struct_fields__


def _shaped_fields(kind: type) -> list[tuple[str, Shape]]:
    """The fields of a Struct declared with a :func:`shape`, with that shape."""

    def metas(hint: Any) -> list[msgspec.Meta]:
        if get_origin(hint) is Annotated:
            base, *extras = get_args(hint)
            return [m for m in extras if isinstance(m, msgspec.Meta)] + metas(base)
        return [meta for arg in get_args(hint) for meta in metas(arg)]

    return [(name, SHAPES[meta.extra_json_schema["pattern"]])
            for name, hint in get_type_hints(kind, include_extras=True).items()
            for meta in metas(hint) if meta.extra_json_schema and "pattern" in
            meta.extra_json_schema]


#: The shaped fields of a rating (id, created_at, local_date, lang, reason).
RATING_SHAPES = _shaped_fields(Rating)
#: The one shape of a moment (``created_at``, ``sent_at``, ``oldest_pending_at``).
_UTC_TIME = dict(RATING_SHAPES)["created_at"]


#: An IANA time zone name as a kiosk's config names it, like Europe/Helsinki.
ZoneName = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z][A-Za-z0-9_+./-]*\Z", max_length=64)]


class KioskStatus(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """What a kiosk says about itself on every sync, so silent and unhealthy kiosks show up.

    Every field is optional: kiosks of earlier releases send only the first
    four, and a collector of an earlier release ignores the others (msgspec
    skips unknown keys).  An absent field is left out of the body rather than
    sent as null, so a kiosk of either release encodes exactly what the
    collector re-encodes (the fast path of :func:`decode_batch`).
    """

    app_version: Text | None = None
    pending: Counter | None = None
    oldest_pending_at: UtcTime | None = None
    last_seq: Counter | None = None
    #: Ratings the collector refused that the kiosk keeps aside.
    rejected: Counter | None = None
    #: Seconds since the kiosk app started.
    uptime_s: Counter | None = None
    #: Free and total bytes of the file system holding the kiosk's database.
    disk_free_bytes: Counter | None = None
    disk_total_bytes: Counter | None = None
    #: Bytes of the kiosk's database file and its WAL.
    database_bytes: Counter | None = None
    #: The time zone the kiosk's config names (the collector's store zone wins).
    timezone: ZoneName | None = None


class Batch(msgspec.Struct, kw_only=True):
    """The body of ``POST /api/v1/batches``; an empty ``ratings`` is a heartbeat."""

    format: Literal[1] = FORMAT_VERSION
    sent_at: UtcTime
    status: KioskStatus | None = None
    ratings: Annotated[list[Rating], msgspec.Meta(max_length=MAX_BATCH_RATINGS)]


class _Envelope(msgspec.Struct, kw_only=True):
    """A batch whose ratings are left undecoded, to judge them one by one."""

    format: Literal[1] = FORMAT_VERSION
    sent_at: UtcTime
    status: KioskStatus | None = None
    ratings: list[msgspec.Raw]


class _Echo(msgspec.Struct):
    """The id and seq of a refused rating, whatever their type, to echo back."""

    id: Any = None
    seq: Any = None


ItemStatus = Literal["accepted", "duplicate", "conflict", "rejected"]


class ItemResult(BaseModel):
    """The fate of one rating that was not simply accepted."""

    id: str | None
    seq: int | None = None
    status: ItemStatus
    reason: str | None = None


class BatchResult(BaseModel):
    """The collector's answer: counts, plus one entry per rating not accepted."""

    accepted: int
    duplicate: int
    conflict: int
    rejected: int
    items: list[ItemResult] = Field(default_factory=list)
    clock_offset_s: float | None = Field(
        default=None, description="Collector time minus kiosk time when the batch arrived"
    )
    missing: list[tuple[int, int]] = Field(
        default_factory=list,
        description="Ranges [first, last] of this kiosk's seq that the collector does not hold,"
        " below the highest seq it holds or the kiosk reports (at most 100): a kiosk that"
        " still has those ratings sends them again (after a collector restore, say)",
    )


class Rejection(NamedTuple):
    """A rating of a batch that was refused: what it said its id and seq were, and why."""

    id: str | None
    seq: int | None
    reason: str


class BadBatch(ValueError):
    """A batch refused as a whole: ``kind`` is ``json`` (not strict JSON), ``size``
    (too many ratings) or ``shape`` (the envelope is wrong)."""

    def __init__(self, kind: Literal["json", "size", "shape"], message: str) -> None:
        super().__init__(message)
        self.kind = kind


def new_rating_id(at: datetime, random_bits: int | None = None) -> str:
    """A new rating id: a time-ordered UUID, version 7 (RFC 9562).

    The first 48 bits are the tap's Unix time in milliseconds and 74 are
    random, so ids from any number of kiosks do not collide in practice, and
    consecutive taps get neighbouring ids: a new rating lands at the end of
    the kiosk's and the collector's ``id`` indexes instead of on a random page,
    which halves the work of storing a batch (docs/performance.md).  The
    collector accepts any UUID; ``random_bits`` makes ids reproducible in tests.
    """
    millis = int(at.timestamp() * 1000) & 0xFFFF_FFFF_FFFF
    rand = int.from_bytes(os.urandom(10)) if random_bits is None else random_bits
    value = (millis << 80 | 0x7 << 76 | (rand >> 62 & 0xFFF) << 64
             | 0b10 << 62 | rand & 0x3FFF_FFFF_FFFF_FFFF)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


# -- kiosk side ----------------------------------------------------------------------

_JSON = msgspec.json.Encoder()


def make_batch(rows: list[dict[str, Any]], status: dict[str, Any] | None = None) -> Batch:
    """Build a batch from rows of the kiosk's ``ratings`` table (and its status).

    Nothing is checked here: a rating the collector refuses comes back
    ``rejected`` with a reason, and the kiosk keeps it aside.
    """
    ratings = []
    for row in rows:
        fields = {name: row.get(name) for name in RATING_FIELDS}
        fields["suppressed"] = bool(fields["suppressed"])
        fields["kind"] = fields["kind"] or "csat"  # a row from before question kinds
        ratings.append(Rating(**fields))
    return Batch(
        sent_at=format_utc(utc_now()),
        status=None if status is None else kiosk_status(status),
        ratings=ratings,
    )


def kiosk_status(values: dict[str, Any]) -> KioskStatus:
    """A status from a kiosk's figures, leaving out any value the collector would refuse.

    A status the collector cannot read refuses the whole batch (422), so a
    figure out of its bounds (a negative size from a broken file system, an
    odd zone name) is dropped here instead: the ratings still go.
    """
    fields = {}
    for name in KioskStatus.__struct_fields__:
        value = values.get(name)
        if value is None:
            continue
        try:
            msgspec.convert({name: value}, KioskStatus)
        except msgspec.ValidationError:
            continue
        fields[name] = value
    return KioskStatus(**fields)


def encode(body: Batch | dict, compress: bool = True) -> tuple[bytes, dict[str, str]]:
    """Serialise a batch for HTTP: compact UTF-8 JSON, fields in declaration order."""
    data = _JSON.encode(body)
    headers = {"Content-Type": "application/json"}
    if compress:
        data = gzip.compress(data, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    return data, headers


# -- collector side ------------------------------------------------------------------

_BATCH = msgspec.json.Decoder(Batch)
_ENVELOPE = msgspec.json.Decoder(_Envelope)
_RATING = msgspec.json.Decoder(Rating)
_ECHO = msgspec.json.Decoder(_Echo)
_STORE_ID, _KIOSK_ID = attrgetter("store_id"), attrgetter("kiosk_id")
_AT = re.compile(r"^(.*?)(?: - at `\$\.?(.*)`)?$", re.DOTALL)


def decode_batch(data: bytes) -> tuple[Batch, list[Rating | Rejection]]:
    """A batch body's envelope and, for each of its ratings, the Rating or why not.

    One msgspec pass decodes and checks the whole batch; if any rating is
    refused, a second pass decodes them one by one to say which and why.
    Raises :class:`BadBatch` for a body refused as a whole (the returned
    batch's ``ratings`` is then not to be used: the second list is).
    """
    try:
        batch = _BATCH.decode(data)
    except msgspec.ValidationError:  # (a DecodeError too: first)
        return _one_by_one(data)
    except (msgspec.DecodeError, RecursionError) as error:
        raise BadBatch("json", _not_json(error)) from None
    _real_times(batch)
    if _JSON.encode(batch) != data:  # not as a kiosk encodes it: look for a key twice
        _no_key_twice(data)
    earliest, latest = _plausible_times()
    judge = _broken_rule if _all_shapes_fit(batch.ratings) else problem
    problems = [judge(rating, earliest, latest) for rating in batch.ratings]
    if not any(problems):
        return batch, batch.ratings  # type: ignore[return-value]
    return batch, [rating if why is None else Rejection(rating.id, rating.seq, why)
                   for rating, why in zip(batch.ratings, problems, strict=True)]


def parse_rating(raw: Any) -> Rating:
    """Check one rating given as a Python object; raises ValueError with a one-line reason."""
    try:
        rating = msgspec.convert(raw, Rating)
    except msgspec.ValidationError as error:
        raise ValueError(explain(error)) from None
    why = problem(rating, *_plausible_times())
    if why is not None:
        raise ValueError(why)
    return rating


def problem(rating: Rating, earliest: str, latest: str) -> str | None:
    """Why a well-typed rating is still refused, or None: its shapes, then the rules
    across fields."""
    for name, form in RATING_SHAPES:
        if not form.fits(getattr(rating, name)):
            return f"{name}: must be {form.looks_like}"
    return _broken_rule(rating, earliest, latest)


def _broken_rule(rating: Rating, earliest: str, latest: str) -> str | None:
    """Why a rating of the right shapes is refused, or None."""
    if rating.kind == "csat" and rating.scale <= 5:  # the common case, without a call
        if not 1 <= rating.score <= rating.scale:
            return f"score {rating.score} is outside a {rating.scale}-face scale"
    else:
        why = score_problem(rating.kind, rating.score, rating.scale)
        if why is not None:
            return why
    if not earliest <= rating.created_at <= latest:
        return f"created_at {rating.created_at!r} is not a plausible time"
    try:
        utc_day = date.fromisoformat(rating.created_at[:10])
    except ValueError:
        return f"created_at {rating.created_at!r} is not a real day"
    try:
        local = date.fromisoformat(rating.local_date)
    except ValueError:
        return f"local_date {rating.local_date!r} is not a real day"
    if abs((local - utc_day).days) > 1:
        return "local_date is more than a day away from created_at"
    return None


def _all_shapes_fit(ratings: list[Rating]) -> bool:
    """True when every rating's shaped fields fit: each distinct value matched once.

    A kiosk's batch has one or two languages, days and reasons, so this costs
    two matches per rating (id and time) where :func:`problem` costs five.
    """
    return all(all(map(form.fits, set(map(attrgetter(name), ratings))))
               for name, form in RATING_SHAPES)


def _one_by_one(data: bytes) -> tuple[Batch, list[Rating | Rejection]]:
    """The envelope, then each rating decoded on its own: its Rating or its Rejection."""
    try:
        envelope = _ENVELOPE.decode(data)
    except msgspec.ValidationError as error:
        _no_key_twice(data)
        raise BadBatch("shape", explain(error, "body {format, sent_at, status, ratings}")) \
            from None
    except (msgspec.DecodeError, RecursionError) as error:
        raise BadBatch("json", _not_json(error)) from None
    try:  # the ratings were skipped over as Raw, their bytes unchecked
        data.decode()
    except UnicodeDecodeError:
        raise BadBatch("json", "body is not UTF-8 text") from None
    _real_times(envelope)
    if len(envelope.ratings) > MAX_BATCH_RATINGS:
        raise BadBatch("size", f"{len(envelope.ratings)} ratings in one batch;"
                               f" send at most {MAX_BATCH_RATINGS}")
    _no_key_twice(data)
    earliest, latest = _plausible_times()
    out: list[Rating | Rejection] = []
    for raw in envelope.ratings:
        try:
            rating = _RATING.decode(raw)
        except msgspec.ValidationError as error:
            out.append(_rejection(raw, explain(error)))
            continue
        except RecursionError:  # deep nesting in a field the Struct does not have
            out.append(_rejection(raw, "rating is nested too deeply"))
            continue
        why = problem(rating, earliest, latest)
        out.append(rating if why is None else Rejection(rating.id, rating.seq, why))
    batch = Batch(format=envelope.format, sent_at=envelope.sent_at, status=envelope.status,
                  ratings=[])
    return batch, out


def _rejection(raw: msgspec.Raw, reason: str) -> Rejection:
    """A Rejection echoing the item's id and seq when they look sane."""
    try:
        echo = _ECHO.decode(raw)
    except (msgspec.ValidationError, RecursionError):  # not an object, or too deep
        return Rejection(None, None, reason)
    rating_id, seq = echo.id, echo.seq
    return Rejection(
        rating_id[:64] if isinstance(rating_id, str) and rating_id.isprintable() else None,
        seq if type(seq) is int and abs(seq) < 2**63 else None,
        reason,
    )


def explain(error: msgspec.ValidationError, what: str = "rating") -> str:
    """msgspec's verdict as one short line: ``score: Expected `int` >= 1``.

    """
    message, where = _AT.match(str(error)).groups()  # type: ignore[union-attr]
    if message.startswith("Expected `object`") and not where:
        message = f"{what} must be a JSON object"
    return f"{where}: {message}" if where else message


def _not_json(error: Exception) -> str:
    """The 400 detail for a body msgspec cannot read."""
    if isinstance(error, RecursionError):
        return "body is not valid JSON: nested too deeply"
    if "UTF-8" in str(error):
        return "body is not UTF-8 text"
    return f"body is not valid JSON: {error}"


def _real_times(envelope: Batch | _Envelope) -> None:
    """Raise BadBatch unless the envelope's times are of their shape and real moments."""
    times = {"sent_at": envelope.sent_at}
    if envelope.status is not None and envelope.status.oldest_pending_at is not None:
        times["status.oldest_pending_at"] = envelope.status.oldest_pending_at
    for name, value in times.items():
        if not _UTC_TIME.fits(value):
            raise BadBatch("shape", f"{name}: must be {_UTC_TIME.looks_like}")
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise BadBatch("shape", f"{name}: {value!r} is not a real time") from None


class _KeyTwice(ValueError):
    """An object of the body names a key twice."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` hook: an object naming a key twice is ambiguous, so refused."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise _KeyTwice(f"key {twice[:40]!r} appears twice in one object")
    return found


def _no_key_twice(data: bytes) -> None:
    """Raise BadBatch when an object of the body names a key twice.

    msgspec keeps the last value; the collector refuses the ambiguity
    instead (docs/collector.md).  A body exactly as kiosks encode it cannot
    have a key twice, so only other bodies are read a second time for this.
    """
    try:
        json.loads(data, object_pairs_hook=_unique_keys)
    except _KeyTwice as error:
        raise BadBatch("json", f"body is not valid JSON: {error}") from None
    except (ValueError, RecursionError):
        pass  # msgspec read it: limits of the json module are not the collector's


def _plausible_times() -> tuple[str, str]:
    """The first and last ``created_at`` accepted, as canonical text."""
    return format_utc(EARLIEST), format_utc(utc_now() + FUTURE_SLACK)


def all_ours(ratings: list[Rating], store_id: str, kiosk_id: str) -> bool:
    """True when no rating names a store or kiosk other than the token's."""
    return (set(map(_STORE_ID, ratings)) <= {None, store_id}
            and set(map(_KIOSK_ID, ratings)) <= {None, kiosk_id})
