"""Time rules shared by kiosk and collector: RFC 3339 timestamps and store-local days.

A rating belongs to the *store's* local day, not UTC's: a tap at 22:30 UTC in
January in Helsinki is on the next local date.  Both ends use these helpers so
that the kiosk's ``local_date`` and the collector's hourly buckets agree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
