"""The batch format between kiosk and collector, defined once and versioned.

A kiosk POSTs a :class:`Batch` (JSON, optionally gzip) to ``/api/v1/batches``
and gets a :class:`BatchResult` back.  The kiosk builds batches with
:func:`make_batch`; the collector validates each rating on its own with
:func:`parse_rating`, so one bad rating is rejected with a reason while the
rest of the batch is stored.  :func:`parse_ratings` does the same for a whole
batch, checking the shape every kiosk sends column by column (about ten times
faster than building the pydantic model) and handing anything else to
:func:`parse_rating`, so both give the same verdicts; :func:`decode_kiosk_batch`
reads a body exactly as :func:`encode` writes it in one msgspec pass.

Store and kiosk are *not* taken from the body: the collector knows them from
the kiosk's token.  Fields ``store_id``/``kiosk_id`` may be present (they are
columns of the kiosk's ``ratings`` table) and are checked, never trusted.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import uuid
from datetime import date, datetime, timedelta
from itertools import repeat
from operator import itemgetter, le
from typing import Any, Literal, NamedTuple, get_type_hints

import msgspec
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from sync.clock import format_utc, parse_utc, utc_now

FORMAT_VERSION = 1

MAX_BATCH_RATINGS = 5000
MAX_BODY_BYTES = 8 * 1024 * 1024
#: The wire fields of a rating, in the order of the kiosk's ``ratings`` table.
RATING_FIELDS = (
    "id", "seq", "store_id", "kiosk_id", "score", "scale", "created_at",
    "local_date", "lang", "reason", "suppressed", "survey_version",
)
EARLIEST = datetime.fromisoformat("2020-01-01T00:00:00+00:00")
FUTURE_SLACK = timedelta(days=1)
#: Largest integer accepted for counters (fits a 64-bit column and a JavaScript number).
MAX_INT = 2**53 - 1
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_LANG = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$"
#: Inputs already in the form the validators produce skip the slow normalising path.
_CANONICAL_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_CANONICAL_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$")
#: The same shapes, anchored for the fast path (``$`` would also match before a final newline).
_UUID_ONLY = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LANG_ONLY = re.compile(_LANG[1:-1])


def _printable(value: str | None) -> str | None:
    """Reject control characters and lone surrogates, which no database column can hold."""
    if value is not None and not value.isprintable():
        raise ValueError("must be printable text")
    return value


class Rating(BaseModel):
    """One tap on a smiley, exactly as the kiosk stored it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(description="UUID chosen by the kiosk; the idempotency key")
    seq: StrictInt = Field(
        ge=1, le=MAX_INT, description="Per-kiosk sequence number 1, 2, 3... without gaps"
    )
    store_id: str | None = Field(default=None, description="Checked against the token")
    kiosk_id: str | None = Field(default=None, description="Checked against the token")
    score: StrictInt = Field(ge=1, le=5, description="1 (worst face) .. scale (best face)")
    scale: Literal[3, 4, 5] = Field(description="Number of faces shown")
    created_at: str = Field(description="UTC time of the tap, RFC 3339 with milliseconds")
    local_date: str = Field(description="Store-local date of the tap, YYYY-MM-DD")
    lang: str = Field(
        min_length=2, max_length=16, pattern=_LANG, description="Language shown, e.g. 'fi'"
    )
    reason: str | None = Field(default=None, max_length=64, description="Follow-up answer")
    suppressed: bool = Field(default=False, description="Tap inside the response interval")
    survey_version: StrictInt | None = Field(
        default=None, ge=0, le=MAX_INT, description="Survey the shopper saw"
    )

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        return _printable(value)

    @field_validator("id")
    @classmethod
    def _uuid(cls, value: str) -> str:
        if _CANONICAL_UUID.match(value):
            return value  # what str(uuid.UUID(value)) would return, 20x faster
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValueError("id must be a UUID") from None

    @field_validator("created_at")
    @classmethod
    def _time(cls, value: str) -> str:
        canonical = _CANONICAL_TIME.match(value) is not None
        moment = datetime.fromisoformat(value) if canonical else parse_utc(value)
        if moment < EARLIEST or moment > utc_now() + FUTURE_SLACK:
            raise ValueError(f"created_at {value!r} is not a plausible time")
        return value if canonical else format_utc(moment)

    @field_validator("local_date")
    @classmethod
    def _date(cls, value: str) -> str:
        if not _DATE.match(value):
            raise ValueError("local_date must be YYYY-MM-DD")
        datetime.fromisoformat(value)
        return value

    @model_validator(mode="after")
    def _score_in_scale(self) -> Rating:
        if self.score > self.scale:
            raise ValueError(f"score {self.score} is outside a {self.scale}-face scale")
        local = date.fromisoformat(self.local_date)
        utc_day = date.fromisoformat(self.created_at[:10])  # created_at is normalised UTC
        if abs((local - utc_day).days) > 1:
            raise ValueError("local_date is more than a day away from created_at")
        return self


