"""The retry policy: which answers are worth another try, and how long to wait first.

Only network errors and the statuses in :data:`RETRY_STATUSES` are retried,
with exponential backoff and full jitter (:class:`Backoff`, base 1 s, cap
300 s); a server's ``Retry-After`` is a floor (docs/sync.md, "Retries").
"""

from __future__ import annotations

import random
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

from sync.clock import utc_now

#: HTTP statuses that can succeed later; everything else is not retried in a loop.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: A Retry-After longer than this is treated as this (a broken header must not park a kiosk).
MAX_RETRY_AFTER = 3600.0


class Backoff:
    """Exponential backoff with full jitter, capped, honouring ``Retry-After``.

    The n-th consecutive failure waits a uniform random time in
    ``[0, min(cap, base * 2**n))`` (AWS's "full jitter"), so a fleet of kiosks
    coming back after an outage spreads out instead of stampeding.  A server's
    ``Retry-After`` is a floor: we never come back sooner than asked.
    """

    def __init__(self, base: float = 1.0, cap: float = 300.0,
                 rng: Callable[[], float] = random.random):
        self.base = base
        self.cap = cap
        self.rng = rng
        self.failures = 0

    def next_delay(self, retry_after: float | None = None) -> float:
        """Count one more failure and return the seconds to wait before the next try."""
        ceiling = min(self.cap, self.base * 2 ** min(self.failures, 62))
        self.failures += 1
        delay = self.rng() * ceiling
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
        return delay

    def reset(self) -> None:
        """A success: the next failure starts from ``base`` again."""
        self.failures = 0


def parse_retry_after(value: str | None, now: Callable[[], Any] = utc_now) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - now()).total_seconds())
