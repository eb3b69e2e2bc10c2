"""Time rules shared by kiosk and collector: RFC 3339 timestamps and store-local days.

A rating belongs to the *store's* local day, not UTC's: a tap at 22:30 UTC in
January in Helsinki is on the next local date.  Both ends use these helpers so
that the kiosk's ``local_date`` and the collector's hourly buckets agree.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utc_now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def format_utc(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, e.g. ``2026-01-15T22:30:00.123Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_utc(text: str) -> datetime:
    """Parse an RFC 3339 timestamp; a value without an offset is rejected."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset")
    return moment.astimezone(UTC)


#: An instant as :func:`format_utc` writes it, after an optional "at ".
_WIRE_INSTANT = re.compile(r"\b(at )?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z)")


def local_words(text: str, tz: tzinfo | None = None) -> str:
    """``text`` with each wire instant (``at 2026-12-03T07:45:45.954Z``) told in local
    time as a person reads it (``on 3 Dec 2026 at 09:45 (EET)``).

    The collector's messages name instants in UTC, the only zone it can assume; the
    person reading one at a kiosk thinks in the kiosk's zone (the machine's when
    ``tz`` is None) and would otherwise have to convert the raw stamp in their head.
    """
    def told(match: re.Match[str]) -> str:
        moment = parse_utc(match[2]).astimezone(tz)
        words = f"{moment.day} {moment:%b %Y} at {moment:%H:%M} ({moment:%Z})"
        return f"on {words}" if match[1] else words

    return _WIRE_INSTANT.sub(told, text)


def zone(name: str) -> ZoneInfo:
    """Look up an IANA time zone, with a clear error for a bad name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        # OSError: a name that is a folder of the zone database ("Europe") or too long.
        raise ValueError(f"unknown IANA time zone {name!r} (e.g. 'Europe/Helsinki')") from error


def local_date(moment: datetime, tz: ZoneInfo) -> str:
    """The store-local calendar date (YYYY-MM-DD) of an instant."""
    return moment.astimezone(tz).date().isoformat()


def local_hour(moment: datetime, tz: ZoneInfo) -> int:
    """The store-local hour (0-23) of an instant, for hour-of-day heat maps."""
    return moment.astimezone(tz).hour


def local_time(moment: datetime, tz: ZoneInfo) -> str:
    """The store-local time of day (HH:MM:SS) of an instant, as exports show it."""
    return moment.astimezone(tz).strftime("%H:%M:%S")


def local_day_bounds(date: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where a local day starts and ends (23 or 25 hours on DST days)."""
    day = datetime.fromisoformat(date).replace(tzinfo=tz)
    start = day.astimezone(UTC)
    end = (day + timedelta(days=1)).replace(tzinfo=tz).astimezone(UTC)
    return start, end