class KioskStatus(BaseModel):
    """What a kiosk says about itself on every sync, so silent kiosks show up."""

    model_config = ConfigDict(extra="ignore")

    app_version: str | None = Field(default=None, max_length=64)
    pending: StrictInt | None = Field(default=None, ge=0, le=MAX_INT)
    oldest_pending_at: str | None = None
    last_seq: StrictInt | None = Field(default=None, ge=0, le=MAX_INT)

    @field_validator("app_version")
    @classmethod
    def _app_version(cls, value: str | None) -> str | None:
        return _printable(value)

    @field_validator("oldest_pending_at")
    @classmethod
    def _oldest(cls, value: str | None) -> str | None:
        return None if value is None else format_utc(parse_utc(value))


class Batch(BaseModel):
    """The body of ``POST /api/v1/batches``.

    ``ratings`` is kept as raw objects here so that each can be validated on
    its own (see :func:`parse_rating`); the schema of one item is :class:`Rating`.
    """

    model_config = ConfigDict(extra="ignore")

    format: Literal[1] = Field(default=FORMAT_VERSION, description="Wire format version")
    sent_at: str = Field(description="Kiosk clock at send time (RFC 3339, UTC)")
    status: KioskStatus | None = None
    ratings: list[dict[str, Any]] = Field(max_length=MAX_BATCH_RATINGS)

    @field_validator("sent_at")
    @classmethod
    def _sent_at(cls, value: str) -> str:
        return format_utc(parse_utc(value))


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


def parse_rating(raw: Any) -> Rating:
    """Validate one raw rating; raises ValueError with a one-line reason."""
    if not isinstance(raw, dict):
        raise ValueError("rating must be a JSON object")
    try:
        return Rating.model_validate(raw)
    except ValidationError as error:
        raise ValueError(explain(error)) from None


class RatingRow(NamedTuple):
    """A validated rating as a plain tuple (fields in :data:`RATING_FIELDS` order).

    What :func:`parse_ratings` returns: the same values as a :class:`Rating`,
    read the same way (``row.seq``), but cheap to build by the thousand.
    """

    id: str
    seq: int
    store_id: str | None
    kiosk_id: str | None
    score: int
    scale: int
    created_at: str
    local_date: str
    lang: str
    reason: str | None
    suppressed: bool
    survey_version: int | None

    @classmethod
    def of(cls, rating: Rating) -> RatingRow:
        """The row of a validated :class:`Rating`."""
        return cls(*(getattr(rating, name) for name in RATING_FIELDS))


def parse_ratings(raws: list[Any]) -> list[RatingRow | ValueError]:
    """Validate a batch's raw ratings: for each, its :class:`RatingRow` or the ValueError.

    Gives exactly what :func:`parse_rating` gives item by item.  Ratings in
    the form kiosks send (canonical UUID and times, plain types) are checked
    here in plain Python; anything else, and every rating that fails, goes
    through :func:`parse_rating` so the values and reasons are the model's.
    """
    earliest, latest = _plausible_times()
    if raws:
        whole = _fast_batch(raws, earliest, latest)
        if whole is not None:
            return whole  # type: ignore[return-value]
    out: list[RatingRow | ValueError] = []
    for raw in raws:
        row = _fast_rating(raw, earliest, latest)
        if row is None:
            try:
                row = RatingRow.of(parse_rating(raw))
            except ValueError as error:
                out.append(error)
                continue
        out.append(row)
    return out


def _plausible_times() -> tuple[str, str]:
    """The first and last ``created_at`` the fast paths accept, as canonical text."""
    return format_utc(EARLIEST), format_utc(utc_now() + FUTURE_SLACK)


_KNOWN_LANGS: set[str] = set()
_DAY_PART = itemgetter(slice(0, 10))
#: Canonical ids and times, checked a whole column at once: each character of a
#: class maps to one placeholder (a literal ``x`` to ``!``, so it cannot pass for hex).
_HEX_AS_X = str.maketrans("0123456789abcdefx", "xxxxxxxxxxxxxxxx!")
_UUID_SHAPE = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
_DIGIT_AS_0 = str.maketrans("123456789", "000000000")
_TIME_SHAPE = "0000-00-00T00:00:00.000Z"


def _all_shaped(values: tuple[str, ...], placeholders: dict[int, str], shape: str) -> bool:
    """True when each value reads ``shape`` once mapped, like a regex fullmatch, in C."""
    return (set(map(len, values)) == {len(shape)}
            and "".join(values).translate(placeholders) == shape * len(values))


#: A rating in the form :func:`make_batch` gives it, for msgspec: every field of a
#: :class:`RatingRow`, with its exact JSON type.
_KioskRating = msgspec.defstruct("_KioskRating", list(get_type_hints(RatingRow).items()))


def _fast_batch(raws: list[Any], earliest: str, latest: str) -> list[RatingRow] | None:
    """Every rating of a batch as :func:`_fast_rating` would pass it, checked column by
    column; None as soon as one of them might not pass (then each goes on its own)."""
    try:
        ratings = msgspec.convert(raws, list[_KioskRating])  # fields and exact types, in C
    except msgspec.ValidationError:
        return None
    return _checked_columns(ratings, earliest, latest)


def _checked_columns(
    ratings: list[_KioskRating], earliest: str, latest: str
) -> list[RatingRow] | None:
    """The ratings as rows if every one would pass :func:`_fast_rating`, else None.

    The same checks as :func:`_fast_rating`, on whole columns at C speed: a
    batch from a kiosk has every field, exact types (which msgspec checked)
    and a handful of distinct languages, reasons, versions and days.
    """
    values = list(map(msgspec.structs.astuple, ratings))
    (ids, seqs, _stores, _kiosks, scores, scales, created, days, langs, reasons,
     _suppressed, versions) = zip(*values, strict=True)
    if not (
        _all_shaped(ids, _HEX_AS_X, _UUID_SHAPE)
        and min(seqs) >= 1 and max(seqs) <= MAX_INT
        and min(scales) >= 3 and max(scales) <= 5
        and min(scores) >= 1 and all(map(le, scores, scales))
        and _all_shaped(created, _DIGIT_AS_0, _TIME_SHAPE)
        and earliest <= min(created) and max(created) <= latest
        and all(map(_DATE_ONLY.fullmatch, set(days)))
    ):
        return None
    for lang in set(langs) - _KNOWN_LANGS:
        if not (2 <= len(lang) <= 16 and _LANG_ONLY.fullmatch(lang)):
            return None
        if len(_KNOWN_LANGS) < 1000:
            _KNOWN_LANGS.add(lang)
    for reason in set(reasons):
        if reason is not None and not (len(reason) <= 64 and reason.isascii()
                                       and reason.isprintable()):
            return None
    for version in set(versions):
        if version is not None and not 0 <= version <= MAX_INT:
            return None
    try:
        all(map(datetime.fromisoformat, created))  # a real time of a real day (raises if not)
        # Canonical times end in Z: the UTC day is the first ten characters.
        for utc_day, day in set(zip(map(_DAY_PART, created), days, strict=True)):
            if abs((date.fromisoformat(day) - date.fromisoformat(utc_day)).days) > 1:
                return None
    except ValueError:
        return None
    return list(map(tuple.__new__, repeat(RatingRow), values))


def _fast_rating(raw: Any, earliest: str, latest: str) -> RatingRow | None:
    """A rating the model would accept unchanged, checked without it; None when unsure.

    Only accepts a subset of what :class:`Rating` accepts (exact types, ASCII,
    canonical forms), and for that subset yields the very values the model
    would, so a None costs time and never changes a verdict.
    """
    if type(raw) is not dict:
        return None
    get = raw.get
    rating_id, seq, score, scale = get("id"), get("seq"), get("score"), get("scale")
    created, day, lang = get("created_at"), get("local_date"), get("lang")
    store, kiosk, reason = get("store_id"), get("kiosk_id"), get("reason")
    suppressed, version = get("suppressed", False), get("survey_version")
    if not (
        type(rating_id) is str and _UUID_ONLY.fullmatch(rating_id)
        and type(seq) is int and 1 <= seq <= MAX_INT
        and type(scale) is int and 3 <= scale <= 5
        and type(score) is int and 1 <= score <= scale
        and type(created) is str and _TIME_ONLY.fullmatch(created)
        and earliest <= created <= latest
        and type(day) is str and _DATE_ONLY.fullmatch(day)
        and type(lang) is str
        and (store is None or type(store) is str)
        and (kiosk is None or type(kiosk) is str)
        and (reason is None or type(reason) is str and len(reason) <= 64
             and reason.isascii() and reason.isprintable())
        and type(suppressed) is bool
        and (version is None or type(version) is int and 0 <= version <= MAX_INT)
    ):
        return None
    if lang not in _KNOWN_LANGS:
        if not (2 <= len(lang) <= 16 and _LANG_ONLY.fullmatch(lang)):
            return None
        if len(_KNOWN_LANGS) < 1000:
            _KNOWN_LANGS.add(lang)
    try:
        moment = datetime.fromisoformat(created)
        local = date.fromisoformat(day)
    except ValueError:
        return None
    if abs((local - moment.date()).days) > 1:
        return None
    return RatingRow(rating_id, seq, store, kiosk, score, scale, created, day, lang, reason,
                     suppressed, version)


class _KioskBatch(msgspec.Struct):
    """A batch in the exact form :func:`make_batch` gives it (``status`` as sent)."""

    format: int
    sent_at: str
    status: dict[str, Any] | None
    ratings: list[_KioskRating]


_KIOSK_BATCH = msgspec.json.Decoder(_KioskBatch)
_JSON = msgspec.json.Encoder()


def decode_kiosk_batch(data: bytes) -> tuple[dict[str, Any], list[RatingRow]] | None:
    """A batch body as :func:`encode` writes it: its envelope and every rating as a row.

    None for any other body, which then takes the general path (strict JSON,
    then each rating on its own), so this changes no verdict, only the speed:
    one C pass decodes and type-checks the whole batch.  The body must be
    exactly the bytes its decoded value encodes to.  That proves what the
    general path checks by hand: UTF-8, no NaN, no field the kiosk does not
    send - and no key twice in one object, which would re-encode shorter.
    The ratings then take the same column checks as :func:`parse_ratings`.
    The envelope (without ratings) is left for :class:`Batch` to validate.
    """
    try:
        batch = _KIOSK_BATCH.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):  # a wrong type too
        return None
    if len(batch.ratings) > MAX_BATCH_RATINGS or _JSON.encode(batch) != data:
        return None
    rows: list[RatingRow] | None = []
    if batch.ratings:
        rows = _checked_columns(batch.ratings, *_plausible_times())
        if rows is None:
            return None
    envelope = {"format": batch.format, "sent_at": batch.sent_at, "status": batch.status,
                "ratings": []}
    return envelope, rows


def explain(error: ValidationError) -> str:
    """Turn a pydantic error into one short human line: 'score: ...; lang: ...'."""
    parts = []
    for item in error.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def make_batch(rows: list[dict[str, Any]], status: dict[str, Any] | None = None) -> dict:
    """Build a batch body from rows of the kiosk's ``ratings`` table."""
    ratings = [{name: row.get(name) for name in RATING_FIELDS} for row in rows]
    for rating in ratings:
        rating["suppressed"] = bool(rating["suppressed"])
    return {
        "format": FORMAT_VERSION,
        "sent_at": format_utc(utc_now()),
        "status": status,
        "ratings": ratings,
    }


def encode(body: dict, compress: bool = True) -> tuple[bytes, dict[str, str]]:
    """Serialise a batch for HTTP: bytes and the headers that describe them.

    Compact UTF-8 JSON in the body's own key order: for a :func:`make_batch`
    body, the form :func:`decode_kiosk_batch` reads in one pass.
    """
    try:
        data = _JSON.encode(body)
    except UnicodeEncodeError:  # a lone surrogate: escaped, the collector rejects that rating
        data = json.dumps(body, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    if compress:
        data = gzip.compress(data, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    return data, headers


